/**
 * skopeo as the peer: for every seeded reference, `skopeo inspect --raw` and
 * `node dist/cli.js inspect` must print the same bytes, whose sha256 is the digest. Also times
 * both side by side (median of 5) and prints one table line for the lead; times are not asserted.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { sha256Digest } from '../harness/blobs';
import { median, runCli, runProgram, type IsolatedEnv } from '../harness/cli';
import type { RunningRegistry } from '../harness/registry';
import { useSeededRegistry, type SeededImages, type SeededManifest } from '../harness/seed';
import { skipUnlessTools, skopeoBinary } from '../harness/tools';

const skip = skipUnlessTools({ registry: true, skopeo: true });

if (skip) {
  test('skopeo peer: byte-identical raw manifests', { skip }, () => {});
} else {
  describe('skopeo inspect --raw vs manifest-lens inspect', () => {
    const ctx = useSeededRegistry({ cli: true });
    const skopeo = skopeoBinary()!;
    let seeds: SeededImages;
    let home: IsolatedEnv;
    let registry: RunningRegistry;
    before(() => { ({ seeds, home, registry } = ctx); });

    const skopeoRaw = (ref: string) =>
      runProgram(skopeo, ['inspect', '--raw', '--tls-verify=false', '--no-creds', '--retry-times', '0', `docker://${ref}`], { env: home.env });
    const ours = (ref: string) => runCli(['inspect', '--no-creds', ref], { env: home.env });

    const everyReference = (): SeededManifest[] => [
      ...seeds.tagged,
      ...[...seeds.manifests.values()].filter((m) => !m.tag),
    ];

    test('same bytes for every seeded reference (tags and digests), and sha256 = digest', async () => {
      const refs = everyReference();
      assert.ok(refs.length >= 14, `references: ${refs.length}`);
      for (const m of refs) {
        const [s, o] = await Promise.all([skopeoRaw(m.reference), ours(m.reference)]);
        assert.equal(s.code, 0, `skopeo ${m.reference}: ${s.stderr}`);
        assert.equal(o.code, 0, `manifest-lens ${m.reference}: ${o.stderr}`);
        assert.ok(o.stdout.equals(s.stdout), `${m.reference}: stdout differs from skopeo's`);
        assert.ok(o.stdout.equals(Buffer.from(m.bytes)), `${m.reference}: stdout differs from the pushed bytes`);
        assert.equal(sha256Digest(s.stdout), m.digest, `${m.reference}: sha256 of skopeo's stdout`);
        assert.equal(sha256Digest(o.stdout), m.digest, `${m.reference}: sha256 of our stdout`);
        assert.ok(o.stderr.includes(m.digest), `${m.reference}: stderr names the digest`);
      }
    });

    test('wall time, median of 5 (reported, not asserted)', async () => {
      const cases = [seeds.cleanOci.index, seeds.podman22196.amd64, seeds.dockerV2s2.manifest];
      const rows: string[] = [];
      const baseline: number[] = [];
      for (let i = 0; i < 5; i++) baseline.push((await runProgram(process.execPath, ['-e', '0'], { env: home.env })).ms);
      for (const m of cases) {
        const sk: number[] = [];
        const us: number[] = [];
        for (let i = 0; i < 5; i++) {
          // Alternate who goes first so neither always gets a warm registry cache.
          let s, o;
          if (i % 2 === 0) {
            s = await skopeoRaw(m.reference);
            o = await ours(m.reference);
          } else {
            o = await ours(m.reference);
            s = await skopeoRaw(m.reference);
          }
          assert.equal(s.code, 0, s.stderr);
          assert.equal(o.code, 0, o.stderr);
          sk.push(s.ms);
          us.push(o.ms);
        }
        rows.push(`${m.reference.slice(registry.host.length + 1)}: skopeo ${median(sk).toFixed(0)} ms, manifest-lens ${median(us).toFixed(0)} ms`);
      }
      console.log(`inspect wall time (median of 5, one process per run; bare \`node -e 0\` ${median(baseline).toFixed(0)} ms): ${rows.join(' | ')}`);
    });
  });
}
