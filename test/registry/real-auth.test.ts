/**
 * Authentication against REAL registries: htpasswd (Basic) with credentials from a temp
 * DOCKER_CONFIG, and token auth whose JWTs the registry's own verifier checks. Token requests
 * are counted cold vs cached.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MANIFEST_ACCEPT_TYPES } from '../../server/src/engine/mediaTypes';
import { createRegistryClient, dockerConfigCredentials, isRegistryError, parseReference, type RegistryError } from '../../server/src/registry';
import { startRegistry, type RunningRegistry } from '../harness/registry';
import { seedSamples, type SeededImages } from '../harness/seed';
import { skipUnlessTools } from '../harness/tools';

const skipHtpasswd = skipUnlessTools({ registry: true, htpasswd: true });
const skipToken = skipUnlessTools({ registry: true, openssl: true });

async function rejection(p: Promise<unknown>): Promise<RegistryError> {
  try {
    await p;
  } catch (err) {
    assert.ok(isRegistryError(err), `expected a RegistryError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the promise to reject');
}

/** A DOCKER_CONFIG directory whose config.json has one `auths` entry. */
function dockerConfigDir(host: string, username: string, password: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'manifest-lens-docker-config-'));
  mkdirSync(dir, { recursive: true });
  const auth = Buffer.from(`${username}:${password}`).toString('base64');
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: { [host]: { auth } } }, null, 2), { mode: 0o600 });
  return dir;
}

function credentialsFrom(dir: string) {
  return dockerConfigCredentials({ env: { DOCKER_CONFIG: dir }, homeDir: dir, allowHelpers: false });
}

if (skipHtpasswd) {
  test('htpasswd registry: unauthorized without, success with docker config credentials', { skip: skipHtpasswd }, () => {});
} else {
  describe('htpasswd registry (HTTP Basic)', () => {
    let registry: RunningRegistry;
    let seeds: SeededImages;
    const dirs: string[] = [];

    before(async () => {
      registry = await startRegistry({ auth: 'htpasswd' });
      seeds = await seedSamples(registry.url, { username: registry.username!, password: registry.password! });
    });
    after(async () => {
      await registry?.stop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    test('anonymous: unauthorized, with a message that names the host and says what to do', async () => {
      const c = createRegistryClient({ accept: MANIFEST_ACCEPT_TYPES, timeoutMs: 10_000 });
      const err = await rejection(c.getManifest(parseReference(seeds.cleanOci.index.reference), {}));
      assert.equal(err.kind, 'unauthorized');
      assert.equal(err.status, 401);
      assert.ok(err.message.includes(registry.host), err.message);
      assert.match(err.message, /credential|log ?in|docker login|password/i);
    });

    test('credentials from a DOCKER_CONFIG auths entry: success, byte for byte', async () => {
      const dir = dockerConfigDir(registry.host, registry.username!, registry.password!);
      dirs.push(dir);
      const c = createRegistryClient({ accept: MANIFEST_ACCEPT_TYPES, credentials: credentialsFrom(dir), timeoutMs: 10_000 });
      for (const m of [seeds.podman22196.index, seeds.podman22196.amd64, seeds.dockerV2s2.manifest]) {
        const got = await c.getManifest(parseReference(m.byDigest), {});
        assert.ok(Buffer.from(got.bytes).equals(Buffer.from(m.bytes)), m.byDigest);
        assert.equal(got.digest, m.digest);
      }
      assert.equal(c.stats.tokenRequests, 0, 'Basic auth needs no token');
    });

    test('a wrong password: unauthorized, and the password is not in the message', async () => {
      const wrong = 'not-the-password-' + Date.now();
      const dir = dockerConfigDir(registry.host, registry.username!, wrong);
      dirs.push(dir);
      const c = createRegistryClient({ accept: MANIFEST_ACCEPT_TYPES, credentials: credentialsFrom(dir), timeoutMs: 10_000 });
      const err = await rejection(c.getManifest(parseReference(seeds.cleanOci.index.reference), {}));
      assert.equal(err.kind, 'unauthorized');
      assert.ok(!err.message.includes(wrong), 'no secret in the message');
      assert.ok(!err.message.includes(Buffer.from(`${registry.username}:${wrong}`).toString('base64')), 'no encoded secret in the message');
    });
  });
}

if (skipToken) {
  test('token registry: anonymous pull tokens, cached tokens', { skip: skipToken }, () => {});
} else {
  describe('token registry (Bearer, JWTs verified by the real registry)', () => {
    let registry: RunningRegistry;
    let seeds: SeededImages;
    const dirs: string[] = [];

    before(async () => {
      registry = await startRegistry({ auth: 'token' });
      seeds = await seedSamples(registry.url, { username: registry.username!, password: registry.password! });
    });
    after(async () => {
      await registry?.stop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    test('anonymous pull token: success, then the cached token is reused', async () => {
      const ts = registry.tokenServer!;
      ts.resetStats();
      const c = createRegistryClient({ accept: MANIFEST_ACCEPT_TYPES, timeoutMs: 10_000 });
      const index = seeds.cleanOci.index;

      const cold = await c.getManifest(parseReference(index.reference), {});
      assert.ok(Buffer.from(cold.bytes).equals(Buffer.from(index.bytes)), 'cold fetch bytes');
      const afterCold = { ...c.stats };
      assert.equal(afterCold.tokenRequests, 1, 'one token request when cold');
      assert.equal(ts.stats.requests, 1, 'the token server saw one request');
      assert.equal(ts.stats.anonymous, 1);
      assert.deepEqual(ts.stats.log[0].scopes, ['repository:samples/clean-oci:pull']);
      assert.deepEqual(ts.stats.log[0].granted, ['repository:samples/clean-oci:pull']);

      const warm = await c.getManifest(parseReference(seeds.cleanOci.amd64.byDigest), {});
      assert.ok(Buffer.from(warm.bytes).equals(Buffer.from(seeds.cleanOci.amd64.bytes)), 'cached-token fetch bytes');
      assert.equal(c.stats.tokenRequests, afterCold.tokenRequests, 'no new token request for the same repository');
      assert.ok(c.stats.tokenCacheHits > afterCold.tokenCacheHits, 'the cached token was used');
      assert.equal(ts.stats.requests, 1, 'the token server saw no new request');
      const coldRequests = afterCold.requests;
      const warmRequests = c.stats.requests - afterCold.requests;
      assert.ok(warmRequests < coldRequests, `cached fetch (${warmRequests} requests) is cheaper than cold (${coldRequests})`);
      console.log(`token registry, HTTP requests per manifest fetch: cold ${coldRequests} (${afterCold.tokenRequests} of them to the token server); ` +
        `cached token ${warmRequests} (${c.stats.tokenRequests - afterCold.tokenRequests} to the token server, token cache hits ${c.stats.tokenCacheHits})`);
    });

    test('another repository needs its own token', async () => {
      const ts = registry.tokenServer!;
      ts.resetStats();
      const c = createRegistryClient({ accept: MANIFEST_ACCEPT_TYPES, timeoutMs: 10_000 });
      await c.getManifest(parseReference(seeds.cleanOci.index.reference), {});
      await c.getManifest(parseReference(seeds.dockerV2s2.manifest.reference), {});
      assert.equal(c.stats.tokenRequests, 2);
      assert.deepEqual(ts.stats.log.map((r) => r.scopes.join(' ')), ['repository:samples/clean-oci:pull', 'repository:samples/docker-v2s2:pull']);
    });

    test('credentials from DOCKER_CONFIG are sent to the token server (Basic), not to the registry', async () => {
      const ts = registry.tokenServer!;
      ts.resetStats();
      const dir = dockerConfigDir(registry.host, registry.username!, registry.password!);
      dirs.push(dir);
      const c = createRegistryClient({ accept: MANIFEST_ACCEPT_TYPES, credentials: credentialsFrom(dir), timeoutMs: 10_000 });
      const m = seeds.podman22196.index;
      const got = await c.getManifest(parseReference(m.reference), {});
      assert.ok(Buffer.from(got.bytes).equals(Buffer.from(m.bytes)));
      assert.equal(ts.stats.authenticated, 1);
      assert.equal(ts.stats.log[0].user, registry.username);
    });

    test('config blob through the same token', async () => {
      const c = createRegistryClient({ accept: MANIFEST_ACCEPT_TYPES, timeoutMs: 10_000 });
      const image = seeds.dockerV2s2.manifest;
      const ref = parseReference(image.reference);
      await c.getManifest(ref, {});
      const before = c.stats.tokenRequests;
      const blob = await c.getBlob(ref, image.config!.digest, { maxBytes: 1 << 20 });
      assert.ok(Buffer.from(blob.bytes).equals(Buffer.from(image.config!.bytes)));
      assert.equal(c.stats.tokenRequests, before, 'the pull token covers blobs of the repository');
    });
  });

  describe('token registry without anonymous pull', () => {
    let registry: RunningRegistry;
    let seeds: SeededImages;

    before(async () => {
      registry = await startRegistry({ auth: 'token', anonymousPull: false });
      seeds = await seedSamples(registry.url, { username: registry.username!, password: registry.password! });
    });
    after(async () => {
      await registry?.stop();
    });

    test('an anonymous token without access: unauthorized, one token request, no loop', async () => {
      const ts = registry.tokenServer!;
      ts.resetStats();
      const c = createRegistryClient({ accept: MANIFEST_ACCEPT_TYPES, timeoutMs: 10_000 });
      const err = await rejection(c.getManifest(parseReference(seeds.cleanOci.index.reference), {}));
      assert.ok(err.kind === 'unauthorized' || err.kind === 'forbidden', `kind ${err.kind}: ${err.message}`);
      assert.ok(err.message.includes(registry.host), err.message);
      assert.ok(ts.stats.requests <= 2, `token requests: ${ts.stats.requests}`);
    });
  });
}
