/**
 * Table-driven rule tests. A case is a document in which the expected finding's range is
 * marked with ⟦ and ⟧ (removed before analysis). Each case asserts that the rule fires
 * exactly on the marked range(s), and each `valid` document asserts that it does not fire.
 */
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { test } from 'node:test';
import { analyze, type AnalyzeOptions } from '../../server/src/engine/analyze';
import { RULES_BY_ID } from '../../server/src/engine/ruleTable';
import type { Finding } from '../../server/src/engine/types';

export interface RuleCase {
  readonly rule: string;
  /** Documents with ⟦…⟧ around each expected range of this rule. */
  readonly invalid: readonly string[];
  /** Documents on which the rule must stay quiet. */
  readonly valid: readonly string[];
  readonly options?: AnalyzeOptions;
  /** Optional: a substring every message of this rule must contain on the first invalid document. */
  readonly message?: string;
}

/**
 * The longest message a finding may have: one sentence a person reads in the Problems panel
 * (what is wrong, who refuses it). The why, the tools' quoted errors, the spec and the fix are
 * in the rule's docs and the hover (issue 24).
 */
export const MAX_MESSAGE = 160;

/** Removes the markers and returns the text with the marked ranges. */
export function unmark(marked: string): { text: string; ranges: { offset: number; length: number }[] } {
  const ranges: { offset: number; length: number }[] = [];
  let text = '';
  const open: number[] = [];
  for (const ch of marked) {
    if (ch === '⟦') open.push(text.length);
    else if (ch === '⟧') {
      const start = open.pop();
      assert.ok(start !== undefined, 'unbalanced ⟧ in test case');
      ranges.push({ offset: start, length: text.length - start });
    } else text += ch;
  }
  assert.equal(open.length, 0, 'unbalanced ⟦ in test case');
  return { text, ranges: ranges.sort((a, b) => a.offset - b.offset) };
}

export function findingsOf(text: string, ruleId: string, options?: AnalyzeOptions): Finding[] {
  const all = analyze(text, options).findings;
  // For measuring: MANIFEST_LENS_MESSAGE_LOG=FILE appends "ruleId<TAB>length" of every finding met.
  if (process.env.MANIFEST_LENS_MESSAGE_LOG) appendFileSync(process.env.MANIFEST_LENS_MESSAGE_LOG, all.map((f) => `${f.ruleId}\t${f.message.length}\n`).join(''));
  return all.filter((f) => f.ruleId === ruleId);
}

/** Registers node:test cases for a table of rule cases. */
export function ruleCases(cases: readonly RuleCase[]): void {
  for (const c of cases) {
    test(`${c.rule}`, async (t) => {
      assert.ok(RULES_BY_ID.has(c.rule), `rule ${c.rule} is in the rule table`);
      assert.ok(c.invalid.length > 0 && c.valid.length > 0, 'each rule has an invalid and a valid case');
      for (const [i, doc] of c.invalid.entries()) {
        await t.test(`fires on invalid #${i + 1}`, () => {
          const { text, ranges } = unmark(doc);
          assert.ok(ranges.length > 0, 'an invalid case marks at least one range');
          const got = findingsOf(text, c.rule, c.options).map((f) => ({ offset: f.offset, length: f.length }));
          assert.deepEqual(got, ranges, `ranges of ${c.rule} (got text ${JSON.stringify(got.map((r) => text.slice(r.offset, r.offset + r.length)))})`);
          for (const f of findingsOf(text, c.rule, c.options)) {
            assert.ok(f.message.length <= MAX_MESSAGE, `${c.rule}: a message of ${f.message.length} characters (at most ${MAX_MESSAGE}): ${f.message}`);
          }
          if (c.message && i === 0) {
            for (const f of findingsOf(text, c.rule, c.options)) assert.ok(f.message.includes(c.message), `message "${f.message}" mentions "${c.message}"`);
          }
        });
      }
      for (const [i, doc] of c.valid.entries()) {
        await t.test(`quiet on valid #${i + 1}`, () => {
          assert.deepEqual(findingsOf(doc, c.rule, c.options).map((f) => f.message), []);
        });
      }
      await t.test('same findings with and without the plain-entry fast path', () => {
        for (const doc of [...c.invalid.map((d) => unmark(d).text), ...c.valid]) {
          assert.deepEqual(analyze(doc, c.options).findings, analyze(doc, { ...c.options, plainEntries: false }).findings, doc);
        }
      });
    });
  }
}
