/**
 * The language server as an editor sees it: spawn dist/server.js --stdio, open the seed's
 * mixed manifest, and check the diagnostic, its range, the hover and the quick-fixes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { CodeAction, CompletionItem, Diagnostic, Hover, TextEdit } from 'vscode-languageserver-protocol';
import { analyze } from '../../server/src/engine/analyze';
import { startServer, type TestServer } from './lspClient';

const SAMPLE = join(__dirname, '..', '..', 'samples', 'podman-22196-child.json');
const text = readFileSync(SAMPLE, 'utf8');
const uri = 'file:///virtual/podman-22196-child.json';

let server: TestServer;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

function applyEdits(src: string, edits: TextEdit[]): string {
  return TextDocument.applyEdits(TextDocument.create('x:', 'json', 1, src), edits);
}

function rangeText(src: string, d: { range: Diagnostic['range'] }): string {
  const doc = TextDocument.create('x:', 'json', 1, src);
  return src.slice(doc.offsetAt(d.range.start), doc.offsetAt(d.range.end));
}

async function codeActions(docUri: string, diagnostics: Diagnostic[], range: Diagnostic['range']): Promise<CodeAction[]> {
  return server.connection.sendRequest('textDocument/codeAction', { textDocument: { uri: docUri }, range, context: { diagnostics } });
}

test('the seed\'s mixed manifest: error on exactly the config mediaType, hover, quick-fixes', async (t) => {
  const pending = server.diagnostics(uri, 1);
  server.open(uri, text, 1);
  const diags = await pending;
  const mixed = diags.find((d) => d.code === 'mixed-config-media-type');
  assert.ok(mixed, `mixed-config-media-type among ${diags.map((d) => d.code).join(', ')}`);
  assert.equal(mixed.severity, 1);
  assert.equal(mixed.source, 'manifest-lens');
  assert.equal(rangeText(text, mixed), '"application/vnd.docker.container.image.v1+json"');
  assert.deepEqual(mixed.range, { start: { line: 4, character: 19 }, end: { line: 4, character: 67 } });
  // One sentence (issue 24): what is wrong and who refuses it; what podman prints is in the hover and the rule's docs.
  assert.equal(mixed.message, 'OCI manifest with a Docker config media type: podman and buildah refuse to pull it, and skopeo inspect fails.');
  // The link opens the shipped rule reference at the rule's heading (offline, this version).
  const link = /^(file:\/\/.+\/docs\/rules\.md)#L(\d+)$/.exec(mixed.codeDescription!.href);
  assert.ok(link, `a file link with a line: ${mixed.codeDescription!.href}`);
  assert.equal(readFileSync(fileURLToPath(link[1]), 'utf8').split('\n')[Number(link[2]) - 1], '## mixed-config-media-type');
  const layer = diags.find((d) => d.code === 'mixed-layer-in-oci-manifest');
  assert.ok(layer, 'the Docker layer is flagged too');
  assert.equal(rangeText(text, layer), '"application/vnd.docker.image.rootfs.diff.tar.gzip"');

  await t.test('hover explains what is inconsistent, who rejects it and why', async () => {
    const hover: Hover = await server.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 4, character: 30 } });
    const value = (hover.contents as { value: string }).value;
    assert.match(value, /Docker image config/);
    assert.match(value, /OCI equivalent: `application\/vnd\.oci\.image\.config\.v1\+json`/);
    assert.match(value, /mixed-config-media-type/);
    assert.match(value, /podman and buildah refuse to pull it\. podman 4\.3\.1 and buildah 1\.28\.2/);
    assert.deepEqual(hover.range, mixed.range);
  });

  await t.test('hover on the document top names the kind and how it was detected', async () => {
    const hover: Hover = await server.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 0 } });
    assert.match((hover.contents as { value: string }).value, /OCI image manifest\*\* — detected from its top-level `mediaType`/);
  });

  await t.test('the preferred quick-fix sets the OCI config type and clears the error', async () => {
    const actions = await codeActions(uri, [mixed], mixed.range);
    const fix = actions.find((a) => a.title.startsWith('Set config mediaType to application/vnd.oci.image.config.v1+json'));
    assert.ok(fix, `fix offered among: ${actions.map((a) => a.title).join(' | ')}`);
    assert.match(fix.title, /changes the manifest digest/);
    assert.equal(fix.isPreferred, true);
    const fixed = applyEdits(text, fix.edit!.changes![uri]);
    assert.equal(fixed, text.replace('application/vnd.docker.container.image.v1+json', 'application/vnd.oci.image.config.v1+json'));
    const next = server.diagnostics(uri, 2);
    server.change(uri, fixed, 2);
    const after = await next;
    assert.equal(after.filter((d) => d.code === 'mixed-config-media-type').length, 0);
    assert.equal(after.filter((d) => d.code === 'mixed-layer-in-oci-manifest').length, 1, 'the layer is still mixed');
  });

  await t.test('"Convert all media types to OCI" leaves no mixed-media-type finding', async () => {
    const next = server.diagnostics(uri, 3);
    server.change(uri, text, 3);
    const again = await next;
    const d = again.find((x) => x.code === 'mixed-config-media-type')!;
    const actions = await codeActions(uri, [d], d.range);
    const convert = actions.find((a) => a.title.startsWith('Convert all media types to OCI'));
    assert.ok(convert, `conversion offered among: ${actions.map((a) => a.title).join(' | ')}`);
    const converted = applyEdits(text, convert.edit!.changes![uri]);
    assert.match(converted, /application\/vnd\.oci\.image\.layer\.v1\.tar\+gzip/);
    const next2 = server.diagnostics(uri, 4);
    server.change(uri, converted, 4);
    const final = await next2;
    assert.deepEqual(final.map((x) => x.code), []);
  });
});

test('completion in config.mediaType offers the OCI config first in an OCI manifest', async () => {
  const u = 'file:///virtual/complete.json';
  const src = '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"","digest":"sha256:' + 'a'.repeat(64) + '","size":2},"layers":[]}';
  const p = server.diagnostics(u, 1);
  server.open(u, src, 1);
  await p;
  const at = src.indexOf('"mediaType":""') + '"mediaType":"'.length;
  const items: CompletionItem[] = await server.connection.sendRequest('textDocument/completion', { textDocument: { uri: u }, position: { line: 0, character: at } });
  const sorted = [...items].sort((a, b) => (a.sortText ?? '').localeCompare(b.sortText ?? ''));
  assert.equal(sorted[0].label, 'application/vnd.oci.image.config.v1+json');
  assert.ok(items.some((i) => i.label === 'application/vnd.docker.container.image.v1+json'));
  assert.ok(!items.some((i) => i.label.includes('layer')), 'no layer types for a config');
});

test('documents that are not manifests get no diagnostics', async () => {
  const u = 'file:///virtual/package.json';
  const p = server.diagnostics(u, 1);
  server.open(u, readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'), 1);
  assert.deepEqual(await p, []);
});

test('bad input: invalid JSON, empty text, binary bytes and a 50 MB document neither crash nor flood', async () => {
  const cases: [string, string][] = [
    ['file:///virtual/broken.json', '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{'],
    ['file:///virtual/empty.json', ''],
    ['file:///virtual/binary.json', '\u001f\u008b\u0008\u0000\u0000\u0000\u0000\u0000\u0000\u0003\u0000\ufffd\ufffd'],
  ];
  for (const [u, src] of cases) {
    const p = server.diagnostics(u, 1);
    server.open(u, src, 1);
    const d = await p;
    assert.deepEqual(d, [], `${u}: nothing to say: no earlier version, and the recovered tree holds no finding outside the damage`);
  }
  const big = '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[' +
    Array.from({ length: 270_000 }, (_, i) => `{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:${i.toString(16).padStart(64, '0')}","size":${i},"platform":{"architecture":"amd64","os":"linux"}}`).join(',\n') + ']}';
  assert.ok(big.length > 50 * 1000 * 1000, `the big document is ${(big.length / 1048576).toFixed(1)} MiB`);
  const bu = 'file:///virtual/huge.json';
  // Sending 50 MB over stdio takes seconds on a loaded 2-core machine; this checks the outcome, not speed.
  const p = server.diagnostics(bu, 1, 60_000);
  server.open(bu, big, 1);
  const d = await p;
  assert.equal(d.length, 1);
  assert.equal(d[0].code, 'file-too-large');
  assert.match(d[0].message, /Not linted: \d+\.\d MiB/);
  // The server still answers.
  const hover: Hover | null = await server.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 0 } });
  assert.ok(hover);
});

test('a document with thousands of problems is capped at manifestLens.validate.maxProblems', async () => {
  const src = '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[' +
    Array.from({ length: 3000 }, () => '{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:bad","size":1,"platform":{"architecture":"amd64","os":"linux"}}').join(',') + ']}';
  const u = 'file:///virtual/many.json';
  const p = server.diagnostics(u, 1);
  server.open(u, src, 1);
  const d = await p;
  assert.equal(d.length, 1001);
  assert.equal(d[1000].code, 'too-many-problems');
  const total = analyze(src).findings.length;
  assert.ok(total > 1000, `the document has ${total} findings`);
  assert.match(d[1000].message, new RegExp(`^${total - 1000} more problems not shown`));
});

test('while a large index waits for its relint, a hover is answered from a parse of the current text', async () => {
  const entries = (n: number, arch: string) => Array.from({ length: n }, (_, i) => `{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:${i.toString(16).padStart(64, '0')}","size":${i + 1},"platform":{"architecture":"${arch}","os":"linux"},"annotations":{"org.opencontainers.image.ref.name":"v${i}"}}`).join(',\n');
  const v1 = `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[\n${entries(8000, 'amd64')}]}`;
  assert.ok(v1.length > 1024 * 1024, 'large enough to be debounced as a large document');
  const u = 'file:///virtual/large-index.json';
  const first = server.diagnostics(u, 1);
  server.open(u, v1, 1);
  await first;
  // Edit: the relint is debounced; a hover asked at once must not wait for it, and must see the edit.
  const v2 = v1.replace('"architecture":"amd64"', '"architecture":"arm64"');
  const events: string[] = [];
  const relinted = server.diagnostics(u, 2).then(() => events.push('diagnostics v2'));
  server.change(u, v2, 2);
  const hover: Hover = await server.connection.sendRequest('textDocument/hover', { textDocument: { uri: u }, position: { line: 0, character: 0 } });
  events.push('hover');
  const value = (hover.contents as { value: string }).value;
  assert.match(value, /OCI image index/);
  // Answered from a parse of version 2, not from a full lint: no problem counts yet.
  assert.doesNotMatch(value, /\d+ errors?, \d+ warnings?/);
  await relinted;
  assert.deepEqual(events, ['hover', 'diagnostics v2']);
  // Once linted, the same hover has the counts.
  const after: Hover = await server.connection.sendRequest('textDocument/hover', { textDocument: { uri: u }, position: { line: 0, character: 0 } });
  assert.match((after.contents as { value: string }).value, /0 errors, 0 warnings/);
});
