/**
 * graph/repair.ts on documents held in memory (a fake client serving them by digest): what the
 * repair keeps (bytes outside the media types, entry order, annotations, platforms, urls,
 * subject, unknown fields), how index entries follow their new children (nested indexes too),
 * and what it refuses, naming the entry and the blob.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MT } from '../../server/src/engine/mediaTypes';
import { missingBlobs, planRepair } from '../../server/src/graph/repair';
import { RegistryError, type ImageReference, type RegistryClient } from '../../server/src/registry';
import { sha256Digest } from '../harness/blobs';

const REF: ImageReference = { registry: 'r.test', apiHost: 'r.test', repository: 'x', tag: 't' };

interface Doc { bytes: Buffer; digest: string; mediaType: string }

function doc(value: unknown, mediaType: string, indent?: number): Doc {
  const bytes = Buffer.from(JSON.stringify(value, null, indent));
  return { bytes, digest: sha256Digest(bytes), mediaType };
}

/** A client serving `docs` by digest; counts fetches; blobs listed in `blobs` exist. */
function fakeClient(docs: Doc[], blobs: string[] = []): RegistryClient & { fetches: number } {
  const byDigest = new Map(docs.map((d) => [d.digest, d]));
  const c = {
    fetches: 0,
    async getManifest(ref: ImageReference) {
      c.fetches++;
      const d = byDigest.get(ref.digest ?? '');
      if (!d) throw new RegistryError('not-found', `no ${ref.digest}`);
      return { reference: ref, url: '', bytes: d.bytes, contentType: d.mediaType, mediaType: d.mediaType, digest: d.digest, bytesDigest: d.digest, verified: 'requested-digest', warnings: [], requests: 1 };
    },
    async headBlob(_ref: ImageReference, digest: string) {
      return { exists: blobs.includes(digest), requests: 1 };
    },
  };
  return c as unknown as RegistryClient & { fetches: number };
}

const blob = (n: string): string => sha256Digest(Buffer.from(n));

function mixedChild(label: string, extra: Record<string, unknown> = {}, layerType: string = MT.dockerLayerGzip): Doc {
  return doc({
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    config: { mediaType: MT.dockerConfig, digest: blob(`${label}-config`), size: 100 },
    layers: [{ mediaType: layerType, digest: blob(`${label}-layer`), size: 200, urls: ['https://example.test/l'], annotations: { a: '1' } }],
    ...extra,
  }, MT.ociManifest);
}

describe('planRepair', () => {
  test('an OCI index over mixed children, --to oci: only media types, digests and sizes change; the rest byte for byte, in order', async () => {
    const amd = mixedChild('amd', { subject: { mediaType: MT.ociManifest, digest: blob('s'), size: 1 }, 'x-unknown': { keep: true } });
    const arm = mixedChild('arm');
    const index = doc({
      schemaVersion: 2,
      mediaType: MT.ociIndex,
      manifests: [
        { mediaType: MT.ociManifest, digest: amd.digest, size: amd.bytes.length, platform: { architecture: 'amd64', os: 'linux' }, annotations: { 'org.example': 'kept' } },
        { mediaType: MT.ociManifest, digest: arm.digest, size: arm.bytes.length, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' }, 'x-entry': 1 },
      ],
      annotations: { 'org.opencontainers.image.created': '2024-03-28T00:00:00Z' },
    }, MT.ociIndex, 3);
    const c = fakeClient([amd, arm, index]);
    const plan = await planRepair(c, REF, index, 'oci');
    assert.deepEqual(plan.refusals, []);
    assert.equal(plan.writes.length, 3);
    assert.equal(plan.writes[2], plan.root, 'the top last');
    const [newAmd, newArm] = plan.writes as [typeof plan.root, typeof plan.root];
    const expectChild = (old: Doc, n: typeof plan.root): void => {
      const want = old.bytes.toString('utf8').replace(MT.dockerConfig, MT.ociConfig).replace(MT.dockerLayerGzip, MT.ociLayerGzip);
      assert.equal(Buffer.from(n.newBytes).toString('utf8'), want);
      assert.equal(n.newDigest, sha256Digest(Buffer.from(want)));
      assert.equal(n.newMediaType, MT.ociManifest);
    };
    expectChild(amd, newAmd);
    expectChild(arm, newArm);
    assert.equal(newArm.platform, 'linux/arm64/v8');
    assert.notEqual(amd.bytes.length, arm.bytes.length, 'the sizes tell the entries apart');
    const want = index.bytes.toString('utf8')
      .replace(amd.digest, newAmd.newDigest).replace(`"size": ${amd.bytes.length},`, `"size": ${newAmd.newBytes.length},`)
      .replace(arm.digest, newArm.newDigest).replace(`"size": ${arm.bytes.length},`, `"size": ${newArm.newBytes.length},`);
    assert.notEqual(want, index.bytes.toString('utf8'));
    assert.equal(Buffer.from(plan.root.newBytes).toString('utf8'), want, 'the index: digests and sizes follow, indentation and order kept');
    const parsed = JSON.parse(Buffer.from(plan.root.newBytes).toString('utf8')) as { manifests: { size: number }[] };
    assert.deepEqual(parsed.manifests.map((m) => m.size), [newAmd.newBytes.length, newArm.newBytes.length]);
  });

  test('a nested index: the inner index is rewritten and pushed before the outer one', async () => {
    const child = mixedChild('n');
    const inner = doc({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: [{ mediaType: MT.ociManifest, digest: child.digest, size: child.bytes.length }] }, MT.ociIndex);
    const outer = doc({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: [{ mediaType: MT.ociIndex, digest: inner.digest, size: inner.bytes.length }] }, MT.ociIndex);
    const plan = await planRepair(fakeClient([child, inner, outer]), REF, outer, 'oci');
    assert.deepEqual(plan.refusals, []);
    assert.deepEqual(plan.writes.map((w) => w.oldDigest), [child.digest, inner.digest, outer.digest]);
    const outerDoc = JSON.parse(Buffer.from(plan.root.newBytes).toString('utf8')) as { manifests: { digest: string }[] };
    assert.equal(outerDoc.manifests[0]!.digest, plan.writes[1]!.newDigest);
  });

  test('--to docker: the index becomes a Docker list, children Docker manifests; nothing to do when already so', async () => {
    const child = doc({ schemaVersion: 2, mediaType: MT.ociManifest, config: { mediaType: MT.ociConfig, digest: blob('c'), size: 1 }, layers: [{ mediaType: MT.ociLayerGzip, digest: blob('l'), size: 2 }] }, MT.ociManifest);
    const list = doc({ schemaVersion: 2, mediaType: MT.dockerList, manifests: [{ mediaType: MT.ociManifest, digest: child.digest, size: child.bytes.length, platform: { architecture: 'amd64', os: 'linux' } }] }, MT.dockerList);
    const c = fakeClient([child, list], [blob('c'), blob('l')]);
    const plan = await planRepair(c, REF, list, 'docker');
    assert.deepEqual(plan.refusals, []);
    const newChild = JSON.parse(Buffer.from(plan.writes[0]!.newBytes).toString('utf8')) as { mediaType: string; config: { mediaType: string }; layers: { mediaType: string }[] };
    assert.deepEqual([newChild.mediaType, newChild.config.mediaType, newChild.layers[0]!.mediaType], [MT.dockerManifest, MT.dockerConfig, MT.dockerLayerGzip]);
    assert.equal(plan.root.newMediaType, MT.dockerList);
    assert.deepEqual(await missingBlobs(c, REF, plan), []);
    const again = await planRepair(fakeClient([{ bytes: Buffer.from(plan.writes[0]!.newBytes), digest: plan.writes[0]!.newDigest, mediaType: MT.dockerManifest }, { bytes: Buffer.from(plan.root.newBytes), digest: plan.root.newDigest, mediaType: MT.dockerList }]), REF,
      { bytes: plan.root.newBytes, digest: plan.root.newDigest, mediaType: MT.dockerList }, 'docker');
    assert.equal(again.root.changed, false);
    assert.deepEqual(again.writes, []);
  });

  test('refusals name the entry and the blob: zstd and foreign layers for Docker, an artifact config, a missing blob', async () => {
    const zstd = mixedChild('z', {}, MT.ociLayerZstd);
    const nondist = mixedChild('f', {}, MT.ociLayerNondistGzip);
    const artifact = doc({ schemaVersion: 2, mediaType: MT.ociManifest, config: { mediaType: MT.ociEmpty, digest: blob('e'), size: 2 }, layers: [] }, MT.ociManifest);
    const index = doc({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: [zstd, nondist, artifact].map((d, i) => ({ mediaType: MT.ociManifest, digest: d.digest, size: d.bytes.length, platform: { architecture: ['amd64', 'arm64', 's390x'][i], os: 'linux' } })) }, MT.ociIndex);
    const plan = await planRepair(fakeClient([zstd, nondist, artifact, index]), REF, index, 'docker');
    const lines = plan.refusals.map((r) => `${r.where} ${r.digest ?? ''}`);
    assert.ok(lines.includes(`entry 0 (linux/amd64), layer 0 ${blob('z-layer')}`), lines.join('\n'));
    assert.ok(lines.includes(`entry 1 (linux/arm64), layer 0 ${blob('f-layer')}`), lines.join('\n'));
    assert.ok(lines.includes(`entry 2 (linux/s390x), config ${blob('e')}`), lines.join('\n'));
    assert.match(plan.refusals.find((r) => r.digest === blob('z-layer'))!.reason, /zstd/);

    const ok = mixedChild('ok');
    const plan2 = await planRepair(fakeClient([ok]), REF, ok, 'oci');
    assert.deepEqual(plan2.refusals, []);
    const missing = await missingBlobs(fakeClient([ok], [blob('ok-config')]), REF, plan2);
    assert.deepEqual(missing.map((m) => m.digest), [], 'a layer with urls is fetched from them: not asked for');
    const missing2 = await missingBlobs(fakeClient([ok], []), REF, plan2);
    assert.deepEqual(missing2.map((m) => `${m.where} ${m.digest}`), [`the manifest, config ${blob('ok-config')}`]);
  });

  test('each child is fetched once, however many entries name it', async () => {
    const child = mixedChild('d');
    const entry = { mediaType: MT.ociManifest, digest: child.digest, size: child.bytes.length };
    const index = doc({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: [entry, entry, entry] }, MT.ociIndex);
    const c = fakeClient([child, index]);
    const plan = await planRepair(c, REF, index, 'oci');
    assert.equal(c.fetches, 1);
    assert.equal(plan.writes.length, 2);
  });
});
