/**
 * The explorer's lazy requests (server/src/lsp/explorerService.ts) against a real docker-registry
 * on 127.0.0.1, seen through a counting reverse proxy in front of it: a tag is resolved by HEAD
 * and fetched by digest, a level fetches its entries and nothing below (no referrers until they
 * are asked for), a level asked for again costs one HEAD and no GET (documents are held by
 * digest), a tag's hover is a HEAD alone, a level is cancellable, and the registry's rate-limit
 * headers reach the nodes whose requests returned them. A test here fails if the explorer went
 * back to GETting what a HEAD tells.
 */
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, test } from 'node:test';
import type { ExplorerGraph, GraphNode } from '../../common/protocol';
import { MANIFEST_ACCEPT_TYPES } from '../../server/src/engine/mediaTypes';
import { explorerLevel, explorerReferrers, explorerResolve, explorerTags, forgetExplorerDocuments } from '../../server/src/lsp/explorerService';
import { createRegistryClient, type RegistryClient } from '../../server/src/registry';
import { seedGraphTraps, type GraphTraps } from '../harness/graphSeed';
import { startRegistry, type RunningRegistry } from '../harness/registry';
import { seedSamples, type SeededImages } from '../harness/seed';
import { skipUnlessTools } from '../harness/tools';
import { startFakeRegistry } from '../registry/fakeRegistry';

const skip = skipUnlessTools({ registry: true });
const RATE_HEADERS = { 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '97;w=21600', 'docker-ratelimit-source': '203.0.113.7' };
const RATE_TEXT = '97 of 100 requests left per 6 h (counted for 203.0.113.7)';

let registry: RunningRegistry;
let seeds: SeededImages;
let traps: GraphTraps;
let proxy: Server;
let host: string;
/** `METHOD path` of every request the proxy passed on, since the last reset. */
let seen: string[] = [];
/** Rate-limit headers added to manifest answers when set. */
let rateHeaders: Record<string, string> | undefined;
/** Holds manifest GETs by digest for this long (cancellation). */
let delayDigestGets = 0;
let client: RegistryClient;

before(async () => {
  if (skip) return;
  registry = await startRegistry();
  seeds = await seedSamples(registry.url);
  traps = await seedGraphTraps(registry.url, seeds);
  proxy = createServer((req, res) => {
    const path = req.url ?? '/';
    seen.push(`${req.method} ${path}`);
    const forward = (): void => {
      const up = httpRequest(`${registry.url}${path}`, { method: req.method, headers: { ...req.headers, host: registry.host }, agent: false }, (upRes) => {
        const extra = rateHeaders && /\/manifests\//.test(path) ? rateHeaders : {};
        res.writeHead(upRes.statusCode ?? 502, { ...upRes.headers, ...extra });
        upRes.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    };
    if (delayDigestGets && req.method === 'GET' && /\/manifests\/sha256:/.test(path)) setTimeout(forward, delayDigestGets);
    else forward();
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  host = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
after(async () => {
  await client?.close();
  proxy?.closeAllConnections();
  await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
  await registry?.stop();
});
beforeEach(() => {
  if (skip) return;
  forgetExplorerDocuments();
  seen = [];
  rateHeaders = undefined;
  delayDigestGets = 0;
  client = createRegistryClient({ accept: MANIFEST_ACCEPT_TYPES, timeoutMs: 10_000 });
});

const signal = (): AbortSignal => new AbortController().signal;
const manifestGets = (): string[] => seen.filter((l) => l.startsWith('GET ') && l.includes('/manifests/'));

test('a tag level: HEAD for the digest, the index and its entries by digest, nothing below them', { skip }, async () => {
  const repo = 'samples/clean-oci';
  const g: ExplorerGraph = await explorerLevel(client, { registry: host, repository: repo, ref: 'latest' }, signal());
  assert.equal(seen[0], `HEAD /v2/${repo}/manifests/latest`, seen.join('\n'));
  assert.deepEqual(seen.filter((l) => l.endsWith('/manifests/latest')), [`HEAD /v2/${repo}/manifests/latest`], 'the tag itself is never GET');
  assert.ok(manifestGets().includes(`GET /v2/${repo}/manifests/${seeds.cleanOci.index.digest}`), seen.join('\n'));
  assert.equal(g.digest, seeds.cleanOci.index.digest);
  const amd = g.root.children.find((c) => c.digest === seeds.cleanOci.amd64.digest)!;
  assert.ok(amd, 'the amd64 entry');
  assert.ok(amd.children.some((c) => c.kind === 'config') && amd.children.some((c) => c.kind === 'layer'), 'the entry was checked: its config and layers are known');
  assert.equal(amd.unexpanded, undefined);
  assert.equal(amd.referrers, undefined);
  assert.ok(!seen.some((l) => l.includes('/referrers/') || l.includes('/manifests/sha256-')), `referrers wait until asked for:\n${seen.join('\n')}`);

  // Expanded again (a refresh): the tag's digest by HEAD, everything else held by digest.
  seen = [];
  const again = await explorerLevel(client, { registry: host, repository: repo, ref: 'latest' }, signal());
  assert.deepEqual(seen, [`HEAD /v2/${repo}/manifests/latest`], 'one HEAD, no GET');
  assert.deepEqual(again.root.children.map((c) => c.digest), g.root.children.map((c) => c.digest));
});

test('a tag\'s hover and Copy Digest: HEAD alone', { skip }, async () => {
  const r = await explorerResolve(client, { reference: `${host}/samples/clean-oci:latest` }, signal());
  assert.equal(r.digest, seeds.cleanOci.index.digest);
  assert.equal(r.mediaType, 'application/vnd.oci.image.index.v1+json');
  assert.equal(r.size, seeds.cleanOci.index.size);
  assert.deepEqual(seen, ['HEAD /v2/samples/clean-oci/manifests/latest']);
});

test('referrers when their group is expanded (the fallback tag here), each fetched when expanded itself', { skip }, async () => {
  const repo = 'samples/clean-oci';
  const r = await explorerReferrers(client, { registry: host, repository: repo, digest: seeds.cleanOci.amd64.digest }, signal());
  assert.equal(r.via, 'fallback-tag');
  assert.deepEqual(r.nodes.map((n) => n.digest), [seeds.artifact.manifest.digest]);
  assert.equal(r.nodes[0]!.unexpanded, true);
  assert.ok(r.nodes[0]!.uri, 'it opens');
  assert.ok(!manifestGets().some((l) => l.endsWith(seeds.artifact.manifest.digest)), 'listing the referrers does not fetch them');
  const level = await explorerLevel(client, { registry: host, repository: repo, ref: seeds.artifact.manifest.digest }, signal());
  assert.equal(level.root.kind, 'manifest');
  assert.ok(manifestGets().includes(`GET /v2/${repo}/manifests/${seeds.artifact.manifest.digest}`));
  assert.ok(!seen.includes(`HEAD /v2/${repo}/manifests/${seeds.artifact.manifest.digest}`), 'a digest needs no HEAD');
});

test('the seed\'s trap one level down: every platform of podman-22196:mixed carries its problem', { skip }, async () => {
  const g = await explorerLevel(client, { registry: host, repository: 'samples/podman-22196', ref: 'mixed' }, signal());
  assert.ok(g.root.children.length >= 2);
  assert.ok(g.root.children.every((c: GraphNode) => c.problems.some((p) => p.ruleId === 'mixed-config-media-type')), JSON.stringify(g.root.children.map((c) => c.problems)));
});

test('a nested index waits until it is expanded, without a depth-limit problem; expanded, its entries are checked', { skip }, async () => {
  const repo = 'samples/podman-22196';
  const g = await explorerLevel(client, { registry: host, repository: repo, ref: 'nested' }, signal());
  assert.equal(g.digest, traps.nested.digest);
  const inner = g.root.children[0]!;
  assert.equal(inner.kind, 'index');
  assert.equal(inner.digest, seeds.podman22196.index.digest);
  assert.equal(inner.unexpanded, true);
  assert.deepEqual(inner.children, []);
  assert.ok(!inner.problems.some((p) => p.ruleId === 'graph-depth-limit'), JSON.stringify(inner.problems));
  assert.ok(!manifestGets().some((l) => l.endsWith(seeds.podman22196.amd64.digest)), 'the grandchildren are not fetched');
  const below = await explorerLevel(client, { registry: host, repository: repo, ref: inner.digest }, signal());
  assert.ok(below.root.children.every((c) => c.problems.some((p) => p.ruleId === 'mixed-config-media-type')));
  assert.equal(seen.filter((l) => l === `GET /v2/${repo}/manifests/${inner.digest}`).length, 1, 'the inner index was held from the first level');
});

test('rate-limit headers reach the nodes, the hover and the listings whose requests returned them', { skip }, async () => {
  rateHeaders = RATE_HEADERS;
  const g = await explorerLevel(client, { registry: host, repository: 'samples/clean-oci', ref: 'latest' }, signal());
  assert.equal(g.root.rateLimit, RATE_TEXT);
  assert.ok(g.root.children.length > 0 && g.root.children.every((c) => c.rateLimit === RATE_TEXT), JSON.stringify(g.root.children.map((c) => c.rateLimit)));
  const r = await explorerResolve(client, { reference: `${host}/samples/clean-oci:latest` }, signal());
  assert.equal(r.rateLimit, RATE_TEXT);
  rateHeaders = undefined;
  forgetExplorerDocuments();
  const quiet = await explorerLevel(client, { registry: host, repository: 'samples/clean-oci', ref: 'latest' }, signal());
  assert.equal(quiet.root.rateLimit, undefined, 'none when the registry sends none');
  const tags = await explorerTags(client, { registry: host, repository: 'samples/clean-oci' }, signal());
  assert.equal(tags.rateLimit, undefined);
});

test('a level is cancellable: an abort while the entries are fetched ends it at once', { skip }, async () => {
  delayDigestGets = 3000;
  const controller = new AbortController();
  const started = Date.now();
  setTimeout(() => controller.abort(), 200);
  await assert.rejects(explorerLevel(client, { registry: host, repository: 'samples/clean-oci', ref: 'latest' }, controller.signal), (e: { code: number; data?: { kind: string } }) => e.code === -32050 && e.data?.kind === 'cancelled');
  assert.ok(Date.now() - started < 2500, `ended after ${Date.now() - started} ms`);
});

test('a registry that refuses HEAD (405) or sends no digest on it: the tag is fetched by GET instead', async () => {
  forgetExplorerDocuments();
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'a'.repeat(64)}`, size: 2 }, layers: [] });
  for (const mode of ['405', 'no-digest'] as const) {
    const fake = await startFakeRegistry({
      intercept: (req, res) => {
        if (req.method !== 'HEAD') return false;
        if (mode === '405') res.writeHead(405, { 'content-type': 'application/json' });
        else res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': String(manifest.length) });
        res.end();
        return true;
      },
    });
    const c = createRegistryClient({ accept: MANIFEST_ACCEPT_TYPES, timeoutMs: 5000 });
    try {
      fake.putManifest('app', 'v1', manifest, 'application/vnd.oci.image.manifest.v1+json');
      const g = await explorerLevel(c, { registry: fake.hostPort, repository: 'app', ref: 'v1' }, signal());
      assert.equal(g.root.kind, 'manifest', mode);
      assert.deepEqual(fake.requests.filter((r) => r.path.includes('/manifests/')).map((r) => `${r.method} ${r.path}`), ['HEAD /v2/app/manifests/v1', 'GET /v2/app/manifests/v1'], mode);
    } finally {
      await c.close();
      await fake.close();
    }
  }
});
