/**
 * The image graph below a manifest or index, as a registry serves it: an index's children (and
 * their children, down to a depth limit), each manifest's config and layers, and optionally each
 * manifest's referrers. Every child is fetched by digest once (cached), a few at a time, linted
 * with the engine, and cross-checked against the entry that points at it (size, media type,
 * platform against its config's os/architecture/variant).
 *
 * Used by the CLI (`tree`, `diff`) and by the language server (deep inspection of a fetched
 * index: each child's problems on its entry). Outside the pure engine: it talks to a registry.
 */
import { analyze, type AnalyzeOptions } from '../engine/analyze';
import { mediaTypeInfo } from '../engine/mediaTypes';
import { normalizePlatform, platformText, type PlatformValues } from '../engine/platforms';
import { lineStarts, positionAt } from '../engine/position';
import { GRAPH_CHECKS } from './checks';
import type { GraphNode, GraphNodeKind, GraphProblem } from '../../../common/protocol';
import { isRegistryError, referenceWithDigest, type ImageReference } from '../registry';

export { GRAPH_CHECKS };
export type { GraphNode, GraphNodeKind, GraphProblem };

/**
 * Where the graph reads from: a RegistryClient, or an OCI image layout on disk
 * (layout/graphSource.ts). Only what the graph uses of a client.
 */
export interface GraphSource {
  getManifest(ref: ImageReference, opts?: { signal?: AbortSignal }): Promise<{ readonly bytes: Uint8Array; readonly contentType?: string; readonly digest: string; readonly requests: number }>;
  getBlob(ref: ImageReference, digest: string, opts?: { signal?: AbortSignal; maxBytes?: number }): Promise<{ readonly bytes: Uint8Array; readonly requests: number }>;
  /** `via: 'layout'`: the referrers were found in an image layout, not through a registry. */
  getReferrers(ref: ImageReference, digest: string, opts?: { signal?: AbortSignal }): Promise<{ readonly bytes: Uint8Array; readonly fallback: boolean; readonly via?: 'layout'; readonly requests: number }>;
}

export interface GraphOptions {
  readonly signal?: AbortSignal;
  /** Requests in flight at once (default 4). */
  readonly concurrency?: number;
  /** How many nested indexes below the root are followed (default 4). */
  readonly maxDepth?: number;
  /** Report `graph-depth-limit` on an index past maxDepth (default true; the explorer fetches it when expanded instead). */
  readonly depthLimitProblem?: boolean;
  /** Entries fetched per index (default DEFAULT_MAX_CHILDREN, 1,024). */
  readonly maxChildren?: number;
  /** Fetch image configs to check platforms (default true). */
  readonly configs?: boolean;
  /** Ask for each manifest's referrers (default false). */
  readonly referrers?: boolean;
  /** Severity overrides and the like for linting the children. */
  readonly lint?: Pick<AnalyzeOptions, 'rules'>;
}

/** A document as served: what the graph starts from. */
export interface ServedDocument {
  readonly bytes: Uint8Array;
  readonly contentType?: string;
  readonly digest: string;
}

export interface GraphResult {
  readonly root: GraphNode;
  /** HTTP requests made for the graph (the root's own fetch not included). */
  readonly requests: number;
  /** Distinct manifests and blobs fetched. */
  readonly fetched: number;
}

export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_MAX_DEPTH = 4;
/**
 * Entries fetched per index (nested ones too) unless the caller says otherwise: children are
 * fetched a few at a time and once per digest, so this bounds what one document may cost.
 */
export const DEFAULT_MAX_CHILDREN = 1024;

const ATTESTATION_TYPE = 'attestation-manifest';
const utf8 = new TextDecoder('utf-8');

type Json = Record<string, unknown>;

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function obj(v: unknown): Json | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
}

function parse(bytes: Uint8Array): Json | undefined {
  try {
    return obj(JSON.parse(utf8.decode(bytes)));
  } catch {
    return undefined;
  }
}

function problem(ruleId: keyof typeof GRAPH_CHECKS & string, message: string): GraphProblem {
  return { ruleId, severity: GRAPH_CHECKS[ruleId].severity, message };
}

function shortDigest(digest: string): string {
  return digest.replace(/^(sha256:[0-9a-f]{12})[0-9a-f]{52}$/, '$1…');
}

/** `{os, architecture, variant}` of a platform object or image config, when os and architecture are strings. */
export function platformOf(value: unknown): PlatformValues | undefined {
  const p = obj(value);
  const os = str(p?.os);
  const architecture = str(p?.architecture);
  if (os === undefined || architecture === undefined) return undefined;
  return { os, architecture, variant: str(p?.variant) ?? '' };
}

/** containerd's defaults: no variant means arm64/v8, amd64/v1, arm/v7. */
const DEFAULT_VARIANT: Readonly<Record<string, string>> = { arm64: 'v8', amd64: 'v1', arm: 'v7' };

function samePlatform(a: PlatformValues, b: PlatformValues): boolean {
  const n = (p: PlatformValues) => {
    const q = normalizePlatform(p) ?? p;
    return { ...q, variant: q.variant || (DEFAULT_VARIANT[q.architecture] ?? '') };
  };
  const x = n(a);
  const y = n(b);
  return x.os === y.os && x.architecture === y.architecture && x.variant === y.variant;
}

/** Runs at most `n` tasks at once. */
function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/** Lint findings of a served document as graph problems. */
export function lintProblems(doc: ServedDocument, options: Pick<AnalyzeOptions, 'rules'> = {}): GraphProblem[] {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(doc.bytes);
  } catch {
    return [{ ruleId: 'json-invalid', severity: 'error', message: 'not JSON: the bytes are not UTF-8 text' }];
  }
  const a = analyze(text, { ...options, contentType: doc.contentType || undefined });
  if (a.syntaxErrors.length > 0) return [{ ruleId: 'json-invalid', severity: 'error', message: `not valid JSON: ${a.syntaxErrors[0].message}` }];
  // Line numbers for people reading the CLI's output; offsets stay in the engine.
  const starts = lineStarts(text);
  return a.findings.map((f) => {
    const { line, character } = positionAt(starts, f.offset);
    return { ruleId: f.ruleId, severity: f.severity, message: f.message, line: line + 1, column: character + 1 };
  });
}

/**
 * Walks the graph below `root` (already fetched as `ref`): see the module comment. Never
 * throws for a child the registry does not serve (that is a `child-unavailable` problem on its
 * entry); throws a cancelled RegistryError when `signal` aborts.
 */
export async function inspectGraph(client: GraphSource, ref: ImageReference, root: ServedDocument, options: GraphOptions = {}): Promise<GraphResult> {
  const run = limiter(Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY));
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const maxChildren = options.maxChildren ?? DEFAULT_MAX_CHILDREN;
  const signal = options.signal;
  let requests = 0;
  // By digest: an index that lists a child twice, or children sharing a config, fetch it once.
  const manifests = new Map<string, Promise<ServedDocument>>();
  const configs = new Map<string, Promise<Json | undefined>>();
  /** Distinct blobs (digest → size) under a node, for index totals. */
  const blobsOf = new WeakMap<GraphNode, Map<string, number>>();

  const fetchManifest = (digest: string): Promise<ServedDocument> => {
    let p = manifests.get(digest);
    if (!p) {
      p = run(async () => {
        const m = await client.getManifest(referenceWithDigest(ref, digest), { signal });
        requests += m.requests;
        return { bytes: m.bytes, contentType: m.contentType, digest: m.digest };
      });
      manifests.set(digest, p);
    }
    return p;
  };

  const fetchConfig = (digest: string): Promise<Json | undefined> => {
    let p = configs.get(digest);
    if (!p) {
      p = run(async () => {
        const b = await client.getBlob(ref, digest, { signal, maxBytes: 4 * 1024 * 1024 });
        requests += b.requests;
        return parse(b.bytes);
      });
      configs.set(digest, p);
    }
    return p;
  };

  const referrersOf = async (digest: string): Promise<GraphNode['referrers']> => {
    const r = await run(() => client.getReferrers(ref, digest, { signal }));
    requests += r.requests;
    return referrerNodes(r);
  };

  /** Turns a served manifest or index into a node; `entry` is what pointed at it. */
  const documentNode = async (doc: ServedDocument, base: Omit<GraphNode, 'kind' | 'problems' | 'children'>, depth: number, entry?: Json): Promise<GraphNode> => {
    const json = parse(doc.bytes);
    const problems = lintProblems(doc, options.lint);
    const children: GraphNode[] = [];
    const blobs = new Map<string, number>();
    const withReferrers = async (node: GraphNode): Promise<GraphNode> => {
      blobsOf.set(node, blobs);
      if (!options.referrers) return node;
      try {
        const withThem = { ...node, referrers: await referrersOf(doc.digest) };
        blobsOf.set(withThem, blobs);
        return withThem;
      } catch (e) {
        if (isRegistryError(e) && e.kind === 'cancelled') throw e;
        node.problems.push(problem('child-unavailable', `the referrers could not be listed: ${messageOf(e)}`));
        return node;
      }
    };

    if (json && Array.isArray(json.manifests)) {
      if (depth > maxDepth) {
        if (options.depthLimitProblem !== false) problems.push(problem('graph-depth-limit', `nested indexes deeper than ${maxDepth} levels are not followed`));
        return withReferrers({ ...base, kind: 'index', problems, children });
      }
      const entries = json.manifests.map(obj);
      const limited = entries.slice(0, maxChildren);
      const nodes = await Promise.all(limited.map((e, position) => (e ? entryNode(e, position, depth + 1) : undefined)));
      for (const n of nodes) if (n) children.push(n);
      let total = 0;
      for (const c of children) {
        for (const [d, s] of blobsOf.get(c) ?? []) if (!blobs.has(d)) { blobs.set(d, s); total += s; }
      }
      labelAttestations(children);
      const node: GraphNode = {
        ...base, kind: 'index', problems, children, totalSize: total, layerCount: undefined,
        ...(entries.length > limited.length ? { notFetched: entries.length - limited.length } : {}),
      };
      return withReferrers(node);
    }

    if (json && (obj(json.config) || Array.isArray(json.layers))) {
      const config = obj(json.config);
      const layers = Array.isArray(json.layers) ? json.layers.map(obj) : [];
      let total = 0;
      const add = (d: string | undefined, size: unknown): void => {
        if (typeof size !== 'number' || !Number.isFinite(size)) return;
        total += size;
        if (d) blobs.set(d, size);
      };
      if (config) {
        const d = str(config.digest) ?? '';
        add(d, config.size);
        children.push({ kind: 'config', digest: d, mediaType: str(config.mediaType), size: numberOr(config.size), label: 'config', problems: [], children: [] });
        const wanted = entry ? platformOf(entry.platform) : undefined;
        const isAttestation = entry ? attestationTarget(entry) !== undefined || (wanted?.os === 'unknown' && wanted.architecture === 'unknown') : false;
        if (wanted && !isAttestation && options.configs !== false && mediaTypeInfo(str(config.mediaType))?.role === 'config' && /^sha256:[0-9a-f]{64}$/.test(d)) {
          try {
            const c = await fetchConfig(d);
            const served = platformOf(c);
            if (!served) problems.push(problem('platform-config-mismatch', `the entry says ${platformText(wanted)}, but the image config has no os and architecture`));
            else if (!samePlatform(wanted, served)) problems.push(problem('platform-config-mismatch', `the entry says ${platformText(wanted)}, the image config says ${platformText(served)}`));
          } catch (e) {
            if (isRegistryError(e) && e.kind === 'cancelled') throw e;
            problems.push(problem('child-unavailable', `the config ${shortDigest(d)} could not be fetched to check the platform: ${messageOf(e)}`));
          }
        }
      }
      layers.forEach((l, position) => {
        if (!l) return;
        const d = str(l.digest) ?? '';
        add(d, l.size);
        children.push({ kind: 'layer', digest: d, mediaType: str(l.mediaType), size: numberOr(l.size), label: `layers[${position}]`, position, problems: [], children: [] });
      });
      return withReferrers({ ...base, kind: 'manifest', problems, children, totalSize: total, layerCount: layers.filter(Boolean).length });
    }
    return { ...base, kind: 'unknown', problems, children };
  };

  /** An index entry: fetch what it points at, cross-check, describe. */
  const entryNode = async (e: Json, position: number, depth: number): Promise<GraphNode> => {
    const digest = str(e.digest) ?? '';
    const mediaType = str(e.mediaType);
    const size = numberOr(e.size);
    const p = platformOf(e.platform);
    const base = { digest, mediaType, size, position, label: p ? platformText(p) : `manifests[${position}]`, ...(p ? { platform: platformText(p) } : {}), artifactType: str(e.artifactType) };
    const attestationOf = attestationTarget(e);
    const labelled = attestationOf ? { ...base, attestationOf } : base;
    const role = mediaTypeInfo(mediaType)?.role;
    if (role && role !== 'manifest' && role !== 'index' && role !== 'signed-manifest' && role !== 'artifact-manifest') {
      return { ...labelled, kind: 'unknown', problems: [], children: [] }; // a layer or blob listed in an index: not ours to fetch
    }
    let served: ServedDocument;
    try {
      served = await fetchManifest(digest);
    } catch (err) {
      if (isRegistryError(err) && err.kind === 'cancelled') throw err;
      const ruleId = isRegistryError(err) && err.kind === 'digest-mismatch' ? 'child-digest-mismatch' : 'child-unavailable';
      return { ...labelled, kind: 'unknown', problems: [problem(ruleId, messageOf(err))], children: [] };
    }
    const node = await documentNode(served, labelled, depth, e);
    if (size !== undefined && size !== served.bytes.length) {
      node.problems.unshift(problem('child-size-mismatch', `the entry says ${size} bytes, the registry serves ${served.bytes.length}`));
    }
    const json = parse(served.bytes);
    const actual = str(json?.mediaType) ?? (served.contentType ? served.contentType.split(';')[0].trim() : undefined);
    if (mediaType && actual && mediaType !== actual) {
      node.problems.unshift(problem('child-media-type-mismatch', `the entry says ${mediaType}, the manifest is ${actual}`));
    }
    return node;
  };

  const json = parse(root.bytes);
  const rootNode = await documentNode(root, { digest: root.digest, mediaType: str(json?.mediaType) ?? root.contentType, size: root.bytes.length, label: 'root' }, 0);
  return { root: rootNode, requests, fetched: manifests.size + configs.size };
}

/**
 * The nodes of a referrers list (an OCI index as the Referrers API or the fallback tag serves
 * it), grouped by artifactType (SBOMs together, signatures together), in the order served
 * within a group; `via` says which path found them.
 */
export function referrerNodes(list: { readonly bytes: Uint8Array; readonly fallback: boolean; readonly via?: 'layout' }): NonNullable<GraphNode['referrers']> {
  const manifests = parse(list.bytes)?.manifests;
  const nodes: GraphNode[] = (Array.isArray(manifests) ? manifests : []).flatMap((m, position): GraphNode[] => {
    const e = obj(m);
    const d = str(e?.digest);
    if (!e || !d) return [];
    const artifactType = str(e.artifactType);
    return [{
      kind: 'referrer', digest: d, mediaType: str(e.mediaType), size: typeof e.size === 'number' ? e.size : undefined,
      label: artifactType ?? str(e.mediaType) ?? 'referrer', position, artifactType, problems: [], children: [],
    }];
  });
  nodes.sort((a, b) => (a.artifactType ?? '').localeCompare(b.artifactType ?? ''));
  return { via: list.via ?? (!list.fallback ? 'referrers-api' : nodes.length > 0 ? 'fallback-tag' : 'none'), nodes };
}

function numberOr(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function messageOf(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** The digest an attestation entry describes (`vnd.docker.reference.digest`), when it is one. */
export function attestationTarget(entry: Json): string | undefined {
  const a = obj(entry.annotations);
  if (str(a?.['vnd.docker.reference.type']) !== ATTESTATION_TYPE) return undefined;
  return str(a?.['vnd.docker.reference.digest']) ?? '';
}

/**
 * `unknown/unknown` → `attestation of linux/amd64`. A dangling one (describing no entry) is the
 * engine's attestation-reference-dangling on the index itself; here it is only labelled.
 */
function labelAttestations(children: GraphNode[]): void {
  for (let i = 0; i < children.length; i++) {
    const c = children[i];
    if (c.attestationOf === undefined) continue;
    const target = children.find((s) => s !== c && s.digest === c.attestationOf);
    children[i] = { ...c, label: `attestation of ${target ? target.label : c.attestationOf ? shortDigest(c.attestationOf) : '?'}` };
  }
}

/**
 * Everything deep inspection found below an index entry (the child's own problems, and for a
 * nested index those of its entries, each with the path that leads to it), for reporting on
 * the entry in the index document.
 */
export function problemsBelow(node: GraphNode, path = ''): (GraphProblem & { readonly path: string })[] {
  const here = path ? `${path} › ${node.label}` : node.label;
  const own = node.problems.map((p) => ({ ...p, path: here }));
  const below = node.kind === 'index' ? node.children.flatMap((c) => problemsBelow(c, here)) : [];
  return [...own, ...below];
}

