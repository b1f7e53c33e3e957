/**
 * What the registry explorer (client/src/explorer.ts) asks for: registries (auth files plus the
 * ones the user added), a registry's repositories (`_catalog` where allowed), a repository's
 * tags a page at a time, and below a tag one level at a time, with the URI that opens each node
 * read-only:
 * - a tag's digest by HEAD alone (hover, Copy Digest): Docker Hub does not count HEADs against
 *   its pull limit;
 * - a level (the tag expanded): HEAD for the digest, then the document by digest unless it is
 *   held already (by digest, so it never goes stale), its entries fetched and cross-checked
 *   (index) or its config and layers (manifest); nested indexes wait until they are expanded;
 * - referrers, when their group is expanded.
 * Every request is cancellable (the client cancels on refresh), and a node carries the
 * registry's rate-limit headers when its request returned them. A document named by many
 * entries is fetched and built once (the graph's `sameAs` nodes: in a level they are
 * unexpanded, so expanding one asks for its level, which the held document answers), and the
 * graph's node and problem budgets bound an answer; `leftOut` says what they left out.
 * `explorerGraph` still answers the whole graph at once, for other LSP clients.
 */
import type {
  ExplorerGraph,
  ExplorerGraphParams,
  ExplorerLevelParams,
  ExplorerListing,
  ExplorerReferrers,
  ExplorerReferrersParams,
  ExplorerResolved,
  ExplorerResolveParams,
  ExplorerRegistriesParams,
  ExplorerRegistry,
  ExplorerRepositoriesParams,
  ExplorerTagsParams,
  GraphNode,
} from '../../../common/protocol';
import { inspectGraph, leftOutText, referrerNodes } from '../graph/imageGraph';
import {
  configuredRegistries,
  formatReference,
  listRepositories,
  listTags,
  parseReference,
  referenceWithDigest,
  RegistryError,
  type ImageReference,
  type RegistryClient,
} from '../registry';
import { forgetHeldDocuments, holdingClient } from './heldDocuments';
import { toResponseError } from './remote';
import { remoteUri } from './remoteUri';

/** Registries from the auth files, then the added ones; each once. */
export async function explorerRegistries(p: ExplorerRegistriesParams): Promise<ExplorerRegistry[]> {
  const out = await configuredRegistries();
  const seen = new Set(out.map((r) => r.registry));
  for (const r of p.added ?? []) {
    if (typeof r === 'string' && r && !seen.has(r)) {
      seen.add(r);
      out.push({ registry: r, source: 'added' });
    }
  }
  return out;
}

function registryRef(registry: string, repository = 'catalog'): ImageReference {
  try {
    return parseReference(`${registry}/${repository}`);
  } catch (e) {
    throw toResponseError(e);
  }
}

/** A page of repositories; a registry that refuses the catalog is `unavailable`, not an error. */
export async function explorerRepositories(client: RegistryClient, p: ExplorerRepositoriesParams, signal: AbortSignal): Promise<ExplorerListing> {
  const ref = registryRef(p.registry);
  try {
    const page = await listRepositories(client, ref, { signal, page: p.page });
    return { names: page.names, next: page.next, rateLimit: page.rateLimit };
  } catch (e) {
    if (e instanceof RegistryError && ['unauthorized', 'forbidden', 'not-found', 'protocol'].includes(e.kind)) {
      return { names: [], unavailable: `${p.registry} does not list its repositories (${e.message.split('. ')[0]}). Add the repositories you want with "Add Repository…".` };
    }
    throw toResponseError(e);
  }
}

export async function explorerTags(client: RegistryClient, p: ExplorerTagsParams, signal: AbortSignal): Promise<ExplorerListing> {
  const ref = registryRef(p.registry, p.repository);
  try {
    const page = await listTags(client, ref, { signal, page: p.page });
    return { names: page.names, next: page.next, rateLimit: page.rateLimit };
  } catch (e) {
    throw toResponseError(e);
  }
}

/** The URIs that open each node (manifests, indexes and referrers as manifests, configs as blobs), all the way down. */
function withUris(n: GraphNode, registry: string, repository: string): GraphNode {
  const opens = n.kind === 'index' || n.kind === 'manifest' || n.kind === 'referrer' ? 'manifest' : n.kind === 'config' ? 'blob' : undefined;
  const ok = /^sha256:[0-9a-f]{64}$/.test(n.digest);
  const below = (c: GraphNode): GraphNode => withUris(c, registry, repository);
  return {
    ...n,
    ...(opens && ok ? { uri: remoteUri({ registry, repository, raw: false, ref: n.digest, kind: opens }) } : {}),
    children: n.children.map(below),
    ...(n.referrers ? { referrers: { via: n.referrers.via, nodes: n.referrers.nodes.map(below) } } : {}),
  };
}

/** The graph below a tag or digest, with the URI that opens each node. */
export async function explorerGraph(client: RegistryClient, p: ExplorerGraphParams, signal: AbortSignal): Promise<ExplorerGraph> {
  try {
    const ref = parseReference(p.reference);
    const root = await client.getManifest(ref, { signal });
    const g = await inspectGraph(client, root.reference, root, { signal, referrers: true });
    const leftOut = leftOutText(g.leftOut);
    return {
      reference: formatReference(root.reference),
      digest: root.digest,
      uri: remoteUri({ registry: ref.registry, repository: ref.repository, raw: false, ref: ref.digest ?? ref.tag ?? 'latest', kind: 'manifest' }),
      root: withUris(g.root, ref.registry, ref.repository),
      ...(leftOut ? { leftOut } : {}),
    };
  } catch (e) {
    throw toResponseError(e);
  }
}

/** A tag's digest, media type and size by HEAD alone (the explorer's hover and Copy Digest). */
export async function explorerResolve(client: RegistryClient, p: ExplorerResolveParams, signal: AbortSignal): Promise<ExplorerResolved> {
  try {
    const h = await client.headManifest(parseReference(p.reference), { signal });
    return { digest: h.digest, mediaType: h.mediaType, size: h.size, rateLimit: h.rateLimit };
  } catch (e) {
    throw toResponseError(e);
  }
}

/** Forgets the documents held by digest (tests; a refresh keeps them: digests do not change). */
export const forgetExplorerDocuments = forgetHeldDocuments;

function withRateLimits(n: GraphNode, rateLimits: ReadonlyMap<string, string>): GraphNode {
  const r = rateLimits.get(n.digest);
  return { ...n, ...(r ? { rateLimit: r } : {}), children: n.children.map((c) => withRateLimits(c, rateLimits)) };
}

/**
 * Indexes below the level were not followed: they are fetched when expanded. A repeated entry
 * (`sameAs`) is shown in full once; the others load their level when expanded.
 */
function markUnexpanded(n: GraphNode, depth: number): GraphNode {
  const children = n.children.map((c) => markUnexpanded(c, depth + 1));
  const open = depth > 0 && (n.sameAs !== undefined || (n.kind === 'index' ? children.length === 0 : n.kind === 'referrer'));
  return { ...n, children, ...(open ? { unexpanded: true } : {}) };
}

/**
 * One level below a tag or digest (see the module comment): for a tag, HEAD gives the digest and
 * the document comes by digest (held ones cost nothing); a registry that sends no digest on HEAD
 * gets a GET of the tag, as does one that refuses HEAD (405, 501).
 */
export async function explorerLevel(client: RegistryClient, p: ExplorerLevelParams, signal: AbortSignal): Promise<ExplorerGraph> {
  try {
    const ref = parseReference(`${p.registry}/${p.repository}${/^[a-z0-9]+:[0-9a-f]+$/i.test(p.ref) ? '@' : ':'}${p.ref}`);
    const rateLimits = new Map<string, string>();
    const holding = holdingClient(client, { rateLimits });
    let rootLimit: string | undefined;
    let target = ref;
    if (!ref.digest) {
      try {
        const head = await client.headManifest(ref, { signal });
        rootLimit = head.rateLimit;
        if (head.digest) target = referenceWithDigest(ref, head.digest);
      } catch (e) {
        // A registry (or proxy) that does not do HEAD: the GET of the tag answers instead.
        if (!(e instanceof RegistryError && (e.status === 405 || e.status === 501))) throw e;
      }
    }
    const root = await holding.getManifest(target, { signal });
    rootLimit = rateLimits.get(root.digest) ?? rootLimit;
    const g = await inspectGraph(holding, root.reference, root, { signal, referrers: false, maxDepth: 0, depthLimitProblem: false });
    const node = markUnexpanded(withRateLimits(withUris(g.root, ref.registry, ref.repository), rateLimits), 0);
    const leftOut = leftOutText(g.leftOut);
    return {
      reference: formatReference(ref),
      digest: root.digest,
      uri: remoteUri({ registry: ref.registry, repository: ref.repository, raw: false, ref: ref.digest ?? ref.tag ?? 'latest', kind: 'manifest' }),
      root: rootLimit ? { ...node, rateLimit: rootLimit } : node,
      ...(leftOut ? { leftOut } : {}),
    };
  } catch (e) {
    throw toResponseError(e);
  }
}

/** A manifest's referrers (the Referrers API, else the `sha256-…` tag), each fetched when expanded. */
export async function explorerReferrers(client: RegistryClient, p: ExplorerReferrersParams, signal: AbortSignal): Promise<ExplorerReferrers> {
  try {
    const ref = parseReference(`${p.registry}/${p.repository}@${p.digest}`);
    const r = await client.getReferrers(ref, p.digest, { signal });
    const { via, nodes } = referrerNodes(r);
    return { via, nodes: nodes.map((n) => ({ ...withUris(n, p.registry, p.repository), unexpanded: true })), ...(r.rateLimit ? { rateLimit: r.rateLimit } : {}) };
  } catch (e) {
    throw toResponseError(e);
  }
}
