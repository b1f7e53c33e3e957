/**
 * URIs of fetched documents: one per (registry, repository, tag or digest, kind).
 *   oci-image:/127.0.0.1:5055/samples/app/latest.json
 *   oci-image:/127.0.0.1:5055/samples/app/sha256:ab….json?kind=blob
 *   oci-image:/…/sha256:ab….json?kind=referrers
 *   …?raw=1   the byte-exact form
 * The `.json` suffix gives the document the json language in any editor.
 */
import { REMOTE_SCHEME, type RemoteKind } from '../../../common/protocol';

export { REMOTE_SCHEME };
export type { RemoteKind };

export interface RemoteTarget {
  readonly registry: string;
  readonly repository: string;
  /** A tag or a digest. */
  readonly ref: string;
  readonly kind: RemoteKind;
  readonly raw: boolean;
}

export function isRemoteUri(uri: string): boolean {
  return uri.startsWith(REMOTE_SCHEME + ':');
}

export function remoteUri(t: RemoteTarget): string {
  const path = `/${t.registry}/${t.repository}/${t.ref}.json`;
  const query = [t.kind !== 'manifest' ? `kind=${t.kind}` : '', t.raw ? 'raw=1' : ''].filter(Boolean).join('&');
  return `${REMOTE_SCHEME}:${encodeURI(path).replace(/\?/g, '%3F').replace(/#/g, '%23')}${query ? '?' + query : ''}`;
}

export function parseRemoteUri(uri: string): RemoteTarget | undefined {
  if (!isRemoteUri(uri)) return undefined;
  const rest = uri.slice(REMOTE_SCHEME.length + 1);
  const q = rest.indexOf('?');
  const path = decodeURIComponent(q >= 0 ? rest.slice(0, q) : rest).replace(/^\/+/, '');
  const params = new URLSearchParams(q >= 0 ? rest.slice(q + 1) : '');
  const parts = path.split('/');
  if (parts.length < 3 || !parts[parts.length - 1].endsWith('.json')) return undefined;
  const kind = (params.get('kind') ?? 'manifest') as RemoteKind;
  if (!['manifest', 'blob', 'referrers'].includes(kind)) return undefined;
  return {
    registry: parts[0],
    repository: parts.slice(1, -1).join('/'),
    ref: parts[parts.length - 1].slice(0, -'.json'.length),
    kind,
    raw: params.get('raw') === '1',
  };
}

/** The same document in its other form (pretty ↔ raw). */
export function withRaw(uri: string, raw: boolean): string | undefined {
  const t = parseRemoteUri(uri);
  return t ? remoteUri({ ...t, raw }) : undefined;
}
