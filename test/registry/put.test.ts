/**
 * Manifest writes (issue 19): putManifest and headBlob against a REAL docker-registry on
 * 127.0.0.1 (no auth, then token auth with push scope), and a local server for what a healthy
 * registry never does (a Docker-Content-Digest that is not the bytes' digest, a redirect of the
 * write to another host).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Agent } from 'undici';
import { MANIFEST_ACCEPT_TYPES, MT } from '../../server/src/engine/mediaTypes';
import { createRegistryClient, dockerConfigCredentials, isRegistryError, parseReference, type RegistryError } from '../../server/src/registry';
import { sha256Digest } from '../harness/blobs';
import { assertCliBuilt, isolatedEnv, runCli } from '../harness/cli';
import { startRegistry, type RunningRegistry } from '../harness/registry';
import { seedSamples, type SeededImages } from '../harness/seed';
import { skipUnlessTools } from '../harness/tools';
import { startLocalServer } from './localServer';

const skip = skipUnlessTools({ registry: true });
const skipToken = skipUnlessTools({ registry: true, openssl: true });

async function rejection(p: Promise<unknown>): Promise<RegistryError> {
  try {
    await p;
  } catch (e) {
    assert.ok(isRegistryError(e), `a RegistryError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a rejection');
}

/** The mixed amd64 child relabelled to OCI, as fix would: new bytes naming the same blobs. */
function relabelled(bytes: Uint8Array): Buffer {
  return Buffer.from(Buffer.from(bytes).toString('utf8').replace(MT.dockerConfig, MT.ociConfig).replace(MT.dockerLayerGzip, MT.ociLayerGzip));
}

describe('putManifest and headBlob on a real registry', { skip }, () => {
  let registry: RunningRegistry;
  let seeds: SeededImages;
  before(async () => {
    registry = await startRegistry();
    seeds = await seedSamples(registry.url);
  });
  after(() => registry?.stop());

  test('by digest, then by tag: the registry serves the exact bytes with the Content-Type sent, and confirms the digest', async () => {
    const c = createRegistryClient({ accept: MANIFEST_ACCEPT_TYPES, timeoutMs: 10_000 });
    const child = seeds.podman22196.amd64;
    const bytes = relabelled(child.bytes);
    const digest = sha256Digest(bytes);
    const ref = parseReference(child.byDigest);
    const put = await c.putManifest({ ...ref, digest }, bytes, MT.ociManifest, { byDigest: true });
    assert.equal(put.digest, digest);
    assert.equal(put.reference, digest);
    assert.equal(put.confirmedDigest, digest, 'the registry answered the same Docker-Content-Digest');
    const got = await c.getManifest({ ...ref, digest });
    assert.ok(Buffer.from(got.bytes).equals(bytes), 'byte for byte');
    assert.equal(got.mediaType, MT.ociManifest);

    const tagged = await c.putManifest({ ...ref, digest: undefined, tag: 'put-test' }, bytes, MT.ociManifest);
    assert.equal(tagged.reference, 'put-test');
    const head = await c.headManifest({ ...ref, digest: undefined, tag: 'put-test' });
    assert.equal(head.digest, digest);
    // The original is untouched.
    assert.equal((await c.headManifest(parseReference(child.byDigest))).digest, child.digest);
  });

  test('a manifest naming a blob the repository lacks: MANIFEST_BLOB_UNKNOWN, said so; headBlob tells present from absent', async () => {
    const c = createRegistryClient({ accept: MANIFEST_ACCEPT_TYPES, timeoutMs: 10_000 });
    const child = seeds.podman22196.amd64;
    const missing = sha256Digest(Buffer.from('not pushed anywhere'));
    const bytes = Buffer.from(Buffer.from(child.bytes).toString('utf8').replace(child.layers![0]!.digest, missing));
    const ref = parseReference(child.byDigest);
    const err = await rejection(c.putManifest({ ...ref, digest: undefined, tag: 'missing-blob' }, bytes, MT.ociManifest));
    assert.deepEqual(err.registryErrors?.map((e) => e.code), ['MANIFEST_BLOB_UNKNOWN']);
    assert.match(err.message, /MANIFEST_BLOB_UNKNOWN/);
    assert.match(err.message, /not in samples\/podman-22196/);
    assert.equal((await c.headBlob(ref, missing)).exists, false);
    const present = await c.headBlob(ref, child.layers![0]!.digest);
    assert.equal(present.exists, true);
    assert.equal(present.size, child.layers![0]!.size);
  });

  test('a digest that is not the bytes\' digest is refused before anything is sent', async () => {
    const c = createRegistryClient({ accept: MANIFEST_ACCEPT_TYPES, timeoutMs: 10_000 });
    const ref = parseReference(seeds.podman22196.amd64.byDigest);
    const before = c.stats.requests;
    const err = await rejection(c.putManifest(ref, relabelled(seeds.podman22196.amd64.bytes), MT.ociManifest, { byDigest: true }));
    assert.equal(err.kind, 'invalid-reference');
    assert.equal(c.stats.requests, before, 'no request');
  });
});

describe('putManifest with token auth: push scope', { skip: skipToken }, () => {
  let registry: RunningRegistry;
  let seeds: SeededImages;
  let dir: string;
  before(async () => {
    registry = await startRegistry({ auth: 'token' });
    seeds = await seedSamples(registry.url, { username: registry.username!, password: registry.password! });
    dir = mkdtempSync(join(tmpdir(), 'manifest-lens-put-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from(`${registry.username}:${registry.password}`).toString('base64') } } }));
  });
  after(async () => {
    await registry?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('with credentials the token asked for is repository:NAME:pull,push, and the write succeeds; reads still ask pull only', async () => {
    const ts = registry.tokenServer!;
    const c = createRegistryClient({ accept: MANIFEST_ACCEPT_TYPES, timeoutMs: 10_000, credentials: dockerConfigCredentials({ env: { DOCKER_CONFIG: dir }, homeDir: dir, allowHelpers: false }) });
    const child = seeds.podman22196.arm64;
    const ref = parseReference(child.byDigest);
    ts.resetStats();
    await c.getManifest(ref);
    assert.deepEqual(ts.stats.log.map((r) => r.scopes.join(' ')), ['repository:samples/podman-22196:pull'], 'a read asks pull only');
    ts.resetStats();
    const bytes = relabelled(child.bytes);
    const put = await c.putManifest({ ...ref, digest: undefined, tag: 'pushed-with-token' }, bytes, MT.ociManifest);
    assert.equal(put.digest, sha256Digest(bytes));
    const scopes = ts.stats.log.flatMap((r) => r.scopes);
    assert.ok(scopes.includes('repository:samples/podman-22196:pull,push'), `push scope asked: ${JSON.stringify(scopes)}`);
    assert.ok(ts.stats.log.some((r) => r.granted.some((g) => g.includes('push'))), `push granted: ${JSON.stringify(ts.stats.log)}`);
  });

  test('anonymous (pull tokens only): unauthorized, naming the push scope that was missing', async () => {
    const c = createRegistryClient({ accept: MANIFEST_ACCEPT_TYPES, timeoutMs: 10_000 });
    const child = seeds.podman22196.arm64;
    const ref = parseReference(child.byDigest);
    const err = await rejection(c.putManifest({ ...ref, digest: undefined, tag: 'anonymous' }, relabelled(child.bytes), MT.ociManifest));
    assert.equal(err.kind, 'unauthorized');
    assert.match(err.message, /repository:samples\/podman-22196:pull,push/);
    assert.match(err.message, /push/);
  });

  test('the CLI: fix with credentials: repository:NAME:pull,push asked and granted, the repair written; anonymous: exit 3 with UNAUTHORIZED and the missing scope, nothing written', async () => {
    assertCliBuilt();
    const ts = registry.tokenServer!;
    const home = isolatedEnv();
    try {
      const ref = `${registry.host}/samples/podman-22196:mixed`;
      const anonymous = await runCli(['fix', '--no-creds', '--to', 'oci', '--tag', 'anon', ref], { env: home.env, timeoutMs: 30_000 });
      assert.equal(anonymous.code, 3, anonymous.stderr);
      assert.match(anonymous.stderr, /UNAUTHORIZED/);
      assert.match(anonymous.stderr, /repository:samples\/podman-22196:pull,push/);
      assert.match(anonymous.stderr, /nothing was written/);

      ts.resetStats();
      const r = await runCli(['fix', '--to', 'oci', '--tag', 'mixed-oci', ref], { env: { ...home.env, DOCKER_CONFIG: dir }, timeoutMs: 30_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!r.stderr.includes(registry.password!), 'no secret on stderr');
      const asked = ts.stats.log.map((l) => l.scopes.join(' '));
      assert.ok(asked.includes('repository:samples/podman-22196:pull'), `reads ask pull: ${JSON.stringify(asked)}`);
      assert.ok(asked.includes('repository:samples/podman-22196:pull,push'), `writes ask pull,push: ${JSON.stringify(asked)}`);
      assert.match(r.stdout.toString('utf8'), new RegExp(`${registry.host.replace(/\./g, '\\.')}/samples/podman-22196:mixed-oci@sha256:[0-9a-f]{64}\\n$`));
    } finally {
      home.cleanup();
    }
  });
});

describe('putManifest against a misbehaving server', () => {
  test('a 201 whose Docker-Content-Digest is not the digest of the bytes sent is a digest-mismatch', async () => {
    const server = await startLocalServer((_req, res) => {
      res.writeHead(201, { 'docker-content-digest': sha256Digest(Buffer.from('other')) });
      res.end();
    });
    try {
      const c = createRegistryClient({ accept: MANIFEST_ACCEPT_TYPES, timeoutMs: 5_000 });
      const err = await rejection(c.putManifest(parseReference(`${server.host}/r:t`), Buffer.from('{}'), MT.ociManifest));
      assert.equal(err.kind, 'digest-mismatch');
      assert.equal(server.seen[0]!.method, 'PUT');
      assert.equal(server.seen[0]!.headers['content-type'], MT.ociManifest);
      assert.equal(server.seen[0]!.body, '{}');
    } finally {
      await server.close();
    }
  });

  test('a write to a plain-http host that is not loopback never carries credentials, even when it asks for them', async () => {
    const server = await startLocalServer((_req, res) => {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="t"' });
      res.end();
    });
    const port = server.host.split(':')[1]!;
    // registry.test resolves to 127.0.0.1 through the dispatcher only: to the client it is not loopback.
    const dispatcher = new Agent({
      connect: {
        lookup: (_h: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void) => (opts?.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)),
      } as unknown as Agent.Options['connect'],
    });
    try {
      const c = createRegistryClient({
        accept: MANIFEST_ACCEPT_TYPES, timeoutMs: 5_000, dispatcher, insecureHosts: [`registry.test:${port}`],
        credentials: async () => ({ username: 'u', password: 'secret-pw-123456' }),
      });
      const err = await rejection(c.putManifest(parseReference(`registry.test:${port}/r:t`), Buffer.from('{}'), MT.ociManifest));
      assert.equal(err.kind, 'insecure');
      assert.match(err.message, /credentials will not be sent/);
      assert.equal(server.seen.length, 1, 'only the first, anonymous PUT reached it');
      assert.equal(server.seen[0]!.headers.authorization, undefined);
    } finally {
      await server.close();
      await dispatcher.close();
    }
  });

  test('a write redirected to another host is not followed: no credentials and no body go there', async () => {
    const elsewhere = await startLocalServer((_req, res) => {
      res.writeHead(201);
      res.end();
    });
    const server = await startLocalServer((req, res) => {
      if (!req.headers.authorization) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="t"' });
        res.end();
        return;
      }
      res.writeHead(307, { location: `http://localhost:${elsewhere.host.split(':')[1]}/v2/r/manifests/t` });
      res.end();
    });
    try {
      const c = createRegistryClient({ accept: MANIFEST_ACCEPT_TYPES, timeoutMs: 5_000, credentials: async () => ({ username: 'u', password: 'secret-pw-123456' }) });
      const err = await rejection(c.putManifest(parseReference(`${server.host}/r:t`), Buffer.from('{}'), MT.ociManifest));
      assert.equal(err.kind, 'redirect');
      assert.match(err.message, /another host/);
      assert.equal(elsewhere.seen.length, 0, 'nothing was sent to the other host');
      assert.ok(server.seen.some((r) => r.method === 'PUT' && r.headers.authorization), 'the registry itself got the credentials');
    } finally {
      await server.close();
      await elsewhere.close();
    }
  });
});
