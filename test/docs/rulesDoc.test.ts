import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { RULES } from '../../server/src/engine/ruleTable';
import { renderRulesDoc } from '../../scripts/rulesDoc';

test('docs/rules.md is generated from the current rule table', () => {
  const committed = readFileSync(join(__dirname, '..', '..', 'docs', 'rules.md'), 'utf8').split('\n');
  const rendered = renderRulesDoc().split('\n');
  const line = rendered.findIndex((l, i) => l !== committed[i]);
  const stale = line >= 0 || committed.length !== rendered.length;
  assert.ok(!stale, `docs/rules.md is stale from line ${line + 1} ("${(rendered[line] ?? '').slice(0, 80)}"): run npm run docs`);
});

test('the rule table is well-formed: unique kebab-case ids, text for every rule', () => {
  const ids = new Set<string>();
  for (const r of RULES) {
    assert.match(r.id, /^[a-z0-9]+(-[a-z0-9]+)*$/);
    assert.ok(!ids.has(r.id), `duplicate id ${r.id}`);
    ids.add(r.id);
    assert.ok(r.description.length > 10 && r.why.length > 10 && r.source.length > 3, `${r.id} has description, why and source`);
    assert.ok(r.appliesTo.length > 0, `${r.id} applies to some kind`);
    assert.ok(Object.isFrozen(r), `${r.id} is frozen`);
  }
  assert.ok(Object.isFrozen(RULES));
});

test('every rule has table-driven cases (an invalid and a valid document) in test/engine', () => {
  const dir = join(__dirname, '..', 'engine');
  const sources = readdirSync(dir).filter((f) => f.endsWith('.test.ts')).map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
  const untested = RULES.filter((r) => !sources.includes(`rule: '${r.id}'`) && !sources.includes(`rule: \`${r.id}`)).map((r) => r.id);
  assert.deepEqual(untested, []);
});
