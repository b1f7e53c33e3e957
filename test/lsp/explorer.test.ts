/**
 * The registry explorer's requests, as the VS Code tree view sends them, against a real registry
 * on 127.0.0.1: registries from the auth files plus added ones, repositories from the catalog,
 * tags, and a tag's graph down to config, layers and referrers, with a URI on what can be opened.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startRegistry, type RunningRegistry } from '../harness/registry';
import { seedSamples, type SeededImages } from '../harness/seed';
import { skipUnlessTools } from '../harness/tools';
import { errorBody, startFakeRegistry } from '../registry/fakeRegistry';
import { startServer, type TestServer } from './lspClient';

interface Node { kind: string; digest: string; label: string; uri?: string; problems: { ruleId: string }[]; children: Node[]; referrers?: { via: string; nodes: Node[] }; totalSize?: number; layerCount?: number }

const skip = skipUnlessTools({ registry: true });
let registry: RunningRegistry;
let seeds: SeededImages;
let server: TestServer;
let dockerDir: string;
const saved = process.env.DOCKER_CONFIG;

before(async () => {
  if (skip) return;
  registry = await startRegistry();
  seeds = await seedSamples(registry.url);
  dockerDir = mkdtempSync(join(tmpdir(), 'manifest-lens-explorer-'));
  mkdirSync(dockerDir, { recursive: true });
  writeFileSync(join(dockerDir, 'config.json'), JSON.stringify({ auths: { [registry.host]: {} } }));
  process.env.DOCKER_CONFIG = dockerDir; // the server inherits it
  server = await startServer();
});
after(async () => {
  if (saved === undefined) delete process.env.DOCKER_CONFIG;
  else process.env.DOCKER_CONFIG = saved;
  await server?.stop();
  await registry?.stop();
  if (dockerDir) rmSync(dockerDir, { recursive: true, force: true });
});

test('registry → repositories → tags → the tag\'s graph, lazily, with URIs and problems', { skip }, async () => {
  const registries: { registry: string; source: string }[] = await server.connection.sendRequest('manifestLens/explorer/registries', { added: ['127.0.0.1:1', registry.host] });
  assert.deepEqual(registries.map((r) => r.registry), [registry.host, '127.0.0.1:1']);
  assert.match(registries[0].source, /config\.json$/);
  assert.equal(registries[1].source, 'added');

  const repos: { names: string[]; unavailable?: string } = await server.connection.sendRequest('manifestLens/explorer/repositories', { registry: registry.host });
  assert.ok(repos.names.includes('samples/podman-22196') && repos.names.includes('samples/clean-oci'), repos.names.join());

  const tags: { names: string[] } = await server.connection.sendRequest('manifestLens/explorer/tags', { registry: registry.host, repository: 'samples/clean-oci' });
  assert.ok(tags.names.includes('latest') && tags.names.includes('amd64'), tags.names.join());

  const g: { digest: string; uri: string; root: Node } = await server.connection.sendRequest('manifestLens/explorer/graph', { reference: `${registry.host}/samples/clean-oci:latest` });
  assert.equal(g.digest, seeds.cleanOci.index.digest);
  assert.match(decodeURIComponent(g.uri), /^oci-image:.*\/samples\/clean-oci:latest\.json$/);
  const amd = g.root.children[0];
  assert.equal(amd.digest, seeds.cleanOci.amd64.digest);
  assert.ok((amd.uri ?? '').endsWith(`.json?manifest~${seeds.cleanOci.amd64.digest.replace(':', '~')}`), amd.uri);
  const [config, layer] = amd.children;
  assert.match(config.uri ?? '', /\?blob~sha256~[0-9a-f]{64}$/, 'a config opens as a blob');
  assert.equal(layer.kind, 'layer');
  assert.equal(layer.uri, undefined, 'a layer is never fetched');
  assert.equal(amd.referrers?.via, 'fallback-tag');
  assert.equal(amd.referrers?.nodes[0].digest, seeds.artifact.manifest.digest);
  assert.ok(amd.referrers?.nodes[0].uri);

  // The seed's trap, one level down in the explorer.
  const mixed: { root: Node } = await server.connection.sendRequest('manifestLens/explorer/graph', { reference: `${registry.host}/samples/podman-22196:mixed` });
  assert.ok(mixed.root.children.every((c) => c.problems.some((p) => p.ruleId === 'mixed-config-media-type')));
});

test('a registry that refuses the catalog is a note, not an error; an unreachable one is an error', { skip }, async () => {
  const refusing = await startFakeRegistry({
    intercept: (_req, res, rec) => {
      if (rec.path !== '/v2/_catalog') return false;
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(errorBody('UNSUPPORTED', 'The operation is unsupported.'));
      return true;
    },
  });
  try {
    const r: { names: string[]; unavailable?: string } = await server.connection.sendRequest('manifestLens/explorer/repositories', { registry: refusing.hostPort });
    assert.deepEqual(r.names, []);
    assert.match(r.unavailable ?? '', /does not list its repositories.*Add Repository/);
  } finally {
    await refusing.close();
  }
  await assert.rejects(server.connection.sendRequest('manifestLens/explorer/repositories', { registry: '127.0.0.1:1' }), (e: { code: number; data?: { kind: string } }) => e.code === -32050 && e.data?.kind === 'connection-refused');
});

test('the lazy requests over the wire: resolve (HEAD), level, referrers', { skip }, async () => {
  const head: { digest?: string; mediaType?: string } = await server.connection.sendRequest('manifestLens/explorer/resolve', { reference: `${registry.host}/samples/clean-oci:latest` });
  assert.equal(head.digest, seeds.cleanOci.index.digest);
  assert.equal(head.mediaType, 'application/vnd.oci.image.index.v1+json');
  const level: { digest: string; root: Node & { unexpanded?: boolean } } = await server.connection.sendRequest('manifestLens/explorer/level', { registry: registry.host, repository: 'samples/clean-oci', ref: 'latest' });
  assert.equal(level.digest, seeds.cleanOci.index.digest);
  const amd = level.root.children.find((c) => c.digest === seeds.cleanOci.amd64.digest)!;
  assert.ok(amd.uri && amd.children.some((c) => c.kind === 'config'));
  assert.equal(amd.referrers, undefined, 'referrers are asked for apart');
  const refs: { via: string; nodes: (Node & { unexpanded?: boolean })[] } = await server.connection.sendRequest('manifestLens/explorer/referrers', { registry: registry.host, repository: 'samples/clean-oci', digest: amd.digest });
  assert.equal(refs.via, 'fallback-tag');
  assert.equal(refs.nodes[0]?.digest, seeds.artifact.manifest.digest);
  assert.equal(refs.nodes[0]?.unexpanded, true);
  await assert.rejects(server.connection.sendRequest('manifestLens/explorer/level', { registry: registry.host, repository: 'samples/clean-oci', ref: 'no-such-tag' }), (e: { code: number; data?: { kind: string } }) => e.code === -32050 && e.data?.kind === 'not-found');
});
