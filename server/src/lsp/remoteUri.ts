/**
 * URIs of fetched documents: one per (registry, repository, tag or digest, kind). The last path
 * segment is what the editor's tab shows, so it reads like a reference, short; the query names
 * the digest in full, with the kind and the form:
 *   oci-image:/127.0.0.1%3A5055/boukhano/cirros%3A6.1.json                       (cirros:6.1)
 *   oci-image:/127.0.0.1%3A5055/boukhano/cirros%40sha256%3A68ff12345678%E2%80%A6%20%28linux%E2%88%95arm64%29.json?manifest~sha256~68ff…
 *   …(config).json?blob~sha256~ab…      …(referrers).json?referrers~sha256~ab…
 *   …?manifest~sha256~68ff…~raw, …/cirros%3A6.1%20%28raw%29.json?manifest~raw   the byte-exact form
 *   …cirros%40sha256%3Aab12…%20%28payload%2C%20layer%200%29.json?payload~sha256~ab12…~0   the decoded
 *   payload of layer 0 of the attached manifest sha256:ab12… (a signature, an attestation)
 * VS Code hands every URI through its URI class (vscode-uri), which decodes the path and the
 * query and encodes them again, escaping every reserved character: a query `digest=sha256%3A…`
 * comes back as `digest%3Dsha256%3A…`, and a key=value parse of it loses the digest. So the
 * URIs made here are already in that class's form (`URI.parse(u).toString() === u`: what VS Code
 * sends back is what was made), the query is one token of unreserved characters joined by `~`
 * (no `=`, `&` or `:` to escape; no digest holds a `~`), and the parser decodes the path and the
 * query once before it reads them, as vscode-uri does, so that `toString(true)`'s readable form
 * opens the same document. The parenthesised label (a platform, with U+2215 "∕" for its slashes,
 * since "/" separates path segments) is for people: it is not part of which document it is. The
 * `.json` suffix gives the document the json language in any editor.
 * URIs of the earlier forms still open: `?digest=…&kind=…&raw=1` (as made, or as VS Code
 * re-encoded it), `/registry/repository/tag.json`, `/…/sha256:<64 hex>.json`.
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
  /** kind `payload`: the layer's position in the attached manifest `ref`. */
  readonly layer?: number;
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
  const notes = [t.label, t.kind === 'blob' ? 'config' : t.kind === 'referrers' ? 'referrers' : t.kind === 'payload' ? `payload, layer ${t.layer ?? 0}` : undefined, t.raw ? 'raw' : undefined].filter(Boolean);
  return `${name}${isDigest(t.ref) ? '@' : ':'}${shortRef(t.ref)}${notes.length ? ` (${notes.join(', ')})` : ''}`;
}

const KINDS: readonly RemoteKind[] = ['manifest', 'blob', 'referrers', 'payload'];

/**
 * One path segment or query in vscode-uri's encoding: unreserved characters as they are, every
 * other one percent-encoded (upper-case hex), lone surrogates (which no URI can carry) as U+FFFD.
 */
function encodeComponent(text: string): string {
  return encodeURIComponent(text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

export function remoteUri(t: RemoteTarget): string {
  const dirs = t.repository.split('/').slice(0, -1);
  // "/" would split the segment, and a "%" in a label (registry data) would be decoded a second
  // time after VS Code's readable form (toString(true)) leaves it bare: both are shown as look-alikes.
  const title = remoteTitle(t).replace(/\//g, '\u2215').replace(/%/g, '\uFF05');
  const path = ['', t.registry, ...dirs, `${title}.json`].map(encodeComponent).join('/');
  const at = t.ref.indexOf(':');
  const digest = at > 0 ? [t.ref.slice(0, at), t.ref.slice(at + 1)] : [];
  // A tag's pretty form has no query: the same URI as the earliest form.
  const layer = t.kind === 'payload' ? [String(t.layer ?? 0)] : [];
  const query = digest.length || t.kind !== 'manifest' || t.raw ? [t.kind, ...digest, ...layer, ...(t.raw ? ['raw'] : [])].map(encodeComponent).join('~') : '';
  return `${REMOTE_SCHEME}:${path}${query ? '?' + query : ''}`;
}

/** What a query says: the new form (`kind~alg~hex~raw`) or the earlier one (`digest=…&kind=…&raw=1`). */
function parseQuery(query: string): { kind: string; digest?: string; raw: boolean; layer?: number } | undefined {
  if (query === '') return { kind: 'manifest', raw: false };
  if (/(^|&)(digest|kind|raw)=/.test(query)) {
    const params = new Map<string, string>();
    for (const pair of query.split('&')) {
      const eq = pair.indexOf('=');
      if (eq > 0) params.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return { kind: params.get('kind') ?? 'manifest', digest: params.get('digest') || undefined, raw: params.get('raw') === '1' };
  }
  const parts = query.split('~');
  // A payload: kind~alg~hex~layer[~raw].
  if (parts[0] === 'payload') {
    const praw = parts.length === 5 && parts[4] === 'raw';
    if ((parts.length === 4 || praw) && parts[1] && parts[2] && /^\d{1,4}$/.test(parts[3])) return { kind: 'payload', digest: `${parts[1]}:${parts[2]}`, raw: praw, layer: Number(parts[3]) };
    return undefined;
  }
  const raw = parts.length % 2 === 0 && parts[parts.length - 1] === 'raw';
  if (raw) parts.pop();
  if (parts.length === 1) return { kind: parts[0], raw };
  if (parts.length === 3 && parts[1] && parts[2]) return { kind: parts[0], digest: `${parts[1]}:${parts[2]}`, raw };
  return undefined;
}

export function parseRemoteUri(uri: string): RemoteTarget | undefined {
  if (!isRemoteUri(uri)) return undefined;
  const rest = uri.slice(REMOTE_SCHEME.length + 1);
  const q = rest.indexOf('?');
  let path: string;
  let query: ReturnType<typeof parseQuery>;
  try {
    // Decoded once, as vscode-uri decodes them: the same for every encoding of the same URI.
    path = decodeURIComponent(q >= 0 ? rest.slice(0, q) : rest).replace(/^\/+/, '');
    query = parseQuery(decodeURIComponent(q >= 0 ? rest.slice(q + 1).replace(/#.*$/, '') : ''));
  } catch {
    return undefined;
  }
  if (!query) return undefined;
  const parts = path.split('/');
  if (parts.length < 2 || !parts[parts.length - 1].endsWith('.json')) return undefined;
  const kind = query.kind as RemoteKind;
  if (!KINDS.includes(kind)) return undefined;
  const { raw, digest } = query;
  if (kind === 'payload' && query.layer === undefined) return undefined;
  const layer = query.layer !== undefined ? { layer: query.layer } : {};
  const last = parts[parts.length - 1].slice(0, -'.json'.length);
  const dirs = parts.slice(1, -1);
  const labelMatch = / \(([^()]*)\)$/.exec(last);
  const label = labelMatch?.[1].split(', ').filter((n) => !['config', 'referrers', 'raw', 'payload'].includes(n) && !/^layer \d+$/.test(n)).join(', ').replace(/\u2215/g, '/') || undefined;
  const title = labelMatch ? last.slice(0, labelMatch.index) : last;
  if (digest) {
    // A repository name holds no `@` (a label might): the first one ends it.
    const at = title.indexOf('@');
    if (at <= 0) return undefined;
    return { registry: parts[0], repository: [...dirs, title.slice(0, at)].join('/'), ref: digest, kind, raw, ...(label ? { label } : {}), ...layer };
  }
  // The earlier form: the path's last segment is the tag or the whole digest.
  if (/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-f]{32,}$/.test(title) || !title.includes(':')) {
    if (dirs.length === 0) return undefined;
    return { registry: parts[0], repository: dirs.join('/'), ref: title, kind, raw };
  }
  const colon = title.indexOf(':');
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
  // Host names are case-insensitive, and vscode-uri lower-cases a path that starts like a
  // Windows drive (`/A:5000/…`): one key for both.
  return `${t.kind} ${t.registry.toLowerCase()}/${t.repository}@${t.ref}${t.kind === 'payload' ? `#${t.layer ?? 0}` : ''}`;
}
