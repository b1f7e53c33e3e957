/**
 * The relint of one edited entry (engine/reanalyze.ts) must give what a full lint of the new
 * text gives: the same findings, ranges, messages and fixes, and the same parser tape. Checked
 * over chains of random edits (each version relinted from the one before, as the editor does)
 * on generated documents with tricky entries, the corpus, and a large index with findings; and
 * it must engage where it should and refuse where it cannot show the answer is the same.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze, byPlace, type Analysis, type AnalyzeOptions } from '../../server/src/engine/analyze';
import { reanalyze, type EditSpan } from '../../server/src/engine/reanalyze';
import { TapeNode } from '../../server/src/engine/tape';
import type { Finding } from '../../server/src/engine/types';
import { makeIndex, makeManifest } from '../../bench/generate';
import { corpusDocuments, rng } from '../harness/corpus';
import { document, pick } from '../harness/trickyDocuments';

function canonical(findings: readonly Finding[]): string[] {
  return findings.map((f) => JSON.stringify(f)).sort();
}

/** Asserts that `inc` is what a full lint of its text gives, tape included. */
function assertSame(inc: Analysis, options: AnalyzeOptions, what: string): Analysis {
  const full = analyze(inc.text, options);
  assert.deepEqual(canonical(inc.findings), canonical(full.findings), `findings differ (${what}) for:\n${inc.text.slice(0, 3000)}`);
  for (let i = 1; i < inc.findings.length; i++) assert.ok(byPlace(inc.findings[i - 1], inc.findings[i]) <= 0, 'in document order');
  assert.equal(inc.kind, full.kind);
  assert.deepEqual(inc.detection, full.detection);
  assert.equal(inc.descriptors.length, full.descriptors.length);
  inc.descriptors.forEach((d, i) => {
    assert.deepEqual(d.plain, full.descriptors[i].plain, `plain facts of ${d.label} (${what})`);
    assert.equal(d.node.offset, full.descriptors[i].node.offset);
  });
  const a = (inc.root as TapeNode).tape;
  const b = (full.root as TapeNode).tape;
  assert.equal(a.count, b.count, 'slots');
  for (const k of ['type', 'start', 'end', 'first', 'next'] as const) {
    assert.deepEqual(a[k].subarray(0, a.count), b[k].subarray(0, b.count), `tape ${k} (${what})`);
  }
  return full;
}

/** The [start, end) of each list descriptor (manifests[i], layers[i], blobs[i]) of an analysis. */
function entrySpans(a: Analysis): [number, number][] {
  return a.descriptors.filter((d) => d.role === 'manifest' || d.role === 'layer' || d.role === 'blob').map((d) => [d.node.offset, d.node.offset + d.node.length]);
}

const INSERTS = ['1', '"', ',', '}', '{', ' ', '\\', '"x": 1, ', ', "foo": 1', '"annotations": {"a.b.c": "x"}, ', '"platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}, ', 'e'];
const TOKENS = ['null', '0', '"x"', '{}', '"sha256:"', '"application/vnd.oci.image.manifest.v1+json"', '"application/vnd.docker.distribution.manifest.v2+json"', '"aarch64"', '"arm64"', '"v8"', '"2026-11-27"', '1.5', '12', '"linux"', '"windows"', '"\\u0061"'];

/** A random edit inside one entry of `a` (sometimes touching its braces, which must be refused or relinted right). */
function randomEdit(r: () => number, a: Analysis): { text: string; edit: EditSpan } | undefined {
  const spans = entrySpans(a);
  if (spans.length === 0) return undefined;
  const [from, to] = pick(r, spans);
  const text = a.text;
  const inner = text.slice(from, to);
  const choice = r();
  let start: number;
  let oldEnd: number;
  let insert: string;
  if (choice < 0.45) {
    // Replace a token (string or number) of the entry.
    const tokens = [...inner.matchAll(/"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?/g)];
    if (tokens.length === 0) return undefined;
    const m = pick(r, tokens);
    start = from + m.index!;
    oldEnd = start + m[0].length;
    insert = r() < 0.5 ? pick(r, TOKENS) : m[0].replace(/\d/, String(Math.floor(r() * 10)));
  } else if (choice < 0.75) {
    start = oldEnd = from + Math.floor(r() * (to - from + 1));
    insert = pick(r, INSERTS);
  } else if (choice < 0.9) {
    start = from + Math.floor(r() * (to - from));
    oldEnd = Math.min(to, start + 1 + Math.floor(r() * 12));
    insert = '';
  } else {
    // The inside of another entry in its place (duplicate platforms and digests).
    const [f2, t2] = pick(r, spans);
    start = from + 1;
    oldEnd = to - 1;
    insert = text.slice(f2 + 1, t2 - 1);
  }
  return { text: text.slice(0, start) + insert + text.slice(oldEnd), edit: { start, oldEnd, newEnd: start + insert.length } };
}

/** Chains of edits over `texts`; returns how many versions were relinted incrementally, and of how many. */
function chains(r: () => number, texts: readonly string[], steps: number, options: AnalyzeOptions = {}): { engaged: number; total: number } {
  let engaged = 0;
  let total = 0;
  for (const start of texts) {
    let prev = analyze(start, options);
    for (let s = 0; s < steps; s++) {
      const e = randomEdit(r, prev);
      if (!e) break;
      total++;
      const inc = reanalyze(prev, e.text, e.edit, options);
      if (inc) {
        engaged++;
        assertSame(inc, options, `edit ${JSON.stringify(e.edit)} → ${JSON.stringify(e.text.slice(e.edit.start, e.edit.newEnd))}`);
        prev = inc;
      } else {
        prev = analyze(e.text, options);
      }
    }
  }
  return { engaged, total };
}

test('relinting one edited entry gives the full lint, over chains of random edits of generated documents (fixed seed)', () => {
  const r = rng(2512);
  const texts = Array.from({ length: 600 }, (_, i) => document(r, ['index', 'list', 'manifest', 'docker'][i % 4]));
  const { engaged, total } = chains(r, texts, 6);
  // Most edits keep the entry one object: the relint must have been used, not only the fallback.
  assert.ok(engaged > total / 3, `relinted incrementally: ${engaged} of ${total}`);
});

test('… of corpus documents, fetched ones (Content-Type rules) and with rule settings and a findings cap (fixed seed)', () => {
  const r = rng(77);
  const corpus = corpusDocuments().filter((t) => /"(manifests|layers|blobs)"/.test(t));
  assert.ok(corpus.length > 20);
  let sum = chains(r, corpus, 5);
  assert.ok(sum.engaged > sum.total / 4, `corpus: ${sum.engaged} of ${sum.total}`);
  const generated = Array.from({ length: 120 }, (_, i) => document(r, ['index', 'list', 'manifest', 'docker'][i % 4]));
  sum = chains(r, generated, 4, { contentType: 'application/vnd.oci.image.index.v1+json' });
  assert.ok(sum.engaged > 0);
  sum = chains(r, generated, 4, { rules: { 'index-duplicate-platform': 'error', 'mixed-index-docker-children': 'off', 'descriptor-size-invalid': 'hint' } });
  assert.ok(sum.engaged > 0);
  chains(r, generated, 4, { maxFindings: 3 });
});

test('a large index with findings: a digit of one entry, a Docker entry made OCI and back, a duplicate platform', () => {
  const text = makeIndex(2000, { dockerEvery: 9 });
  let prev = analyze(text);
  assert.equal(prev.findings.filter((f) => f.ruleId === 'mixed-index-docker-children').length, 222);
  const edits: [string, string][] = [
    ['"size": 1500,', '"size": 1501,'],
    ['"mediaType": "application/vnd.docker.distribution.manifest.v2+json",\n      "digest": "sha256:' + text.split('"mediaType": "application/vnd.docker.distribution.manifest.v2+json",\n      "digest": "sha256:')[5].slice(0, 64), ''],
    ['"v1499"', '"v1498"'],
    // Entries 1500 and 1506 have the same platform: the same name too makes them duplicates.
    ['"v1506"', '"v1500"'],
  ];
  for (const [from, to] of edits) {
    const target = to !== '' ? to : from.replace('docker.distribution.manifest.v2', 'oci.image.manifest.v1');
    const at = prev.text.indexOf(from);
    assert.ok(at > 0, from);
    const next = prev.text.slice(0, at) + target + prev.text.slice(at + from.length);
    const inc = reanalyze(prev, next, { start: at, oldEnd: at + from.length, newEnd: at + target.length });
    assert.ok(inc, `relinted incrementally: ${target.slice(0, 40)}`);
    assertSame(inc, {}, target.slice(0, 40));
    prev = inc;
  }
  assert.equal(prev.findings.filter((f) => f.ruleId === 'mixed-index-docker-children').length, 221, 'the Docker entry made OCI is no longer reported');
  assert.ok(prev.findings.some((f) => f.ruleId === 'index-duplicate-platform'), 'a platform made the same as another is reported');
});

test('a layer of a large manifest', () => {
  const text = makeManifest(100_000);
  const prev = analyze(text);
  const at = text.indexOf('"size": 32660');
  const next = text.slice(0, at) + '"size": -32660' + text.slice(at + 13);
  const inc = reanalyze(prev, next, { start: at, oldEnd: at + 13, newEnd: at + 14 });
  assert.ok(inc);
  assertSame(inc, {}, 'negative size');
  assert.ok(inc.findings.some((f) => f.offset > at && f.offset < at + 20), 'the new problem is found');
});

test('refuses what it cannot show to be the same: edits outside one entry, that break it, or after a broken version', () => {
  const text = makeIndex(20, { dockerEvery: 3 });
  const prev = analyze(text);
  const spans = entrySpans(prev);
  const [from, to] = spans[4];
  const change = (start: number, oldEnd: number, insert: string): Analysis | undefined =>
    reanalyze(prev, text.slice(0, start) + insert + text.slice(oldEnd), { start, oldEnd, newEnd: start + insert.length });
  assert.equal(change(from, from + 1, '{'), undefined, 'the opening brace');
  assert.equal(change(to - 1, to, '}'), undefined, 'the closing brace');
  assert.equal(change(from + 1, spans[5][0] + 2, ''), undefined, 'across two entries');
  assert.equal(change(text.indexOf('"mediaType"'), text.indexOf('"mediaType"') + 1, '"'), undefined, 'the top-level mediaType');
  assert.equal(change(from + 5, from + 5, '"'), undefined, 'an unterminated string');
  assert.equal(change(from + 1, from + 1, '"a": 1}, {'), undefined, 'one entry made two');
  assert.ok(change(from + 1, from + 1, '"a": 1, '), 'a key added inside');
  const deep = '"x": ' + '['.repeat(600) + ']'.repeat(600) + ', ';
  assert.equal(change(from + 1, from + 1, deep), undefined, 'nested deeper than the document may be');
  // The length must agree with the edit.
  assert.equal(reanalyze(prev, text + ' ', { start: from + 2, oldEnd: from + 2, newEnd: from + 2 }), undefined, 'a length that does not agree');
  // A version with a syntax error, or one whose findings were capped, is not a base.
  const quote = text.indexOf('"', from);
  const broken = analyze(text.slice(0, quote) + text.slice(quote + 1), { recover: true });
  assert.ok(broken.syntaxErrors.length > 0);
  assert.equal(reanalyze(broken, text, { start: quote, oldEnd: quote, newEnd: quote + 1 }), undefined, 'from a broken version');
});

test('a version whose findings were capped is relinted with the same cap', () => {
  const text = makeIndex(20, { dockerEvery: 3 });
  const capped = analyze(text, { maxFindings: 1 });
  assert.ok(capped.truncated > 0);
  const from = entrySpans(capped)[4][0];
  const inc = reanalyze(capped, text.slice(0, from + 1) + ' ' + text.slice(from + 1), { start: from + 1, oldEnd: from + 1, newEnd: from + 2 }, { maxFindings: 1 });
  assert.ok(inc);
  const full = assertSame(inc, { maxFindings: 1 }, 'capped');
  assert.equal(inc.truncated, full.truncated);
  assert.equal(inc.truncatedWorst, full.truncatedWorst);
});
