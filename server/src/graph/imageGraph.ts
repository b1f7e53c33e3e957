/**
 * The image graph below a manifest or index, as a registry serves it: an index's children (and
 * their children, down to a depth limit), each manifest's config and layers, and optionally each
 * manifest's referrers. Every child is fetched by digest once, a few at a time, linted with the
 * engine and built into a node once (a digest named by many entries is one subtree, and the
 * later entries are `sameAs` nodes), and each entry is cross-checked against what it points at
 * (size, media type, platform against its config's os/architecture/variant). The whole graph is
 * bounded by a node and a problem budget (DEFAULT_MAX_NODES, DEFAULT_MAX_PROBLEMS), and can be
 * stopped at a deadline; what is left out is counted (GraphResult.leftOut).
 *
 * Used by the CLI (`tree`, `diff`) and by the language server (deep inspection of a fetched
 * index: each child's problems on its entry). Outside the pure engine: it talks to a registry.
 */
import { analyze, type AnalyzeOptions } from '../engine/analyze';
import { mediaTypeInfo } from '../engine/mediaTypes';
import { normalizePlatform, platformText, type PlatformValues } from '../engine/platforms';
import { lineStarts, positionAt } from '../engine/position';
import { SEVERITY_ORDER } from '../engine/types';
import { GRAPH_CHECKS } from './checks';
import type { GraphNode, GraphNodeKind, GraphProblem } from '../../../common/protocol';
import { isRegistryError, referenceWithDigest, RegistryError, type ImageReference } from '../registry';

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
  /**
   * A source that stores blobs itself (an image layout) says what is wrong with a config or
   * layer blob it holds (missing, unreadable, another size, bytes that do not hash to the name),
   * as problems for its node; each digest and size is asked once per graph. Rejects when
   * `signal` aborts.
   */
  blobFindings?(digest: string, size: number | undefined, opts?: { signal?: AbortSignal; urls?: boolean }): Promise<GraphProblem[]>;
}

export interface GraphOptions {
  /** Cancels the walk: inspectGraph throws a cancelled RegistryError. */
  readonly signal?: AbortSignal;
  /**
   * Stops the walk without failing it (an overall deadline): requests in flight are aborted,
   * nothing more is asked, and the graph built so far is returned with `leftOut` saying so.
   */
  readonly stop?: AbortSignal;
  /** Why `stop` fired, for `leftOut.stopped` (default "stopped"). */
  readonly stopReason?: () => string;
  /** Requests in flight at once (default 4). */
  readonly concurrency?: number;
  /** How many nested indexes below the root are followed (default 4). */
  readonly maxDepth?: number;
  /** Report `graph-depth-limit` on an index past maxDepth (default true; the explorer fetches it when expanded instead). */
  readonly depthLimitProblem?: boolean;
  /** Entries fetched per index (default DEFAULT_MAX_CHILDREN, 1,024). */
  readonly maxChildren?: number;
  /** Nodes built in all (default DEFAULT_MAX_NODES, 10,000): entries, configs, layers, referrers. */
  readonly maxNodes?: number;
  /** Problems kept in all (default DEFAULT_MAX_PROBLEMS, 5,000). */
  readonly maxProblems?: number;
  /** Lint the root document too (default true; deep inspection has its findings from the editor already). */
  readonly lintRoot?: boolean;
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

/** What the graph did not build or keep, and why (see GraphOptions.maxNodes, maxProblems, stop). */
export interface LeftOut {
  /** Nodes (index entries, layers, referrers) not built: past the node budget or after the stop. */
  readonly nodes: number;
  /** Problems found but not kept: past the problem budget. */
  readonly problems: number;
  /** The walk was stopped (GraphOptions.stop): why. */
  readonly stopped?: string;
  /** The budgets it ran with. */
  readonly maxNodes: number;
  readonly maxProblems: number;
}

export interface GraphResult {
  readonly root: GraphNode;
  /** HTTP requests made for the graph (the root's own fetch not included). */
  readonly requests: number;
  /** Distinct manifests and blobs served: a fetch that failed or was refused is not counted. */
  readonly fetched: number;
  /** Nodes built (entries, configs, layers, referrers; the root not included). */
  readonly nodes: number;
  /** Documents linted (each distinct digest once). */
  readonly linted: number;
  /**
   * What a `sameAs` node stands for, by digest: the document's own node (its own problems
   * without any entry's cross-checks, its children), the same objects as at its first place in
   * the tree. {@link problemsUnder} follows it.
   */
  readonly shared: ReadonlyMap<string, GraphNode>;
  /** Present when something was left out: say it (see {@link leftOutText}). */
  readonly leftOut?: LeftOut;
}

export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_MAX_DEPTH = 4;
/**
 * Entries fetched per index (nested ones too) unless the caller says otherwise: children are
 * fetched a few at a time and once per digest, so this bounds what one document may cost.
 */
export const DEFAULT_MAX_CHILDREN = 1024;
/** Nodes one graph builds at most: with each digest built once, what bounds its memory and output. */
export const DEFAULT_MAX_NODES = 10_000;
/** Problems one graph keeps at most. */
export const DEFAULT_MAX_PROBLEMS = 5_000;
/**
 * Lint findings kept per document, the most severe first: a document with thousands of
 * findings (an index with a thousand duplicate entries) does not use up the graph's budget
 * before the next document's errors.
 */
export const MAX_PROBLEMS_PER_DOCUMENT = 200;
/** The walk gives the event loop a turn after this much work (ms), so a language server stays responsive. */
const SLICE_MS = 8;

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

/** `sha256:` and the first 12 hex digits and `…`, for people (labels, messages, deep-inspection links); any other digest as it is. */
export function shortDigest(digest: string): string {
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

/** Runs at most `n` tasks at once (the graph's and the audit's). */
export function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
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

/** Aborts when either aborts (AbortSignal.any is Node 20.3+; the editor's Node may be older). */
function eitherSignal(a: AbortSignal | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  if (!a || !b) return a ?? b;
  const c = new AbortController();
  const abort = (): void => c.abort();
  if (a.aborted || b.aborted) c.abort();
  else {
    a.addEventListener('abort', abort, { once: true });
    b.addEventListener('abort', abort, { once: true });
  }
  return c.signal;
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

/** A document's own part of the graph, built once per digest and shared by every entry naming it. */
interface Body {
  /** kind, problems (lint, depth limit, referrers), children, totals, referrers: no entry's fields. */
  readonly node: GraphNode;
  /** Bytes served. */
  readonly length: number;
  /** Its `mediaType`, else the Content-Type it was served with. */
  readonly actualMediaType?: string;
  /** A manifest's config descriptor, for the entries' platform cross-check. */
  readonly config?: { readonly digest: string; readonly mediaType?: string };
  /** Distinct blobs (digest → size) below it, for index totals. */
  readonly blobs: ReadonlyMap<string, number>;
}

/**
 * Walks the graph below `root` (already fetched as `ref`): see the module comment. Each distinct
 * digest is fetched, linted and built once; an entry that names a digest met before is a
 * `sameAs` node (its own cross-checks only), so repeated digests cost one node per entry, not
 * a subtree. At most `maxNodes` nodes and `maxProblems` problems are built; what is left out
 * is counted in `leftOut`. Never throws for a child the registry does not serve (that is a
 * `child-unavailable` problem on its entry); throws a cancelled RegistryError when `signal`
 * aborts. Gives the event loop a turn every few milliseconds of work.
 */
export async function inspectGraph(client: GraphSource, ref: ImageReference, root: ServedDocument, options: GraphOptions = {}): Promise<GraphResult> {
  const run = limiter(Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY));
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const maxChildren = options.maxChildren ?? DEFAULT_MAX_CHILDREN;
  const maxNodes = Math.max(0, options.maxNodes ?? DEFAULT_MAX_NODES);
  const maxProblems = Math.max(0, options.maxProblems ?? DEFAULT_MAX_PROBLEMS);
  const cancel = options.signal;
  const stop = options.stop;
  const signal = eitherSignal(cancel, stop);
  let requests = 0;
  let nodes = 0;
  let problemCount = 0;
  let linted = 0;
  const left = { nodes: 0, problems: 0 };
  // By digest: each document is fetched, linted and built once, however many entries name it.
  const bodies = new Map<string, Promise<Body>>();
  let servedCount = 0;
  const configs = new Map<string, Promise<PlatformValues | undefined>>();
  // By digest, size and urls: a blob named by many manifests is checked (hashed) once.
  const blobChecks = new Map<string, Promise<GraphProblem[]>>();

  const cancelled = (): RegistryError => new RegistryError('cancelled', 'the image graph was cancelled');
  const stopped = (): boolean => stop?.aborted === true && cancel?.aborted !== true;
  /** A failure that is the stop (deadline) rather than a real one. */
  const isStop = (e: unknown): boolean => isRegistryError(e) && e.kind === 'cancelled' && stopped();

  let lastTurn = performance.now();
  /** Lets I/O (a hover, a cancellation) in between slices of work; throws when cancelled. */
  const breathe = async (): Promise<void> => {
    if (performance.now() - lastTurn >= SLICE_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      lastTurn = performance.now();
    }
    if (cancel?.aborted) throw cancelled();
  };

  /** Room for `n` more nodes: how many may be built; the rest are counted as left out. */
  const reserve = (n: number): number => {
    const room = Math.max(0, Math.min(n, maxNodes - nodes));
    nodes += room;
    left.nodes += n - room;
    return room;
  };
  /** The problems that fit in the budget; the rest are counted as left out. */
  const keep = (list: GraphProblem[]): GraphProblem[] => {
    const room = Math.max(0, Math.min(list.length, maxProblems - problemCount));
    problemCount += room;
    left.problems += list.length - room;
    return room === list.length ? list : list.slice(0, room);
  };

  const fetchConfig = (digest: string): Promise<PlatformValues | undefined> => {
    let p = configs.get(digest);
    if (!p) {
      p = run(async () => {
        if (signal?.aborted) throw cancelled();
        const b = await client.getBlob(ref, digest, { signal, maxBytes: 4 * 1024 * 1024 });
        requests += b.requests;
        servedCount++;
        return platformOf(parse(b.bytes)); // the platform only: the config itself is not kept
      });
      configs.set(digest, p);
    }
    return p;
  };

  /**
   * The source's own findings on a config or layer blob it stores (GraphSource.blobFindings), in
   * the problem budget; none when it has no such hook, and none after the stop (leftOut says so).
   */
  const blobProblems = async (digest: string, size: number | undefined, urls: boolean): Promise<GraphProblem[]> => {
    const check = client.blobFindings;
    if (!check || !digest || stopped()) return [];
    const key = `${digest} ${size ?? ''} ${urls ? 'urls' : ''}`;
    let p = blobChecks.get(key);
    if (!p) {
      p = run(() => {
        if (signal?.aborted) throw cancelled();
        return check.call(client, digest, size, { signal, urls });
      });
      blobChecks.set(key, p);
    }
    try {
      return keep([...(await p)]);
    } catch (e) {
      if (stopped()) return [];
      if (isRegistryError(e) && e.kind === 'cancelled') throw e;
      if (cancel?.aborted) throw cancelled();
      throw e;
    }
  };

  const referrersOf = async (digest: string): Promise<GraphNode['referrers']> => {
    const r = await run(() => {
      if (signal?.aborted) throw cancelled();
      return client.getReferrers(ref, digest, { signal });
    });
    requests += r.requests;
    const all = referrerNodes(r);
    const room = reserve(all.nodes.length);
    return room === all.nodes.length ? all : { via: all.via, nodes: all.nodes.slice(0, room) };
  };

  /**
   * A served manifest or index as its own node (no entry's fields): linted, its entries or
   * config and layers below it. `ancestors`: the digests above it, so that a document that
   * names one of them (only a source that does not check digests could serve that) is not
   * waited on for ever.
   */
  const buildBody = async (doc: ServedDocument, depth: number, ancestors: ReadonlySet<string>, lint = true): Promise<Body> => {
    await breathe();
    const json = parse(doc.bytes);
    if (lint) linted++;
    const found = lint ? lintProblems(doc, options.lint) : [];
    if (found.length > 1) found.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
    if (found.length > MAX_PROBLEMS_PER_DOCUMENT) left.problems += found.length - MAX_PROBLEMS_PER_DOCUMENT;
    const problems = keep(found.length > MAX_PROBLEMS_PER_DOCUMENT ? found.slice(0, MAX_PROBLEMS_PER_DOCUMENT) : found);
    await breathe();
    const actualMediaType = str(json?.mediaType) ?? (doc.contentType ? doc.contentType.split(';')[0].trim() : undefined);
    const base = { digest: doc.digest, mediaType: str(json?.mediaType) ?? doc.contentType, size: doc.bytes.length, label: shortDigest(doc.digest) };
    const length = doc.bytes.length;
    const blobs = new Map<string, number>();
    const referrers = async (): Promise<Pick<GraphNode, 'referrers'>> => {
      if (!options.referrers || stopped()) return {};
      try {
        return { referrers: await referrersOf(doc.digest) };
      } catch (e) {
        if (isStop(e)) return {};
        if (isRegistryError(e) && e.kind === 'cancelled') throw e;
        problems.push(...keep([problem('child-unavailable', `the referrers could not be listed: ${messageOf(e)}`)]));
        return {};
      }
    };

    if (json && Array.isArray(json.manifests)) {
      if (depth > maxDepth) {
        if (options.depthLimitProblem !== false) problems.push(...keep([problem('graph-depth-limit', `nested indexes deeper than ${maxDepth} levels are not followed`)]));
        return { node: { ...base, kind: 'index', problems, children: [], ...(await referrers()) }, length, actualMediaType, blobs };
      }
      const below = new Set(ancestors).add(doc.digest);
      const entries = json.manifests;
      const limited = entries.length > maxChildren ? entries.slice(0, maxChildren) : entries;
      const built = await Promise.all(limited.map((e, position) => {
        const entry = obj(e);
        return entry ? entryNode(entry, position, depth + 1, below) : undefined;
      }));
      const children: GraphNode[] = [];
      for (const n of built) if (n) children.push(n.node);
      let total = 0;
      const seen = new Set<string>();
      for (const n of built) {
        if (!n?.body || seen.has(n.node.digest)) continue;
        seen.add(n.node.digest);
        for (const [d, s] of n.body.blobs) if (!blobs.has(d)) { blobs.set(d, s); total += s; }
      }
      labelAttestations(children);
      const node: GraphNode = {
        ...base, kind: 'index', problems, children, totalSize: total, layerCount: undefined,
        ...(entries.length > limited.length ? { notFetched: entries.length - limited.length } : {}),
        ...(await referrers()),
      };
      return { node, length, actualMediaType, blobs };
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
      const children: GraphNode[] = [];
      let room = reserve((config ? 1 : 0) + layers.filter(Boolean).length);
      let configDescriptor: Body['config'];
      if (config) {
        const d = str(config.digest) ?? '';
        add(d, config.size);
        configDescriptor = { digest: d, mediaType: str(config.mediaType) };
        if (room > 0) {
          room--;
          children.push({ kind: 'config', digest: d, mediaType: str(config.mediaType), size: numberOr(config.size), label: 'config', problems: [], children: [] });
        }
      }
      const urls = new Map<number, boolean>();
      layers.forEach((l, position) => {
        if (!l) return;
        const d = str(l.digest) ?? '';
        add(d, l.size);
        if (room <= 0) return;
        room--;
        children.push({ kind: 'layer', digest: d, mediaType: str(l.mediaType), size: numberOr(l.size), label: `layers[${position}]`, position, problems: [], children: [] });
        urls.set(position, Array.isArray(l.urls) && l.urls.length > 0);
      });
      // The source's own findings on the blobs it stores (a layout's missing, changed or
      // unreadable files), on the nodes built (the node budget bounds them too).
      if (client.blobFindings) {
        const found = await Promise.all(children.map((c) => blobProblems(c.digest, c.size, c.kind === 'layer' && urls.get(c.position ?? -1) === true)));
        found.forEach((list, i) => { if (list.length > 0) children[i].problems.push(...list); });
        await breathe();
      }
      const node: GraphNode = { ...base, kind: 'manifest', problems, children, totalSize: total, layerCount: layers.filter(Boolean).length, ...(await referrers()) };
      return { node, length, actualMediaType, config: configDescriptor, blobs };
    }
    return { node: { ...base, kind: 'unknown', problems, children: [] }, length, actualMediaType, blobs };
  };

  const bodyOf = (digest: string, depth: number, ancestors: ReadonlySet<string>): Promise<Body> => {
    let p = bodies.get(digest);
    if (!p) {
      p = (async () => {
        const served = await run(async () => {
          if (signal?.aborted) throw cancelled();
          const m = await client.getManifest(referenceWithDigest(ref, digest), { signal });
          requests += m.requests;
          servedCount++;
          return { bytes: m.bytes, contentType: m.contentType, digest: m.digest };
        });
        return buildBody(served, depth, ancestors); // the bytes are not kept past this
      })();
      bodies.set(digest, p);
    }
    return p;
  };

  /** The entry's own checks against the document it names: size, media type, platform. */
  const crossChecks = async (e: Json, body: Body): Promise<GraphProblem[]> => {
    const out: GraphProblem[] = [];
    const mediaType = str(e.mediaType);
    if (mediaType && body.actualMediaType && mediaType !== body.actualMediaType) {
      out.push(problem('child-media-type-mismatch', `the entry says ${mediaType}, the manifest is ${body.actualMediaType}`));
    }
    const size = numberOr(e.size);
    if (size !== undefined && size !== body.length) out.push(problem('child-size-mismatch', `the entry says ${size} bytes, the registry serves ${body.length}`));
    const wanted = platformOf(e.platform);
    const config = body.config;
    const isAttestation = attestationTarget(e) !== undefined || (wanted?.os === 'unknown' && wanted.architecture === 'unknown');
    if (config && wanted && !isAttestation && options.configs !== false && mediaTypeInfo(config.mediaType)?.role === 'config' && /^sha256:[0-9a-f]{64}$/.test(config.digest) && !stopped()) {
      try {
        const served = await fetchConfig(config.digest);
        if (!served) out.push(problem('platform-config-mismatch', `the entry says ${platformText(wanted)}, but the image config has no os and architecture`));
        else if (!samePlatform(wanted, served)) out.push(problem('platform-config-mismatch', `the entry says ${platformText(wanted)}, the image config says ${platformText(served)}`));
      } catch (err) {
        if (isStop(err)) return out;
        if (isRegistryError(err) && err.kind === 'cancelled') throw err;
        // A source that stores its blobs (a layout): a config that fails its hash is that error,
        // as `lint DIR` reports it, not a config the source could not serve.
        if (client.blobFindings && isRegistryError(err) && err.kind === 'digest-mismatch') {
          out.push({ ruleId: 'layout-blob-digest-mismatch', severity: 'error', message: `the platform cannot be checked: the config ${messageOf(err)}` });
        } else {
          out.push(problem('child-unavailable', `the config ${shortDigest(config.digest)} could not be fetched to check the platform: ${messageOf(err)}`));
        }
      }
    }
    return out;
  };

  /**
   * An index entry: the document it names (built once per digest), cross-checked against the
   * entry. Always a `sameAs` node here; the first one of each digest in the tree's order gets
   * the document's problems and children when the walk is done (see `expand`). Undefined when
   * left out (the node budget, the stop).
   */
  const entryNode = async (e: Json, position: number, depth: number, ancestors: ReadonlySet<string>): Promise<{ node: GraphNode; body?: Body } | undefined> => {
    if (stopped() || reserve(1) === 0) {
      if (stopped()) left.nodes++;
      return undefined;
    }
    const digest = str(e.digest) ?? '';
    const mediaType = str(e.mediaType);
    const size = numberOr(e.size);
    const p = platformOf(e.platform);
    const base = { digest, mediaType, size, position, label: p ? platformText(p) : `manifests[${position}]`, ...(p ? { platform: platformText(p) } : {}), artifactType: str(e.artifactType) };
    const attestationOf = attestationTarget(e);
    const labelled = attestationOf ? { ...base, attestationOf } : base;
    const role = mediaTypeInfo(mediaType)?.role;
    if (role && role !== 'manifest' && role !== 'index' && role !== 'signed-manifest' && role !== 'artifact-manifest') {
      return { node: { ...labelled, kind: 'unknown', problems: [], children: [] } }; // a layer or blob listed in an index: not ours to fetch
    }
    if (ancestors.has(digest)) {
      return { node: { ...labelled, kind: 'unknown', problems: keep([problem('child-unavailable', `${shortDigest(digest)} is an index above this entry: not followed again`)]), children: [] } };
    }
    let body: Body;
    try {
      body = await bodyOf(digest, depth, ancestors);
    } catch (err) {
      if (isStop(err)) {
        nodes--;
        left.nodes++;
        return undefined;
      }
      if (isRegistryError(err) && err.kind === 'cancelled') throw err;
      const ruleId = isRegistryError(err) && err.kind === 'digest-mismatch' ? 'child-digest-mismatch' : 'child-unavailable';
      return { node: { ...labelled, kind: 'unknown', problems: keep([problem(ruleId, messageOf(err))]), children: [] } };
    }
    await breathe();
    const checks = keep(await crossChecks(e, body));
    const b = body.node;
    const node: GraphNode = {
      ...labelled, kind: b.kind, problems: checks, children: [], sameAs: digest,
      ...(b.totalSize !== undefined ? { totalSize: b.totalSize } : {}),
      ...(b.layerCount !== undefined ? { layerCount: b.layerCount } : {}),
    };
    return { node, body };
  };

  const json = parse(root.bytes);
  const rootBody = await buildBody(root, 0, new Set(), options.lintRoot !== false);
  const rootNode: GraphNode = { ...rootBody.node, mediaType: str(json?.mediaType) ?? root.contentType, size: root.bytes.length, label: 'root' };

  // Each document's subtree is given once, at its first place in the tree's order (what a
  // reader meets first); the later entries naming it stay `sameAs` nodes.
  const built = new Map<string, Body>();
  for (const [d, p] of bodies) {
    const b = await p.catch(() => undefined);
    if (b) built.set(d, b);
  }
  const shared = new Map<string, GraphNode>();
  const expand = (n: GraphNode): GraphNode => {
    if (n.sameAs === undefined) return n.children.length > 0 ? { ...n, children: n.children.map(expand) } : n;
    const body = built.get(n.sameAs);
    if (!body || shared.has(n.sameAs)) return n;
    const own: GraphNode = { ...body.node, children: [] };
    shared.set(n.sameAs, own); // before the children: a document below itself stays a reference
    const children = body.node.children.map(expand);
    (own as { children: GraphNode[] }).children = children;
    const { sameAs: _same, ...entry } = n;
    return {
      ...entry,
      problems: [...n.problems, ...body.node.problems],
      children,
      ...(body.node.referrers ? { referrers: body.node.referrers } : {}),
      ...(body.node.notFetched ? { notFetched: body.node.notFetched } : {}),
    };
  };
  const expandedRoot = expand(rootNode);
  const stoppedWhy = stop?.aborted && !cancel?.aborted ? (options.stopReason?.() ?? 'stopped') : undefined;
  const leftOut = left.nodes > 0 || left.problems > 0 || stoppedWhy ? { ...left, ...(stoppedWhy ? { stopped: stoppedWhy } : {}), maxNodes, maxProblems } : undefined;
  return { root: expandedRoot, requests, fetched: servedCount, nodes, linted, shared, ...(leftOut ? { leftOut } : {}) };
}

/** What was left out, in one sentence for people (CLI stderr, a diagnostic), or undefined. */
export function leftOutText(l: LeftOut | undefined): string | undefined {
  if (!l) return undefined;
  const parts: string[] = [];
  if (l.stopped) parts.push(`stopped early (${l.stopped})`);
  if (l.nodes > 0) parts.push(`${l.nodes} node${l.nodes === 1 ? '' : 's'} not built${l.stopped ? '' : ` (at most ${l.maxNodes} per graph)`}`);
  if (l.problems > 0) parts.push(`${l.problems} problem${l.problems === 1 ? '' : 's'} not kept (at most ${l.maxProblems} per graph, ${MAX_PROBLEMS_PER_DOCUMENT} per document)`);
  return parts.length ? `the graph is incomplete: ${parts.join('; ')}` : undefined;
}

/** Problems below a node, summed: at most `limit` listed, the most severe first (with the path that leads to each), all counted. */
export interface ProblemSummary {
  readonly list: readonly (GraphProblem & { readonly path: string })[];
  readonly total: number;
  readonly bySeverity: Readonly<Record<string, number>>;
}

/**
 * Sums the problems below nodes of one graph (a node's own and, for an index, its entries'),
 * following `sameAs` nodes through `shared`: each shared document is summed once for all the
 * calls of the returned function, so reporting every entry of an index costs the graph's size,
 * not the number of entries times the subtree they repeat.
 */
export function problemSummaries(shared: ReadonlyMap<string, GraphNode>, limit = 20): (node: GraphNode) => ProblemSummary {
  type Sum = { list: (GraphProblem & { path: string })[]; listed: Record<string, number>; total: number; bySeverity: Record<string, number> };
  const empty = (): Sum => ({ list: [], listed: {}, total: 0, bySeverity: {} });
  const memo = new Map<string, Sum>();
  const merge = (into: Sum, from: Sum, prefix: string | undefined): void => {
    into.total += from.total;
    for (const [s, c] of Object.entries(from.bySeverity)) into.bySeverity[s] = (into.bySeverity[s] ?? 0) + c;
    for (const p of from.list) {
      if (!room(into, p)) continue;
      into.list.push(prefix === undefined ? p : { ...p, path: p.path ? `${prefix} › ${p.path}` : prefix });
    }
  };
  /** Up to `limit` of each severity are listed on the way up, so that the most severe are never crowded out. */
  const room = (into: Sum, p: GraphProblem): boolean => {
    const n = (into.listed[p.severity] ?? 0) + 1;
    if (n > limit) return false;
    into.listed[p.severity] = n;
    return true;
  };
  /** Paths relative to `n`: '' for its own problems. */
  const walk = (n: GraphNode, depth: number): Sum => {
    const sum = empty();
    for (const p of n.problems) {
      sum.total++;
      sum.bySeverity[p.severity] = (sum.bySeverity[p.severity] ?? 0) + 1;
      if (room(sum, p)) sum.list.push({ ...p, path: '' });
    }
    if (depth > 64) return sum;
    if (n.sameAs !== undefined) {
      let body = memo.get(n.sameAs);
      if (!body) {
        memo.set(n.sameAs, empty()); // a document below itself counts once
        const s = shared.get(n.sameAs);
        body = s ? walk(s, depth + 1) : empty();
        memo.set(n.sameAs, body);
      }
      merge(sum, body, undefined); // the document's own problems are on this node's path
    } else if (n.kind === 'index') {
      for (const c of n.children) merge(sum, walk(c, depth + 1), c.label);
    }
    return sum;
  };
  return (node) => {
    const s = walk(node, 0);
    const severest = s.list.map((p, i) => ({ p, i })).sort((a, b) => SEVERITY_ORDER[a.p.severity] - SEVERITY_ORDER[b.p.severity] || a.i - b.i).slice(0, limit).map((x) => x.p);
    return { list: severest.map((p) => ({ ...p, path: p.path ? `${node.label} › ${p.path}` : node.label })), total: s.total, bySeverity: s.bySeverity };
  };
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
  const byDigest = new Map<string, GraphNode>();
  for (const c of children) if (!byDigest.has(c.digest)) byDigest.set(c.digest, c);
  for (let i = 0; i < children.length; i++) {
    const c = children[i];
    if (c.attestationOf === undefined) continue;
    const first = byDigest.get(c.attestationOf);
    const target = first !== c ? first : children.find((s) => s !== c && s.digest === c.attestationOf);
    children[i] = { ...c, label: `attestation of ${target ? target.label : c.attestationOf ? shortDigest(c.attestationOf) : '?'}` };
  }
}

/**
 * Everything deep inspection found below an index entry (the child's own problems, and for a
 * nested index those of its entries, each with the path that leads to it), for reporting on
 * the entry in the index document. A `sameAs` node gives only its entry's cross-checks here:
 * {@link problemSummaries} follows it to the document's own problems.
 */
export function problemsBelow(node: GraphNode, path = ''): (GraphProblem & { readonly path: string })[] {
  const here = path ? `${path} › ${node.label}` : node.label;
  const own = node.problems.map((p) => ({ ...p, path: here }));
  const below = node.kind === 'index' ? node.children.flatMap((c) => problemsBelow(c, here)) : [];
  return [...own, ...below];
}

