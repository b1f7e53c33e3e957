/**
 * The server's FastTextDocument against vscode-languageserver-textdocument's TextDocument, the
 * reference it replaces: the same text after the same random edits (with `\n`, `\r\n` and lone
 * `\r` line breaks, edits that join and split them, reversed and out-of-range ranges, full
 * changes), and the same positions and offsets. The reference applies each change to a library
 * document made afresh from the text: the library's incrementally updated index drifts from its
 * own text after a range past the last line, and then its later edits land elsewhere.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TextDocument, type TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import { editSince, FastTextDocument } from '../../server/src/lsp/textDocument';

/** A small deterministic PRNG, so a failure reproduces. */
function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x * 1664525 + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

const PIECES = ['a', 'bc', '{', '"k": 1', '\n', '\r\n', '\r', ' ', 'é', '😀', ''];

function randomText(r: () => number, n: number, pieces: readonly string[]): string {
  let s = '';
  for (let i = 0; i < n; i++) s += pieces[Math.floor(r() * pieces.length)];
  return s;
}

function assertSame(fast: TextDocument, ref: TextDocument, what: string): void {
  const text = ref.getText();
  assert.equal(fast.getText(), text, `${what}: text`);
  assert.equal(fast.lineCount, ref.lineCount, `${what}: lineCount`);
  assert.equal(fast.version, ref.version, `${what}: version`);
  for (let o = -1; o <= text.length + 1; o++) assert.deepEqual(fast.positionAt(o), ref.positionAt(o), `${what}: positionAt(${o}) of ${JSON.stringify(text)}`);
  for (let line = -1; line <= ref.lineCount; line++) {
    assert.deepEqual(fast.getLineRange(line), ref.getLineRange(line), `${what}: getLineRange(${line})`);
    assert.equal(fast.getEOLCharacters(line), ref.getEOLCharacters(line), `${what}: getEOLCharacters(${line})`);
    for (let character = -1; character <= 6; character++) {
      assert.equal(fast.offsetAt({ line, character }), ref.offsetAt({ line, character }), `${what}: offsetAt(${line}:${character}) of ${JSON.stringify(text)}`);
    }
  }
}

for (const [name, pieces] of [['\\n only', PIECES.filter((p) => !p.includes('\r'))], ['\\n, \\r\\n and \\r', PIECES]] as const) {
  test(`FastTextDocument matches the library's TextDocument over random edits (${name})`, () => {
    for (let seed = 1; seed <= 40; seed++) {
      const r = rng(seed);
      const initial = randomText(r, 30, pieces);
      const fast = FastTextDocument.create('file:///t.json', 'json', 1, initial);
      let ref = TextDocument.create('file:///t.json', 'json', 1, initial);
      assertSame(fast, ref, `seed ${seed}, created`);
      for (let v = 2; v < 22; v++) {
        const changes: TextDocumentContentChangeEvent[] = [];
        const count = 1 + Math.floor(r() * 3);
        for (let c = 0; c < count; c++) {
          if (r() < 0.05) {
            changes.push({ text: randomText(r, 20, pieces) });
            continue;
          }
          const line = Math.floor(r() * (ref.lineCount + 1));
          const pos = (): { line: number; character: number } => ({ line: line + Math.floor(r() * 2), character: Math.floor(r() * 8) });
          changes.push({ range: { start: pos(), end: pos() }, text: randomText(r, Math.floor(r() * 4), pieces) });
        }
        FastTextDocument.update(fast, changes, v);
        // The reference applies each change to a fresh library document, whose index is right.
        for (const change of changes) ref = TextDocument.update(TextDocument.create('file:///t.json', 'json', v, ref.getText()), [change], v);
        ref = TextDocument.create('file:///t.json', 'json', v, ref.getText());
        assertSame(fast, ref, `seed ${seed}, version ${v}, ${JSON.stringify(changes)}`);
      }
    }
  });
}

test('FastTextDocument gives the same positions as the library on a large pretty-printed document after edits', () => {
  const text = JSON.stringify({ manifests: Array.from({ length: 3000 }, (_, i) => ({ digest: `sha256:${i}`, size: i })) }, null, 2);
  const fast = FastTextDocument.create('file:///big.json', 'json', 1, text);
  let ref = TextDocument.create('file:///big.json', 'json', 1, text);
  const edits: TextDocumentContentChangeEvent[][] = [
    [{ range: { start: { line: 5, character: 4 }, end: { line: 5, character: 5 } }, text: 'X' }],
    [{ range: { start: { line: 100, character: 0 }, end: { line: 103, character: 0 } }, text: '' }],
    [{ range: { start: { line: 7, character: 2 }, end: { line: 7, character: 2 } }, text: '\n\n  "added": true,\n' }],
  ];
  edits.forEach((e, i) => {
    FastTextDocument.update(fast, e, i + 2);
    ref = TextDocument.update(ref, e, i + 2);
    const t = ref.getText();
    assert.equal(fast.getText(), t);
    for (let o = 0; o <= t.length; o += 97) assert.deepEqual(fast.positionAt(o), ref.positionAt(o), `offset ${o}`);
  });
});

test('editSince: the one span that changed since any remembered version, over random edits (the relint of one entry relies on it)', () => {
  let checked = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const r = rng(1000 + seed);
    const pieces = PIECES.filter((p) => !p.includes('\r'));
    const texts = new Map<number, string>();
    const initial = randomText(r, 40, pieces);
    const doc = FastTextDocument.create('file:///e.json', 'json', 1, initial);
    texts.set(1, initial);
    for (let v = 2; v < 30; v++) {
      const changes: TextDocumentContentChangeEvent[] = [];
      const count = 1 + Math.floor(r() * 3);
      for (let c = 0; c < count; c++) {
        const line = Math.floor(r() * doc.lineCount);
        const pos = (): { line: number; character: number } => ({ line: line + Math.floor(r() * 2), character: Math.floor(r() * 8) });
        changes.push(seed % 10 === 0 && v === 15 && c === 0 ? { text: randomText(r, 20, pieces) } : { range: { start: pos(), end: pos() }, text: randomText(r, Math.floor(r() * 4), pieces) });
      }
      FastTextDocument.update(doc, changes, v);
      const now = doc.getText();
      texts.set(v, now);
      for (let since = 1; since < v; since++) {
        const span = editSince(doc, since);
        const whole = seed % 10 === 0 && since < 15 && v >= 15;
        if (whole) { assert.equal(span, undefined, 'the whole text was replaced since'); continue; }
        assert.ok(span, `seed ${seed}: v${since} → v${v}`);
        const old = texts.get(since)!;
        const what = `seed ${seed}: v${since} → v${v} ${JSON.stringify(span)}`;
        assert.ok(span.start <= span.oldEnd && span.oldEnd <= old.length && span.start <= span.newEnd && span.newEnd <= now.length, what);
        assert.equal(now.length - old.length, span.newEnd - span.oldEnd, what);
        assert.equal(now.slice(0, span.start), old.slice(0, span.start), `${what}: before`);
        assert.equal(now.slice(span.newEnd), old.slice(span.oldEnd), `${what}: after`);
        checked++;
      }
    }
  }
  assert.ok(checked > 10_000, `spans checked: ${checked}`);
  // Versions older than it remembers: unknown, not a wrong span.
  const doc = FastTextDocument.create('file:///old.json', 'json', 1, 'x');
  for (let v = 2; v < 400; v++) FastTextDocument.update(doc, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: 'y' }], v);
  assert.equal(editSince(doc, 1), undefined);
  assert.deepEqual(editSince(doc, 398), { start: 0, oldEnd: 0, newEnd: 1 });
});
