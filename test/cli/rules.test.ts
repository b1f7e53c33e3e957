/** `manifest-lens rules`: the rule reference in the terminal, from the rule table. */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { RULES } from '../../server/src/engine/ruleTable';
import { assertCliBuilt, runCli } from '../harness/cli';

before(() => assertCliBuilt());

test('rules lists every rule with its severity', async () => {
  const r = await runCli(['rules']);
  assert.equal(r.code, 0, r.stderr);
  for (const rule of RULES) assert.match(r.stdout.toString(), new RegExp(`^${rule.id} +${rule.severity} +`, 'm'), rule.id);
  assert.match(r.stdout.toString(), new RegExp(`${RULES.length} rules\\.`));
});

test('rules ID explains one rule in full: why, source, spec link, quick-fix, kinds', async () => {
  const r = await runCli(['rules', 'mixed-config-media-type']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout.toString(), /^mixed-config-media-type \(error\)$/m);
  assert.match(r.stdout.toString(), /Why: .*invalid mixed OCI image with Docker v2s2 config/);
  assert.match(r.stdout.toString(), /Spec: https:\/\/github\.com\/opencontainers\/image-spec\//);
  assert.match(r.stdout.toString(), /Quick-fix: Set config\.mediaType/);
  assert.match(r.stdout.toString(), /Applies to: OCI image manifest$/m);
});

test('rules --format json gives the table without code; an unknown id exits 2 naming similar ones', async () => {
  const j = await runCli(['rules', '--format', 'json', 'platform-nonnormalized']);
  assert.equal(j.code, 0, j.stderr);
  const [rule] = JSON.parse(j.stdout.toString());
  assert.equal(rule.id, 'platform-nonnormalized');
  assert.equal(rule.severity, 'warning');
  assert.equal(rule.check, undefined);
  const bad = await runCli(['rules', 'mixed-config']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /no rule "mixed-config"; similar: mixed-config-media-type/);
});

test('the ids lint reports for files it cannot lint are explained too, not "no rule"', async () => {
  const r = await runCli(['rules', 'json-invalid', 'file-unreadable']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout.toString(), /^json-invalid \(error\)$/m);
  assert.match(r.stdout.toString(), /Not a rule of the engine/);
  assert.match((await runCli(['rules'])).stdout.toString(), /Not rules: .*json-invalid, file-unreadable, file-too-large/);
});

