/**
 * The image graph walker against the in-process fake registry: bounded concurrency, one fetch
 * per digest, the Referrers API, cancellation, and children the registry will not serve as
 * told.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MANIFEST_ACCEPT_TYPES, MT } from '../../server/src/engine/mediaTypes';
import { inspectGraph, problemsBelow } from '../../server/src/graph/imageGraph';
import { createRegistryClient, isRegistryError, parseReference } from '../../server/src/registry';
import { startFakeRegistry, type FakeRegistry, type FakeRegistryOptions } from '../registry/fakeRegistry';

const REPO = 'graph/app';

async function withRegistry<T>(options: FakeRegistryOptions, body: (reg: FakeRegistry) => Promise<T>): Promise<T> {
  const reg = await startFakeRegistry(options);
  try {
    return await body(reg);
  } finally {
    await reg.close();
  }
}

/** Pushes `n` single-layer linux/amd64 images sharing one config, and an index of them. */
function pushIndex(reg: FakeRegistry, n: number, extraEntries: object[] = []): { index: string; children: string[]; config: string } {
  const configBody = JSON.stringify({ os: 'linux', architecture: 'amd64', rootfs: { type: 'layers', diff_ids: [] } });
  const config = reg.putBlob(REPO, configBody);
  const children: string[] = [];
  const entries: object[] = [];
  for (let i = 0; i < n; i++) {
    const layer = reg.putBlob(REPO, `layer ${i}`);
    const body = JSON.stringify({
      schemaVersion: 2, mediaType: MT.ociManifest,
      config: { mediaType: MT.ociConfig, digest: config, size: configBody.length },
      layers: [{ mediaType: MT.ociLayerGzip, digest: layer, size: `layer ${i}`.length }],
    });
    const digest = reg.putManifest(REPO, undefined, body, MT.ociManifest);
    children.push(digest);
    entries.push({ mediaType: MT.ociManifest, digest, size: Buffer.byteLength(body), platform: { os: 'linux', architecture: 'amd64' } });
  }
  const index = JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: [...entries, ...extraEntries] });
  reg.putManifest(REPO, 'latest', index, MT.ociIndex);
  return { index, children, config };
}

function client() {
  return createRegistryClient({ accept: MANIFEST_ACCEPT_TYPES, timeoutMs: 10_000 });
}

async function root(reg: FakeRegistry) {
  const c = client();
  const ref = parseReference(`${reg.hostPort}/${REPO}:latest`);
  const m = await c.getManifest(ref);
  return { c, ref, m };
}

describe('inspectGraph', () => {
  test('at most `concurrency` requests at once, and each digest fetched once', async () => {
    let inFlight = 0;
    let most = 0;
    await withRegistry({
      intercept: async (_req, res, rec) => {
        if (!/\/(manifests|blobs)\/sha256:/.test(rec.path)) return false;
        inFlight++;
        most = Math.max(most, inFlight);
        res.once('close', () => inFlight--);
        await new Promise((r) => setTimeout(r, 25));
        return false;
      },
    }, async (reg) => {
      const first = pushIndex(reg, 12);
      const { children, config } = first;
      // The first child listed a second time: fetched once, shown twice.
      const manifests = JSON.parse(first.index).manifests;
      reg.putManifest(REPO, 'latest', JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: [...manifests, manifests[0]] }), MT.ociIndex);
      const { c, m } = await root(reg);
      const before = reg.requests.length;
      const g = await inspectGraph(c, m.reference, m, { concurrency: 3 });
      assert.equal(g.root.children.length, 13);
      assert.ok(most <= 3, `at most 3 at once, saw ${most}`);
      assert.ok(most >= 2, `in parallel, saw ${most}`);
      const fetched = reg.requests.slice(before).map((r) => r.path);
      for (const d of children) assert.equal(fetched.filter((p) => p.endsWith(`/manifests/${d}`)).length, 1, `${d} once`);
      assert.equal(fetched.filter((p) => p.endsWith(`/blobs/${config}`)).length, 1, 'the shared config once');
      assert.deepEqual(g.root.children.flatMap((n) => problemsBelow(n)), [], 'clean children');
      assert.equal(g.root.children[12].digest, g.root.children[0].digest);
      await c.close();
    });
  });

  test('referrers through the Referrers API, grouped by artifactType', async () => {
    await withRegistry({}, async (reg) => {
      const { children } = pushIndex(reg, 1);
      reg.addReferrer(REPO, children[0], { mediaType: MT.ociManifest, digest: `sha256:${'1'.repeat(64)}`, size: 10, artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json' });
      reg.addReferrer(REPO, children[0], { mediaType: MT.ociManifest, digest: `sha256:${'2'.repeat(64)}`, size: 11, artifactType: 'application/spdx+json' });
      reg.addReferrer(REPO, children[0], { mediaType: MT.ociManifest, digest: `sha256:${'3'.repeat(64)}`, size: 12, artifactType: 'application/spdx+json' });
      const { c, m } = await root(reg);
      const g = await inspectGraph(c, m.reference, m, { referrers: true });
      const r = g.root.children[0].referrers!;
      assert.equal(r.via, 'referrers-api');
      assert.deepEqual(r.nodes.map((n) => [n.artifactType, n.digest.slice(7, 8)]), [
        ['application/spdx+json', '2'], ['application/spdx+json', '3'], ['application/vnd.dev.sigstore.bundle.v0.3+json', '1'],
      ]);
      await c.close();
    });
  });

  test('a child the registry does not have, and one whose bytes do not match its digest, are problems of their entries', async () => {
    const missing = `sha256:${'e'.repeat(64)}`;
    let swap = '';
    await withRegistry({
      intercept: (_req, res, rec) => {
        if (!swap || !rec.path.endsWith(`/manifests/${swap}`)) return false;
        res.writeHead(200, { 'content-type': MT.ociManifest });
        res.end('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[]}');
        return true;
      },
    }, async (reg) => {
      const { children } = pushIndex(reg, 2, [{ mediaType: MT.ociManifest, digest: missing, size: 10, platform: { os: 'linux', architecture: 'arm64' } }]);
      swap = children[1];
      const { c, m } = await root(reg);
      const g = await inspectGraph(c, m.reference, m);
      assert.deepEqual(g.root.children.map((n) => n.problems.map((p) => p.ruleId)), [[], ['child-digest-mismatch'], ['child-unavailable']]);
      assert.match(g.root.children[2].problems[0].message, /not found|404|unknown/i);
      await c.close();
    });
  });

  test('aborting stops the walk at once, with a cancelled error', async () => {
    await withRegistry({
      intercept: (_req, _res, rec) => rec.path.includes('/manifests/sha256:'), // children never answer
    }, async (reg) => {
      pushIndex(reg, 3);
      const { c, m } = await root(reg);
      const ac = new AbortController();
      const started = Date.now();
      setTimeout(() => ac.abort(), 100);
      await assert.rejects(inspectGraph(c, m.reference, m, { signal: ac.signal }), (e: unknown) => isRegistryError(e) && e.kind === 'cancelled');
      assert.ok(Date.now() - started < 5000, 'long before any timeout');
      await c.close();
    });
  });
});
