/**
 * Attacks on the relint of one edited entry (engine/reanalyze.ts, issue 25) beyond the random
 * chains of reanalyze.test.ts: the memory an incremental version keeps from older ones, edits
 * whose new text holds braces, quotes and escapes, deep nesting at the limit, duplicate keys
 * made and removed inside an entry, CRLF text, and Tape.splice against tapeParse.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { analyze, type Analysis, type AnalyzeOptions } from '../../server/src/engine/analyze';
import { reanalyze } from '../../server/src/engine/reanalyze';
import { ARRAY, OBJECT, TapeNode, tapeParse, TYPE_MASK } from '../../server/src/engine/tape';
import { makeIndex } from '../../bench/generate';
import { rng } from '../harness/corpus';

function assertSame(inc: Analysis, options: AnalyzeOptions, what: string): void {
  const full = analyze(inc.text, options);
  assert.deepEqual(inc.findings, full.findings, `findings (${what})`);
  assert.equal(inc.truncated, full.truncated);
  inc.descriptors.forEach((d, i) => assert.deepEqual(d.plain, full.descriptors[i].plain, `plain facts of ${d.label} (${what})`));
  const a = (inc.root as TapeNode).tape;
  const b = (full.root as TapeNode).tape;
  assert.equal(a.count, b.count, `slots (${what})`);
  for (const k of ['type', 'start', 'end', 'first', 'next'] as const) assert.deepEqual(a[k].subarray(0, a.count), b[k].subarray(0, b.count), `tape ${k} (${what})`);
}

/** `prev` with `insert` in place of [start, oldEnd), relinted incrementally (or undefined) and checked against the full lint. */
function edit(prev: Analysis, start: number, oldEnd: number, insert: string, options: AnalyzeOptions = {}): { inc: Analysis | undefined; next: Analysis } {
  const text = prev.text.slice(0, start) + insert + prev.text.slice(oldEnd);
  const inc = reanalyze(prev, text, { start, oldEnd, newEnd: start + insert.length }, options);
  if (inc) assertSame(inc, options, JSON.stringify(insert).slice(0, 60));
  return { inc, next: inc ?? analyze(text, options) };
}

test('the facts kept from an edited entry hold no older version of the text (typing in many entries of a large index)', () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const text = makeIndex(6000);
  let prev = analyze(text);
  gc();
  const before = process.memoryUsage().heapUsed;
  const edits = 24;
  for (let i = 0; i < edits; i++) {
    const site = prev.descriptors[50 + i * 200];
    const at = prev.text.indexOf('"size": ', site.start) + 8;
    const { inc } = edit(prev, at, at + 1, String((i % 9) + 1));
    assert.ok(inc, 'relinted incrementally');
    prev = inc;
  }
  // The facts alone: before the fix each edited entry's digest was a view of the 2.6 MB text of
  // the version it was read in, and the facts kept all 24 of them alive.
  const facts = prev.descriptors.map((d) => d.plain);
  prev = undefined as unknown as Analysis;
  gc();
  const grew = process.memoryUsage().heapUsed - before;
  assert.ok(facts.length === 6000);
  assert.ok(grew < 4 * text.length, `kept ${(grew / 1048576).toFixed(1)} MiB after ${edits} edits of a ${(text.length / 1048576).toFixed(1)} MiB index`);
});

test('new entry text holding braces, quotes, escapes, surrogates and CRLF: relinted as the full lint, or refused', () => {
  const base = makeIndex(30, { dockerEvery: 4 });
  for (const text of [base, base.replace(/\n/g, '\r\n')]) {
    const prev = analyze(text);
    const site = prev.descriptors[7];
    const from = site.node.offset;
    const to = from + site.node.length;
    const inserts = ['"x": "}", ', '"x": "{\\"}", ', '"x": "\\u007d\\u0022", ', '"\\u0061nnotations": {}, ', '"x": "😀\\ud83d\\ude00", ', '"x": "\ud83d", ',
      '\r\n', '"x":\r\n1,', '"a": 1}, {"b": 2, ', '"a": 1}, {', '"x": {"y": [1, {"z": "]"}]}, ', '"x": 1e400, ', '"x": -0, '];
    let engaged = 0;
    for (const ins of inserts) {
      for (const at of [from + 1, to - 1]) {
        const insert = at === to - 1 ? ', ' + ins.replace(/, $/, '') : ins;
        if (edit(prev, at, at, insert).inc) engaged++;
      }
    }
    assert.ok(engaged >= 16, `engaged ${engaged}`);
    // The whole inside replaced by a number: no longer one object, refused.
    assert.equal(edit(prev, from + 1, to - 1, '1').inc, undefined);
    assert.equal(edit(prev, from, to, '1').inc, undefined);
  }
});

test('nesting at the limit inside an entry: relinted up to what the full parse takes, refused past it', () => {
  const prev = analyze(makeIndex(10));
  const from = prev.descriptors[3].node.offset;
  for (const n of [480, 489, 490, 495, 496, 497, 498, 499, 500]) {
    const { inc, next } = edit(prev, from + 1, from + 1, `"x": ${'['.repeat(n)}${']'.repeat(n)}, `);
    const full = analyze(next.text);
    if (inc) assert.equal(full.syntaxErrors.length, 0, `${n} levels: the full parse takes it`);
  }
});

test('duplicate keys made and removed inside an entry and its platform/annotations (json-duplicate-key skips plain objects)', () => {
  let prev = analyze(makeIndex(12));
  const options: AnalyzeOptions = { rules: { 'json-duplicate-key': 'error' } };
  prev = analyze(prev.text, options);
  const steps: [string, string][] = [
    ['"os": "linux"', '"os": "linux", "os": "linux"'],
    ['"os": "linux", "os": "linux"', '"os": "linux"'],
    ['"size": ', '"size": 1, "size": '],
  ];
  for (const [from, to] of steps) {
    const at = prev.text.indexOf(from, prev.descriptors[5].start);
    const { inc, next } = edit(prev, at, at + from.length, to, options);
    assert.ok(inc, to);
    prev = next;
  }
  assert.ok(prev.findings.some((f) => f.ruleId === 'json-duplicate-key'));
});

test('Tape.splice gives tapeParse\'s tape for random edits inside any nested object or array', () => {
  const r = rng(4242);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const value = (d: number): string => {
    const c = r();
    if (d > 4 || c < 0.3) return pick(['1', '"a"', 'null', 'true', '"\\u00e9"', '-0.5e3', '"😀"', '{}', '[]']);
    const n = Math.floor(r() * 4);
    if (c < 0.65) return '{' + Array.from({ length: n }, () => `"k${Math.floor(r() * 3)}": ${value(d + 1)}`).join(',') + '}';
    return '[' + Array.from({ length: n }, () => value(d + 1)).join(', ') + ']';
  };
  let checked = 0;
  for (let it = 0; it < 6000; it++) {
    const text = value(0);
    const root = tapeParse(text);
    if (!(root instanceof TapeNode)) continue;
    const t = root.tape;
    const containers: number[] = [];
    for (let i = 1; i < t.count; i++) if ([OBJECT, ARRAY].includes(t.type[i] & TYPE_MASK)) containers.push(i);
    if (containers.length === 0) continue;
    const slot = pick(containers);
    const s = t.start[slot];
    const e = t.end[slot];
    const a = s + 1 + Math.floor(r() * (e - s - 1));
    const b = a + Math.floor(r() * (e - 1 - a + 1));
    const ins = pick(['', ' ', value(2), '"x": 1', ', "y": [1]', '1, 2', '"k0": {"k1": []}, ']);
    const next = text.slice(0, a) + ins + text.slice(b);
    const delta = ins.length - (b - a);
    const sub = tapeParse(next.slice(s, e + delta));
    const full = tapeParse(next);
    if (!(sub instanceof TapeNode) || !(full instanceof TapeNode) || sub.tape.type[0] !== (t.type[slot] & TYPE_MASK)) continue;
    const spliced = t.splice(next, slot, sub.tape, delta);
    assert.equal(spliced.count, full.tape.count);
    for (const k of ['type', 'start', 'end', 'first', 'next'] as const) assert.deepEqual(spliced[k].subarray(0, spliced.count), full.tape[k].subarray(0, full.tape.count), `${k}: ${text} → ${next}`);
    checked++;
  }
  assert.ok(checked > 500, `checked ${checked}`);
});
