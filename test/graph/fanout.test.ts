/**
 * Fan-out by repeated digests (issue 23, item 1): an index whose 1,024 entries all name one
 * inner index whose 1,024 entries all name one manifest is three small documents, but a walk
 * that builds a node per entry does 1024² (and up to 1024⁴ at the default depth) of work. The
 * graph builds each digest once and bounds nodes and problems; these tests count what it built
 * (nodes, documents linted, requests, JSON size), never time, against a hostile registry on
 * 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { MANIFEST_ACCEPT_TYPES, MT } from '../../server/src/engine/mediaTypes';
import { DEFAULT_MAX_NODES, inspectGraph, leftOutText, problemSummaries } from '../../server/src/graph/imageGraph';
import { createRegistryClient, parseReference } from '../../server/src/registry';
import { startFakeRegistry, type FakeRegistry } from '../registry/fakeRegistry';

const REPO = 'hostile/fanout';
const fakes: FakeRegistry[] = [];
after(async () => {
  await Promise.all(fakes.map((f) => f.close()));
});

/** A manifest with `layers` layers (a Docker config in an OCI manifest: one lint error per document). */
function manifestBody(reg: FakeRegistry, layers = 1): { body: string; config: string } {
  const configBody = JSON.stringify({ os: 'linux', architecture: 'amd64', rootfs: { type: 'layers', diff_ids: [] } });
  const config = reg.putBlob(REPO, configBody);
  const layerList = Array.from({ length: layers }, (_, i) => ({ mediaType: MT.ociLayerGzip, digest: `sha256:${i.toString(16).padStart(64, '0')}`, size: 1000 + i }));
  const body = JSON.stringify({ schemaVersion: 2, mediaType: MT.ociManifest, config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: config, size: configBody.length }, layers: layerList });
  return { body, config };
}

/** `levels` nested indexes of `width` entries, every entry of each naming the one below; the bottom names one manifest. */
async function fanOut(width: number, levels: number, layers = 1): Promise<{ reg: FakeRegistry; manifest: string; manifestBytes: number }> {
  const reg = await startFakeRegistry();
  fakes.push(reg);
  const { body } = manifestBody(reg, layers);
  let digest = reg.putManifest(REPO, undefined, body, MT.ociManifest);
  const manifest = digest;
  let size = Buffer.byteLength(body);
  let mediaType: string = MT.ociManifest;
  for (let level = 0; level < levels; level++) {
    const entry = { mediaType, digest, size, platform: { os: 'linux', architecture: 'amd64' } };
    const index = JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: Array.from({ length: width }, () => entry) });
    digest = reg.putManifest(REPO, level === levels - 1 ? 'latest' : undefined, index, MT.ociIndex);
    size = Buffer.byteLength(index);
    mediaType = MT.ociIndex;
  }
  return { reg, manifest, manifestBytes: Buffer.byteLength(body) };
}

async function rootOf(reg: FakeRegistry) {
  const client = createRegistryClient({ accept: MANIFEST_ACCEPT_TYPES, timeoutMs: 10_000 });
  const m = await client.getManifest(parseReference(`${reg.hostPort}/${REPO}:latest`));
  return { client, m };
}

const gets = (reg: FakeRegistry, what: 'manifests' | 'blobs') => reg.requests.filter((r) => r.method === 'GET' && r.path.includes(`/${what}/sha256:`)).length;

/** Every node of a graph as JSON would hold it (what `tree --format json` prints). */
function countNodes(n: { children: unknown[] }): number {
  return 1 + (n.children as { children: unknown[] }[]).reduce((t, c) => t + countNodes(c), 0);
}

describe('fan-out by repeated digests', () => {
  test('1,024 entries × 1,024 entries naming one manifest: each document fetched, linted and built once', async () => {
    const { reg, manifest } = await fanOut(1024, 2);
    const { client, m } = await rootOf(reg);
    const before = gets(reg, 'manifests');
    const g = await inspectGraph(client, m.reference, m);
    await client.close();
    assert.equal(gets(reg, 'manifests') - before, 2, 'the inner index and the manifest, once each');
    assert.equal(gets(reg, 'blobs'), 1, 'the config once, for 1,024 platform cross-checks');
    assert.equal(g.linted, 3, 'the root, the inner index and the manifest: linted once each');
    // 1,024 root entries + 1,024 inner entries + the manifest's config and layer.
    assert.equal(g.nodes, 1024 + 1024 + 2);
    assert.equal(countNodes(g.root), 1 + g.nodes, 'what is output is what was built');
    assert.equal(g.leftOut?.nodes, 0, 'no node left out');
    // The root and the inner index each have over a thousand findings on their repeated entries: 200 of each kept.
    assert.ok((g.leftOut?.problems ?? 0) > 2 * (1023 - 200), `${g.leftOut?.problems}`);
    // The first entry carries the subtree; the other 1,023 say "same as" it.
    const [first, ...rest] = g.root.children;
    assert.equal(first.sameAs, undefined);
    assert.equal(first.kind, 'index');
    assert.equal(first.children.length, 1024);
    assert.equal(first.children[0].digest, manifest);
    assert.equal(first.children[0].children.length, 2, 'config and layer, under the first occurrence only');
    assert.ok(first.children.slice(1).every((c) => c.sameAs === manifest && c.children.length === 0));
    assert.ok(rest.every((c) => c.sameAs === first.digest && c.children.length === 0 && c.kind === 'index'));
    assert.ok(JSON.stringify(g.root).length < 2_000_000, 'the JSON is linear in the documents, not their product');
    // Problems: the manifest's mixed-config-media-type error, once in the graph; every entry's summary reaches it.
    const summary = problemSummaries(g.shared);
    const sums = g.root.children.map(summary);
    assert.ok(sums.every((s) => s.bySeverity.error === 1024 && s.total === sums[0].total), `${sums[0].total} ${JSON.stringify(sums[0].bySeverity)}`);
    assert.ok(sums.every((s) => s.list.length === 20), 'listed up to the limit');
    assert.equal(sums[5].list[0].ruleId, 'mixed-config-media-type', 'the most severe first');
    assert.equal(sums[5].list[0].path, 'linux/amd64 › linux/amd64');
  });

  test('four levels of 1,024 (1024⁴ paths): bounded by the documents, not the paths', async () => {
    const { reg } = await fanOut(1024, 4);
    const { client, m } = await rootOf(reg);
    const g = await inspectGraph(client, m.reference, m);
    await client.close();
    assert.equal(g.linted, 5);
    assert.equal(g.nodes, 4 * 1024 + 2);
    assert.equal(countNodes(g.root), 1 + g.nodes);
    const s = problemSummaries(g.shared)(g.root);
    assert.equal(s.bySeverity.error, 1024 ** 4, `counted as the paths lead to it, without walking them: ${JSON.stringify(s.bySeverity)} ${JSON.stringify(g.leftOut)}`);
  });

  test('an index of 1,024 entries naming one large manifest: linted once; its layers past the node budget are counted, not built', async () => {
    const { reg, manifestBytes } = await fanOut(1024, 1, 12_000);
    assert.ok(manifestBytes > 1_000_000, `${manifestBytes}`);
    const { client, m } = await rootOf(reg);
    const g = await inspectGraph(client, m.reference, m);
    await client.close();
    assert.equal(g.linted, 2);
    assert.equal(g.nodes, DEFAULT_MAX_NODES);
    assert.equal(g.leftOut?.nodes, 1024 + 1 + 12_000 - DEFAULT_MAX_NODES);
    assert.equal(g.root.children[0].layerCount, 12_000, 'the totals still count every layer');
    assert.match(leftOutText(g.leftOut) ?? '', /^the graph is incomplete: 3025 nodes not built \(at most 10000 per graph\); 823 problems not kept/);
  });

  test('the node and problem budgets: what does not fit is counted in leftOut', async () => {
    const { reg } = await fanOut(300, 2);
    const { client, m } = await rootOf(reg);
    const g = await inspectGraph(client, m.reference, m, { maxNodes: 100, maxProblems: 3 });
    await client.close();
    assert.equal(g.nodes, 100);
    assert.equal(countNodes(g.root), 101);
    // 200 root entries and the inner index's 300 (the manifest below was never reached).
    assert.equal(g.leftOut?.nodes, 300 - 100 + 300);
    // The root and the inner index have hundreds of duplicate-entry findings: 3 kept.
    const kept = (n: typeof g.root): number => n.problems.length + n.children.reduce((t, c) => t + kept(c), 0);
    assert.equal(kept(g.root), 3);
    assert.ok((g.leftOut?.problems ?? 0) > 500, `${g.leftOut?.problems}`);
    assert.match(leftOutText(g.leftOut) ?? '', /^the graph is incomplete: 500 nodes not built \(at most 100 per graph\); \d+ problems not kept \(at most 3 per graph, 200 per document\)$/);
  });

  test('stop (a deadline): requests in flight are aborted and the graph so far is returned, saying so', async () => {
    const stop = new AbortController();
    const reg = await startFakeRegistry({
      intercept: (_req, res, rec) => {
        if (!/\/manifests\/sha256:/.test(rec.path)) return false;
        stop.abort(); // the first child asked for: the deadline passes while it is held
        res.once('close', () => undefined);
        return true; // never answered
      },
    });
    fakes.push(reg);
    const entries = Array.from({ length: 40 }, (_, i) => ({ mediaType: MT.ociManifest, digest: `sha256:${(i + 1).toString(16).padStart(64, '0')}`, size: 10 }));
    reg.putManifest(REPO, 'latest', JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: entries }), MT.ociIndex);
    const { client, m } = await rootOf(reg);
    const g = await inspectGraph(client, m.reference, m, { stop: stop.signal, stopReason: () => 'the deadline of 1 s passed' });
    await client.close();
    assert.ok(gets(reg, 'manifests') <= 4, `nothing more asked once stopped than was in flight (4 at a time): ${gets(reg, 'manifests')}`);
    assert.equal(g.root.children.length, 0);
    assert.equal(g.leftOut?.nodes, 40);
    assert.equal(g.leftOut?.stopped, 'the deadline of 1 s passed');
    assert.match(leftOutText(g.leftOut) ?? '', /stopped early \(the deadline of 1 s passed\); 40 nodes not built/);
  });
});
