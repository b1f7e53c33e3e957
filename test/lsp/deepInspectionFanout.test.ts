/**
 * Deep inspection of a fan-out by repeated digests (issue 23, item 1), through the LSP against
 * a hostile registry on 127.0.0.1: an index of 1,024 entries all naming one index of 1,024
 * entries all naming one manifest. Opening it starts deep inspection; each document is fetched
 * and inspected once, the published diagnostics are bounded, a line on `manifests` says what
 * was left out, and hovers are answered while the inspection runs (while it waits on the
 * registry, and just after the last document arrives, when the work is done). Bounds are
 * counts (requests, nodes, diagnostics, resident memory); the waits only catch a hang.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Diagnostic, Hover } from 'vscode-languageserver-protocol';
import { DEEP_MAX_DIAGNOSTICS, DEEP_STOPPED } from '../../server/src/lsp/deepInspection';
import { startFakeRegistry, type FakeRegistry } from '../registry/fakeRegistry';
import { startServer, type TestServer } from './lspClient';

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

let reg: FakeRegistry;
let server: TestServer;
let manifestDigest: string;
let release!: () => void;
const released = new Promise<void>((r) => (release = r));
let asked!: () => void;
const manifestAsked = new Promise<void>((r) => (asked = r));

before(async () => {
  reg = await startFakeRegistry({
    // The bottom manifest is held until the test has hovered while the inspection waits for it.
    intercept: async (_req, _res, rec) => {
      if (manifestDigest && rec.path.endsWith(`/manifests/${manifestDigest}`)) {
        asked();
        await released;
      }
      return false;
    },
  });
  const body = JSON.stringify({
    schemaVersion: 2, mediaType: OCI_MANIFEST,
    // A Docker config in an OCI manifest: an error below every entry.
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: `sha256:${'c'.repeat(64)}`, size: 10 },
    layers: [],
  });
  manifestDigest = reg.putManifest('fan/app', undefined, body, OCI_MANIFEST);
  const inner = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: Array.from({ length: 1024 }, () => ({ mediaType: OCI_MANIFEST, digest: manifestDigest, size: Buffer.byteLength(body) })) });
  const innerDigest = reg.putManifest('fan/app', undefined, inner, OCI_INDEX);
  const top = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: Array.from({ length: 1024 }, () => ({ mediaType: OCI_INDEX, digest: innerDigest, size: Buffer.byteLength(inner) })) }, null, 2);
  reg.putManifest('fan/app', 'fan', top, OCI_INDEX);
  server = await startServer();
});
after(async () => {
  release?.();
  await server?.stop();
  await reg?.close();
});

function residentMb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, `${field} in /proc/${pid}/status`);
  return Number(m[1]) / 1024;
}

/** A hover, or a failure when the server does not answer within `ms` (a hang, not a speed test). */
function hoverWithin(uri: string, ms: number): Promise<Hover | null> {
  return Promise.race([
    server.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 2, character: 6 } }) as Promise<Hover | null>,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no hover answer within ${ms / 1000} s`)), ms)),
  ]);
}

test('opening a fan-out index: each document inspected once, hovers answered while it runs, diagnostics bounded', async () => {
  const doc: { uri: string; text: string } = await server.connection.sendRequest('manifestLens/inspect', { reference: `${reg.hostPort}/fan/app:fan` });
  const first = server.diagnostics(doc.uri, 1);
  server.open(doc.uri, doc.text, 1);
  await first;
  const deep = server.diagnostics(doc.uri, 1, 30_000);
  await manifestAsked;
  // The inspection waits for the manifest: a hover is answered meanwhile.
  assert.ok(await hoverWithin(doc.uri, 5000), 'a hover while the inspection waits on the registry');
  release();
  // The last document is in: the inspection builds and lints now; a hover still gets its answer.
  assert.ok(await hoverWithin(doc.uri, 5000), 'a hover while the inspection works');
  const diagnostics: Diagnostic[] = await deep;

  const gets = reg.requests.filter((r) => r.method === 'GET' && /\/manifests\/sha256:/.test(r.path)).length;
  assert.equal(gets, 2, 'the inner index and the manifest, once each');
  const log = server.logs.find((l) => /deep inspection of .*fan\/app:fan: /.test(l));
  assert.ok(log, server.logs.join('\n'));
  const nodes = Number(/, (\d+) nodes,/.exec(log)?.[1]);
  assert.equal(nodes, 1024 + 1024 + 1, `built once per document, not per path: ${log}`);

  // The index's own findings (its 1,023 repeated entries) are the engine's; the deep ones are bounded.
  const deepOnes = diagnostics.filter((d) => (d.data as { deep?: boolean } | undefined)?.deep === true);
  const errors = deepOnes.filter((d) => d.code === 'mixed-config-media-type');
  assert.ok(errors.length > 0 && deepOnes.length <= DEEP_MAX_DIAGNOSTICS, `${deepOnes.length} deep diagnostics, ${errors.length} mixed-config-media-type`);
  assert.match(errors[0].message, /^OCI manifest with a Docker config media type: .* \(manifests\[0\] › manifests\[0\]\)$/, 'the problem first, the entry last');
  const said = diagnostics.filter((d) => d.code === DEEP_STOPPED).map((d) => d.message).join('\n');
  assert.match(said, /problems not kept \(at most 5000 per graph, 200 per document\)/);
  assert.match(said, new RegExp(`shows at most ${DEEP_MAX_DIAGNOSTICS} problems below the entries; \\d+ more are not shown`));
  assert.ok(residentMb(server.process.pid!, 'VmHWM') < 500, `peak resident memory ${residentMb(server.process.pid!, 'VmHWM')} MB`);
});
