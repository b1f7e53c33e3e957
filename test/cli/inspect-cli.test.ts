/**
 * `node dist/cli.js inspect` against a real registry: stdout is the served bytes, exit codes
 * 0 / 1 (lint errors) / 2 (usage) / 3 (registry), --platform picks the right child.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { sha256Digest } from '../harness/blobs';
import { runCli, type RunResult } from '../harness/cli';
import { freePort, type RunningRegistry } from '../harness/registry';
import { useSeededRegistry, type SeededImages, type SeededManifest } from '../harness/seed';
import { skipUnlessTools } from '../harness/tools';

const skip = skipUnlessTools({ registry: true });

/** stderr is for people: no stack traces, ever. */
function assertNoStack(r: RunResult): void {
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/, `stack trace on stderr:\n${r.stderr}`);
}

if (skip) {
  test('inspect CLI against a real registry', { skip }, () => {});
} else {
  describe('manifest-lens inspect (CLI)', () => {
    const ctx = useSeededRegistry({ cli: true });
    const inspect = (...args: string[]) => runCli(['inspect', ...args], { env: ctx.home.env });
    let seeds: SeededImages;
    let registry: RunningRegistry;
    before(() => { ({ seeds, registry } = ctx); });

    const assertPrints = (r: RunResult, m: SeededManifest): void => {
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdout.equals(Buffer.from(m.bytes)), `stdout is not the served bytes of ${m.byDigest}`);
      assert.equal(sha256Digest(r.stdout), m.digest);
      assert.ok(r.stderr.includes(m.digest), `stderr names the digest:\n${r.stderr}`);
    };

    test('exit 0: the served bytes on stdout, digest/Content-Type/size/verification on stderr', async () => {
      const m = seeds.cleanOci.index;
      const r = await inspect(m.reference);
      assertPrints(r, m);
      assert.ok(r.stderr.includes(m.mediaType), 'Content-Type on stderr');
      assert.ok(r.stderr.includes(String(m.size)), 'size on stderr');
      assert.match(r.stderr, /verified/);
    });

    test('exit 0 by digest, and the 3-space Docker v2s2 bytes come through unchanged', async () => {
      assertPrints(await inspect(seeds.cleanOci.arm64.byDigest), seeds.cleanOci.arm64);
      assertPrints(await inspect(seeds.dockerV2s2.manifest.reference), seeds.dockerV2s2.manifest);
    });

    test('exit 1: --lint on the podman#22196 child reports mixed-config-media-type with line:col', async () => {
      const child = seeds.podman22196.amd64;
      const r = await inspect('--lint', child.byDigest);
      assert.equal(r.code, 1, r.stderr);
      assert.ok(r.stdout.equals(Buffer.from(child.bytes)), 'stdout still carries the served bytes');
      const line = r.stderr.split('\n').find((l) => l.includes(' mixed-config-media-type '));
      assert.ok(line, `no mixed-config-media-type finding on stderr:\n${r.stderr}`);
      assert.match(line, /^\S+@sha256:[0-9a-f]{64}:\d+:\d+ error mixed-config-media-type \S/);
      assert.match(r.stderr, /mixed-layer-in-oci-manifest/);
      assertNoStack(r);
    });

    test('exit 1: --platform linux/amd64 --lint on the mixed index lints the index and the child', async () => {
      const r = await inspect('--platform', 'linux/amd64', '--lint', seeds.podman22196.index.reference);
      assert.equal(r.code, 1, r.stderr);
      assert.ok(r.stdout.equals(Buffer.from(seeds.podman22196.amd64.bytes)));
      assert.match(r.stderr, /error mixed-config-media-type/);
      assert.match(r.stderr, /2 documents checked/);
    });

    test('exit 1: --lint on the mixed index alone lints its children too, printing only the index', async () => {
      const r = await inspect('--lint', seeds.podman22196.index.reference);
      assert.equal(r.code, 1, r.stderr);
      assert.ok(r.stdout.equals(Buffer.from(seeds.podman22196.index.bytes)), 'stdout carries the index bytes only');
      assert.match(r.stderr, /3 documents checked/);
      for (const child of [seeds.podman22196.amd64, seeds.podman22196.arm64]) {
        const line = r.stderr.split('\n').find((l) => l.includes(child.digest) && l.includes(' error mixed-config-media-type '));
        assert.ok(line, `the ${child.platform?.architecture} child is linted:\n${r.stderr}`);
      }
    });

    test('exit 0: --lint on clean OCI content (the index and both children)', async () => {
      const r = await inspect('--lint', seeds.cleanOci.index.reference);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, / error /);
      assert.match(r.stderr, /3 documents checked/);
    });

    test('--platform linux/arm64 resolves the index to the arm64 child (variant optional)', async () => {
      assertPrints(await inspect('--platform', 'linux/arm64', seeds.cleanOci.index.reference), seeds.cleanOci.arm64);
      assertPrints(await inspect('--platform', 'linux/arm64/v8', seeds.cleanOci.index.reference), seeds.cleanOci.arm64);
      assertPrints(await inspect('--platform=linux/arm64', seeds.podman22196.index.reference), seeds.podman22196.arm64);
      assertPrints(await inspect('--platform', 'linux/arm64', seeds.dockerListOciChildren.list.reference), seeds.dockerListOciChildren.arm64);
      assertPrints(await inspect('--platform', 'linux/amd64', seeds.attested.index.reference), seeds.attested.amd64);
    });

    test('--platform with no matching entry: exit 3, lists what there is; attestations never match', async () => {
      const r = await inspect('--platform', 'linux/s390x', seeds.cleanOci.index.reference);
      assert.equal(r.code, 3);
      assert.equal(r.stdout.length, 0);
      assert.match(r.stderr, /no manifest for platform linux\/s390x/);
      assert.match(r.stderr, /linux\/amd64, linux\/arm64\/v8/);
      const u = await inspect('--platform', 'unknown/unknown', seeds.attested.index.reference);
      assert.equal(u.code, 3, u.stderr);
      const v = await inspect('--platform', 'linux/arm64/v7', seeds.cleanOci.index.reference);
      assert.equal(v.code, 3, v.stderr);
    });

    test('--format json: one JSON document with digest, Content-Type and the exact text', async () => {
      const m = seeds.dockerListOciChildren.list;
      const r = await inspect('--format', 'json', m.reference);
      assert.equal(r.code, 0, r.stderr);
      const body = JSON.parse(r.stdout.toString('utf8')) as { digest: string; contentType: string; size: number; text: string; manifest: { mediaType: string } };
      assert.equal(body.digest, m.digest);
      assert.equal(body.contentType, m.mediaType);
      assert.equal(body.size, m.size);
      assert.equal(body.text, Buffer.from(m.bytes).toString('utf8'));
      assert.equal(body.manifest.mediaType, m.mediaType);
    });

    test('--lint --fail-on: a list with only infos passes by default and at --fail-on warning, and fails at --fail-on info', async () => {
      // mixed-list-oci-children is info: podman and skopeo accept such a list (docs/rules.md, Severities).
      const m = seeds.dockerListOciChildren.list;
      const plain = await inspect('--lint', m.reference);
      assert.equal(plain.code, 0, plain.stderr);
      assert.match(plain.stderr, / info mixed-list-oci-children /);
      assert.match(plain.stderr, /documents checked: 0 errors, 0 warnings, \d+ infos?,/);
      assert.equal((await inspect('--lint', '--fail-on', 'warning', m.reference)).code, 0);
      assert.equal((await inspect('--lint', '--fail-on', 'info', m.reference)).code, 1);
      const noLint = await inspect('--fail-on', 'warning', m.reference);
      assert.equal(noLint.code, 2);
      assert.match(noLint.stderr, /--fail-on sets when --lint fails; add --lint/);
    });

    test('exit 2: usage errors', async () => {
      const ref = seeds.cleanOci.index.reference;
      const cases: string[][] = [
        [],
        ['--bogus', ref],
        ['--platform', 'linux', ref],
        ['--platform'],
        ['--format', 'yaml', ref],
        ['--timeout', '0', ref],
        ['--timeout', 'soon', ref],
        [ref, ref],
        ['Not A Reference!'],
        [`${registry.host}/UPPER/case:tag`],
      ];
      for (const args of cases) {
        const r = await inspect(...args);
        assert.equal(r.code, 2, `inspect ${args.join(' ')} → ${r.code}\n${r.stderr}`);
        assert.equal(r.stdout.length, 0);
        assert.ok(r.stderr.trim().length > 0, 'says why');
        assertNoStack(r);
      }
    });

    test('exit 3: a missing tag, one line naming MANIFEST_UNKNOWN', async () => {
      const r = await inspect(`${registry.host}/samples/clean-oci:no-such-tag`);
      assert.equal(r.code, 3, r.stderr);
      assert.equal(r.stdout.length, 0);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `one line:\n${r.stderr}`);
      assert.match(lines[0], /MANIFEST_UNKNOWN/);
      assert.ok(lines[0].includes(registry.host));
      assertNoStack(r);
    });

    test('exit 3: connection refused on a port nobody listens on', async () => {
      const port = await freePort();
      const r = await inspect(`127.0.0.1:${port}/samples/clean-oci:latest`);
      assert.equal(r.code, 3, r.stderr);
      assert.equal(r.stdout.length, 0);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /refused|not reachable|connect/i);
      assert.ok(r.stderr.includes(`127.0.0.1:${port}`), r.stderr);
      assertNoStack(r);
    });

    describe('a server that accepts and never answers', () => {
      let server: Server;
      let port: number;
      const sockets = new Set<Socket>();
      before(async () => {
        server = createServer((s) => {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
        });
        await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
        port = (server.address() as { port: number }).port;
      });
      after(async () => {
        for (const s of sockets) s.destroy();
        await new Promise<void>((r) => server.close(() => r()));
      });

      test('exit 3 after --timeout, saying it timed out', async () => {
        const r = await inspect('--timeout', '1', `127.0.0.1:${port}/samples/clean-oci:latest`);
        assert.equal(r.code, 3, r.stderr);
        assert.match(r.stderr, /time/i);
        assert.ok(r.ms < 20_000, `took ${r.ms} ms`);
        assertNoStack(r);
      });
    });
  });
}
