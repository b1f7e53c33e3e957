/**
 * URIs of fetched documents: one per (registry, repository, tag or digest, kind). The last path
 * segment is what the editor's tab shows, so it reads like a reference, short:
 *   oci-image:/127.0.0.1:5055/boukhano/cirros:6.1.json
 *   oci-image:/127.0.0.1:5055/boukhano/cirros@sha256:68ff12345678… (linux∕arm64).json?digest=sha256:68ff…
 *   oci-image:/…/cirros@sha256:ab12… (config).json?digest=sha256:ab…&kind=blob
 *   oci-image:/…/cirros@sha256:ab12… (referrers).json?digest=sha256:ab…&kind=referrers
 *   …&raw=1   the byte-exact form (its title says "raw")
 * A digest is shortened in the path and given in full in the query. The parenthesised label (a
 * platform, with U+2215 "∕" for its slashes, since "/" separates path segments) is for people:
 * it is not read back. The `.json` suffix gives the document the json language in any editor.
 * URIs of the earlier form (`/registry/repository/tag.json`, `/…/sha256:<64 hex>.json`) still open.
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
  /** What the tab title adds in parentheses: a platform (`linux/arm64`), or nothing. */
  readonly label?: string;
}

/** How many hex digits of a digest a tab title shows. */
const SHORT_HEX = 12;

export function isRemoteUri(uri: string): boolean {
  return uri.startsWith(REMOTE_SCHEME + ':');
}

/** `sha256:68ff12345678…` for a digest; a tag as it is. */
export function shortRef(ref: string): string {
  const m = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([0-9a-fA-F]+)$/.exec(ref);
  return m && m[2].length > SHORT_HEX ? `${m[1]}:${m[2].slice(0, SHORT_HEX)}…` : ref;
}

function isDigest(ref: string): boolean {
  return ref.includes(':');
}

/** The tab title (without `.json`): `cirros:6.1`, `cirros@sha256:68ff12345678… (linux/arm64)`. */
export function remoteTitle(t: RemoteTarget): string {
  const name = t.repository.split('/').pop() ?? t.repository;
  const notes = [t.label, t.kind === 'blob' ? 'config' : t.kind === 'referrers' ? 'referrers' : undefined, t.raw ? 'raw' : undefined].filter(Boolean);
  return `${name}${isDigest(t.ref) ? '@' : ':'}${shortRef(t.ref)}${notes.length ? ` (${notes.join(', ')})` : ''}`;
}

export function remoteUri(t: RemoteTarget): string {
  const dirs = t.repository.split('/').slice(0, -1);
  const title = remoteTitle(t).replace(/\//g, '\u2215');
  const path = ['', t.registry, ...dirs, `${title}.json`].join('/');
  const query = [isDigest(t.ref) ? `digest=${encodeURIComponent(t.ref)}` : '', t.kind !== 'manifest' ? `kind=${t.kind}` : '', t.raw ? 'raw=1' : ''].filter(Boolean).join('&');
  return `${REMOTE_SCHEME}:${encodeURI(path).replace(/\?/g, '%3F').replace(/#/g, '%23')}${query ? '?' + query : ''}`;
}

export function parseRemoteUri(uri: string): RemoteTarget | undefined {
  if (!isRemoteUri(uri)) return undefined;
  const rest = uri.slice(REMOTE_SCHEME.length + 1);
  const q = rest.indexOf('?');
  let path: string;
  try {
    path = decodeURIComponent(q >= 0 ? rest.slice(0, q) : rest).replace(/^\/+/, '');
  } catch {
    return undefined;
  }
  const params = new URLSearchParams(q >= 0 ? rest.slice(q + 1) : '');
  const parts = path.split('/');
  if (parts.length < 2 || !parts[parts.length - 1].endsWith('.json')) return undefined;
  const kind = (params.get('kind') ?? 'manifest') as RemoteKind;
  if (!['manifest', 'blob', 'referrers'].includes(kind)) return undefined;
  const raw = params.get('raw') === '1';
  const last = parts[parts.length - 1].slice(0, -'.json'.length);
  const dirs = parts.slice(1, -1);
  const digest = params.get('digest');
  const labelMatch = / \(([^()]*)\)$/.exec(last);
  const label = labelMatch?.[1].split(', ').filter((n) => !['config', 'referrers', 'raw'].includes(n)).join(', ').replace(/\u2215/g, '/') || undefined;
  const title = labelMatch ? last.slice(0, labelMatch.index) : last;
  if (digest) {
    const at = title.lastIndexOf('@');
    if (at <= 0) return undefined;
    return { registry: parts[0], repository: [...dirs, title.slice(0, at)].join('/'), ref: digest, kind, raw, ...(label ? { label } : {}) };
  }
  // The earlier form: the path's last segment is the tag or the whole digest.
  if (/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-f]{32,}$/.test(title) || !title.includes(':')) {
    if (dirs.length === 0) return undefined;
    return { registry: parts[0], repository: dirs.join('/'), ref: title, kind, raw };
  }
  const colon = title.lastIndexOf(':');
  if (colon <= 0) return undefined;
  return { registry: parts[0], repository: [...dirs, title.slice(0, colon)].join('/'), ref: title.slice(colon + 1), kind, raw, ...(label ? { label } : {}) };
}

/** The same document in its other form (pretty ↔ raw). */
export function withRaw(uri: string, raw: boolean): string | undefined {
  const t = parseRemoteUri(uri);
  return t ? remoteUri({ ...t, raw }) : undefined;
}

/** One key per fetched document, whatever its title says and whichever form is shown. */
export function remoteKey(t: RemoteTarget): string {
  return `${t.kind} ${t.registry}/${t.repository}@${t.ref}`;
}
