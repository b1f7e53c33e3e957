/**
 * Mutation fuzzing over the corpus with a fixed seed: delete, duplicate, retype and truncate
 * parts of real documents thousands of times. The engine must never throw, every finding must
 * lie inside the text, every fix must apply, and each run must stay within a time bound.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { corpusDocuments, rng } from '../harness/corpus';
import { analyze } from '../../server/src/engine/analyze';
import { completionsAt } from '../../server/src/engine/completion';
import { conversionFix } from '../../server/src/engine/convert';
import { hoverAt } from '../../server/src/engine/hover';
import { outline } from '../../server/src/engine/symbols';

const REPLACEMENTS = ['null', '0', '-1', '1e400', '"x"', '""', '[]', '{}', 'true', '"sha256:"', '"application/vnd.oci.image.manifest.v1+json"',
  '"application/vnd.docker.container.image.v1+json"', '{"mediaType":1}', '[{"platform":null}]', '"\\u0000"', '9007199254740993', '"e30"'];

/** Spans of JSON values in a text (rough but enough to retype them). */
function valueSpans(text: string): [number, number][] {
  const spans: [number, number][] = [];
  const re = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null|\{\}|\[\]/g;
  for (let m = re.exec(text); m; m = re.exec(text)) spans.push([m.index, m.index + m[0].length]);
  return spans;
}

function mutate(text: string, r: () => number): string {
  const pick = (n: number) => Math.floor(r() * n);
  switch (pick(6)) {
    case 0: { // delete a slice
      const a = pick(text.length + 1);
      return text.slice(0, a) + text.slice(a + pick(40));
    }
    case 1: { // duplicate a slice
      const a = pick(text.length + 1);
      const b = Math.min(text.length, a + pick(200));
      return text.slice(0, b) + text.slice(a, b) + text.slice(b);
    }
    case 2: { // retype a value
      const spans = valueSpans(text);
      if (spans.length === 0) return text;
      const [a, b] = spans[pick(spans.length)];
      return text.slice(0, a) + REPLACEMENTS[pick(REPLACEMENTS.length)] + text.slice(b);
    }
    case 3: // truncate
      return text.slice(0, pick(text.length + 1));
    case 4: { // swap two values
      const spans = valueSpans(text);
      if (spans.length < 2) return text;
      const [x, y] = [spans[pick(spans.length)], spans[pick(spans.length)]].sort((p, q) => p[0] - q[0]);
      if (x[1] > y[0]) return text;
      return text.slice(0, x[0]) + text.slice(y[0], y[1]) + text.slice(x[1], y[0]) + text.slice(x[0], x[1]) + text.slice(y[1]);
    }
    default: { // insert a random byte
      const a = pick(text.length + 1);
      return text.slice(0, a) + String.fromCharCode(pick(256)) + text.slice(a);
    }
  }
}

function applyEdits(text: string, edits: readonly { offset: number; length: number; newText: string }[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.offset - a.offset)) out = out.slice(0, e.offset) + e.newText + out.slice(e.offset + e.length);
  return out;
}

test('5,000 mutated documents: no throw, findings inside the text, fixes apply, bounded time', () => {
  const docs = corpusDocuments();
  assert.ok(docs.length >= 7);
  const r = rng(0x5eed);
  let slowest = 0;
  let withFindings = 0;
  for (let i = 0; i < 5000; i++) {
    let text = docs[Math.floor(r() * docs.length)];
    const rounds = 1 + Math.floor(r() * 3);
    for (let k = 0; k < rounds; k++) text = mutate(text, r);
    const started = performance.now();
    const a = analyze(text);
    for (const f of a.findings) {
      assert.ok(f.offset >= 0 && f.offset + f.length <= text.length, `finding ${f.ruleId} inside the text (case ${i})`);
      assert.ok(!f.message.startsWith('internal error'), `case ${i}: ${f.message}`);
      for (const fix of f.fixes) applyEdits(text, fix.edits);
    }
    if (a.findings.length) withFindings++;
    if (a.root) {
      for (const target of ['oci', 'docker'] as const) {
        const fix = conversionFix({ text, root: a.root, kind: a.kind }, target);
        if (fix) analyze(applyEdits(text, fix.edits));
      }
    }
    const at = Math.floor(r() * (text.length + 1));
    hoverAt(a, at);
    completionsAt(a, at);
    outline(a);
    slowest = Math.max(slowest, performance.now() - started);
  }
  console.log(`fuzz: 5000 cases, ${withFindings} with findings, slowest ${slowest.toFixed(1)} ms`);
  assert.ok(withFindings > 500, 'the mutations reach the rules');
  // A generous bound: these documents are a few KB; a hang or a quadratic blow-up would exceed it.
  assert.ok(slowest < 2000, `slowest case ${slowest.toFixed(0)} ms`);
});
