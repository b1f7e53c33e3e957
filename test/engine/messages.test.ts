/**
 * Messages read in the Problems panel (issue 24): every finding the engine makes over the corpus
 * and the samples is one short sentence; the long explanation is the rule's why, which the hover
 * shows with the spec link and the fix. (The rule cases check the same bound, in ruleCases.ts.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../server/src/engine/analyze';
import { hoverAt } from '../../server/src/engine/hover';
import { RULES_BY_ID } from '../../server/src/engine/ruleTable';
import { corpusDocuments } from '../harness/corpus';
import { SEED, DOCKER_CONFIG } from '../harness/typing';
import { MAX_MESSAGE } from './ruleCases';

test('every message over the corpus and the samples is at most MAX_MESSAGE characters and does not end mid-sentence', () => {
  let findings = 0;
  for (const text of corpusDocuments()) {
    for (const f of analyze(text).findings) {
      findings++;
      assert.ok(f.message.length <= MAX_MESSAGE, `${f.ruleId}: ${f.message.length} characters: ${f.message}`);
      assert.match(f.message, /[.)`]$/, `${f.ruleId}: ends a sentence: ${f.message}`);
    }
  }
  assert.ok(findings > 100, `${findings} findings checked`);
});

test('the hover on a finding gives what the message leaves out: why (with the tools\' quoted errors), the fix and the spec link, not the message again', () => {
  const a = analyze(SEED);
  const mixed = a.findings.find((f) => f.ruleId === 'mixed-config-media-type')!;
  assert.ok(mixed.message.length <= 120, mixed.message);
  const offset = SEED.indexOf(DOCKER_CONFIG) + 5;
  const hover = hoverAt(a, offset);
  assert.ok(hover, 'a hover on the config mediaType');
  const md = hover.markdown;
  const rule = RULES_BY_ID.get('mixed-config-media-type')!;
  assert.ok(md.includes('`invalid mixed OCI image with Docker v2s2 config`'), md);
  assert.ok(md.includes(rule.fix!), `the fix: ${md}`);
  assert.ok(md.includes(rule.specUrl!), `the spec link: ${md}`);
  assert.ok(!md.includes(mixed.message), 'the message is not repeated (VS Code shows it above the hover)');
});
