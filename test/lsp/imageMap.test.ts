/**
 * Show Image Map's request (manifestLens/imageMap, issue 22) against a real registry on
 * 127.0.0.1: the seed's podman#22196 index as two platform cards with their layers, sizes,
 * history lines and the problems deep inspection finds; the attested index's attestation as a
 * badge on the platform it describes (never a card); the SBOM referrer on the clean amd64 image;
 * registry text carrying `<script>` kept as data, exactly as served; shared layers one colour.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ImageMapModel, MapCard, MapGroup } from '../../common/imageMap';
import { startRegistry, type RunningRegistry } from '../harness/registry';
import { HOSTILE_TEXT, seedSamples, type SeededImages } from '../harness/seed';
import { skipUnlessTools } from '../harness/tools';
import { startServer, type TestServer } from './lspClient';

const skip = skipUnlessTools({ registry: true });
let registry: RunningRegistry;
let seeds: SeededImages;
let server: TestServer;

before(async () => {
  if (skip) return;
  registry = await startRegistry();
  seeds = await seedSamples(registry.url);
  server = await startServer();
});
after(async () => {
  await server?.stop();
  await registry?.stop();
});

const map = (reference: string): Promise<ImageMapModel> => server.connection.sendRequest('manifestLens/imageMap', { reference });
const cardsOf = (g: MapGroup): MapCard[] => [...g.cards, ...g.groups.flatMap(cardsOf)];

test('the seed\'s podman#22196 index: a card per platform, its layers to scale with their history lines, the problems deep inspection finds', { skip }, async () => {
  const m = await map(seeds.podman22196.index.reference);
  assert.equal(m.digest, seeds.podman22196.index.digest);
  assert.equal(m.platformCount, 2);
  const cards = cardsOf(m.root);
  assert.deepEqual(cards.map((c) => c.platform), ['linux/amd64', 'linux/arm64/v8']);
  const amd = cards[0];
  const seeded = seeds.podman22196.amd64;
  assert.equal(amd.digest, seeded.digest);
  assert.deepEqual(amd.layers.map((l) => [l.digest, l.size, l.share]), seeded.layers!.map((l) => [l.digest, l.size, 1]));
  assert.equal(amd.totalSize, seeded.layers![0].size + seeded.config!.size);
  assert.equal(amd.layers[0].history, 'manifest-lens seed: ADD layer 0 of podman-22196 linux/amd64');
  // The Docker config under an OCI manifest: what deep inspection reports on the entry.
  assert.ok(amd.problems.count > 0 && amd.problems.messages.some((t) => t.startsWith('mixed-config-media-type')), JSON.stringify(amd.problems));
  assert.match(amd.name, /^linux\/amd64, 1 layer, \d+(\.\d)? (B|KiB), \d+ problems?$/);
  assert.match(decodeURIComponent(amd.uri ?? ''), /^oci-image:.*podman-22196@sha256:/);
  assert.match(decodeURIComponent(amd.config?.uri ?? ''), /\?blob~sha256~/);
});

test('an attestation manifest is a badge on the platform it describes, never a platform', { skip }, async () => {
  const m = await map(seeds.attested.index.reference);
  const cards = cardsOf(m.root);
  assert.deepEqual(cards.map((c) => c.platform), ['linux/amd64']);
  assert.equal(m.platformCount, 1);
  assert.deepEqual(cards[0].badges.map((b) => [b.kind, b.via, b.digest]), [['buildx-attestation-manifest', 'attestation', seeds.attested.attestation.digest]]);
  assert.deepEqual(m.root.badges, []);
});

test('a referrer (the SBOM by the fallback tag) is a badge by its kind on the image it refers to', { skip }, async () => {
  const m = await map(seeds.cleanOci.amd64Tag.reference);
  const cards = cardsOf(m.root);
  assert.equal(cards.length, 1);
  assert.equal(cards[0].platform, 'linux/amd64'); // from the config: a single image has no index entry
  assert.deepEqual(cards[0].badges.map((b) => [b.kind, b.label, b.digest]), [['sbom', 'SBOM', seeds.artifact.manifest.digest]]);
  assert.ok(cards[0].badges[0].uri, 'the badge opens the SBOM manifest');
});

test('registry text carrying <script> is kept as data, exactly as served; shared layers have one colour', { skip }, async () => {
  const m = await map(seeds.hostileText.index.reference);
  assert.deepEqual(m.root.annotations, [['org.opencontainers.image.description', HOSTILE_TEXT]]);
  const [amd, arm] = cardsOf(m.root);
  assert.deepEqual(amd.layers.map((l) => l.history), ['ADD base.tar /', 'RUN make middle', `RUN echo ${HOSTILE_TEXT}`]);
  // Shares follow the sizes; the two lower layers are the same blobs on both cards, the same colour.
  const total = amd.layers.reduce((a, l) => a + l.size, 0);
  for (const l of amd.layers) assert.ok(Math.abs(l.share - l.size / total) < 1e-9);
  assert.deepEqual(amd.layers.map((l) => l.shared), [true, true, false]);
  assert.deepEqual(amd.layers.slice(0, 2).map((l) => l.hue), arm.layers.slice(0, 2).map((l) => l.hue));
  assert.equal(amd.scale, 1);
  assert.ok(arm.scale < 1 && Math.abs(arm.scale - arm.layersSize / amd.layersSize) < 1e-9);
});

test('a signed, attested image: each badge on the node it describes, by its kind', { skip }, async () => {
  const m = await map(seeds.hostileText.index.reference);
  const [amd, arm] = cardsOf(m.root);
  assert.equal(m.platformCount, 2);
  assert.deepEqual(amd.badges.map((b) => [b.kind, b.digest]), [['buildx-attestation-manifest', seeds.hostileText.attestation.digest]]);
  assert.deepEqual(arm.badges.map((b) => [b.kind, b.artifactType, b.digest]), [['sbom', 'application/spdx+json', seeds.hostileText.sbom.digest]]);
  assert.deepEqual(m.root.badges.map((b) => [b.kind, b.digest]), [['cosign-signature', seeds.hostileText.signature.digest]]);
});

test('wrong params: InvalidParams naming the field; no reference, or a config\'s URI, is an error that says what to give', { skip }, async () => {
  const fail = (params: unknown): Promise<{ code?: number; message?: string }> =>
    server.connection.sendRequest('manifestLens/imageMap', params).then((r) => assert.fail(`answered ${JSON.stringify(r).slice(0, 200)}`), (e: { code?: number; message?: string }) => e);
  const mistyped = await fail({ reference: 5 });
  assert.equal(mistyped.code, -32602);
  assert.match(mistyped.message ?? '', /^manifestLens\/imageMap: params\.reference must be a string when given; it is a number\.$/);
  assert.equal((await fail(null)).code, -32602);
  assert.match((await fail({})).message ?? '', /needs an image reference/);
  const config = `oci-image:/${encodeURIComponent(registry.host)}/samples/podman-22196%40sha256%3A${'a'.repeat(12)}.json?blob~sha256~${'a'.repeat(64)}`;
  assert.match((await fail({ uri: config })).message ?? '', /works on a manifest or index/);
});
