/**
 * Error-tolerant linting over LSP (issue 12): the seed manifest keeps its mixed-config
 * diagnostic and its quick-fix through every intermediate state of typing a new layer entry.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { CodeAction, Diagnostic } from 'vscode-languageserver-protocol';
import { DOCKER_CONFIG, NEW_ENTRY, OCI_CONFIG, SEED, typingStates } from '../harness/typing';
import { startServer, type TestServer } from './lspClient';

let server: TestServer;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

function rangeText(src: string, d: Diagnostic): string {
  const doc = TextDocument.create('x:', 'json', 1, src);
  return src.slice(doc.offsetAt(d.range.start), doc.offsetAt(d.range.end));
}

test('typing a new layer entry key by key: the mixed-config diagnostic and its fix never go away', async () => {
  const uri = 'file:///virtual/typing.json';
  const states = typingStates();
  const first = server.diagnostics(uri, 1);
  server.open(uri, SEED, 1);
  await first;
  let checkedFixes = 0;
  for (let i = 1; i < states.length; i++) {
    const text = states[i];
    const version = i + 1;
    const pending = server.diagnostics(uri, version);
    server.change(uri, text, version);
    const diags = await pending;
    const label = `state ${i} ${JSON.stringify(NEW_ENTRY.slice(Math.max(0, i - 12), i))}`;
    const mixed = diags.find((d) => d.code === 'mixed-config-media-type');
    assert.ok(mixed, `${label}: diagnostics ${diags.map((d) => d.code).join(', ') || 'none'}`);
    assert.equal(rangeText(text, mixed), DOCKER_CONFIG, label);
    // The fix, asked of the server for this very version.
    {
      const actions: CodeAction[] = await server.connection.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: mixed.range, context: { diagnostics: [mixed] } });
      const fix = actions.find((a) => a.title.startsWith(`Set config mediaType to ${OCI_CONFIG}`));
      assert.ok(fix, `${label}: fix among ${actions.map((a) => a.title).join(' | ')}`);
      const doc = TextDocument.create(uri, 'json', version, text);
      assert.equal(TextDocument.applyEdits(doc, fix.edit!.changes![uri]), text.replace(DOCKER_CONFIG, JSON.stringify(OCI_CONFIG)), label);
      checkedFixes++;
    }
  }
  assert.equal(checkedFixes, states.length - 1);
});

test('a missing comma arriving as one whole-text change (a paste over other text, a format): the mixed-config diagnostic stays (issue 24)', async () => {
  const comma = SEED.lastIndexOf(',', SEED.indexOf('"layers"'));
  const broken = SEED.slice(0, comma) + SEED.slice(comma + 1);
  // Before: the seed reindented, as another formatter leaves it; then the whole text replaced at once.
  for (const [n, before] of [SEED.replace(/ {3}/g, '  '), ''].entries()) {
    const uri = `file:///virtual/whole-text-${n}.json`;
    const opened = server.diagnostics(uri, 1);
    server.open(uri, before, 1);
    await opened;
    const pending = server.diagnostics(uri, 2);
    server.change(uri, broken, 2);
    const diags = await pending;
    const mixed = diags.find((d) => d.code === 'mixed-config-media-type');
    assert.ok(mixed, `after ${JSON.stringify(before.slice(0, 12))}: diagnostics ${diags.map((d) => d.code).join(', ') || 'none'}`);
    assert.equal(rangeText(broken, mixed), DOCKER_CONFIG);
    assert.ok(diags.some((d) => d.code === 'mixed-layer-in-oci-manifest'), 'the layer finding stays too');
  }
});
