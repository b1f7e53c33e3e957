/** The deep inspection checks are documented like the rules: `rules ID`, the list, docs/rules.md headings the links open. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { runRules } from '../../server/src/cli/rulesCommand';
import { RULES_BY_ID } from '../../server/src/engine/ruleTable';
import { AUDIT_CHECKS, GRAPH_CHECKS } from '../../server/src/graph/checks';
import { LAYOUT_CHECKS } from '../../server/src/engine/layoutFindings';

function capture(): { stream: Writable; text: () => string } {
  let s = '';
  return { stream: new Writable({ write(chunk, _enc, cb) { s += String(chunk); cb(); } }), text: () => s };
}

test('rules ID explains a deep inspection check; the list names them', () => {
  const out = capture();
  const err = capture();
  assert.equal(runRules(['child-size-mismatch', 'platform-config-mismatch'], out.stream, err.stream), 0, err.text());
  assert.match(out.text(), /^child-size-mismatch \(error\)\n {2}The entry's size differs/m);
  assert.match(out.text(), /^platform-config-mismatch \(error\)/m);
  const list = capture();
  assert.equal(runRules([], list.stream, capture().stream), 0);
  assert.match(list.text(), /Deep inspection checks \(tree, fetched indexes\): child-digest-mismatch, child-size-mismatch/);
  assert.match(list.text(), /OCI image layout checks \(lint DIR, layouts in the editor\): layout-blob-missing, /);
});

test('each check has a heading in docs/rules.md (where diagnostics link) and no rule of the engine has its id', () => {
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'rules.md'), 'utf8').split('\n');
  for (const id of [...Object.keys(GRAPH_CHECKS), ...Object.keys(LAYOUT_CHECKS)]) {
    assert.ok(doc.includes(`## ${id}`), `docs/rules.md has "## ${id}"`);
    assert.ok(!RULES_BY_ID.has(id), `${id} is not also an engine rule`);
  }
});

test('the audit\'s own check (graph-incomplete) is documented like the others: rules ID, the list, a heading in docs/rules.md', () => {
  const out = capture();
  const err = capture();
  assert.equal(runRules(['graph-incomplete'], out.stream, err.stream), 0, err.text());
  assert.match(out.text(), /^graph-incomplete \(warning\)\n {2}The graph below a tagged document/m);
  const list = capture();
  assert.equal(runRules([], list.stream, capture().stream), 0);
  assert.match(list.text(), /Registry audit checks \(audit\): graph-incomplete/);
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'rules.md'), 'utf8').split('\n');
  for (const id of Object.keys(AUDIT_CHECKS)) {
    assert.ok(doc.includes(`## ${id}`), `docs/rules.md has "## ${id}"`);
    assert.ok(!RULES_BY_ID.has(id) && !(id in GRAPH_CHECKS) && !(id in LAYOUT_CHECKS), `${id} is not also a rule or another check`);
  }
});
