/**
 * The tape parser (engine/tape.ts) is the engine's fast path for well-formed JSON; jsonc-parser
 * is the reference. For every document where jsonc-parser (strict: no comments, no trailing
 * commas) finds no error, the tape gives the same tree: types, offsets, lengths, values,
 * colons. Where it finds an error, the tape gives up (and the engine falls back on jsonc).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CORPUS } from '../harness/corpus';
import { parseTree, type Node, type ParseError } from 'jsonc-parser';
import { tapeParseTree } from '../../server/src/engine/tape';
import { makeIndex } from '../../bench/generate';


function sameTree(a: Node, b: Node, path: string): void {
  assert.equal(a.type, b.type, `${path}: type`);
  assert.equal(a.offset, b.offset, `${path}: offset`);
  assert.equal(a.length, b.length, `${path}: length`);
  if (a.type === 'property') assert.equal(a.colonOffset, b.colonOffset, `${path}: colon`);
  if (a.type !== 'object' && a.type !== 'array' && a.type !== 'property') assert.deepEqual(a.value, b.value, `${path}: value`);
  const ac = a.children ?? [];
  const bc = b.children ?? [];
  assert.equal(ac.length, bc.length, `${path}: children`);
  ac.forEach((c, i) => {
    assert.equal(c.parent, a, `${path}/${i}: parent`);
    sameTree(c, bc[i], `${path}/${i}`);
  });
}

/** Compares the tape with jsonc-parser on one text. */
function check(text: string): 'parsed' | 'refused' {
  const errors: ParseError[] = [];
  const ref = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: true });
  const tape = tapeParseTree(text);
  if (errors.length > 0 || !ref) {
    assert.equal(tape, undefined, `the tape refuses what jsonc-parser reports errors in: ${JSON.stringify(text.slice(0, 200))}`);
    return 'refused';
  }
  assert.ok(tape, `the tape parses valid JSON: ${JSON.stringify(text.slice(0, 200))}`);
  sameTree(tape, ref, '$');
  return 'parsed';
}

const EDGE_CASES = [
  '{}', '[]', '""', '0', '-0', '1.5e-3', '1E+2', 'true', 'false', 'null', ' {"a" : 1 } ', '{"a":{"b":[1,2,{"c":null}]}}',
  '"\\u0041\\n\\t\\"\\\\\\/"', '{"k\\u00e9y": "v\\u00e9"}', '"é ü 日本"', '"😀"', '{"a":1,"a":2}', '[[[[[]]]]]',
  // Refused: what strict JSON forbids.
  '{"a":1,}', '[1,]', '{a:1}', "{'a':1}", '01', '1.', '.5', '-', '+1', '"a\nb"', '"a\tb"', '"\\x41"', '"\\u12"', 'tru', '{"a" 1}',
  '{"a":1 "b":2}', '[1 2]', '"unterminated', '{"a":1}}', '// c\n{}', '{} x', 'NaN', '"\u0001"',
];

test('the tape parser agrees with jsonc-parser on edge cases', () => {
  const outcomes = EDGE_CASES.map(check);
  assert.ok(outcomes.includes('parsed') && outcomes.includes('refused'));
});

test('the tape parser agrees with jsonc-parser on every corpus document and a large index', () => {
  let parsed = 0;
  if (existsSync(join(CORPUS, 'SOURCES.tsv'))) {
    for (const line of readFileSync(join(CORPUS, 'SOURCES.tsv'), 'utf8').trim().split('\n').slice(1)) {
      if (check(readFileSync(join(CORPUS, line.split('\t')[0]), 'utf8')) === 'parsed') parsed++;
    }
    assert.ok(parsed > 100, `parsed ${parsed} corpus documents`);
  } else {
    for (const f of readdirSync(join(__dirname, '..', '..', 'samples')).filter((n) => n.endsWith('.json'))) check(readFileSync(join(__dirname, '..', '..', 'samples', f), 'utf8'));
  }
  assert.equal(check(makeIndex(200)), 'parsed');
});

test('the tape parser agrees with jsonc-parser on single-character corruptions of a document (every position)', () => {
  const base = JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'a/b', digest: 'sha256:ab', size: 12, platform: { os: 'linux', 'os.version': '1\u00e9' } }], x: [true, false, null, -1.5e3] });
  const replacements = ['', '"', '\\', '\n', ',', '}', ']', ':', 'x', '0', ' '];
  let refused = 0;
  for (let i = 0; i < base.length; i++) {
    for (const r of replacements) if (check(base.slice(0, i) + r + base.slice(i + 1)) === 'refused') refused++;
  }
  assert.ok(refused > base.length, `refused ${refused} corruptions`);
});

test('nesting past MAX_DEPTH is refused with its own message, and nothing downstream overflows', async () => {
  const { MAX_DEPTH, TOO_DEEP, tapeParse } = await import('../../server/src/engine/tape');
  const { parseJson } = await import('../../server/src/engine/json');
  const { analyze } = await import('../../server/src/engine/analyze');
  const { hoverAt } = await import('../../server/src/engine/hover');
  const { outline } = await import('../../server/src/engine/symbols');
  const nest = (n: number) => '['.repeat(n) + ']'.repeat(n);
  assert.notEqual(tapeParse(nest(MAX_DEPTH)), TOO_DEEP);
  assert.equal(tapeParse(nest(MAX_DEPTH + 1)), TOO_DEEP);
  assert.match(parseJson(nest(MAX_DEPTH + 1)).errors[0].message, /nested more than 500 levels/);
  for (const text of [nest(200_000), `{"schemaVersion":2,"manifests":[{"annotations":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}]}`]) {
    const a = analyze(text);
    assert.equal(a.linted, false);
    hoverAt(a, text.length >> 1);
    outline(a);
  }
});
test('the CLI says a document nested too deep was not linted, not that it is invalid JSON', async () => {
  const { lintBytes } = await import('../../server/src/cli/lint');
  const r = lintBytes('deep.json', Buffer.from('['.repeat(600) + ']'.repeat(600)));
  assert.equal(r.findings.length, 1);
  assert.match(r.findings[0].message, /^not linted: the JSON is nested more than 500 levels deep/);
});
