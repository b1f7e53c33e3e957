/**
 * The Image Map's model (server/src/graph/imageMap.ts, issue 22) from a graph built here: layer
 * sizes and their shares of the bar, one scale for all cards, a colour per digest that is the
 * same on every card, history lines matched to layers with empty_layer entries skipped, an
 * attestation manifest as a badge under the platform it describes (never a card), referrers as
 * badges by classify's kind, nested indexes as groups, problems counted per card, and registry
 * text (`<script>` in an annotation) kept as data.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hueOf, sharesOf } from '../../common/imageMap';
import { buildImageMap, layerHistory } from '../../server/src/graph/imageMap';
import type { GraphNode, GraphResult } from '../../server/src/graph/imageGraph';

const d = (c: string): string => `sha256:${c.repeat(64).slice(0, 64)}`;
const HOSTILE = '<script>alert(1)</script>';

function layer(digest: string, size: number, position: number): GraphNode {
  return { kind: 'layer', digest, size, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', label: `layers[${position}]`, position, problems: [], children: [] };
}
function manifest(digest: string, platform: string, position: number, config: string, layers: [string, number][], extra: Partial<GraphNode> = {}): GraphNode {
  const children = [
    { kind: 'config', digest: config, size: 50, mediaType: 'application/vnd.oci.image.config.v1+json', label: 'config', problems: [], children: [] } as GraphNode,
    ...layers.map(([ld, s], i) => layer(ld, s, i)),
  ];
  return { kind: 'manifest', digest, platform, label: platform, position, size: 400, mediaType: 'application/vnd.oci.image.manifest.v1+json', totalSize: 50 + layers.reduce((a, [, s]) => a + s, 0), layerCount: layers.length, problems: [], children, ...extra };
}

function graph(): GraphResult {
  const amd = manifest(d('a'), 'linux/amd64', 0, d('c'), [[d('1'), 100], [d('2'), 300], [d('3'), 600]], {
    problems: [{ ruleId: 'mixed-config-media-type', severity: 'error', message: 'an OCI manifest with a Docker config' }, { ruleId: 'x-hint', severity: 'hint', message: 'a hint' }],
    referrers: { via: 'fallback-tag', nodes: [
      { kind: 'referrer', digest: d('5'), label: 'sbom', artifactType: 'application/spdx+json', problems: [], children: [] },
      { kind: 'referrer', digest: d('6'), label: 'sig', artifactType: 'application/vnd.example', problems: [], children: [] },
    ] },
  });
  const arm = manifest(d('b'), 'linux/arm64/v8', 1, d('d'), [[d('1'), 100], [d('2'), 300], [d('4'), 100]]);
  const att: GraphNode = { kind: 'manifest', digest: d('e'), platform: 'unknown/unknown', attestationOf: d('a'), label: 'attestation of linux/amd64', position: 2, problems: [], children: [] };
  const nestedChild = manifest(d('f'), 'windows/amd64', 0, d('9'), [[d('7'), 10]]);
  const nested: GraphNode = { kind: 'index', digest: d('8'), label: 'manifests[3]', position: 3, problems: [], children: [nestedChild], totalSize: 60 };
  const root: GraphNode = { kind: 'index', digest: d('0'), label: 'root', mediaType: 'application/vnd.oci.image.index.v1+json', problems: [], children: [amd, arm, att, nested], totalSize: 1234 };
  return { root, requests: 0, fetched: 0, nodes: 0, linted: 0, shared: new Map() };
}

const rootBytes = new TextEncoder().encode(JSON.stringify({
  schemaVersion: 2,
  manifests: [{ digest: d('a'), annotations: { 'org.example.note': HOSTILE } }],
  annotations: { 'org.opencontainers.image.description': HOSTILE },
}));
const configs = new Map<string, unknown>([[d('c'), { history: [
  { created_by: 'ADD rootfs.tar /' },
  { created_by: 'ENV A=1', empty_layer: true },
  { created_by: 'RUN make' },
  { comment: 'buildkit.dockerfile.v0', created_by: `RUN echo ${HOSTILE}` },
] }]]);
// The cosign signature, fetched: classified by its layers, whatever its artifactType says.
const referrers = new Map<string, unknown>([[d('6'), new TextEncoder().encode(JSON.stringify({
  schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'application/vnd.example',
  layers: [{ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', digest: d('7'), size: 10 }],
}))]]);
const uriOf = (kind: string, digest: string): string => `oci-image:/r/x@${digest}.json?${kind}`;

test('layer sizes, their shares of the bar, one scale for all cards; shared layers one colour', () => {
  const m = buildImageMap({ reference: 'r/x:1', graph: graph(), rootBytes, configs, referrers, uriOf });
  const [amd, arm] = m.root.cards;
  assert.deepEqual(amd.layers.map((l) => [l.size, l.share]), [[100, 0.1], [300, 0.3], [600, 0.6]]);
  assert.equal(amd.layersSize, 1000);
  assert.equal(amd.totalSize, 1050);
  assert.equal(amd.scale, 1);
  assert.equal(arm.scale, 0.5);
  // The same digest, the same hue, on every card; a layer in two platforms is marked shared.
  assert.deepEqual(amd.layers.slice(0, 2).map((l) => l.hue), arm.layers.slice(0, 2).map((l) => l.hue));
  assert.deepEqual(amd.layers.map((l) => l.shared), [true, true, false]);
  assert.equal(hueOf(d('1')), hueOf(d('1')));
  assert.equal(amd.layers[0].hue, parseInt('11111111', 16) % 360);
  assert.deepEqual(sharesOf([0, -5, Number.NaN]), [0, 0, 0]);
  assert.equal(m.totalSize, 1234);
});

test('history lines match the layers in order, empty_layer entries skipped', () => {
  assert.deepEqual(layerHistory(configs.get(d('c'))), ['ADD rootfs.tar /', 'RUN make', `RUN echo ${HOSTILE}`]);
  const m = buildImageMap({ reference: 'r/x:1', graph: graph(), configs, uriOf });
  assert.deepEqual(m.root.cards[0].layers.map((l) => l.history), ['ADD rootfs.tar /', 'RUN make', `RUN echo ${HOSTILE}`]);
  assert.deepEqual(m.root.cards[1].layers.map((l) => l.history), [undefined, undefined, undefined]); // no config fetched
});

test('an attestation is a badge under the platform it describes, never a platform; nested indexes are groups', () => {
  const m = buildImageMap({ reference: 'r/x:1', graph: graph(), rootBytes, configs, referrers, uriOf });
  assert.deepEqual(m.root.cards.map((c) => c.platform), ['linux/amd64', 'linux/arm64/v8']);
  assert.equal(m.platformCount, 3); // amd64, arm64 and the nested index's windows/amd64
  assert.deepEqual(m.root.groups.map((g) => [g.digest, g.cards.map((c) => c.platform)]), [[d('8'), ['windows/amd64']]]);
  const amd = m.root.cards[0];
  assert.deepEqual(amd.badges.map((b) => [b.kind, b.via, b.digest]), [
    ['sbom', 'referrer', d('5')],
    ['cosign-signature', 'referrer', d('6')],
    ['buildx-attestation-manifest', 'attestation', d('e')],
  ]);
  assert.equal(amd.badges[0].uri, uriOf('manifest', d('5')));
  assert.deepEqual(m.root.badges, []);
  assert.deepEqual(m.root.cards[1].badges, []);
});

test('problems per card, the most severe first, in the accessible name; registry text kept as data', () => {
  const m = buildImageMap({ reference: 'r/x:1', graph: graph(), rootBytes, configs, referrers, uriOf });
  const amd = m.root.cards[0];
  assert.equal(amd.problems.count, 2);
  assert.equal(amd.problems.severity, 'error');
  assert.deepEqual(amd.problems.messages, ['mixed-config-media-type: an OCI manifest with a Docker config', 'x-hint: a hint']);
  assert.equal(amd.name, 'linux/amd64, 3 layers, 1.0 KiB, 2 problems');
  assert.equal(m.root.cards[1].name, 'linux/arm64/v8, 3 layers, 550 B');
  assert.deepEqual(m.root.annotations, [['org.opencontainers.image.description', HOSTILE]]);
  assert.deepEqual(amd.annotations, [['org.example.note', HOSTILE]]);
  assert.equal(amd.uri, uriOf('manifest', d('a')));
  assert.equal(amd.config?.uri, uriOf('blob', d('c')));
});

test('a single image: one card, its platform from its config', () => {
  const g = graph();
  const amd = g.root.children[0];
  const single: GraphResult = { ...g, root: { ...amd, platform: undefined, label: 'root', position: undefined } };
  const m = buildImageMap({ reference: 'r/x:amd64', graph: single, configs: new Map([[d('c'), { os: 'linux', architecture: 'arm64', variant: 'v8' }]]), uriOf });
  assert.deepEqual(m.root.cards.map((c) => [c.platform, c.layers.length, c.scale]), [['linux/arm64/v8', 3, 1]]);
  assert.equal(m.platformCount, 1);
});
