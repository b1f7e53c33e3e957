/**
 * `inspect` with credentials: an htpasswd registry read through a DOCKER_CONFIG `auths` entry,
 * --no-creds ignoring it, and a token registry (one token request per CLI run).
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { assertCliBuilt, isolatedEnv, runCli, type IsolatedEnv } from '../harness/cli';
import { startRegistry, type RunningRegistry } from '../harness/registry';
import { seedSamples, type SeededImages } from '../harness/seed';
import { skipUnlessTools } from '../harness/tools';

const skip = skipUnlessTools({ registry: true, htpasswd: true, openssl: true });

function writeDockerConfig(home: IsolatedEnv, host: string, user: string, password: string): void {
  const dir = home.env.DOCKER_CONFIG!;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/config.json`, JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } } }), { mode: 0o600 });
}

if (skip) {
  test('inspect CLI with credentials', { skip }, () => {});
} else {
  describe('inspect with an htpasswd registry', () => {
    let registry: RunningRegistry;
    let seeds: SeededImages;
    let withCreds: IsolatedEnv;
    let without: IsolatedEnv;

    before(async () => {
      assertCliBuilt();
      registry = await startRegistry({ auth: 'htpasswd' });
      seeds = await seedSamples(registry.url, { username: registry.username!, password: registry.password! });
      withCreds = isolatedEnv();
      writeDockerConfig(withCreds, registry.host, registry.username!, registry.password!);
      without = isolatedEnv();
    });
    after(async () => {
      await registry?.stop();
      withCreds?.cleanup();
      without?.cleanup();
    });

    test('credentials from DOCKER_CONFIG: exit 0 and the served bytes', async () => {
      const m = seeds.podman22196.index;
      const r = await runCli(['inspect', m.reference], { env: withCreds.env });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdout.equals(Buffer.from(m.bytes)));
    });

    test('--no-creds ignores them: exit 3, unauthorized, one line, no secret', async () => {
      const r = await runCli(['inspect', '--no-creds', seeds.podman22196.index.reference], { env: withCreds.env });
      assert.equal(r.code, 3, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /401|unauthori[sz]ed|credentials/i);
      assert.ok(!r.stderr.includes(registry.password!));
    });

    test('no credentials at all: exit 3', async () => {
      const r = await runCli(['inspect', seeds.podman22196.index.reference], { env: without.env });
      assert.equal(r.code, 3, r.stderr);
    });
  });

  describe('inspect with a token registry', () => {
    let registry: RunningRegistry;
    let seeds: SeededImages;
    let home: IsolatedEnv;

    before(async () => {
      assertCliBuilt();
      registry = await startRegistry({ auth: 'token' });
      seeds = await seedSamples(registry.url, { username: registry.username!, password: registry.password! });
      home = isolatedEnv();
    });
    after(async () => {
      await registry?.stop();
      home?.cleanup();
    });

    test('anonymous pull: exit 0, one token request per run (each run is a fresh process)', async () => {
      const ts = registry.tokenServer!;
      ts.resetStats();
      const m = seeds.cleanOci.index;
      const r = await runCli(['inspect', m.reference], { env: home.env });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdout.equals(Buffer.from(m.bytes)));
      assert.equal(ts.stats.requests, 1);
      const p = await runCli(['inspect', '--platform', 'linux/arm64', m.reference], { env: home.env });
      assert.equal(p.code, 0, p.stderr);
      assert.ok(p.stdout.equals(Buffer.from(seeds.cleanOci.arm64.bytes)));
      assert.equal(ts.stats.requests, 2, 'the index and its child share one token within a run');
    });
  });
}
