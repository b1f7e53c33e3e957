/**
 * Show Image Map (issue 22): the graph below a reference or a fetched document (children,
 * configs and layers, referrers; documents held by digest are not fetched again), each platform's
 * image config for the history lines that made its layers, each referrer manifest to classify
 * it, then the model (graph/imageMap.ts) with the `oci-image:` URIs that open each node
 * read-only, as Inspect opens them. The client draws it in a webview.
 */
import type { ImageMapModel, ImageMapParams } from '../../../common/imageMap';
import { buildImageMap, layerHistory } from '../graph/imageMap';
import { DEFAULT_CONCURRENCY, inspectGraph, limiter, type GraphNode } from '../graph/imageGraph';
import { formatReference, parseReference, referenceWithDigest, RegistryError, type ImageReference, type RegistryClient } from '../registry';
import { holdingClient } from './heldDocuments';
import { toResponseError } from './remote';
import { parseRemoteUri, remoteUri } from './remoteUri';

/** Image configs and referrer manifests fetched for one map at most (each is one request). */
export const MAP_MAX_EXTRA_FETCHES = 256;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** The model of the map for `p.reference` or `p.uri`; registry failures are ResponseErrors the client shows. */
export async function imageMap(client: RegistryClient, p: ImageMapParams, signal: AbortSignal): Promise<ImageMapModel> {
  try {
    return await build(client, p, signal);
  } catch (e) {
    throw toResponseError(e);
  }
}

function referenceOf(p: ImageMapParams): ImageReference {
  if (p.uri) {
    const t = parseRemoteUri(p.uri);
    if (!t || t.kind !== 'manifest') throw new RegistryError('invalid-reference', 'Show Image Map works on a manifest or index opened with Inspect Remote Image.');
    return parseReference(`${t.registry}/${t.repository}${DIGEST.test(t.ref) ? '@' : ':'}${t.ref}`);
  }
  if (!p.reference) throw new RegistryError('invalid-reference', 'Show Image Map needs an image reference.');
  return parseReference(p.reference);
}

async function build(client: RegistryClient, p: ImageMapParams, signal: AbortSignal): Promise<ImageMapModel> {
  const ref = referenceOf(p);
  const holding = holdingClient(client);
  const root = await holding.getManifest(ref, { signal });
  const graph = await inspectGraph(holding, root.reference, root, { signal, referrers: true });

  // What the model needs besides the graph: each platform's config, each referrer manifest.
  /** Each config's layers (the most of any manifest naming it): the history lines kept of it. */
  const configDigests = new Map<string, number>();
  const referrerDigests = new Set<string>();
  const walk = (n: GraphNode, depth: number): void => {
    if (depth > 16) return;
    const body = n.sameAs !== undefined ? graph.shared.get(n.sameAs) ?? n : n;
    const layers = body.children.filter((c) => c.kind === 'layer').length;
    for (const c of body.children) {
      if (c.kind === 'config' && DIGEST.test(c.digest)) configDigests.set(c.digest, Math.max(layers, configDigests.get(c.digest) ?? 0));
      else if (c.attestationOf !== undefined && DIGEST.test(c.digest)) referrerDigests.add(c.digest);
      else walk(c, depth + 1);
    }
    for (const r of (body.referrers ?? n.referrers)?.nodes ?? []) if (DIGEST.test(r.digest)) referrerDigests.add(r.digest);
  };
  walk(graph.root, 0);
  const run = limiter(DEFAULT_CONCURRENCY);
  const configs = new Map<string, unknown>();
  const referrers = new Map<string, unknown>();
  const budget = { left: MAP_MAX_EXTRA_FETCHES };
  const take = (): boolean => budget.left-- > 0;
  await Promise.all([
    ...[...configDigests].filter(take).map(([d, layers]) => run(async () => {
      try {
        const b = await holding.getBlob(referenceWithDigest(root.reference, d), d, { signal, maxBytes: 4 * 1024 * 1024 });
        // Only what the map shows is kept (a config may hold millions of history entries): the platform, a line per layer.
        configs.set(d, compactConfig(JSON.parse(new TextDecoder().decode(b.bytes)), layers));
      } catch (e) {
        if (signal.aborted) throw e; // otherwise: the layers go without history lines
      }
    })),
    ...[...referrerDigests].filter(take).map((d) => run(async () => {
      try {
        const m = await holding.getManifest(referenceWithDigest(root.reference, d), { signal });
        referrers.set(d, m.bytes);
      } catch (e) {
        if (signal.aborted) throw e; // otherwise: classified by its artifactType
      }
    })),
  ]);
  const { registry, repository } = root.reference;
  const skipped = configDigests.size + referrerDigests.size - MAP_MAX_EXTRA_FETCHES;
  const model = buildImageMap({
    reference: p.uri ? formatReference(ref) : p.reference ?? formatReference(ref),
    graph,
    rootBytes: root.bytes,
    configs,
    referrers,
    uriOf: (kind, digest, label) => (DIGEST.test(digest) ? remoteUri({ registry, repository, raw: false, ref: digest, kind, ...(label ? { label } : {}) }) : undefined),
  });
  if (skipped <= 0) return model;
  // The cap is said, not left to be guessed from layers without history lines.
  const note = `${skipped} image config${skipped === 1 ? '' : 's'} and referrer manifests not fetched (at most ${MAP_MAX_EXTRA_FETCHES} per map): their layers show no history line, their badges are classified by artifactType`;
  return { ...model, leftOut: model.leftOut ? `${model.leftOut}; ${note}` : note };
}

/** What the map uses of a config: its platform fields, and the history lines of its first `layers` layers (graph/imageMap.ts layerHistory). */
function compactConfig(config: unknown, layers: number): unknown {
  if (!config || typeof config !== 'object' || Array.isArray(config)) return undefined;
  const c = config as Record<string, unknown>;
  const pick = (k: string): Record<string, string> => (typeof c[k] === 'string' ? { [k]: c[k] as string } : {});
  const history = layerHistory(c).slice(0, layers).map((line) => (line === undefined ? {} : { created_by: line }));
  return { ...pick('os'), ...pick('architecture'), ...pick('variant'), history };
}
