/**
 * What a manifest about to be pushed names that the target repository must already have (its
 * config and layers, an index's children): a push uploads no blob, so `push` (cli/pushCommand.ts)
 * and the editor's Push Manifest… (lsp/repairService.ts) refuse before writing when one is absent.
 */
import { mediaTypeInfo } from '../engine/mediaTypes';
import { isRegistryError, type ImageReference, type RegistryClient } from '../registry';

/** What the document names that must already be in the repository. */
export interface Named {
  readonly what: string;
  readonly digest: string;
  readonly kind: 'blob' | 'manifest';
}

export function namedContent(doc: Record<string, unknown>): Named[] {
  const out: Named[] = [];
  const desc = (d: unknown): { digest?: string; mediaType?: string; urls?: unknown } => (d && typeof d === 'object' ? (d as { digest?: string; mediaType?: string; urls?: unknown }) : {});
  const config = desc(doc.config);
  if (typeof config.digest === 'string') out.push({ what: 'config', digest: config.digest, kind: 'blob' });
  if (Array.isArray(doc.layers)) {
    doc.layers.forEach((l, i) => {
      const d = desc(l);
      // Non-distributable/foreign layers live at their urls, not in the registry.
      if (typeof d.digest === 'string' && !mediaTypeInfo(d.mediaType)?.nondistributable && d.urls === undefined) out.push({ what: `layer ${i}`, digest: d.digest, kind: 'blob' });
    });
  }
  if (Array.isArray(doc.manifests)) {
    doc.manifests.forEach((m, i) => {
      const d = desc(m);
      if (typeof d.digest === 'string') out.push({ what: `entry ${i}`, digest: d.digest, kind: 'manifest' });
    });
  }
  return out;
}

export async function missing(client: RegistryClient, ref: ImageReference, named: readonly Named[], signal?: AbortSignal): Promise<Named[]> {
  const out: Named[] = [];
  const repo = { registry: ref.registry, apiHost: ref.apiHost, repository: ref.repository };
  for (let k = 0; k < named.length; k += 4) {
    await Promise.all(named.slice(k, k + 4).map(async (n) => {
      if (n.kind === 'blob') {
        if (!(await client.headBlob(repo, n.digest, { signal })).exists) out.push(n);
        return;
      }
      try {
        await client.headManifest({ ...repo, digest: n.digest }, { signal });
      } catch (e) {
        if (isRegistryError(e) && e.kind === 'not-found') out.push(n);
        else throw e;
      }
    }));
  }
  return out;
}
