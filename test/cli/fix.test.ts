/**
 * `fix` (issue 19) against a REAL docker-registry on 127.0.0.1, behind a counting forwarder so the
 * tests see every request the CLI sent (method and path). The real tools decide: Debian's skopeo
 * and podman (vfs storage, --tls-verify=false, a throw-away root) refuse the seed's podman#22196
 * index (an OCI index whose OCI children carry a Docker config and Docker gzip layers, real gzip
 * tar layers, diff_ids matching) with the message mixed-config-media-type quotes, and accept the
 * repaired tag for every platform.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MT } from '../../server/src/engine/mediaTypes';
import { RULES_BY_ID } from '../../server/src/engine/ruleTable';
import { sha256Digest } from '../harness/blobs';
import { assertCliBuilt, isolatedEnv, runCli, type IsolatedEnv } from '../harness/cli';
import { headerValue, httpCall } from '../harness/http';
import { realToolBinaries, skipUnlessRealTools, toolBox, type ToolBox } from '../harness/realTools';
import { startRegistry, type RunningRegistry } from '../harness/registry';
import { seedSamples, type SeededImages } from '../harness/seed';
import { skipUnlessTools } from '../harness/tools';
import { startCounter } from '../harness/counter';
import { cosignSign, cosignSignatureManifest, makeKey, pushArtifact, simpleSigningPayload } from '../supplychain/fixtures';

const skip = skipUnlessTools({ registry: true });
const skipTools = skip ?? skipUnlessRealTools();

const WRITES = new Set(['PUT', 'POST', 'PATCH', 'DELETE']);

/** A tool's command line without the throw-away storage flags, for the log. */
const short = (command: string): string => command.replace(/ --root .*? --cgroup-manager cgroupfs/, '');

describe('fix: repair an image in its registry', { skip }, () => {
  let registry: RunningRegistry;
  let seeds: SeededImages;
  let home: IsolatedEnv;
  let counter: Awaited<ReturnType<typeof startCounter>>;
  const repo = 'samples/podman-22196';

  before(async () => {
    assertCliBuilt();
    home = isolatedEnv();
    registry = await startRegistry();
    seeds = await seedSamples(registry.url);
    counter = await startCounter(registry.host);
  });
  after(async () => {
    await counter?.close();
    await registry?.stop();
    home?.cleanup();
  });

  const fix = (args: string[]) => runCli(['fix', '--no-creds', ...args], { env: home.env, timeoutMs: 30_000 });
  const tagDigest = async (repository: string, tag: string): Promise<string | undefined> => {
    const r = await httpCall(`${registry.url}/v2/${repository}/manifests/${tag}`, { method: 'HEAD', headers: { accept: [MT.ociIndex, MT.dockerList, MT.ociManifest, MT.dockerManifest].join(', ') } });
    return r.status === 200 ? headerValue(r, 'docker-content-digest') : undefined;
  };
  const putRaw = async (repository: string, ref: string, bytes: Uint8Array, mediaType: string): Promise<void> => {
    const r = await httpCall(`${registry.url}/v2/${repository}/manifests/${ref}`, { method: 'PUT', body: bytes, headers: { 'content-type': mediaType } });
    assert.equal(r.status, 201, r.body.toString());
  };

  test('--dry-run prints each manifest old -> new and a diff, and sends no write request', async () => {
    counter.seen.length = 0;
    const r = await fix(['--to', 'oci', '--dry-run', `${counter.host}/${repo}:mixed`]);
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout.toString('utf8');
    const { amd64, arm64, index } = seeds.podman22196;
    assert.match(out, new RegExp(`${amd64.digest} -> sha256:[0-9a-f]{64}  linux/amd64`));
    assert.match(out, new RegExp(`${arm64.digest} -> sha256:[0-9a-f]{64}  linux/arm64/v8`));
    assert.match(out, new RegExp(`${index.digest} -> sha256:[0-9a-f]{64}  index`));
    assert.match(out, /^-\s+"mediaType": "application\/vnd\.docker\.container\.image\.v1\+json",$/m);
    assert.match(out, /^\+\s+"mediaType": "application\/vnd\.oci\.image\.config\.v1\+json",$/m);
    assert.ok(counter.seen.length > 0, 'the CLI went through the counter');
    assert.deepEqual(counter.seen.filter((s) => WRITES.has(s.method)), [], 'no write request');
    assert.equal(await tagDigest(repo, 'mixed'), index.digest);
  });

  test('--dry-run with --tag previews that tag, and with --platform a push by digest; neither sends a write (before: "exclude each other", and "then tag :mixed" for one platform)', async () => {
    counter.seen.length = 0;
    const tagged = await fix(['--to', 'oci', '--dry-run', '--tag', 'preview-oci', `${counter.host}/${repo}:mixed`]);
    assert.equal(tagged.code, 0, tagged.stderr);
    const out = tagged.stdout.toString('utf8');
    assert.match(out, /^would push 2 manifests by digest, then tag :preview-oci \(dry run: nothing written\)$/m);
    assert.match(out, new RegExp(`^would be: ${counter.host.replace(/[.]/g, '\\.')}/${repo}:preview-oci@sha256:[0-9a-f]{64}$`, 'm'));
    const platform = await fix(['--to', 'oci', '--dry-run', '--platform', 'linux/amd64', `${counter.host}/${repo}:mixed`]);
    assert.equal(platform.code, 0, platform.stderr);
    assert.match(platform.stdout.toString('utf8'), /^would push 1 manifest by digest \(dry run: nothing written\)$/m, 'not "0 manifests by digest, then the top one by digest"');
    assert.doesNotMatch(platform.stdout.toString('utf8'), /tag :mixed/);
    assert.deepEqual(counter.seen.filter((s) => WRITES.has(s.method)), [], 'no write request');
    assert.equal(await tagDigest(repo, 'preview-oci'), undefined, 'no tag was made');
    const none = await fix(['--to', 'oci', '--dry-run', '--platform', 'linux/s390x', `${counter.host}/${repo}:mixed`]);
    assert.equal(none.code, 3, 'no such platform: the registry cannot give what was asked (exit 3, as inspect, digest and verify; was 1)');
    assert.match(none.stderr, /has no manifest for platform linux\/s390x \(it lists: linux\/amd64, linux\/arm64\/v8\)/);
    const both = await fix(['--to', 'oci', '--tag', 'x', '--in-place', `${counter.host}/${repo}:mixed`]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--tag and --in-place exclude each other/);
  });

  test('--tag: children by digest, then the top under the new tag; the original tag unchanged; no blob uploaded', async () => {
    counter.seen.length = 0;
    const r = await fix(['--to', 'oci', '--tag', 'mixed-oci', `${counter.host}/${repo}:mixed`]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.toString('utf8').trim().split('\n');
    assert.equal(lines.length, 4, lines.join('\n'));
    const m = new RegExp(`^${counter.host.replace(/\./g, '\\.')}/${repo}:mixed-oci@(sha256:[0-9a-f]{64})$`).exec(lines[3]!);
    assert.ok(m, `the last line is the new top reference: ${lines[3]}`);
    assert.equal(await tagDigest(repo, 'mixed-oci'), m[1]);
    assert.equal(await tagDigest(repo, 'mixed'), seeds.podman22196.index.digest, 'the original tag did not move');
    const writes = counter.seen.filter((s) => WRITES.has(s.method));
    assert.deepEqual(writes.map((s) => s.method), ['PUT', 'PUT', 'PUT']);
    assert.ok(writes.every((s) => s.path.startsWith(`/v2/${repo}/manifests/`)), `only manifest PUTs: ${JSON.stringify(writes)}`);
    assert.ok(writes.slice(0, 2).every((s) => /manifests\/sha256:/.test(s.path)) && writes[2]!.path.endsWith('/manifests/mixed-oci'), 'children by digest first, the tag last');
    assert.ok(!counter.seen.some((s) => s.path.includes('/blobs/uploads')), 'no blob upload or mount');
    const lint = await runCli(['inspect', '--lint', '--no-creds', `${registry.host}/${repo}:mixed-oci`], { env: home.env });
    assert.equal(lint.code, 0, `the repaired index and its children lint clean:\n${lint.stderr}`);
    // Nothing left to fix: says so, writes nothing.
    counter.seen.length = 0;
    const again = await fix(['--to', 'oci', '--tag', 'again', `${counter.host}/${repo}:mixed-oci`]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /nothing to fix/);
    assert.deepEqual(counter.seen.filter((s) => WRITES.has(s.method)), []);
  });

  test('--in-place moves the tag and says where it pointed; a tag moved meanwhile is left alone unless --force', async () => {
    const { index, amd64 } = seeds.podman22196;
    await putRaw(repo, 'inplace', index.bytes, index.mediaType);
    const r = await fix(['--to', 'oci', '--in-place', `${counter.host}/${repo}:inplace`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`moved :inplace from ${index.digest} to (sha256:[0-9a-f]{64})`));
    assert.equal(await tagDigest(repo, 'inplace'), await tagDigest(repo, 'mixed-oci'), 'the same repair as --tag, byte for byte');

    await putRaw(repo, 'raced', index.bytes, index.mediaType);
    counter.hook = async (s) => {
      // While fix pushes its first child, someone else moves the tag.
      if (s.method === 'PUT' && /manifests\/sha256:/.test(s.path)) {
        counter.hook = undefined;
        await putRaw(repo, 'raced', amd64.bytes, amd64.mediaType);
      }
    };
    try {
      const raced = await fix(['--to', 'oci', '--in-place', `${counter.host}/${repo}:raced`]);
      assert.equal(raced.code, 1, raced.stderr);
      assert.match(raced.stderr, /moved since it was read/);
      assert.match(raced.stderr, new RegExp(`it is now ${amd64.digest}`));
      assert.equal(await tagDigest(repo, 'raced'), amd64.digest, 'fix did not move the tag');
    } finally {
      counter.hook = undefined;
    }
  });

  test('a write refused halfway (403 DENIED on the tag): exit 3, says the account lacks push rights, which manifests were written by digest, and that no tag changed', async () => {
    counter.hook = async (s) => (s.method === 'PUT' && s.path.endsWith('/manifests/halfway')
      ? { status: 403, body: JSON.stringify({ errors: [{ code: 'DENIED', message: 'requested access to the resource is denied' }] }) }
      : undefined);
    try {
      const r = await fix(['--to', 'oci', '--tag', 'halfway', `${counter.host}/${repo}:mixed`]);
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /DENIED/);
      assert.match(r.stderr, /lacks push rights/);
      assert.match(r.stderr, /stopped after 2 manifests written by digest .*no tag was changed/);
      assert.equal(await tagDigest(repo, 'halfway'), undefined);
      assert.equal(await tagDigest(repo, 'mixed'), seeds.podman22196.index.digest);
      assert.equal(r.stdout.toString('utf8').trim().split('\n').length, 2, 'the two children written are listed');
    } finally {
      counter.hook = undefined;
    }
  });

  test('a zstd layer --to docker: exit 1 naming the entry and the blob, nothing written', async () => {
    const child = seeds.podman22196.amd64;
    const layer = child.layers![0]!;
    const zstdChild = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: MT.ociManifest,
      config: { mediaType: MT.ociConfig, digest: child.config!.digest, size: child.config!.size },
      layers: [{ mediaType: MT.ociLayerZstd, digest: layer.digest, size: layer.size }],
    }));
    await putRaw(repo, sha256Digest(zstdChild), zstdChild, MT.ociManifest);
    const idx = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: MT.ociIndex,
      manifests: [{ mediaType: MT.ociManifest, digest: sha256Digest(zstdChild), size: zstdChild.length, platform: { architecture: 'amd64', os: 'linux' } }],
    }));
    await putRaw(repo, 'zstd', idx, MT.ociIndex);
    counter.seen.length = 0;
    const r = await fix(['--to', 'docker', '--tag', 'zstd-docker', `${counter.host}/${repo}:zstd`]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`entry 0 \\(linux/amd64\\), layer 0 \\(blob ${layer.digest}\\).*zstd`));
    assert.match(r.stderr, /nothing was written/);
    assert.deepEqual(counter.seen.filter((s) => WRITES.has(s.method)), [], 'no write request');
    assert.equal(await tagDigest(repo, 'zstd-docker'), undefined);
  });

  test('--platform repairs that platform\'s manifest alone under the new tag; --format json gives the same as data', async () => {
    const { arm64, index } = seeds.podman22196;
    const r = await fix(['--to', 'oci', '--platform', 'linux/arm64', '--tag', 'arm64-oci', '--format', 'json', `${counter.host}/${repo}:mixed`]);
    assert.equal(r.code, 0, r.stderr);
    const data = JSON.parse(r.stdout.toString('utf8')) as { digest: string; result: string; written: { oldDigest: string; newDigest: string; platform?: string; pushedAs: string; newMediaType: string }[] };
    assert.equal(data.digest, index.digest);
    assert.equal(data.written.length, 1);
    const w = data.written[0]!;
    assert.deepEqual([w.oldDigest, w.platform, w.pushedAs, w.newMediaType], [arm64.digest, 'linux/arm64/v8', 'arm64-oci', MT.ociManifest]);
    assert.equal(data.result, `${counter.host}/${repo}:arm64-oci@${w.newDigest}`);
    assert.equal(await tagDigest(repo, 'arm64-oci'), w.newDigest);
    const inPlace = await fix(['--to', 'oci', '--platform', 'linux/arm64', '--in-place', `${counter.host}/${repo}:mixed`]);
    assert.equal(inPlace.code, 2, 'moving an index tag to one platform is refused');
    // --tag onto an existing tag that points elsewhere: refused before any write unless --force.
    counter.seen.length = 0;
    const taken = await fix(['--to', 'oci', '--tag', 'arm64-oci', `${counter.host}/${repo}:mixed`]);
    assert.equal(taken.code, 1, taken.stderr);
    assert.match(taken.stderr, /already exists/);
    assert.deepEqual(counter.seen.filter((s) => WRITES.has(s.method)), []);
    assert.equal(await tagDigest(repo, 'arm64-oci'), w.newDigest);
  });

  test('push FILE REF: the exact bytes under the tag; lint errors refused unless --force; a child or blob missing from the repository refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'manifest-lens-push-'));
    try {
      const push = (args: string[]) => runCli(['push', '--no-creds', ...args], { env: home.env, timeoutMs: 30_000 });
      const { amd64, index } = seeds.podman22196;
      const mixedChild = join(dir, 'mixed-child.json');
      writeFileSync(mixedChild, amd64.bytes);
      counter.seen.length = 0;
      const refused = await push([mixedChild, `${counter.host}/${repo}:pushed-child`]);
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(refused.stderr, /mixed-config-media-type/);
      assert.equal(counter.seen.length, 0, 'linted before any request');
      const forced = await push(['--force', mixedChild, `${counter.host}/${repo}:pushed-child`]);
      assert.equal(forced.code, 0, forced.stderr);
      assert.equal(forced.stdout.toString('utf8').trim(), `${counter.host}/${repo}:pushed-child@${amd64.digest}`);
      assert.equal(await tagDigest(repo, 'pushed-child'), amd64.digest, 'the exact bytes: the same digest');

      const idx = join(dir, 'index.json');
      writeFileSync(idx, index.bytes);
      counter.seen.length = 0;
      const elsewhere = await push([idx, `${counter.host}/samples/clean-oci:stolen`]);
      assert.equal(elsewhere.code, 1, elsewhere.stderr);
      assert.match(elsewhere.stderr, new RegExp(`entry 0 \\(manifest ${amd64.digest}\\) is not in`));
      assert.deepEqual(counter.seen.filter((s) => WRITES.has(s.method)), [], 'nothing written');
      assert.ok(!counter.seen.some((s) => s.path.includes('/blobs/uploads')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('warns that the signatures, attestations and referrers of the replaced manifest do not name the repaired digest (before: nothing said)', async () => {
    // docker-v2s2:latest signed with cosign (its sha256-<hex>.sig tag); clean-oci:amd64 has the seed's SBOM referrer.
    const v = seeds.dockerV2s2.manifest;
    const k = makeKey('p256');
    const payload = simpleSigningPayload(`${registry.host}/samples/docker-v2s2`, v.digest);
    await pushArtifact(registry.url, 'samples/docker-v2s2', `sha256-${v.digest.slice(7)}.sig`, cosignSignatureManifest([{ payload, signature: cosignSign(k.privateKey, payload) }]));
    const signed = await fix(['--to', 'oci', '--dry-run', `${counter.host}/samples/docker-v2s2:latest`]);
    assert.equal(signed.code, 0, signed.stderr);
    assert.match(signed.stderr, new RegExp(`^fix: warning: ${v.digest} has cosign signatures \\(tag :sha256-${v.digest.slice(7)}\\.sig\\); they name that digest, not the repaired sha256:[0-9a-f]{64}: sign and attest it again`, 'm'));
    const sbom = await fix(['--to', 'docker', '--dry-run', '--format', 'json', `${counter.host}/samples/clean-oci:amd64`]);
    assert.equal(sbom.code, 0, sbom.stderr);
    assert.match(sbom.stderr, new RegExp(`fix: warning: ${seeds.cleanOci.amd64.digest} has 1 referrer \\(tag :sha256-${seeds.cleanOci.amd64.digest.slice(7)}\\)`));
    assert.deepEqual((JSON.parse(sbom.stdout.toString('utf8')) as { attachedToOld?: string[] }).attachedToOld, [`1 referrer (tag :sha256-${seeds.cleanOci.amd64.digest.slice(7)})`]);
    const bare = await fix(['--to', 'oci', '--dry-run', `${counter.host}/${repo}:mixed`]);
    assert.doesNotMatch(bare.stderr, /warning/, 'nothing attached, nothing said');
  });

  test('usage: one of --tag, --in-place, --dry-run is required (exit 2, nothing sent)', async () => {
    counter.seen.length = 0;
    const r = await fix(['--to', 'oci', `${counter.host}/${repo}:mixed`]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--tag NEWTAG.*--in-place.*--dry-run/);
    assert.equal(counter.seen.length, 0);
  });

  describe('the real tools decide', { skip: skipTools }, () => {
    let box: ToolBox;
    const tls = ['--tls-verify=false'];
    before(() => {
      box = toolBox(realToolBinaries()!, registry.host);
    });
    after(() => box?.cleanup());

    /**
     * The texts mixed-config-media-type quotes (in backticks): the message is one sentence (issue 24),
     * the tools' own errors are quoted in the rule's why (the hover, docs/rules.md). inspect --lint
     * must still report the rule on the original.
     */
    const quotedTexts = async (ref: string): Promise<string[]> => {
      const lint = await runCli(['inspect', '--lint', '--format', 'json', '--no-creds', ref], { env: home.env });
      const files = (JSON.parse(lint.stdout.toString('utf8')) as { findings: { findings: { ruleId: string; message: string }[] }[] }).findings;
      const rule = files.flatMap((f) => f.findings).find((f) => f.ruleId === 'mixed-config-media-type');
      assert.ok(rule, `the original gets mixed-config-media-type: ${lint.stdout.toString('utf8').slice(0, 2000)}`);
      return [...RULES_BY_ID.get('mixed-config-media-type')!.why.matchAll(/`([^`]+)`/g)].map((x) => x[1]!);
    };

    test('skopeo inspect and podman pull refuse the original with the quoted message and accept the repaired tag, every platform', async () => {
      const original = `${registry.host}/${repo}:mixed`;
      const repaired = `${registry.host}/${repo}:mixed-oci`;
      assert.ok(await tagDigest(repo, 'mixed-oci'), 'the --tag test ran first');
      const quotes = await quotedTexts(original);
      const platforms = [[], ['--override-arch', 'arm64', '--override-variant', 'v8']];

      const before = await box.skopeo(['inspect', ...tls, `docker://${original}`], { allowFailure: true });
      assert.notEqual(before.code, 0, 'skopeo inspect refuses the original');
      const said = quotes.map((q) => q.replace(/^parsing image configuration: /, ''));
      assert.ok(said.some((q) => before.stderr.includes(q) || before.stderr.includes(q.replace(/"/g, '\\"'))), `skopeo prints one of ${JSON.stringify(said)}:\n${before.stderr}`);
      const pullBefore = await box.podman(['pull', '-q', ...tls, original], { allowFailure: true });
      assert.notEqual(pullBefore.code, 0, 'podman pull refuses the original');
      assert.ok(quotes.some((q) => pullBefore.stderr.includes(q)), `podman prints one of ${JSON.stringify(quotes)}:\n${pullBefore.stderr}`);
      process.stderr.write(`fix: before: ${short(before.command)} → exit ${before.code}: ${before.stderr.trim()}\nfix: before: ${short(pullBefore.command)} → exit ${pullBefore.code}: ${pullBefore.stderr.trim()}\n`);

      for (const p of platforms) {
        const after = await box.skopeo(['inspect', ...tls, ...p, `docker://${repaired}`], { allowFailure: true });
        assert.equal(after.code, 0, `skopeo inspect ${p.join(' ')} accepts the repaired tag:\n${after.stderr}`);
        const info = JSON.parse(after.stdout.toString('utf8')) as { Architecture: string; Layers: string[] };
        assert.equal(info.Architecture, p.length ? 'arm64' : 'amd64');
      }
      for (const platform of ['linux/amd64', 'linux/arm64/v8']) {
        const pull = await box.podman(['pull', '-q', ...tls, '--platform', platform, repaired], { allowFailure: true });
        assert.equal(pull.code, 0, `podman pull --platform ${platform} of the repaired tag:\n${pull.stderr}`);
        process.stderr.write(`fix: after: ${short(pull.command)} → exit 0: ${pull.stdout.toString('utf8').trim()}\n`);
      }
    });

    test('the reverse: a Docker manifest list over OCI children, --to docker; skopeo reads every platform of the result', async () => {
      const list = seeds.dockerListOciChildren.list;
      const r = await fix(['--to', 'docker', '--tag', 'latest-docker', `${counter.host}/samples/docker-list-oci-children:latest`]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await tagDigest('samples/docker-list-oci-children', 'latest'), list.digest);
      const repaired = `${registry.host}/samples/docker-list-oci-children:latest-docker`;
      const raw = await box.skopeo(['inspect', '--raw', ...tls, `docker://${repaired}`]);
      const doc = JSON.parse(raw.stdout.toString('utf8')) as { mediaType: string; manifests: { mediaType: string }[] };
      assert.equal(doc.mediaType, MT.dockerList);
      assert.deepEqual(doc.manifests.map((m) => m.mediaType), [MT.dockerManifest, MT.dockerManifest]);
      for (const p of [[], ['--override-arch', 'arm64', '--override-variant', 'v8']]) {
        const child = await box.skopeo(['inspect', '--raw', ...tls, ...p, `docker://${repaired}`]);
        assert.ok(child.code === 0);
        const info = await box.skopeo(['inspect', ...tls, ...p, `docker://${repaired}`], { allowFailure: true });
        assert.equal(info.code, 0, `skopeo inspect ${p.join(' ')}:\n${info.stderr}`);
      }
      const lint = await runCli(['inspect', '--lint', '--no-creds', repaired], { env: home.env });
      assert.equal(lint.code, 0, lint.stderr);
    });
  });
});
