/**
 * Fetched documents: asks the registry client for a manifest, config blob or referrers list,
 * keeps the served bytes and their verified digest, and describes them for the editor
 * (text to show, CodeLenses that walk an index to its children, config and referrers).
 */
import { ResponseError, type CodeLens } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Analysis } from '../engine/analyze';
import { notIndentedReason, prettyPrintSteps, type PrettyBytes } from '../engine/format';
import { formatSize } from '../engine/hover';
import { propertyOf, stringOf, valueOf } from '../engine/json';
import { mediaTypeInfo } from '../engine/mediaTypes';
import {
  formatReference,
  parseReference,
  referrersFallbackTag,
  RegistryError,
  validateReference,
  type ImageReference,
  type RegistryClient,
} from '../registry';
import { REGISTRY_ERROR_CODE, type RemoteDocument, type TagCheck } from '../../../common/protocol';
import { classifyManifest, decodeLayer, MAX_ATTACHMENT_BLOB } from '../supplychain';
import { messageText } from '../../../common/messageText';
import { parseRemoteUri, remoteKey, remoteUri, withRaw, type RemoteKind, type RemoteTarget } from './remoteUri';

/** The most index entries that get an "Open …" CodeLens each. */
export const MAX_ENTRY_LENSES = 200;

export { REGISTRY_ERROR_CODE };
export type { RemoteDocument, TagCheck };

export interface Fetched {
  readonly target: RemoteTarget;
  readonly reference: string;
  readonly bytes: Uint8Array;
  readonly contentType?: string;
  readonly digest: string;
  readonly verified: string;
  readonly requests: number;
  readonly warnings: readonly string[];
  /** A referrers list: what was asked for it, and what answered. */
  readonly referrers?: ReferrersAsked;
  /** A payload (signature, attestation): the decoded form shown; `bytes` are the layer as served. */
  readonly display?: string;
}

/** How a referrers list was found (distribution-spec 1.1: the Referrers API, then the fallback tag). */
export interface ReferrersAsked {
  readonly subject: string;
  /** The Referrers API endpoint asked first. */
  readonly apiUrl: string;
  /** The tag asked when the registry does not serve the API (`sha256-<hex>`), and its URL. */
  readonly fallbackTag: string;
  readonly fallbackUrl: string;
  /** Whether the answer came from the fallback tag (or from nothing: the API not served and no tag). */
  readonly viaFallback: boolean;
  /** Entries in the list. */
  readonly count: number;
}

const utf8 = new TextDecoder('utf-8');

export class RemoteService {
  /** Keyed by remoteKey (neither the form shown nor the title count). Fetched content is immutable once verified. */
  private readonly store = new Map<string, Fetched>();

  constructor(private readonly client: () => RegistryClient, private readonly log: (line: string) => void) {}

  validate(text: string): string | undefined {
    return validateReference(text.trim());
  }

  /** Fetches the manifest a reference names (the command palette entry). */
  async inspect(text: string, signal: AbortSignal): Promise<RemoteDocument> {
    const ref = this.parse(text.trim());
    const target: RemoteTarget = { registry: ref.registry, repository: ref.repository, ref: ref.digest ?? ref.tag ?? 'latest', kind: 'manifest', raw: false };
    return this.describe(await this.fetch(target, ref, signal), target);
  }

  /** Fetches (or returns the kept copy of) the document behind a remote URI. */
  async open(uri: string, signal: AbortSignal): Promise<RemoteDocument> {
    const target = parseRemoteUri(uri);
    if (!target) throw new ResponseError(REGISTRY_ERROR_CODE, `Not a Manifest Lens document URI: ${uri}`, { kind: 'invalid-reference' });
    const kept = this.store.get(remoteKey(target));
    if (kept) return this.describe(kept, target);
    const sep = target.ref.includes(':') ? '@' : ':';
    const ref = this.parse(`${target.registry}/${target.repository}${sep}${target.ref}`);
    return this.describe(await this.fetch({ ...target, raw: false }, ref, signal), target);
  }

  /**
   * Asks the registry where the tag a manifest was opened by points now: one HEAD request for
   * Docker-Content-Digest (a GET only when the registry sends none). Nothing is replaced: the
   * document keeps showing what was served then; a moved tag comes with the URI of the new one.
   */
  async checkTag(uri: string, signal: AbortSignal): Promise<TagCheck> {
    const f = this.fetched(uri);
    if (!f || f.target.kind !== 'manifest') throw new ResponseError(REGISTRY_ERROR_CODE, 'Check Tag works on manifests opened with "Inspect Remote Image".', { kind: 'invalid-reference' });
    if (f.target.ref.includes(':')) throw new ResponseError(REGISTRY_ERROR_CODE, `This manifest was opened by digest (${f.target.ref}); a digest always names the same bytes.`, { kind: 'invalid-reference' });
    const ref = this.parse(`${f.target.registry}/${f.target.repository}:${f.target.ref}`);
    try {
      const client = this.client();
      const head = await client.headManifest(ref, { signal });
      let current = head.digest;
      let via: TagCheck['via'] = 'head';
      let requests = head.requests;
      if (!current) {
        const m = await client.getManifest(ref, { signal });
        current = m.digest;
        via = 'get';
        requests += m.requests;
      }
      const moved = current !== f.digest;
      this.log(`checked ${formatReference(ref)}: ${moved ? `now ${current}, was ${f.digest}` : `still ${current}`} (${via === 'head' ? 'HEAD' : 'GET'}, ${requests} request(s))`);
      return {
        reference: formatReference(ref), shown: f.digest, current, moved, via, requests,
        currentUri: moved ? remoteUri({ registry: f.target.registry, repository: f.target.repository, ref: current, kind: 'manifest', raw: false }) : undefined,
      };
    } catch (err) {
      throw toResponseError(err);
    }
  }

  /** What was served for a URI (raw or pretty), if it was fetched in this session. */
  fetched(uri: string): Fetched | undefined {
    const target = parseRemoteUri(uri);
    return target ? this.store.get(remoteKey(target)) : undefined;
  }

  /** Drops the kept copy behind a URI (its tag was written): the next open fetches it again. */
  forget(uri: string): void {
    const target = parseRemoteUri(uri);
    if (target) this.store.delete(remoteKey(target));
  }

  /** The Content-Type to lint a fetched document with (manifests and referrers only). */
  contentTypeFor(uri: string): string | undefined {
    const f = this.fetched(uri);
    return f && f.target.kind !== 'blob' && f.target.kind !== 'payload' ? f.contentType : undefined;
  }

  private parse(text: string): ImageReference {
    try {
      return parseReference(text);
    } catch (err) {
      throw toResponseError(err);
    }
  }

  private async fetch(target: RemoteTarget, ref: ImageReference, signal: AbortSignal): Promise<Fetched> {
    const key = remoteKey(target);
    try {
      const client = this.client();
      let fetched: Fetched;
      if (target.kind === 'blob') {
        const blob = await client.getBlob(ref, target.ref, { signal });
        fetched = { target, reference: formatReference(ref), bytes: blob.bytes, contentType: blob.contentType, digest: blob.digest, verified: 'requested-digest', requests: blob.requests, warnings: [] };
      } else if (target.kind === 'referrers') {
        const r = await client.getReferrers(ref, target.ref, { signal });
        const fallbackTag = referrersFallbackTag(target.ref);
        const origin = originOf(r.url);
        const referrers: ReferrersAsked = {
          subject: target.ref,
          apiUrl: `${origin}/v2/${ref.repository}/referrers/${target.ref}`,
          fallbackTag,
          fallbackUrl: `${origin}/v2/${ref.repository}/manifests/${fallbackTag}`,
          viaFallback: r.fallback,
          count: countManifests(r.bytes),
        };
        fetched = { target, reference: `referrers of ${formatReference(ref)}` + (r.fallback ? ' (fallback tag)' : ''), bytes: r.bytes, contentType: r.contentType, digest: r.digest, verified: r.verified, requests: r.requests, warnings: r.warnings, referrers };
      } else if (target.kind === 'payload') {
        fetched = await fetchPayload(client, target, ref, signal);
      } else {
        const m = await client.getManifest(ref, { signal });
        fetched = { target, reference: formatReference(m.reference), bytes: m.bytes, contentType: m.contentType, digest: m.digest, verified: m.verified, requests: m.requests, warnings: m.warnings };
      }
      this.store.set(key, fetched);
      this.log(`fetched ${fetched.reference}: ${fetched.bytes.length} bytes, ${fetched.digest} (${fetched.verified}), ${fetched.requests} request(s)`);
      return fetched;
    } catch (err) {
      throw toResponseError(err);
    }
  }

  /**
   * The document as asked for: `asked` gives the form (raw or not) and the title's label. The
   * text to show is the served bytes, indented when they came on one line. Indenting runs in
   * slices that give the event loop back (other documents keep their hovers while a megabyte
   * index is formatted), and refuses what no manifest looks like (nested past the engine's
   * depth limit, or an indented form many times the size) by showing the bytes as served.
   */
  private async describe(f: Fetched, asked: RemoteTarget): Promise<RemoteDocument> {
    const raw = asked.raw;
    let text: string | undefined;
    let warnings = f.warnings;
    let changed = false;
    if (!raw && f.display !== undefined) {
      text = f.display;
    } else if (!raw) {
      const pretty = await prettyPrintYielding(f.bytes);
      changed = pretty.changed;
      if (pretty.changed) text = utf8.decode(pretty.bytes);
      else if (pretty.refused) warnings = [...warnings, `Shown as served, not indented: ${notIndentedReason(pretty.refused)}.`];
    }
    text ??= utf8.decode(f.bytes);
    const target = { ...f.target, label: asked.label ?? f.target.label };
    return {
      uri: remoteUri({ ...target, raw }),
      rawUri: remoteUri({ ...target, raw: true }),
      text,
      raw,
      reference: f.reference,
      kind: f.target.kind,
      contentType: f.contentType,
      digest: f.digest,
      verified: f.verified,
      size: f.bytes.length,
      requests: f.requests,
      warnings,
      prettyPrinted: changed,
    };
  }

  /** CodeLenses of a fetched document: its provenance on top, then links to walk the graph. */
  codeLenses(doc: TextDocument, analysis: Analysis): CodeLens[] {
    const f = this.fetched(doc.uri);
    if (!f) return [];
    const at = (offset: number) => {
      const p = doc.positionAt(offset);
      return { start: p, end: p };
    };
    const top = at(0);
    // Two short lines instead of one that a normal window cuts off: what was served above the
    // document, what can be done with it above its first field (or on the same line, for a
    // document on one line). The details are in the top hover (the document's first `{`).
    const root = analysis.root;
    const firstField = root?.children?.[0];
    const actions = firstField && doc.positionAt(firstField.offset).line > 0 ? at(firstField.offset) : top;
    const verified = f.verified === 'requested-digest' ? 'verified (requested digest)' : f.verified === 'docker-content-digest' ? 'verified (Docker-Content-Digest)' : 'computed (not verified)';
    const raw = parseRemoteUri(doc.uri)?.raw;
    // A referrers list says on top what was asked and what answered (none found reads as such,
    // not as a bare `"manifests": []`); its provenance moves down a line, the Content-Type to the hover.
    const asked = f.referrers;
    const provenance = asked && actions !== top ? actions : top;
    const lenses: CodeLens[] = [
      ...(asked ? referrersHeader(asked).map((command) => ({ range: top, command })) : []),
      { range: provenance, command: { title: `$(pass) ${shortDigest(f.digest)} ${verified}`, command: 'manifestLens.copyDigest', arguments: [f.digest] } },
      { range: provenance, command: { title: asked ? shortSize(f.bytes.length) : `${f.contentType ?? 'no Content-Type'} · ${shortSize(f.bytes.length)}`, command: '' } },
      { range: actions, command: { title: raw ? 'Show pretty-printed' : 'Show raw bytes', command: 'manifestLens.openRemote', arguments: [withRaw(doc.uri, !raw)] } },
    ];
    const base = { registry: f.target.registry, repository: f.target.repository, raw: false };
    if (!root || f.target.kind === 'blob' || f.target.kind === 'payload') return lenses;
    if (f.target.kind === 'manifest') {
      lenses.push({ range: actions, command: { title: 'Show referrers', command: 'manifestLens.openRemote', arguments: [remoteUri({ ...base, ref: f.digest, kind: 'referrers' })] } });
      // Opened by tag: the tag may have moved since.
      if (!f.target.ref.includes(':')) {
        const tag = f.target.ref.length > 24 ? `${f.target.ref.slice(0, 23)}…` : f.target.ref;
        lenses.push({ range: actions, command: { title: `Check :${tag} for a newer digest`, command: 'manifestLens.checkTag', arguments: [withRaw(doc.uri, false)] } });
      }
    }
    // An image layout's index can list thousands of entries: lenses for the first ones, and one
    // (above the manifests array) that opens Go to Symbol (the outline lists every entry by
    // platform) for the rest.
    const entries = analysis.descriptors.filter((s) => s.role === 'manifest').length;
    if (entries > MAX_ENTRY_LENSES) {
      const list = propertyOf(root, 'manifests');
      lenses.push({ range: list ? at(list.offset) : actions, command: { title: `Go to one of ${entries.toLocaleString('en-US')} entries… (Open lenses on the first ${MAX_ENTRY_LENSES} only)`, command: 'workbench.action.gotoSymbol' } });
    }
    let entryLenses = 0;
    for (const site of analysis.descriptors) {
      if (site.role === 'manifest' && ++entryLenses > MAX_ENTRY_LENSES) continue;
      const digest = stringOf(site.node, 'digest');
      if (!digest || !/^sha256:[a-f0-9]{64}$/.test(digest)) continue;
      const mt = stringOf(site.node, 'mediaType');
      const role = mediaTypeInfo(mt)?.role;
      if (site.role === 'config') {
        lenses.push({ range: at(site.node.offset), command: { title: 'Open config', command: 'manifestLens.openRemote', arguments: [remoteUri({ ...base, ref: digest, kind: 'blob' })] } });
      } else if (site.role === 'manifest' || site.role === 'subject') {
        const platform = valueOf(site.node, 'platform');
        const p = platform ? [stringOf(platform, 'os'), stringOf(platform, 'architecture'), stringOf(platform, 'variant')].filter(Boolean).join('/') : '';
        const what = role === 'index' ? 'index' : 'manifest';
        const title = site.role === 'subject' ? 'Open subject' : `Open ${p && p !== 'unknown/unknown' ? p + ' ' : ''}${stringOf(valueOf(site.node, 'annotations'), 'vnd.docker.reference.type') === 'attestation-manifest' ? 'attestation' : what}`;
        const label = site.role === 'subject' ? 'subject' : p && p !== 'unknown/unknown' ? p : undefined;
        lenses.push({ range: at(site.node.offset), command: { title, command: 'manifestLens.openRemote', arguments: [remoteUri({ ...base, ref: digest, kind: 'manifest', ...(label ? { label } : {}) })] } });
      }
    }
    return lenses;
  }
}

/**
 * A signature's or attestation's payload: layer `target.layer` of the attached manifest
 * `target.ref`, its blob read (bounded, digest checked by the client) and decoded for reading
 * (supplychain/decode.ts: base64 and DSSE unwrapped); the raw form is the layer as served.
 */
async function fetchPayload(client: RegistryClient, target: RemoteTarget, ref: ImageReference, signal: AbortSignal): Promise<Fetched> {
  const m = await client.getManifest(ref, { signal });
  const layer = classifyManifest(m.bytes).layers.find((l) => l.position === target.layer);
  if (!layer || !/^sha256:[0-9a-f]{64}$/.test(layer.digest)) throw new ResponseError(REGISTRY_ERROR_CODE, `${formatReference(ref)} has no layer ${target.layer ?? 0} to decode`, { kind: 'not-found' });
  if (layer.size > MAX_ATTACHMENT_BLOB) throw new ResponseError(REGISTRY_ERROR_CODE, `layer ${target.layer} of ${formatReference(ref)} is ${layer.size} bytes, more than the ${MAX_ATTACHMENT_BLOB} read`, { kind: 'protocol' });
  const blob = await client.getBlob(ref, layer.digest, { signal, maxBytes: MAX_ATTACHMENT_BLOB });
  const decoded = decodeLayer(layer, blob.bytes);
  let shown: unknown = decoded.payload;
  if (shown === undefined) {
    try {
      shown = JSON.parse(utf8.decode(blob.bytes));
    } catch {
      shown = { note: 'not JSON: "Show raw bytes" shows the layer as served', mediaType: layer.mediaType, size: blob.bytes.length };
    }
  }
  const display = await payloadText(shown);
  const warnings = [...(decoded.problem ? [decoded.problem] : []), ...(display.warning ? [display.warning] : [])];
  return {
    target, reference: `layer ${target.layer ?? 0} (${layer.mediaType}) of ${formatReference(ref)}`, bytes: blob.bytes, contentType: layer.mediaType, digest: blob.digest, verified: 'requested-digest',
    requests: m.requests + blob.requests, warnings, display: display.text,
  };
}

/**
 * A decoded payload as text: on one line first (its size follows the layer's, at most 4 MiB
 * read), then indented by the bounded formatter of fetched documents. `JSON.stringify(v, null, 2)`
 * would indent each of thousands of nested brackets on its own line: a 4 MiB layer of them is
 * gigabytes of spaces and a minute of a blocked server. Too deep or too wide to indent: shown on
 * one line, and said so.
 */
async function payloadText(shown: unknown): Promise<{ text: string; warning?: string }> {
  let compact: string;
  try {
    compact = JSON.stringify(shown) ?? 'null';
  } catch {
    // Nested past the call stack: not shown decoded.
    return { text: JSON.stringify({ note: 'nested too deep to show decoded: "Show raw bytes" shows the layer as served' }, null, 2) + '\n', warning: 'The payload nests too deep to show decoded.' };
  }
  const pretty = await prettyPrintYielding(utf8Encode(compact));
  if (pretty.changed) return { text: utf8.decode(pretty.bytes) };
  return { text: compact + '\n', ...(pretty.refused ? { warning: `The payload is shown on one line, not indented: ${notIndentedReason(pretty.refused)}.` } : {}) };
}

function utf8Encode(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}

/**
 * The header of a referrers list: how many were found for which subject, and where it asked:
 * `No referrers of sha256:68ff12345678…` | `Referrers API: not supported · fallback tag sha256-68ff12345678…: none`.
 * The first lens copies the subject's digest, the second the Referrers API URL (the top hover has both URLs).
 */
export function referrersHeader(a: ReferrersAsked): { title: string; command: string; arguments: string[] }[] {
  const found = a.count === 0 ? 'No referrers' : `${a.count} referrer${a.count === 1 ? '' : 's'}`;
  const tag = a.fallbackTag.length > 19 ? `${a.fallbackTag.slice(0, 19)}…` : a.fallbackTag;
  const how = a.viaFallback
    ? `Referrers API: not supported · fallback tag ${tag}: ${a.count === 0 ? 'none' : a.count}`
    : `Referrers API: ${a.count === 0 ? 'none' : a.count}`;
  return [
    { title: `${found} of ${shortDigest(a.subject)}`, command: 'manifestLens.copyDigest', arguments: [a.subject] },
    { title: how, command: 'manifestLens.copyDigest', arguments: [a.apiUrl] },
  ];
}

/** `http://127.0.0.1:5055` of a URL ('' when it is not one). */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '';
  }
}

/** Entries of a referrers list (0 when it is not one). */
function countManifests(bytes: Uint8Array): number {
  try {
    const list = (JSON.parse(utf8.decode(bytes)) as { manifests?: unknown }).manifests;
    return Array.isArray(list) ? list.length : 0;
  } catch {
    return 0;
  }
}

/** Indents served bytes a slice at a time, giving the event loop back between slices. */
async function prettyPrintYielding(bytes: Uint8Array): Promise<PrettyBytes> {
  const steps = prettyPrintSteps(bytes);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** `sha256:68ff12345678…`: enough to tell digests apart on screen; the lens copies all of it. */
function shortDigest(digest: string): string {
  return digest.length > 19 ? `${digest.slice(0, 19)}…` : digest;
}

/** `670 bytes`, `1.4 KiB`: the unit always; the top hover has the exact count. */
function shortSize(bytes: number): string {
  return bytes < 1024 ? `${bytes} bytes` : formatSize(bytes).replace(/ \(.*\)$/, '');
}

export function toResponseError(err: unknown): ResponseError<{ kind: string }> {
  if (err instanceof ResponseError) return err;
  // Registry text is in these messages, and the client shows them in notifications (common/messageText.ts).
  if (err instanceof RegistryError) return new ResponseError(REGISTRY_ERROR_CODE, messageText(err.message), { kind: err.kind });
  return new ResponseError(REGISTRY_ERROR_CODE, messageText(`Unexpected failure: ${err instanceof Error ? err.message : String(err)}`), { kind: 'protocol' });
}
