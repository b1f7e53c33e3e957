/**
 * The explorer (server/src/lsp/explorerService.ts) on a fan-out by repeated digests (issue 23,
 * item 1), against a hostile registry on 127.0.0.1: an index of 1,024 entries all naming one
 * index of 1,024 entries all naming one manifest. `explorer/level` answers each level with each
 * document fetched and linted once (the repeats unexpanded `sameAs` nodes), and `explorer/graph`
 * answers the whole graph with one node per entry, not per path. Bounded by counts: requests
 * and the nodes in the answer.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import type { GraphNode } from '../../common/protocol';
import { MANIFEST_ACCEPT_TYPES } from '../../server/src/engine/mediaTypes';
import { explorerGraph, explorerLevel, forgetExplorerDocuments } from '../../server/src/lsp/explorerService';
import { createRegistryClient, type RegistryClient } from '../../server/src/registry';
import { startFakeRegistry, type FakeRegistry } from '../registry/fakeRegistry';

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

let reg: FakeRegistry;
let client: RegistryClient;
let inner: string;
let manifest: string;

before(async () => {
  reg = await startFakeRegistry();
  const body = JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'c'.repeat(64)}`, size: 10 }, layers: [] });
  manifest = reg.putManifest('fan/app', undefined, body, OCI_MANIFEST);
  const innerBody = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: Array.from({ length: 1024 }, () => ({ mediaType: OCI_MANIFEST, digest: manifest, size: Buffer.byteLength(body) })) });
  inner = reg.putManifest('fan/app', undefined, innerBody, OCI_INDEX);
  reg.putManifest('fan/app', 'fan', JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: Array.from({ length: 1024 }, () => ({ mediaType: OCI_INDEX, digest: inner, size: Buffer.byteLength(innerBody) })) }), OCI_INDEX);
  client = createRegistryClient({ accept: MANIFEST_ACCEPT_TYPES, timeoutMs: 10_000 });
});
beforeEach(() => forgetExplorerDocuments());
after(async () => {
  await client?.close();
  await reg?.close();
});

const count = (n: GraphNode): number => 1 + n.children.reduce((t, c) => t + count(c), 0);
const manifestGets = (): number => reg.requests.filter((r) => r.method === 'GET' && /\/manifests\/sha256:/.test(r.path)).length;

test('explorer/level of the fan-out: the inner index fetched once; the repeats are unexpanded sameAs nodes', async () => {
  const before = manifestGets();
  const g = await explorerLevel(client, { registry: reg.hostPort, repository: 'fan/app', ref: 'fan' }, new AbortController().signal);
  assert.equal(g.root.children.length, 1024);
  assert.equal(manifestGets() - before, 2, 'the tag\'s document by digest, and the inner index once');
  assert.equal(count(g.root), 1 + 1024);
  assert.ok(g.root.children.every((c) => c.unexpanded === true && c.digest === inner));
  assert.ok(g.root.children.slice(1).every((c) => c.sameAs === inner));

  // Expanding the inner index: the manifest once, shown in full once.
  const level = await explorerLevel(client, { registry: reg.hostPort, repository: 'fan/app', ref: inner }, new AbortController().signal);
  assert.equal(level.root.children.length, 1024);
  assert.equal(level.root.children[0].children.length, 1, 'the config, under the first entry');
  assert.ok(level.root.children.slice(1).every((c) => c.sameAs === manifest && c.unexpanded === true && c.children.length === 0));
  assert.equal(count(level.root), 1 + 1024 + 1);
});

test('explorer/graph of the fan-out: one node per entry, not per path', async () => {
  const g = await explorerGraph(client, { reference: `${reg.hostPort}/fan/app:fan` }, new AbortController().signal);
  assert.equal(count(g.root), 1 + 1024 + 1024 + 1);
  assert.ok(JSON.stringify(g).length < 3_000_000);
  assert.match(g.leftOut ?? '', /problems not kept/, 'the repeated entries\' findings past 200 per document');
});
