/**
 * The layout walk for the language server, off its main thread. dist/layout-walker.js runs in a
 * worker thread: it walks a layout (layout/layout.ts), keeps the whole snapshot (every document's
 * analysis) and sends back only what the main thread needs — the blob facts, the unreferenced
 * blobs, the layout's problems, the large blobs still to hash, and each document's text and
 * findings for the Problems panel. When the main thread has learned more (hashes, a changed
 * blob), it sends the facts and gets the documents' findings again. Parsing a 20 MB index.json
 * takes seconds; here that never delays a hover.
 *
 * Where no worker starts (the bundle missing: unit tests run the sources), the same walk runs
 * on the main thread in slices (walkLayoutAsync).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import type { BlobFact } from '../engine/layoutFindings';
import { SEVERITY_ORDER, type Finding, type Severity } from '../engine/types';
import { documentFindings, walkLayout, walkLayoutAsync, type LayoutSnapshot, type UnreferencedBlob } from '../layout/layout';

/** One document of the layout, as the Problems panel needs it. */
export interface WalkedDocument {
  readonly path: string;
  readonly rel: string;
  readonly digest?: string;
  readonly text: string;
  readonly findings: readonly Finding[];
  /** Findings the walk's caps left out. */
  readonly truncated: number;
  /** How many descriptors the document has. */
  readonly descriptors: number;
}

/** The snapshot without the analyses: what layoutOnlyFindings and verifyPending read. */
export interface WalkResult {
  readonly snapshot: LayoutSnapshot;
  readonly documents: readonly WalkedDocument[];
}

export interface Walker {
  /** Walks a layout; undefined when superseded. */
  walk(root: string, maxFindings: number, signal: AbortSignal): Promise<WalkResult | undefined>;
  /** Each document's findings again, with these facts and unreferenced blobs. */
  refind(root: string, facts: ReadonlyMap<string, BlobFact>, unreferenced: readonly UnreferencedBlob[]): Promise<readonly WalkedDocument[]>;
  dispose(): void;
}

/** What crosses the thread boundary: no analyses, Maps as entry lists. */
interface WireResult {
  root: string;
  problems: string[];
  incomplete: string[];
  facts: [string, BlobFact][];
  unreferenced: UnreferencedBlob[];
  pending: LayoutSnapshot['pending'];
  pendingBytes: number;
  documents: WalkedDocument[];
}

/**
 * At most `max` findings, the most severe first, and how many were left out (with `already`,
 * what an earlier cap dropped): what is published for one document, open or not, with a last
 * diagnostic saying how many more there are.
 */
export function capFindings<F extends { severity: Severity; offset: number }>(findings: readonly F[], max: number, already = 0): { kept: F[]; omitted: number } {
  if (findings.length <= max) return { kept: [...findings], omitted: already };
  const kept = [...findings].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || a.offset - b.offset).slice(0, Math.max(0, max));
  return { kept: kept.sort((a, b) => a.offset - b.offset), omitted: already + findings.length - kept.length };
}

/** Each document's findings, at most `max` (the walk's cap: what crosses to the main thread is bounded too). */
function documentsOf(s: LayoutSnapshot, max: number): WalkedDocument[] {
  return s.documents.map((d) => {
    const { kept, omitted } = capFindings(documentFindings(s, d.rel, d.analysis), max, d.analysis.truncated);
    return {
      path: d.path,
      rel: d.rel,
      ...(d.digest ? { digest: d.digest } : {}),
      text: d.text,
      findings: kept,
      truncated: omitted,
      descriptors: d.analysis.descriptors.length,
    };
  });
}

function light(s: LayoutSnapshot): LayoutSnapshot {
  return { root: s.root, problems: s.problems, incomplete: s.incomplete, documents: [], facts: s.facts, unreferenced: s.unreferenced, pending: s.pending, pendingBytes: s.pendingBytes };
}

function withFacts(s: LayoutSnapshot, facts: ReadonlyMap<string, BlobFact> | [string, BlobFact][], unreferenced: readonly UnreferencedBlob[]): void {
  s.facts.clear();
  for (const [k, v] of facts) s.facts.set(k, v);
  s.unreferenced.splice(0, s.unreferenced.length, ...unreferenced);
}

/** The walk on this thread, in slices. */
class HereWalker implements Walker {
  private readonly snapshots = new Map<string, { s: LayoutSnapshot; max: number }>();

  async walk(root: string, maxFindings: number, signal: AbortSignal): Promise<WalkResult | undefined> {
    const s = await walkLayoutAsync(root, { maxFindings }, signal);
    if (!s) return undefined;
    this.snapshots.set(root, { s, max: maxFindings });
    return { snapshot: light(s), documents: documentsOf(s, maxFindings) };
  }

  async refind(root: string, facts: ReadonlyMap<string, BlobFact>, unreferenced: readonly UnreferencedBlob[]): Promise<readonly WalkedDocument[]> {
    const kept = this.snapshots.get(root);
    if (!kept) return [];
    if (kept.s.facts !== facts) withFacts(kept.s, facts, [...unreferenced]);
    return documentsOf(kept.s, kept.max);
  }

  dispose(): void {
    this.snapshots.clear();
  }
}

/** The walk in a worker thread running dist/layout-walker.js. */
class ThreadWalker implements Walker {
  private readonly calls = new Map<number, { resolve: (v: WireResult | WalkedDocument[]) => void; reject: (e: Error) => void }>();
  private nextId = 1;

  constructor(private readonly worker: Worker, private readonly onBroken: () => void) {
    worker.unref();
    worker.on('message', (m: { id: number; result?: WireResult | WalkedDocument[]; error?: string }) => {
      const call = this.calls.get(m.id);
      if (!call) return;
      this.calls.delete(m.id);
      if (m.error !== undefined) call.reject(new Error(m.error));
      else call.resolve(m.result!);
    });
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', () => this.fail(new Error('the layout walker stopped')));
  }

  private fail(err: Error): void {
    for (const c of this.calls.values()) c.reject(err);
    this.calls.clear();
    this.onBroken();
  }

  private call<T>(message: object): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.calls.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, ...message });
    });
  }

  async walk(root: string, maxFindings: number, signal: AbortSignal): Promise<WalkResult | undefined> {
    const r = await this.call<WireResult>({ type: 'walk', root, maxFindings });
    if (signal.aborted) return undefined;
    const snapshot: LayoutSnapshot = { root: r.root, problems: r.problems, incomplete: r.incomplete, documents: [], facts: new Map(r.facts), unreferenced: r.unreferenced, pending: r.pending, pendingBytes: r.pendingBytes };
    return { snapshot, documents: r.documents };
  }

  refind(root: string, facts: ReadonlyMap<string, BlobFact>, unreferenced: readonly UnreferencedBlob[]): Promise<readonly WalkedDocument[]> {
    return this.call<WalkedDocument[]>({ type: 'refind', root, facts: [...facts], unreferenced });
  }

  dispose(): void {
    void this.worker.terminate();
  }
}

/**
 * A walker: in a worker thread when dist/layout-walker.js is beside the running bundle, else on
 * this thread in slices. A worker that dies is replaced by the slices.
 */
export function createWalker(log: (line: string) => void): Walker {
  const file = join(__dirname, 'layout-walker.js');
  let current: Walker | undefined;
  const here = new HereWalker();
  const get = (): Walker => {
    if (current) return current;
    current = here;
    // MANIFEST_LENS_WALK_IN_SLICES=1: the fallback on purpose (to test it against the bundle).
    if (existsSync(file) && process.env.MANIFEST_LENS_WALK_IN_SLICES !== '1') {
      try {
        current = new ThreadWalker(new Worker(file), () => { log('layout walker thread stopped; walking on the main thread in slices'); current = here; });
      } catch (err) {
        log(`layout walker thread did not start (${err instanceof Error ? err.message : String(err)}); walking on the main thread in slices`);
      }
    }
    return current;
  };
  return {
    walk: (root, maxFindings, signal) => get().walk(root, maxFindings, signal),
    refind: (root, facts, unreferenced) => get().refind(root, facts, unreferenced),
    dispose: () => { current?.dispose(); current = undefined; },
  };
}

/** The worker's side (dist/layout-walker.js). */
export function runWalkerThread(): void {
  if (isMainThread || !parentPort) return;
  const port = parentPort;
  const snapshots = new Map<string, { s: LayoutSnapshot; max: number }>();
  port.on('message', (m: { id: number; type: 'walk' | 'refind'; root: string; maxFindings?: number; facts?: [string, BlobFact][]; unreferenced?: UnreferencedBlob[] }) => {
    try {
      if (m.type === 'walk') {
        const max = m.maxFindings ?? 10_000;
        const s = walkLayout(m.root, { maxFindings: max });
        snapshots.set(m.root, { s, max });
        const result: WireResult = { root: s.root, problems: s.problems, incomplete: s.incomplete, facts: [...s.facts], unreferenced: s.unreferenced, pending: s.pending, pendingBytes: s.pendingBytes, documents: documentsOf(s, max) };
        port.postMessage({ id: m.id, result });
        return;
      }
      const kept = snapshots.get(m.root);
      if (!kept) { port.postMessage({ id: m.id, result: [] }); return; }
      withFacts(kept.s, m.facts ?? [], m.unreferenced ?? []);
      port.postMessage({ id: m.id, result: documentsOf(kept.s, kept.max) });
    } catch (err) {
      port.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) });
    }
  });
}
