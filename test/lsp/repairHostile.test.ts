/**
 * Repair in registry… against a hostile registry (attack review): an index of Docker manifests
 * of nearly 4 MiB each (tens of thousands of layers). Planning reads every child and the preview
 * carries each one's text twice (current and repaired): without a bound on what is read, a few
 * dozen such children take the server's heap (here capped at 128 MB) down. The plan stops
 * reading past its budget and refuses, saying why; nothing is written.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RemoteDocument } from '../../common/protocol';
import { startFakeRegistry, type FakeRegistry } from '../harness/fakeRegistry';
import { isolatedEnv, type IsolatedEnv } from '../harness/cli';
import { startServer, type TestServer } from './lspClient';

const CHILDREN = 12;
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
let reg: FakeRegistry;
let server: TestServer;
let home: IsolatedEnv;

before(async () => {
  reg = await startFakeRegistry();
  const config = reg.putBlob(Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'));
  const entries = [];
  for (let i = 0; i < CHILDREN; i++) {
    const layers = [];
    let size = 0;
    for (let j = 0; size < 4 * 1024 * 1024 - 400; j++) {
      const layer = { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 1000 + j, digest: `sha256:${i.toString(16).padStart(4, '0')}${j.toString(16).padStart(60, '0')}` };
      size += JSON.stringify(layer).length + 1;
      layers.push(layer);
    }
    const m = reg.putManifest('big', undefined, {
      schemaVersion: 2, mediaType: DOCKER_MANIFEST,
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: config, size: 77 },
      layers,
    }, DOCKER_MANIFEST);
    entries.push({ mediaType: DOCKER_MANIFEST, digest: m.digest, size: m.bytes.length, platform: { os: 'linux', architecture: `arch${i}` } });
  }
  reg.putManifest('big', 'v1', { schemaVersion: 2, mediaType: DOCKER_LIST, manifests: entries }, DOCKER_LIST);
  home = isolatedEnv();
  server = await startServer({}, { env: home.env, nodeArgs: ['--max-old-space-size=128'] });
});
after(async () => {
  await server?.stop();
  await reg?.close();
  home?.cleanup();
});

test('an index of 12 Docker manifests of 4 MiB: the plan stops reading at its budget and refuses; the server stays up', async () => {
  const exited = new Promise<never>((_, reject) => server.process.once('exit', (code, signal) => reject(new Error(`the server died (${code ?? signal})`))));
  const doc: RemoteDocument = await server.connection.sendRequest('manifestLens/inspect', { reference: `${reg.host}/big:v1` });
  reg.log.length = 0;
  const preview = await Promise.race([server.connection.sendRequest<{ refusals: string[]; writes: unknown[] }>('manifestLens/repair/plan', { uri: doc.uri, to: 'oci' }), exited]);
  assert.ok(preview.refusals.some((r) => /MiB/.test(r)), preview.refusals.join('\n'));
  assert.deepEqual(preview.writes, [], 'a refused plan sends no texts');
  const children = reg.log.filter((l) => /^GET \/v2\/big\/manifests\/sha256:/.test(l)).length;
  assert.ok(children < CHILDREN, `it stopped reading: ${children} children read`);
  assert.equal(server.process.exitCode, null, 'the server is alive');
});

test('Push Manifest… with a mode other than check or write, in an untrusted workspace: refused before any request', async () => {
  const config = reg.putBlob(Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'));
  const text = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 77 }, layers: [] });
  for (const mode of ['Write', 'force', '']) {
    reg.log.length = 0;
    const err = await server.connection.sendRequest('manifestLens/pushManifest', { text, reference: `${reg.host}/big:pushed`, mode }).then(() => undefined, (e: Error & { data?: { kind?: string } }) => e);
    assert.ok(err, `mode ${JSON.stringify(mode)}: refused`);
    assert.deepEqual(reg.log, [], `mode ${JSON.stringify(mode)}: no request at all`);
  }
});

test('Push Manifest…: a tag that moved between the check (what the modal named) and the write is not moved', async () => {
  await server.connection.sendNotification('manifestLens/environment', { trusted: true });
  await server.connection.sendRequest('manifestLens/validateReference', { text: 'x' });
  const config = reg.putBlob(Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'));
  const text = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 77 }, layers: [] });
  const reference = `${reg.host}/big:moving`;
  const check = await server.connection.sendRequest<{ tagDigest?: string }>('manifestLens/pushManifest', { text, reference, mode: 'check' });
  assert.equal(check.tagDigest, undefined, 'the tag does not exist yet');
  // Someone else pushes the tag meanwhile.
  reg.putManifest('big', 'moving', { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 77 }, layers: [], annotations: { by: 'someone else' } });
  reg.log.length = 0;
  const err = await server.connection.sendRequest('manifestLens/pushManifest', { text, reference, mode: 'write', expectTagDigest: check.tagDigest ?? '' })
    .then(() => undefined, (e: Error & { data?: { kind?: string } }) => e);
  assert.equal(err?.data?.kind, 'tag-moved', err?.message);
  assert.match(err!.message, /moved since it was checked/);
  assert.deepEqual(reg.log.filter((l) => l.startsWith('PUT')), [], 'nothing written');
});

test('Push Manifest…: a registry that answers the PUT 201 with another digest: the error says it stored something else, never "Nothing was written"', async () => {
  await server.connection.sendNotification('manifestLens/environment', { trusted: true });
  await server.connection.sendRequest('manifestLens/validateReference', { text: 'x' });
  const config = reg.putBlob(Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'));
  const text = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 77 }, layers: [], annotations: { n: 'lying' } });
  const before = reg.hook;
  reg.hook = (req, res) => {
    if (req.method === 'PUT') {
      res.writeHead(201, { 'Docker-Content-Digest': `sha256:${'e'.repeat(64)}`, Location: '/v2/big/manifests/lying' }).end();
      return true;
    }
    return before?.(req, res) ?? false;
  };
  try {
    const err = await server.connection.sendRequest('manifestLens/pushManifest', { text, reference: `${reg.host}/big:lying`, mode: 'write', expectTagDigest: '' })
      .then(() => undefined, (e: Error & { data?: { kind?: string } }) => e);
    assert.equal(err?.data?.kind, 'digest-mismatch', err?.message);
    assert.doesNotMatch(err!.message, /Nothing was written/, err!.message);
    assert.match(err!.message, /answered the write as done/);
  } finally {
    reg.hook = before;
  }
});
