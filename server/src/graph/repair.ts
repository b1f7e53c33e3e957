/**
 * Repairing an image where it lives (issue 19): every manifest under a reference relabelled to
 * one family (OCI or Docker), bottom-up, so that each index entry's mediaType, digest and size
 * follow its new child. Only labels change: config and layer blobs stay the same bytes, so no
 * blob is uploaded; the new manifests are text edits of the served bytes (engine/convert.ts), so
 * formatting, entry order, annotations, platforms, urls, subject and unknown fields are kept.
 *
 * Where the target family cannot express a descriptor (a zstd layer has no Docker type; a
 * non-distributable/foreign layer; an artifact's config) the plan carries a refusal naming the
 * entry and the blob, and the caller writes nothing. This module reads only (manifests by digest,
 * blob HEADs); the writes are the caller's, in the order `writes` gives (children first).
 */
import { conversionEdits } from '../engine/convert';
import { detectKind, kindOfMediaType, type DocumentKind } from '../engine/documentKind';
import { elements, parseJson, propertyOf, stringOf, valueOf, type Node } from '../engine/json';
import { MT, mediaTypeInfo, relabel } from '../engine/mediaTypes';
import { insertPropertyEdit, replaceEdit } from '../engine/rules/helpers';
import type { ConversionTarget, Edit } from '../engine/types';
import { digestOf, isRegistryError, type ImageReference, type RegistryClient } from '../registry';

export type RepairTarget = ConversionTarget;

/** A blob a manifest names, for the existence check and for messages. */
export interface RepairBlob {
  readonly role: 'config' | 'layer';
  readonly position: number;
  readonly digest: string;
  readonly mediaType: string;
  /** Fetched from its urls, not from the registry: not checked. */
  readonly nondistributable: boolean;
}

/** One manifest or index of the image, before and after. */
export interface RepairNode {
  readonly role: 'index' | 'manifest';
  /** Words for messages: 'the index', 'entry 1 (linux/arm64/v8)'. */
  readonly where: string;
  /** `linux/arm64/v8` when its index entry says. */
  readonly platform?: string;
  readonly oldDigest: string;
  readonly oldMediaType: string;
  readonly oldBytes: Uint8Array;
  readonly newDigest: string;
  readonly newMediaType: string;
  readonly newBytes: Uint8Array;
  /** The new bytes differ from the old. */
  readonly changed: boolean;
  readonly children: readonly RepairNode[];
  readonly blobs: readonly RepairBlob[];
}

/** Why a manifest cannot be repaired: where, which blob, why. */
export interface RepairRefusal {
  readonly where: string;
  readonly digest?: string;
  readonly reason: string;
}

export interface RepairPlan {
  readonly root: RepairNode;
  /** Non-empty: nothing may be written. */
  readonly refusals: readonly RepairRefusal[];
  /** Changed manifests in the order to write them: children before their index, the top last. */
  readonly writes: readonly RepairNode[];
  /** Manifests fetched (the top included). */
  readonly fetched: number;
  /** Steps of the walk that orders the writes: about the entries of the distinct documents, not of every path. */
  readonly walked: number;
}

export interface RepairLimits {
  /** Nested indexes followed (default 4). */
  readonly maxDepth?: number;
  /** Manifests fetched in all (default 1000). */
  readonly maxManifests?: number;
  /** Bytes of manifests read in all (default {@link MAX_REPAIR_BYTES}): each is held twice, as read and repaired. */
  readonly maxBytes?: number;
}

/** What a repair reads at most: real images are far below (1,000 platforms of 10 KB are 10 MB); 4 MiB children are not. */
export const MAX_REPAIR_BYTES = 32 * 1024 * 1024;

const MANIFEST_KINDS: ReadonlySet<DocumentKind> = new Set(['oci-manifest', 'docker-manifest']);
const INDEX_KINDS: ReadonlySet<DocumentKind> = new Set(['oci-index', 'docker-list']);

/** `sha256:0123456789ab…`, for messages. */
export function shortDigest(digest: string): string {
  return digest.length > 19 ? `${digest.slice(0, 19)}…` : digest;
}

function platformOfEntry(entry: Node): string | undefined {
  const p = valueOf(entry, 'platform');
  const os = stringOf(p, 'os');
  const arch = stringOf(p, 'architecture');
  if (!os || !arch) return undefined;
  const variant = stringOf(p, 'variant');
  return `${os}/${arch}${variant ? `/${variant}` : ''}`;
}

/**
 * The text with its edits applied, in one pass (edits do not overlap): linear in the text and the
 * edits, so an index of 20,000 entries costs one copy, not one per entry.
 */
function applyEdits(text: string, edits: readonly Edit[]): string {
  const parts: string[] = [];
  let at = 0;
  for (const e of [...edits].sort((a, b) => a.offset - b.offset)) {
    parts.push(text.slice(at, e.offset), e.newText);
    at = e.offset + e.length;
  }
  parts.push(text.slice(at));
  return parts.join('');
}

/** The served bytes as text, when they round-trip exactly (so an edit changes only what it edits). */
function exactText(bytes: Uint8Array): string | undefined {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  return Buffer.from(text, 'utf8').equals(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) ? text : undefined;
}

interface Parsed {
  readonly text: string;
  readonly root: Node;
  readonly kind: DocumentKind;
}

function parse(bytes: Uint8Array, contentType: string, where: string, refusals: RepairRefusal[]): Parsed | undefined {
  const text = exactText(bytes);
  if (text === undefined) {
    refusals.push({ where, reason: 'it is not valid UTF-8, so it cannot be edited exactly' });
    return undefined;
  }
  const parsed = parseJson(text);
  if (!parsed.root || parsed.errors.length > 0 || parsed.root.type !== 'object') {
    refusals.push({ where, reason: 'it is not a JSON object' });
    return undefined;
  }
  return { text, root: parsed.root, kind: detectKind(parsed.root, contentType).kind };
}

/**
 * Why descriptor `mt` cannot be written in a `target` manifest, or undefined when it can (as is,
 * or relabelled). Unknown types stay as they are in an OCI manifest (artifacts), never in Docker.
 */
function descriptorBlocker(mt: string | undefined, role: 'config' | 'layer', target: RepairTarget): string | undefined {
  const name = target === 'oci' ? 'OCI' : 'Docker';
  if (!mt) return `it has no mediaType`;
  const info = mediaTypeInfo(mt);
  if (!info) return target === 'oci' ? undefined : `the ${role} type ${mt} has no Docker equivalent`;
  if (target === 'docker' && info.compression === 'zstd') return `the ${role} is zstd-compressed (${mt}); Docker has no standard zstd layer type, so the blob would have to be recompressed`;
  if (info.nondistributable && info.family !== target) return `the ${role} is non-distributable/foreign (${mt}); fix does not relabel layers fetched from their urls`;
  if (info.family === target) return undefined;
  if (role === 'config' && info.role !== 'config') return `the config type ${mt} is not an image config; a ${name} image needs one (the config blob would have to change)`;
  if (role === 'layer' && info.role !== 'layer') return `the layer type ${mt} is not a layer type ${name} can express`;
  return relabel(mt, target) ? undefined : `the ${role} type ${mt} has no ${name} equivalent`;
}

/** A manifest relabelled for `target`: the new text, or refusals. */
function convertManifest(p: Parsed, target: RepairTarget, where: string, refusals: RepairRefusal[]): { text: string; mediaType: string; blobs: RepairBlob[] } {
  const blobs: RepairBlob[] = [];
  const before = refusals.length;
  const check = (d: Node, role: 'config' | 'layer', position: number): void => {
    const mt = stringOf(d, 'mediaType');
    const digest = stringOf(d, 'digest') ?? '';
    blobs.push({ role, position, digest, mediaType: mt ?? '', nondistributable: !!mediaTypeInfo(mt)?.nondistributable || !!propertyOf(d, 'urls') });
    const why = descriptorBlocker(mt, role, target);
    if (why) refusals.push({ where: `${where}, ${role === 'config' ? 'config' : `layer ${position}`}`, digest: digest || undefined, reason: why });
  };
  const config = valueOf(p.root, 'config');
  if (config?.type === 'object') check(config, 'config', 0);
  else refusals.push({ where, reason: 'it has no config descriptor' });
  elements(valueOf(p.root, 'layers')).forEach((l, i) => {
    if (l.type === 'object') check(l, 'layer', i);
  });
  const mediaType = target === 'oci' ? MT.ociManifest : MT.dockerManifest;
  if (refusals.length > before) return { text: p.text, mediaType, blobs };
  return { text: applyEdits(p.text, conversionEdits(p, target)), mediaType, blobs };
}

/** What an index entry must say after its child was repaired. */
interface NewChild {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
}

/** An index relabelled for `target`, each followed entry pointing at its new child. */
function convertIndex(p: Parsed, target: RepairTarget, children: ReadonlyMap<number, NewChild>): { text: string; mediaType: string } {
  const edits: Edit[] = [];
  const mediaType = target === 'oci' ? MT.ociIndex : MT.dockerList;
  const top = valueOf(p.root, 'mediaType');
  if (!top) edits.push(insertPropertyEdit(p.text, p.root, 'mediaType', mediaType));
  else if (top.value !== mediaType) edits.push(replaceEdit(top, mediaType));
  elements(valueOf(p.root, 'manifests')).forEach((entry, i) => {
    const child = children.get(i);
    if (!child || entry.type !== 'object') return;
    const fields: [string, string | number][] = [['mediaType', child.mediaType], ['digest', child.digest], ['size', child.size]];
    const inserts: [string, string | number][] = [];
    for (const [key, value] of fields) {
      const node = valueOf(entry, key);
      if (!node) inserts.push([key, value]);
      else if (node.value !== value) edits.push(replaceEdit(node, value));
    }
    // Several insertions at one place become one edit, in the fields' order.
    if (inserts.length) {
      const first = insertPropertyEdit(p.text, entry, inserts[0]![0], inserts[0]![1]);
      const rest = inserts.slice(1).map(([k, v]) => insertPropertyEdit(p.text, entry, k, v).newText).join('');
      edits.push({ ...first, newText: first.newText + rest });
    }
  });
  return { text: applyEdits(p.text, edits), mediaType };
}

/**
 * Reads every manifest under `top` (fetched from `ref`'s repository) and plans its repair to
 * `target`. Children are fetched by digest from the same repository.
 */
export async function planRepair(
  client: RegistryClient,
  ref: ImageReference,
  top: { readonly bytes: Uint8Array; readonly digest: string; readonly mediaType: string },
  target: RepairTarget,
  limits: RepairLimits & { readonly signal?: AbortSignal; readonly where?: string; readonly platform?: string } = {},
): Promise<RepairPlan> {
  const maxDepth = limits.maxDepth ?? 4;
  const maxManifests = limits.maxManifests ?? 1000;
  const maxBytes = limits.maxBytes ?? MAX_REPAIR_BYTES;
  const refusals: RepairRefusal[] = [];
  let fetched = 1;
  let bytesRead = top.bytes.length;
  let overBudget = false;
  const byDigest = new Map<string, Promise<RepairNode>>();

  const visit = async (doc: { bytes: Uint8Array; digest: string; mediaType: string }, where: string, platform: string | undefined, depth: number): Promise<RepairNode> => {
    const p = parse(doc.bytes, doc.mediaType, where, refusals);
    const same = (role: RepairNode['role'], blobs: RepairBlob[] = [], children: RepairNode[] = []): RepairNode => ({
      role, where, ...(platform ? { platform } : {}), oldDigest: doc.digest, oldMediaType: doc.mediaType, oldBytes: doc.bytes,
      newDigest: doc.digest, newMediaType: doc.mediaType, newBytes: doc.bytes, changed: false, children, blobs,
    });
    if (!p) return same('manifest');
    const node = (role: RepairNode['role'], text: string, mediaType: string, blobs: RepairBlob[], children: RepairNode[]): RepairNode => {
      if (text === p.text) return { ...same(role, blobs, children), newMediaType: doc.mediaType || mediaType };
      const newBytes = new Uint8Array(Buffer.from(text, 'utf8'));
      return { ...same(role, blobs, children), newDigest: digestOf(newBytes)!, newMediaType: mediaType, newBytes, changed: true };
    };
    if (MANIFEST_KINDS.has(p.kind)) {
      const c = convertManifest(p, target, where, refusals);
      return node('manifest', c.text, c.mediaType, c.blobs, []);
    }
    if (!INDEX_KINDS.has(p.kind)) {
      refusals.push({ where, digest: doc.digest, reason: `it is ${p.kind === 'unknown' ? 'not a manifest' : `a ${p.kind}`}; fix converts image manifests and indexes only` });
      return same('manifest');
    }
    if (depth >= maxDepth) {
      refusals.push({ where, digest: doc.digest, reason: `indexes nest deeper than ${maxDepth} levels` });
      return same('index');
    }
    const entries = elements(valueOf(p.root, 'manifests'));
    const children: RepairNode[] = [];
    const newChildren = new Map<number, NewChild>();
    const jobs: (() => Promise<void>)[] = [];
    entries.forEach((entry, i) => {
      if (entry.type !== 'object') return;
      const digest = stringOf(entry, 'digest');
      const mt = stringOf(entry, 'mediaType');
      const entryPlatform = platformOfEntry(entry);
      const label = `${depth === 0 ? '' : `${where}, `}entry ${i}${entryPlatform ? ` (${entryPlatform})` : ''}`;
      const kind = kindOfMediaType(mt);
      if (!digest) {
        refusals.push({ where: label, reason: 'it has no digest' });
        return;
      }
      if (mt !== undefined && !(kind && (MANIFEST_KINDS.has(kind) || INDEX_KINDS.has(kind)))) {
        refusals.push({ where: label, digest, reason: `its media type ${mt} is not an image manifest or index; fix converts those only` });
        return;
      }
      jobs.push(async () => {
        let pending = byDigest.get(digest);
        if (!pending) {
          if (++fetched > maxManifests) {
            refusals.push({ where: label, digest, reason: `the image has more than ${maxManifests} manifests` });
            return;
          }
          if (bytesRead > maxBytes) {
            if (!overBudget) refusals.push({ where: label, digest, reason: `the image's manifests are more than ${Math.round(maxBytes / 1024 / 1024)} MiB in all; not read further` });
            overBudget = true;
            return;
          }
          pending = client
            .getManifest({ registry: ref.registry, apiHost: ref.apiHost, repository: ref.repository, digest }, { signal: limits.signal })
            .then((m) => (bytesRead += m.bytes.length, m))
            .then((m) => visit({ bytes: m.bytes, digest: m.digest, mediaType: m.mediaType }, label, entryPlatform, depth + 1));
          byDigest.set(digest, pending);
        }
        const child = await pending;
        children[i] = child;
        newChildren.set(i, { mediaType: child.newMediaType, digest: child.newDigest, size: child.newBytes.length });
      });
    });
    // A few children at a time: an index of many platforms is not fetched all at once.
    for (let k = 0; k < jobs.length; k += 4) await Promise.all(jobs.slice(k, k + 4).map((j) => j()));
    const c = convertIndex(p, target, newChildren);
    return node('index', c.text, c.mediaType, [], children.filter(Boolean));
  };

  const topKind = kindOfMediaType(top.mediaType);
  const topWhere = limits.where ?? (topKind && INDEX_KINDS.has(topKind) ? 'the index' : 'the manifest');
  const root = await visit(top, topWhere, limits.platform, 0);
  const writes: RepairNode[] = [];
  const seen = new Set<string>();
  // A document named by many entries is one node (byDigest): ordered once, not once per path
  // (1,024 entries naming one index of 1,024 entries would be a million visits).
  const ordered = new Set<RepairNode>();
  let walked = 0;
  const order = (n: RepairNode): void => {
    walked++;
    if (ordered.has(n)) return;
    ordered.add(n);
    for (const c of n.children) order(c);
    if (n.changed && !seen.has(n.newDigest)) {
      seen.add(n.newDigest);
      writes.push(n);
    }
  };
  order(root);
  // The top goes last even if the same bytes appear below it (it is the one pushed under the tag).
  if (root.changed && writes[writes.length - 1] !== root) {
    writes.splice(writes.indexOf(root), 1);
    writes.push(root);
  }
  return { root, refusals, writes, fetched, walked };
}

/**
 * Refusals for the blobs the changed manifests name that the repository does not have (a
 * HEAD per distinct blob; non-distributable layers are not asked for). Nothing is uploaded.
 */
export async function missingBlobs(client: RegistryClient, ref: ImageReference, plan: RepairPlan, signal?: AbortSignal): Promise<RepairRefusal[]> {
  const wanted = new Map<string, string>();
  for (const n of plan.writes) {
    for (const b of n.blobs) {
      if (b.nondistributable || !b.digest || wanted.has(b.digest)) continue;
      wanted.set(b.digest, `${n.where}, ${b.role === 'config' ? 'config' : `layer ${b.position}`}`);
    }
  }
  const out: RepairRefusal[] = [];
  const list = [...wanted];
  for (let k = 0; k < list.length; k += 4) {
    await Promise.all(list.slice(k, k + 4).map(async ([digest, where]) => {
      const head = await client.headBlob({ registry: ref.registry, apiHost: ref.apiHost, repository: ref.repository }, digest, { signal });
      if (!head.exists) out.push({ where, digest, reason: `the blob is not in ${ref.repository}, so the repaired manifest would be refused (fix uploads no blob)` });
    }));
  }
  return out;
}

/** The digest a tag points at (HEAD, a GET when the registry sends no digest), or undefined when there is no such tag. */
export async function tagDigest(client: RegistryClient, ref: ImageReference, signal?: AbortSignal): Promise<string | undefined> {
  try {
    const head = await client.headManifest(ref, { signal });
    return head.digest ?? (await client.getManifest(ref, { signal })).digest;
  } catch (e) {
    if (isRegistryError(e) && e.kind === 'not-found') return undefined;
    throw e;
  }
}

/**
 * What is attached to a manifest a repair replaces (cosign's `sha256-<hex>.sig` / `.att` tags, OCI
 * referrers): none of it names the repaired digest, so `cosign verify` and admission policies no
 * longer find it there (`fix` and Repair in registry… say so). Words for a warning, one per kind
 * found; a check that could not run says so. Three reads.
 */
export async function attachmentsOf(client: RegistryClient, ref: ImageReference, digest: string, signal?: AbortSignal): Promise<string[]> {
  const out: string[] = [];
  if (!digest.startsWith('sha256:')) return out;
  const hex = digest.slice('sha256:'.length);
  const why = (e: unknown): string => (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').slice(0, 300);
  for (const [suffix, what] of [['sig', 'cosign signatures'], ['att', 'cosign attestations']] as const) {
    const tag = `sha256-${hex}.${suffix}`;
    try {
      if (await tagDigest(client, { registry: ref.registry, apiHost: ref.apiHost, repository: ref.repository, tag }, signal)) out.push(`${what} (tag :${tag})`);
    } catch (e) {
      if (signal?.aborted) throw e;
      out.push(`${what}: not checked (${why(e)})`);
    }
  }
  try {
    const list = await client.getReferrers(ref, digest, { signal });
    const doc = JSON.parse(Buffer.from(list.bytes).toString('utf8')) as { manifests?: unknown };
    const n = Array.isArray(doc.manifests) ? doc.manifests.length : 0;
    if (n > 0) out.push(`${n} referrer${n === 1 ? '' : 's'} (${list.fallback ? `tag :sha256-${hex}` : 'Referrers API'})`);
  } catch (e) {
    if (signal?.aborted) throw e;
    out.push(`referrers: not checked (${why(e)})`);
  }
  return out;
}

/** The tag an in-place repair was to move points elsewhere than the digest that was repaired: it was left alone. */
export class TagMovedError extends Error {
  constructor(readonly tag: string, readonly was: string, readonly now: string | undefined) {
    super(`the tag :${tag} moved since it was read (it was ${was}, it is now ${now ?? 'gone'}); it was not changed`);
    this.name = 'TagMovedError';
  }
}

/**
 * Writes a plan (`fix` and the editor's Repair in registry… alike): each changed child by digest
 * first (harmless if it stops halfway: nothing points at them yet), then the top manifest under
 * `dest`'s tag. With `expectTagDigest` (in place) the tag must still point at that digest just
 * before it moves, else {@link TagMovedError} and the tag is left alone. `written` is called after
 * each write, in order; a failure throws the registry's error after the writes that succeeded.
 */
export async function writeRepair(
  client: RegistryClient,
  ref: ImageReference,
  plan: RepairPlan,
  dest: ImageReference,
  opts: { readonly expectTagDigest?: string; readonly signal?: AbortSignal; readonly written?: (n: RepairNode, index: number) => void } = {},
): Promise<void> {
  const repo = { registry: ref.registry, apiHost: ref.apiHost, repository: ref.repository };
  const { signal } = opts;
  for (let k = 0; k < plan.writes.length - 1; k++) {
    const n = plan.writes[k]!;
    await client.putManifest({ ...repo, digest: n.newDigest }, n.newBytes, n.newMediaType, { byDigest: true, signal });
    opts.written?.(n, k);
  }
  if (opts.expectTagDigest !== undefined && dest.tag !== undefined) {
    const now = await tagDigest(client, dest, signal);
    if (now !== opts.expectTagDigest) throw new TagMovedError(dest.tag, opts.expectTagDigest, now);
  }
  const top = plan.writes[plan.writes.length - 1]!;
  await client.putManifest(dest, top.newBytes, top.newMediaType, { signal });
  opts.written?.(top, plan.writes.length - 1);
}
