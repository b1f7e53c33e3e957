/**
 * The display form of fetched documents (engine/format.ts): the same text jsonc-parser's
 * formatter makes from one-line JSON, only whitespace changed, and hostile shapes refused at
 * once instead of growing with the square of their depth (issue 10).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyEdits, format } from 'jsonc-parser';
import { makeIndex } from '../../bench/generate';
import { MAX_PRETTY_INPUT, prettyPrint, prettyPrintBytes, prettyPrintSteps } from '../../server/src/engine/format';
import { nestsDeeperThan } from '../../server/src/engine/nesting';
import { parseJson } from '../../server/src/engine/json';
import { MAX_DEPTH } from '../../server/src/engine/tape';
import { corpusDocuments } from '../harness/corpus';

/** What the server showed before: jsonc-parser's formatter over the whole text. */
function jsoncPretty(text: string): string {
  return applyEdits(text, format(text, undefined, { insertSpaces: true, tabSize: 2, eol: '\n', insertFinalNewline: true }));
}

const noSpace = (s: string): string => s.replace(/\s+/g, '');

test('one-line corpus documents come out as jsonc-parser formats them, and only whitespace changes', () => {
  let compared = 0;
  for (const doc of corpusDocuments()) {
    let value: unknown;
    try {
      value = JSON.parse(doc);
    } catch {
      continue;
    }
    const compact = JSON.stringify(value);
    // jsonc-parser's formatter is quadratic (the reason for this module): compare on small documents.
    if (compact.length > 64 * 1024) continue;
    for (const variant of [compact, compact.replace(/,/g, ' , ').replace(/":/g, '" : '), `  ${compact}\t`]) {
      const r = prettyPrint(variant);
      assert.equal(r.refused, undefined);
      assert.equal(r.text, jsoncPretty(variant));
      assert.equal(noSpace(r.text), noSpace(variant));
      compared++;
    }
  }
  assert.ok(compared > 100, `compared ${compared} documents`);
  for (const small of ['{}', '[]', '{"a":[]}', '{ "a" : { } , "b":[ 1 ,2]}', '"x"', '1', '[[[]]]', '{"a":"b\\"}"}', '{"é":"ü\\u00e9"}']) {
    assert.equal(prettyPrint(small).text, jsoncPretty(small), small);
  }
});

test('text that has line breaks is left alone; non-JSON is shown as served', () => {
  assert.deepEqual(prettyPrint('{\n"a":1}'), { text: '{\n"a":1}', changed: false });
  for (const bad of ['{"a":1', '{"a":1}}', '{"a":1} {"b":2}', '{"a":"unterminated', '{"a":1 /* c */}', '']) {
    const r = prettyPrint(bad);
    assert.equal(r.text, bad);
    assert.equal(r.changed, false);
    assert.equal(r.refused, 'not-json', bad);
  }
});

test('a document nested 5,000 or 100,000 deep is refused at the depth the engine reads, not indented', () => {
  for (const depth of [5_000, 100_000]) {
    const deep = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    const r = prettyPrint(deep);
    assert.equal(r.refused, 'too-deep');
    assert.equal(r.text, deep);
    // With long values, the depth limit is what stops it.
    const padded = `{"a":"${'x'.repeat(depth * 4)}","b":` + '['.repeat(depth) + ']'.repeat(depth) + '}';
    assert.equal(prettyPrintBytes(Buffer.from(padded)).refused, 'too-deep');
  }
  // At the limit, with room in the budget, it is still indented.
  const atLimit = `{"pad":"${'x'.repeat(2 * MAX_DEPTH * MAX_DEPTH)}","a":` + '['.repeat(MAX_DEPTH - 1) + '1' + ']'.repeat(MAX_DEPTH - 1) + '}';
  assert.equal(prettyPrint(atLimit).changed, true);
});

test('an indented form many times the served size is refused (output budget), as is a text over the input cap', () => {
  // 400 levels (under the depth limit) of indentation before each of 100,000 values.
  const wide = '['.repeat(400) + '1,'.repeat(100_000) + '1' + ']'.repeat(400);
  assert.equal(prettyPrint(wide).refused, 'output-too-large');
  assert.equal(prettyPrint(' '.repeat(MAX_PRETTY_INPUT + 1)).refused, 'too-large');
});

test('a compact 4,000-entry index is indented in slices: the steps pause every 64 KiB of input', () => {
  const compact = JSON.stringify(JSON.parse(makeIndex(4000)));
  const bytes = Buffer.from(compact);
  const steps = prettyPrintSteps(bytes);
  let pauses = 0;
  let r = steps.next();
  while (!r.done) {
    pauses++;
    r = steps.next();
  }
  assert.ok(pauses >= Math.ceil(bytes.length / (64 * 1024)), `${pauses} pauses`);
  const text = Buffer.from(r.value.bytes).toString('utf8');
  assert.equal(noSpace(text), noSpace(compact));
  assert.deepEqual(JSON.parse(text), JSON.parse(compact));
  // The same shape as jsonc-parser gives a small index.
  const small = JSON.stringify(JSON.parse(makeIndex(3)));
  assert.equal(prettyPrint(small).text, jsoncPretty(small));
});

test('nestsDeeperThan skips brackets in strings; parseJson refuses a deep text with a syntax error instead of recursing', () => {
  assert.equal(nestsDeeperThan('["[[[[", "\\"[[["]', 1), false);
  assert.equal(nestsDeeperThan('[[[]]]', 2), true);
  assert.equal(nestsDeeperThan('[[[]]]', 3), false);
  const deepBroken = '['.repeat(100_000) + ']'.repeat(99_999) + ',';
  const parsed = parseJson(deepBroken);
  assert.equal(parsed.root, undefined);
  assert.equal(parsed.errors[0]?.tooDeep, true);
  assert.match(parsed.errors[0]!.message, /nested more than 500 levels/);
});
