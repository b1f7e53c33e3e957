/**
 * `node dist/cli.js tree` and `diff` against a real registry: the seed's index shows its
 * children's problems, entries are cross-checked against what they point at, attestations are
 * labelled, referrers come through the sha256-… fallback tag (distribution 2.8 has no Referrers
 * API), and diff exits 0 / 1 with a semantic summary, also for a local file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, type RunResult } from '../harness/cli';
import { seedGraphTraps, type GraphTraps } from '../harness/graphSeed';
import { useSeededRegistry, type SeededImages } from '../harness/seed';
import { skipUnlessTools } from '../harness/tools';

const skip = skipUnlessTools({ registry: true });

interface Node {
  kind: string; digest: string; label: string; size?: number; mediaType?: string; platform?: string; attestationOf?: string; artifactType?: string;
  totalSize?: number; layerCount?: number; problems: { ruleId: string; severity: string; message: string }[]; children: Node[];
  referrers?: { via: string; nodes: Node[] }; sameAs?: string;
}

function assertNoStack(r: RunResult): void {
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/, `stack trace on stderr:\n${r.stderr}`);
}

function json(r: RunResult): { reference: string; digest: string; root: Node } {
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout.toString('utf8'));
}

if (skip) {
  test('tree and diff CLI against a real registry', { skip }, () => {});
} else {
  describe('manifest-lens tree / diff (CLI)', () => {
    const ctx = useSeededRegistry({ cli: true });
    const cli = (...args: string[]) => runCli(args, { env: ctx.home.env });
    let seeds: SeededImages;
    let traps: GraphTraps;
    let dir: string;
    before(async () => {
      seeds = ctx.seeds;
      traps = await seedGraphTraps(ctx.registry.url, seeds);
      dir = mkdtempSync(join(tmpdir(), 'manifest-lens-diff-'));
    });
    after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

    test('tree of the podman#22196 index: each child with its digest, sizes, layers and the mixed-media-type error', async () => {
      const r = await cli('tree', seeds.podman22196.index.reference);
      assert.equal(r.code, 0, r.stderr);
      assertNoStack(r);
      const text = r.stdout.toString('utf8');
      const lines = text.split('\n');
      assert.ok(lines[0].includes(seeds.podman22196.index.digest), lines[0]);
      for (const child of [seeds.podman22196.amd64, seeds.podman22196.arm64]) {
        const at = lines.findIndex((l) => l.includes(child.digest));
        assert.ok(at > 0, `the child ${child.digest} is in the tree:\n${text}`);
        const total = child.config!.size + child.layers!.reduce((s, l) => s + l.size, 0);
        assert.match(lines[at], new RegExp(`1 layer, ${total} B total`), lines[at]);
        const below = lines.slice(at + 1, at + 6).join('\n');
        assert.match(below, /✖ error mixed-config-media-type \(\d+:\d+\)/);
        assert.ok(below.includes(child.config!.digest) && below.includes(child.layers![0].digest), below);
      }
      assert.match(r.stderr, /problems: 2 error, 2 warning/);
    });

    test('tree --format json: a clean index, and the SBOM referrer found through the sha256-… fallback tag', async () => {
      const g = json(await cli('tree', '--format', 'json', seeds.cleanOci.index.reference));
      assert.equal(g.root.kind, 'index');
      assert.equal(g.root.digest, seeds.cleanOci.index.digest);
      assert.deepEqual(g.root.children.map((c) => c.platform), ['linux/amd64', 'linux/arm64/v8']);
      assert.deepEqual(g.root.children.flatMap((c) => c.problems), [], 'a clean index has clean children');
      const amd = g.root.children[0];
      assert.equal(amd.layerCount, 1);
      assert.equal(amd.totalSize, seeds.cleanOci.amd64.config!.size + seeds.cleanOci.amd64.layers![0].size);
      assert.deepEqual(amd.children.map((c) => [c.kind, c.digest, c.size]), [
        ['config', seeds.cleanOci.amd64.config!.digest, seeds.cleanOci.amd64.config!.size],
        ['layer', seeds.cleanOci.amd64.layers![0].digest, seeds.cleanOci.amd64.layers![0].size],
      ]);
      assert.equal(amd.referrers?.via, 'fallback-tag');
      assert.deepEqual(amd.referrers?.nodes.map((n) => [n.digest, n.artifactType ?? n.label]), [[seeds.artifact.manifest.digest, 'application/spdx+json']]);
      assert.equal(g.root.children[1].referrers?.via, 'none');
      // The index total counts each distinct blob once.
      const blobs = new Map<string, number>();
      for (const m of [seeds.cleanOci.amd64, seeds.cleanOci.arm64]) for (const b of [m.config!, ...m.layers!]) blobs.set(b.digest, b.size);
      assert.equal(g.root.totalSize, [...blobs.values()].reduce((a, b) => a + b, 0));
    });

    test('tree cross-checks entries: size, media type and platform against the config', async () => {
      const g = json(await cli('tree', '--format', 'json', '--no-referrers', traps.traps.reference));
      const [sized, platformed, typed] = g.root.children;
      const ids = (n: Node) => n.problems.map((p) => p.ruleId);
      assert.ok(ids(sized).includes('child-size-mismatch'), ids(sized).join());
      assert.match(sized.problems.find((p) => p.ruleId === 'child-size-mismatch')!.message, new RegExp(`${seeds.podman22196.amd64.size + 7}.*${seeds.podman22196.amd64.size}`));
      assert.ok(!ids(sized).includes('platform-config-mismatch'), 'linux/amd64 matches its config');
      assert.ok(ids(platformed).includes('platform-config-mismatch'), ids(platformed).join());
      assert.match(platformed.problems.find((p) => p.ruleId === 'platform-config-mismatch')!.message, /linux\/s390x.*linux\/arm64/);
      assert.ok(ids(typed).includes('child-media-type-mismatch'), ids(typed).join());
      assert.ok(ids(typed).includes('platform-config-mismatch'), 'windows/amd64 vs a linux config');
      // Each child's own findings travel with it; `typed` names the same manifest as `sized`, so
      // its findings are given once, on the first, and `typed` says it is the same.
      for (const c of [sized, platformed]) assert.ok(ids(c).includes('mixed-config-media-type'), ids(c).join());
      assert.equal(typed.sameAs, sized.digest);
      assert.ok(!ids(typed).includes('mixed-config-media-type'), ids(typed).join());
      assert.deepEqual(typed.children, []);
      assert.equal(g.root.referrers, undefined, '--no-referrers asks for none');
    });

    test('tree follows nested indexes to the bottom, and --depth 0 stops at the first', async () => {
      const g = json(await cli('tree', '--format', 'json', '--no-referrers', traps.nested.reference));
      const inner = g.root.children[0];
      assert.equal(inner.kind, 'index');
      assert.equal(inner.digest, seeds.podman22196.index.digest);
      assert.deepEqual(inner.children.map((c) => c.digest), [seeds.podman22196.amd64.digest, seeds.podman22196.arm64.digest]);
      assert.ok(inner.children.every((c) => c.problems.some((p) => p.ruleId === 'mixed-config-media-type')));
      const shallow = json(await cli('tree', '--format', 'json', '--no-referrers', '--depth', '0', traps.nested.reference));
      assert.deepEqual(shallow.root.children[0].children, []);
      assert.ok(shallow.root.children[0].problems.some((p) => p.ruleId === 'graph-depth-limit'));
    });

    test('tree labels the attestation entry as the attestation of the image it describes', async () => {
      const g = json(await cli('tree', '--format', 'json', '--no-referrers', seeds.attested.index.reference));
      const att = g.root.children.find((c) => c.digest === seeds.attested.attestation.digest)!;
      assert.equal(att.attestationOf, seeds.attested.amd64.digest);
      assert.equal(att.label, 'attestation of linux/amd64');
      assert.ok(!att.problems.some((p) => p.ruleId === 'platform-config-mismatch'), 'unknown/unknown is not a platform to check');
      const text = (await cli('tree', '--no-referrers', seeds.attested.index.reference)).stdout.toString('utf8');
      assert.match(text, /attestation of linux\/amd64 {2}manifest {2}sha256:/);
      // The index counts every entry it lists, its attestation said apart (the review saw "1 entry" for two).
      assert.match(text.split('\n')[0], /· 2 entries \(1 attestation\), /);
    });

    test('tree --fail-on: exit 1 when a node has a problem at least that severe, as lint; without it exit 0', async () => {
      const seed = seeds.podman22196.index.reference; // 2 errors, 2 warnings below the index
      assert.equal((await cli('tree', '--no-referrers', seed)).code, 0, 'shown, problems or not');
      for (const level of ['error', 'warning', 'info', 'hint']) {
        const r = await cli('tree', '--no-referrers', '--fail-on', level, seed);
        assert.equal(r.code, 1, `--fail-on ${level}: ${r.stderr}`);
        assert.ok(r.stdout.toString('utf8').includes('mixed-config-media-type'), 'the tree is printed all the same');
      }
      assert.equal((await cli('tree', '--no-referrers', '--fail-on=never', seed)).code, 0);
      const json = await cli('tree', '--format', 'json', '--no-referrers', '--fail-on', 'error', seed);
      assert.equal(json.code, 1);
      assert.doesNotThrow(() => JSON.parse(json.stdout.toString('utf8')), 'the JSON is whole');
      // Only infos below (the nested index cut at --depth 0): fails at info, not at warning.
      const cut = await cli('tree', '--no-referrers', '--depth', '0', '--fail-on', 'warning', traps.nested.reference);
      assert.match(cut.stderr, /problems: 0 error, 0 warning, [1-9]\d* info/);
      assert.equal(cut.code, 0, cut.stderr);
      assert.equal((await cli('tree', '--no-referrers', '--depth', '0', '--fail-on', 'info', traps.nested.reference)).code, 1);
      const clean = await cli('tree', '--fail-on', 'hint', seeds.cleanOci.index.reference);
      assert.match(clean.stderr, /problems: 0 error, 0 warning, 0 info, 0 hint/);
      assert.equal(clean.code, 0, 'nothing to fail on');
      const bad = await cli('tree', '--fail-on', 'loud', seed);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /^--fail-on expects error\|warning\|info\|hint\|never, got "loud"/);
      assert.equal((await cli('diff', '--fail-on', 'error', seed, seed)).code, 2, 'diff has no --fail-on');
    });

    test('tree --max-entries leaves entries out and says so, on stdout and stderr', async () => {
      const seed = seeds.podman22196.index.reference;
      const one = await cli('tree', '--max-entries', '1', '--no-referrers', seed);
      assert.equal(one.code, 0, one.stderr);
      assert.match(one.stdout.toString('utf8'), /… 1 more entry not fetched \(--max-entries\)/);
      assert.match(one.stderr, /1 index entry was not fetched \(more than 1 in one index; --max-entries raises the limit\)/);
      const text = one.stdout.toString('utf8');
      assert.equal([seeds.podman22196.amd64, seeds.podman22196.arm64].filter((c) => text.includes(c.digest)).length, 1, text);
      const zero = await cli('tree', '--max-entries', '0', seed);
      assert.equal(zero.code, 2, zero.stderr);
      assert.match(zero.stderr, /--max-entries expects a whole number from 1 to 10000/);
    });

    test('tree: usage errors exit 2, an unreachable reference exits 3, one line each', async () => {
      const none = await cli('tree');
      assert.equal(none.code, 2);
      assert.match(none.stderr, /no reference given/);
      const bad = await cli('tree', '--depth', 'x', seeds.cleanOci.index.reference);
      assert.equal(bad.code, 2);
      const missing = await cli('tree', `${seeds.host}/samples/clean-oci:no-such-tag`);
      assert.equal(missing.code, 3, missing.stderr);
      assert.match(missing.stderr, /^tree: .*no-such-tag/m);
      assertNoStack(missing);
    });

    test('diff: the same reference exits 0 with nothing on stdout', async () => {
      const r = await cli('diff', seeds.cleanOci.index.reference, seeds.cleanOci.index.byDigest);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.length, 0);
      assert.match(r.stderr, /the same manifest/);
    });

    test('diff --platform: the clean child against the podman#22196 child, with the semantic summary', async () => {
      const r = await cli('diff', '--platform', 'linux/amd64', seeds.cleanOci.index.reference, seeds.podman22196.index.reference);
      assert.equal(r.code, 1, r.stderr);
      const text = r.stdout.toString('utf8');
      assert.match(text, /^--- .*clean-oci:latest \(linux\/amd64\)\n\+\+\+ .*podman-22196:mixed \(linux\/amd64\)\n@@ /);
      assert.match(text, /^-\s+"mediaType": "application\/vnd.oci.image.config.v1\+json",$/m);
      assert.match(text, /^\+\s+"mediaType": "application\/vnd.docker.container.image.v1\+json",$/m);
      assert.match(text, /config media type: application\/vnd.oci.image.config.v1\+json → application\/vnd.docker.container.image.v1\+json/);
      assert.match(text, /layers\[0\] changed: .*application\/vnd.oci.image.layer.v1.tar\+gzip → application\/vnd.docker.image.rootfs.diff.tar.gzip/);
      assert.match(text, /label org.opencontainers.image.title: "clean-oci linux\/amd64" → "podman-22196 linux\/amd64"/);
      assert.match(text, /history \+ manifest-lens seed: ADD layer 0 of podman-22196 linux\/amd64/);
    });

    test('diff --format json of two indexes: platforms removed and changed', async () => {
      const r = await cli('diff', '--format', 'json', seeds.cleanOci.index.reference, seeds.attested.index.reference);
      assert.equal(r.code, 1, r.stderr);
      const d = JSON.parse(r.stdout.toString('utf8')) as { same: boolean; changes: { kind: string; text: string }[]; diff: string };
      assert.equal(d.same, false);
      const kinds = d.changes.map((c) => c.kind);
      assert.ok(kinds.includes('entry-changed') && kinds.includes('entry-removed') && kinds.includes('entry-added'), kinds.join());
      assert.ok(d.changes.some((c) => c.kind === 'entry-removed' && c.text.includes('linux/arm64/v8')));
    });

    test('diff with a local file: the same JSON exits 0 (bytes differ: said on stderr), an edited copy exits 1', async () => {
      const m = seeds.cleanOci.amd64;
      const value = JSON.parse(Buffer.from(m.bytes).toString('utf8'));
      const same = join(dir, 'same.json');
      writeFileSync(same, JSON.stringify(value)); // compact: other bytes, same JSON
      const r = await cli('diff', same, m.byDigest);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /the same JSON, but not the same bytes/);
      value.layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${'ab'.repeat(32)}`, size: 42 });
      const edited = join(dir, 'edited.json');
      writeFileSync(edited, JSON.stringify(value, null, 2));
      const d = await cli('diff', m.byDigest, edited);
      assert.equal(d.code, 1, d.stderr);
      assert.match(d.stdout.toString('utf8'), new RegExp(`added layers\\[1\\] sha256:abababababab… 42 bytes`));
      const missing = await cli('diff', join(dir, 'nope.json'), m.byDigest);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /no such file/);
    });
  });
}
