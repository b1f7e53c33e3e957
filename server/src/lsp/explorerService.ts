/**
 * What the registry explorer (client/src/explorer.ts) asks for: registries (auth files plus the
 * ones the user added), a registry's repositories (`_catalog` where allowed), a repository's
 * tags a page at a time, and a tag's graph (index → platforms → config and layers, each
 * manifest's referrers, every child linted and cross-checked), with the URI that opens each node
 * read-only. Everything lazy: a level is asked for when the user expands it.
 */
import type {
  ExplorerGraph,
  ExplorerGraphParams,
  ExplorerListing,
  ExplorerRegistriesParams,
  ExplorerRegistry,
  ExplorerRepositoriesParams,
  ExplorerTagsParams,
  GraphNode,
} from '../../../common/protocol';
import { inspectGraph } from '../graph/imageGraph';
import { configuredRegistries, formatReference, listRepositories, listTags, parseReference, RegistryError, type ImageReference, type RegistryClient } from '../registry';
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

/** The graph below a tag or digest, with the URI that opens each node. */
export async function explorerGraph(client: RegistryClient, p: ExplorerGraphParams, signal: AbortSignal): Promise<ExplorerGraph> {
  try {
    const ref = parseReference(p.reference);
    const root = await client.getManifest(ref, { signal });
    const g = await inspectGraph(client, root.reference, root, { signal, referrers: true });
    const base = { registry: ref.registry, repository: ref.repository, raw: false };
    const withUris = (n: GraphNode): GraphNode => {
      const opens = n.kind === 'index' || n.kind === 'manifest' || n.kind === 'referrer' ? 'manifest' : n.kind === 'config' ? 'blob' : undefined;
      const ok = /^sha256:[0-9a-f]{64}$/.test(n.digest);
      return {
        ...n,
        ...(opens && ok ? { uri: remoteUri({ ...base, ref: n.digest, kind: opens }) } : {}),
        children: n.children.map(withUris),
        ...(n.referrers ? { referrers: { via: n.referrers.via, nodes: n.referrers.nodes.map(withUris) } } : {}),
      };
    };
    return {
      reference: formatReference(root.reference),
      digest: root.digest,
      uri: remoteUri({ ...base, ref: ref.digest ?? ref.tag ?? 'latest', kind: 'manifest' }),
      root: withUris(g.root),
    };
  } catch (e) {
    throw toResponseError(e);
  }
}
