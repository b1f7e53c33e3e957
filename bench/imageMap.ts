/**
 * The Image Map of a large image (issue 22, item 3): an index of 50 platforms × 60 layers (20
 * base layers shared by all, 40 of each platform's own, a config history of 80 lines of which
 * 20 are empty_layer, a referrer per platform and an attestation per platform), from the moment
 * the data is there (the graph built, configs and referrers fetched) to the map drawn:
 *  - the model built (server/src/graph/imageMap.ts: buildImageMap);
 *  - the message serialised and parsed again (what postMessage carries from the extension host
 *    to the webview; its size is reported);
 *  - the DOM drawn (client/src/webview/renderMap.ts) into a minimal recording document in Node:
 *    every createElement, attribute, style and listener call the webview makes, without a
 *    browser's layout and paint (which are not measured here; the E2E scenario (v) draws a real one).
 * Target: the sum under 1 s.
 */
import type { ImageMapModel } from '../common/imageMap';
import { renderMap, type MiniDocument, type MiniElement, type MiniEvent } from '../client/src/webview/renderMap';
import { buildImageMap } from '../server/src/graph/imageMap';
import type { GraphNode, GraphResult } from '../server/src/graph/imageGraph';
import { median } from './cli';

const hex = (n: number, salt: string): string => `sha256:${(salt + n.toString(16)).padStart(64, '0').slice(-64)}`;

/** The graph, configs and referrer manifests of `platforms` × `layers` (see the module comment). */
export function largeMapInput(platforms = 50, layers = 60): { graph: GraphResult; configs: Map<string, unknown>; referrers: Map<string, unknown> } {
  const shared = Math.floor(layers / 3);
  const configs = new Map<string, unknown>();
  const referrers = new Map<string, unknown>();
  const children: GraphNode[] = [];
  for (let p = 0; p < platforms; p++) {
    const platform = `linux/arch${p}`;
    const configDigest = hex(p, 'c0f');
    const layerNodes: GraphNode[] = Array.from({ length: layers }, (_, i) => ({
      kind: 'layer', digest: i < shared ? hex(i, 'ba5e') : hex(p * 1000 + i, 'a11'), size: 1000 + ((i * 7919 + p * 104729) % 50_000_000),
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', label: `layers[${i}]`, position: i, problems: [], children: [],
    }));
    const history = [];
    for (let i = 0; i < layers; i++) {
      if (i % 3 === 0) history.push({ created_by: `ENV STEP=${i}`, empty_layer: true });
      history.push({ created_by: `RUN /bin/sh -c build step ${i} of ${platform} && rm -rf /var/cache/apt/* # <script>x</script>` });
    }
    configs.set(configDigest, { os: 'linux', architecture: `arch${p}`, history });
    const digest = hex(p, 'f00d');
    const sig = hex(p, '5197');
    referrers.set(sig, { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', layers: [{ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', digest: hex(p, '5e'), size: 300 }] });
    const total = layerNodes.reduce((a, l) => a + (l.size ?? 0), 0) + 1500;
    children.push({
      kind: 'manifest', digest, platform, label: platform, position: 2 * p, size: 4000, mediaType: 'application/vnd.oci.image.manifest.v1+json', totalSize: total, layerCount: layers,
      problems: p % 10 === 0 ? [{ ruleId: 'mixed-config-media-type', severity: 'error', message: 'an OCI manifest with a Docker config media type' }] : [],
      children: [{ kind: 'config', digest: configDigest, size: 1500, mediaType: 'application/vnd.oci.image.config.v1+json', label: 'config', problems: [], children: [] }, ...layerNodes],
      referrers: { via: 'fallback-tag', nodes: [{ kind: 'referrer', digest: sig, label: 'signature', problems: [], children: [] }] },
    });
    children.push({ kind: 'manifest', digest: hex(p, 'a77e'), platform: 'unknown/unknown', attestationOf: digest, label: `attestation of ${platform}`, position: 2 * p + 1, problems: [], children: [] });
  }
  const root: GraphNode = { kind: 'index', digest: hex(1, 'beef'), label: 'root', mediaType: 'application/vnd.oci.image.index.v1+json', problems: [], children, totalSize: 0 };
  return { graph: { root, requests: 0, fetched: 0, nodes: 0, linted: 0, shared: new Map() }, configs, referrers };
}

/** A document that records what the drawing asks of it, as cheaply as a DOM could at best. */
class Recorded implements MiniElement {
  textContent: string | null = null;
  className = '';
  tabIndex = -1;
  title = '';
  readonly attrs: [string, string][] = [];
  readonly kids: Recorded[] = [];
  readonly on: [string, (e: MiniEvent) => void][] = [];
  readonly style = { width: '', props: [] as string[], setProperty(n: string, v: string) { this.props.push(n, v); } };
  setAttribute(n: string, v: string): void { this.attrs.push([n, v]); }
  appendChild(c: MiniElement): unknown { this.kids.push(c as Recorded); return c; }
  addEventListener(t: string, l: (e: MiniEvent) => void): void { this.on.push([t, l]); }
}
const recordingDocument: MiniDocument = { createElement: () => new Recorded() };

function count(e: Recorded): number {
  return 1 + e.kids.reduce((a, k) => a + count(k), 0);
}

export async function imageMapSection(runs = 7): Promise<{ table: string; summary: string[] }> {
  const input = largeMapInput(50, 60);
  const t = { build: [] as number[], wire: [] as number[], render: [] as number[], total: [] as number[] };
  let bytes = 0;
  let elements = 0;
  for (let r = 0; r < runs + 1; r++) {
    let s = performance.now();
    const model = buildImageMap({ reference: 'registry.example/big:latest', ...input, uriOf: (kind, d) => `oci-image:/registry.example/big%40${d}.json?${kind}` });
    const build = performance.now() - s;
    s = performance.now();
    const json = JSON.stringify({ type: 'map', map: model });
    const received = (JSON.parse(json) as { map: ImageMapModel }).map;
    const wire = performance.now() - s;
    s = performance.now();
    const root = renderMap(recordingDocument, received, () => undefined) as Recorded;
    const render = performance.now() - s;
    bytes = Buffer.byteLength(json);
    elements = count(root);
    if (r === 0) continue; // warm-up
    t.build.push(build); t.wire.push(wire); t.render.push(render); t.total.push(build + wire + render);
    await new Promise((res) => setImmediate(res));
  }
  const m = { build: median(t.build), wire: median(t.wire), render: median(t.render), total: median(t.total) };
  const table = [
    '| map | model built (ms) | message serialised + parsed (ms) | message size | DOM drawn, recording document (ms) | elements | total (ms) |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    `| index, 50 platforms × 60 layers, a signature and an attestation each | ${m.build.toFixed(1)} | ${m.wire.toFixed(1)} | ${(bytes / 1024).toFixed(0)} KiB | ${m.render.toFixed(1)} | ${elements} | ${m.total.toFixed(1)} |`,
  ].join('\n');
  return { table, summary: [`- Image Map of 50 platforms × 60 layers, from the data to the DOM drawn (Node, recording document; no browser layout): ${m.total.toFixed(0)} ms (target < 1,000 ms); the message is ${(bytes / 1024).toFixed(0)} KiB`] };
}
