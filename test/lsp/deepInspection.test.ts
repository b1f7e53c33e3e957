/**
 * Deep inspection in the editor, through the LSP the VS Code client speaks, against a real
 * registry on 127.0.0.1: the seed's index is clean on its own and shown at once; its children's
 * problems then arrive as diagnostics on its entries. Entries that lie about their child are
 * underlined on the field that lies; the size lenses show each entry's layers and bytes.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { CodeLens, Diagnostic } from 'vscode-languageserver-protocol';
import { seedGraphTraps, type GraphTraps } from '../harness/graphSeed';
import { startRegistry, type RunningRegistry } from '../harness/registry';
import { seedSamples, type SeededImages } from '../harness/seed';
import { skipUnlessTools } from '../harness/tools';
import { startServer, type TestServer } from './lspClient';
import { parseRemoteUri } from '../../server/src/lsp/remoteUri';

interface RemoteDocument { uri: string; text: string; digest: string }

const skip = skipUnlessTools({ registry: true });
let registry: RunningRegistry;
let seeds: SeededImages;
let traps: GraphTraps;
let server: TestServer;

before(async () => {
  if (skip) return;
  registry = await startRegistry();
  seeds = await seedSamples(registry.url);
  traps = await seedGraphTraps(registry.url, seeds);
  server = await startServer();
});
after(async () => {
  await server?.stop();
  await registry?.stop();
});

/** The text a diagnostic's range covers. */
function covered(text: string, d: Diagnostic): string {
  const lines = text.split('\n');
  assert.equal(d.range.start.line, d.range.end.line, 'one-line range');
  return lines[d.range.start.line].slice(d.range.start.character, d.range.end.character);
}

/** Opens a fetched document: the first diagnostics (the engine's), then the deep ones. */
async function openAndInspect(reference: string): Promise<{ doc: RemoteDocument; first: Diagnostic[]; deep: Diagnostic[] }> {
  const doc: RemoteDocument = await server.connection.sendRequest('manifestLens/inspect', { reference });
  const p = server.diagnostics(doc.uri, 1);
  server.open(doc.uri, doc.text, 1);
  const first = await p;
  const deep = await server.diagnostics(doc.uri, 1);
  return { doc, first, deep };
}

test('the podman#22196 index is marked on its entries: each child\'s mixed-media-type error on the entry\'s digest', { skip }, async () => {
  const { doc, first, deep } = await openAndInspect(`${registry.host}/samples/podman-22196:mixed`);
  assert.deepEqual(first.map((d) => d.code), [], 'shown at once, clean on its own');
  const errors = deep.filter((d) => d.code === 'mixed-config-media-type');
  assert.equal(errors.length, 2, deep.map((d) => `${d.code}: ${d.message}`).join('\n'));
  const children = [seeds.podman22196.amd64, seeds.podman22196.arm64];
  errors.forEach((d, i) => {
    assert.equal(d.severity, 1, 'an error');
    assert.equal(covered(doc.text, d), JSON.stringify(children[i].digest), 'underlines the entry\'s digest');
    // The problem first, the entry last (issue 24); the child's digest and position are a link to it.
    assert.match(d.message, i === 0 ? /^OCI manifest with a Docker config media type: .* \(linux\/amd64\)$/ : /^OCI manifest with a Docker config media type: .* \(linux\/arm64\/v8\)$/);
    const related = d.relatedInformation ?? [];
    assert.equal(related.length, 1, 'one link to the child');
    assert.ok(related[0].location.uri.startsWith('oci-image:') && parseRemoteUri(related[0].location.uri)?.ref === children[i].digest, related[0].location.uri);
    assert.match(related[0].message, /the child manifest sha256:[0-9a-f]{12}… at \d+:\d+$/);
  });
  assert.equal(deep.filter((d) => d.code === 'mixed-layer-in-oci-manifest').length, 2);
  assert.ok(server.logs.some((l) => /deep inspection of .*podman-22196:mixed: \d+ documents in \d+ requests/.test(l)), server.logs.join('\n'));

  // Sizes: each entry's layer count and compressed bytes (config + layers), and its problems.
  const lenses: CodeLens[] = await server.connection.sendRequest('textDocument/codeLens', { textDocument: { uri: doc.uri } });
  for (const child of children) {
    const total = child.config!.size + child.layers!.reduce((s, l) => s + l.size, 0);
    const lens = lenses.find((l) => (l.command?.arguments?.[0] ?? '').endsWith(`?manifest~${child.digest.replace(':', '~')}`) && (l.command?.title ?? '').startsWith('1 layer'));
    assert.ok(lens, lenses.map((l) => l.command?.title).join(' | '));
    assert.equal(lens.command!.title, `1 layer · ${total} B · 2 problems below`);
  }
});

test('entries that lie about their child are underlined on the field that lies', { skip }, async () => {
  const { doc, deep } = await openAndInspect(traps.traps.reference);
  const one = (code: string) => {
    const d = deep.find((x) => x.code === code);
    assert.ok(d, `${code} among ${deep.map((x) => x.code).join()}`);
    return d;
  };
  const size = one('child-size-mismatch');
  assert.equal(covered(doc.text, size), String(seeds.podman22196.amd64.size + 7));
  assert.match(size.message, new RegExp(`^the entry says ${seeds.podman22196.amd64.size + 7} bytes, the registry serves ${seeds.podman22196.amd64.size} \\(linux/amd64\\)$`));
  const media = one('child-media-type-mismatch');
  assert.equal(covered(doc.text, media), '"application/vnd.docker.distribution.manifest.v2+json"');
  const platforms = deep.filter((d) => d.code === 'platform-config-mismatch');
  assert.equal(platforms.length, 2, 'linux/s390x and windows/amd64, not linux/amd64');
  assert.match(platforms[0].message, /linux\/s390x.*linux\/arm64\/v8/);
  assert.equal(doc.text.split('\n')[platforms[0].range.start.line].trim(), '"platform": {', 'on the platform object');
});

test('nested indexes: the grandchildren\'s problems reach the top entry, with their path', { skip }, async () => {
  const { deep } = await openAndInspect(traps.nested.reference);
  const mixed = deep.filter((d) => d.code === 'mixed-config-media-type');
  assert.equal(mixed.length, 2, deep.map((d) => d.message).join('\n'));
  assert.match(mixed[0].message, /^OCI manifest with a Docker config media type: .* \(manifests\[0\] › linux\/amd64\)$/);
  assert.match(mixed[0].relatedInformation?.[0]?.message ?? '', /^manifests\[0\] › linux\/amd64: the child manifest sha256:/);
});

test('a fetched manifest shows its layer count and compressed size on top', { skip }, async () => {
  const doc: RemoteDocument = await server.connection.sendRequest('manifestLens/inspect', { reference: seeds.dockerV2s2.manifest.reference });
  server.open(doc.uri, doc.text, 1);
  const m = seeds.dockerV2s2.manifest;
  const lenses: CodeLens[] = await server.connection.sendRequest('textDocument/codeLens', { textDocument: { uri: doc.uri } });
  const total = m.config!.size + m.layers!.reduce((s, l) => s + l.size, 0);
  assert.ok(lenses.some((l) => l.command?.title === `1 layer · ${total} B compressed (config + layers)`), lenses.map((l) => l.command?.title).join(' | '));
});

interface CompareResult {
  left?: RemoteDocument; right?: RemoteDocument; leftLabel: string; rightLabel: string;
  same: boolean; sameBytes: boolean; changes: { kind: string; text: string }[]; notes: string[];
}

test('Compare with…: two fetched children, then a local text against a remote manifest', { skip }, async () => {
  const clean = seeds.cleanOci.amd64;
  const mixed = seeds.podman22196.amd64;
  const r: CompareResult = await server.connection.sendRequest('manifestLens/compare', { left: { reference: clean.byDigest }, right: { reference: mixed.byDigest } });
  assert.equal(r.same, false);
  assert.equal(r.left?.digest, clean.digest);
  assert.equal(r.right?.digest, mixed.digest);
  assert.match(r.right!.uri, /^oci-image:/, 'a document the client can open in the diff editor');
  const texts = r.changes.map((c) => c.text);
  assert.ok(texts.includes('config media type: application/vnd.oci.image.config.v1+json → application/vnd.docker.container.image.v1+json'), texts.join('\n'));
  assert.ok(texts.some((t) => /^label org.opencontainers.image.title: "clean-oci linux\/amd64" → "podman-22196 linux\/amd64"$/.test(t)), texts.join('\n'));
  assert.deepEqual(r.notes, []);

  // A local document (re-indented) against the registry's: the same JSON, other bytes.
  const local = JSON.stringify(JSON.parse(Buffer.from(clean.bytes).toString('utf8')), null, 4);
  const s: CompareResult = await server.connection.sendRequest('manifestLens/compare', { left: { text: local, label: 'manifest.json' }, right: { uri: r.left!.uri } });
  assert.deepEqual([s.same, s.sameBytes, s.leftLabel, s.left], [true, false, 'manifest.json', undefined]);
});

test('closing the index cancels its deep inspection: the stalled child requests are dropped', { skip }, async () => {
  const { MT } = await import('../../server/src/engine/mediaTypes');
  const { startFakeRegistry } = await import('../registry/fakeRegistry');
  let stalled = 0;
  const reg = await startFakeRegistry({
    // The children never answer: only a cancellation ends their requests.
    intercept: (_req, _res, rec) => {
      if (!rec.path.includes('/manifests/sha256:')) return false;
      stalled++;
      return true;
    },
  });
  try {
    const child = (i: number) => `sha256:${String(i).repeat(64)}`;
    reg.putManifest('slow/app', 'latest', JSON.stringify({
      schemaVersion: 2, mediaType: MT.ociIndex,
      manifests: [1, 2, 3].map((i) => ({ mediaType: MT.ociManifest, digest: child(i), size: 100, platform: { os: 'linux', architecture: 'amd64', variant: `v${i}` } })),
    }), MT.ociIndex);
    const doc: RemoteDocument = await server.connection.sendRequest('manifestLens/inspect', { reference: `${reg.hostPort}/slow/app:latest` });
    const first = server.diagnostics(doc.uri, 1);
    server.open(doc.uri, doc.text, 1);
    await first;
    const deadline = Date.now() + 10_000;
    while (stalled < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    assert.equal(stalled, 3, 'the three children were asked for');
    const closedBefore = reg.closedSockets();
    void server.connection.sendNotification('textDocument/didClose', { textDocument: { uri: doc.uri } });
    const until = Date.now() + 5000;
    while (reg.closedSockets() - closedBefore < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
    assert.ok(reg.closedSockets() - closedBefore >= 3, `the child connections were closed on close (${reg.closedSockets() - closedBefore}), long before any timeout`);
  } finally {
    await reg.close();
  }
});

test('manifestLens.remote.deepInspectionMaxEntries: only the first entries are fetched, and the lens says so', { skip }, async () => {
  const limited = await startServer({ remote: { deepInspectionMaxEntries: 1 } });
  try {
    const doc: RemoteDocument = await limited.connection.sendRequest('manifestLens/inspect', { reference: `${registry.host}/samples/podman-22196:mixed` });
    const first = limited.diagnostics(doc.uri, 1);
    limited.open(doc.uri, doc.text, 1);
    await first;
    const deep = await limited.diagnostics(doc.uri, 1);
    const errors = deep.filter((d) => d.code === 'mixed-config-media-type');
    assert.equal(errors.length, 1, 'the second entry was not fetched');
    assert.equal(covered(doc.text, errors[0]), JSON.stringify(seeds.podman22196.amd64.digest));
    const lenses: CodeLens[] = await limited.connection.sendRequest('textDocument/codeLens', { textDocument: { uri: doc.uri } });
    assert.ok(lenses.some((l) => /^1 entry · .* \(the first 1 of 2 inspected: manifestLens\.remote\.deepInspectionMaxEntries\)$/.test(l.command?.title ?? '')), lenses.map((l) => l.command?.title).join(' | '));
  } finally {
    await limited.stop();
  }
});
