/**
 * OCI image layouts in the editor. A document that is a layout's index.json or one of its
 * blobs (`blobs/sha256/<hex>`) gets, besides the engine's findings, what the folder says about
 * the blobs its descriptors point at; every digest is a link to its blob file, and its hover
 * says what the blob is, its size on disk and whether its hash was verified.
 *
 * A layout is walked once (layout/layout.ts, in slices that yield to the event loop, so hovers
 * are answered while a large one is read; a newer walk cancels an older one) and its snapshot
 * kept. The client watches the layout's files (the server registers workspace/didChangeWatchedFiles
 * for each layout it meets); a change re-checks what changed — a blob by size, mtime and ctime,
 * then its hash; index.json or a JSON blob of the walk by walking again, which re-hashes only
 * what changed — and publishes again every document whose findings changed, opened or not.
 * Large blobs are hashed in a worker thread, one at a time, cancellable, with work-done progress
 * on big layouts. What is published for one document is capped (see {@link capFindings}).
 */
import { statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { DocumentLink, FileEvent, Location, WorkDoneProgressServerReporter } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Analysis } from '../engine/analyze';
import { KIND_TITLES } from '../engine/documentKind';
import { descriptorDigestAt, descriptorDigests, describeContent, type BlobFact } from '../engine/layoutFindings';
import { formatSize } from '../engine/hover';
import type { Finding } from '../engine/types';
import { HASH_ALGORITHMS } from '../layout/hashing';
import { documentFindings, layoutRootOf, lookAt, relativeToRoot, verifyPending, type LayoutSnapshot } from '../layout/layout';
import { capFindings, createWalker, type WalkedDocument, type Walker } from './layoutWalker';

export { capFindings };

export interface LayoutHost {
  log(line: string): void;
  /** Lint an open document again (its layout's facts changed). */
  revalidate(uri: string): void;
  isOpen(uri: string): boolean;
  /** Publish findings for a document of the layout that is not open; `omitted` findings were already left out (the walk's engine cap). */
  publish(uri: string, text: string, findings: readonly Finding[], omitted: number): void;
  /** Publish nothing for a document of the layout that is gone (a deleted blob). */
  clear(uri: string): void;
  /** A work-done progress reporter (a no-op one when the client has no such support). */
  progress(): Promise<WorkDoneProgressServerReporter>;
  /**
   * Ask the client to watch a layout's files (workspace/didChangeWatchedFiles). False when the
   * client cannot: the layout is then walked again when one of its documents is opened or edited.
   */
  watch(root: string): boolean;
}

/** Without a watcher: a walk this recent is reused when a document of the layout is linted. */
const FRESH_MS = 1000;
/** How long a lint waits for the hashing of large blobs before it publishes what it knows. */
const WAIT_MS = 1500;
/** From how many pending bytes (or blobs) the hashing shows progress. */
const PROGRESS_BYTES = 32 * 1024 * 1024;
const PROGRESS_BLOBS = 16;
/** The walk lints each document with at most this many engine findings (what is published is capped again per document). */
const WALK_MAX_FINDINGS = 10_000;
/** File events are gathered this long before they are acted on (a tool writes many files at once). */
const SETTLE_MS = 50;

interface LayoutState {
  readonly root: string;
  /** The last complete walk (undefined until the first one ends), without the documents' analyses. */
  snapshot?: LayoutSnapshot;
  /** Its documents with their findings as on disk (for those not open). */
  docs: readonly WalkedDocument[];
  walkedAt: number;
  /** The walk in progress: it ends with `snapshot` set (or is superseded by a newer one). */
  walking?: { readonly abort: AbortController; readonly done: Promise<void> };
  abort: AbortController;
  verified: Promise<void>;
  /** The snapshot whose large blobs are being hashed. */
  verifying?: LayoutSnapshot;
  /** What was last published for each closed document, to publish only on a change. */
  readonly published: Map<string, string>;
  /** Digest → when its blob was last looked at (hash checked or taken from the stamp cache). */
  readonly checkedAt: Map<string, number>;
  watched: boolean;
  /** Watched-file events not yet acted on. */
  changes: Set<string>;
  timer?: NodeJS.Timeout;
}

export class LayoutService {
  private readonly states = new Map<string, LayoutState>();
  /** Layouts whose hashing the user cancelled: their large blobs stay unverified this session. */
  private readonly cancelled = new Set<string>();
  /** Open documents this service asked to lint again: their lint must not start another walk. */
  private readonly relinting = new Set<string>();

  private readonly walker: Walker;

  constructor(private readonly host: LayoutHost, walker?: Walker) {
    this.walker = walker ?? createWalker(host.log);
  }

  /** The layout root of a `file:` document, if it belongs to one. */
  rootFor(uri: string): { root: string; path: string } | undefined {
    if (!uri.startsWith('file:')) return undefined;
    let path: string;
    try {
      path = fileURLToPath(uri);
    } catch {
      return undefined;
    }
    const root = layoutRootOf(path);
    return root ? { root, path } : undefined;
  }

  /** The layout's state, starting its first walk when it has none. Never walks on this tick. */
  private state(root: string): LayoutState {
    let state = this.states.get(root);
    if (!state) {
      state = { root, docs: [], walkedAt: 0, abort: new AbortController(), verified: Promise.resolve(), published: new Map(), checkedAt: new Map(), watched: false, changes: new Set() };
      this.states.set(root, state);
      state.watched = this.host.watch(root);
      this.walk(state);
    }
    return state;
  }

  /** Starts a walk of the layout, cancelling one in progress. */
  private walk(state: LayoutState): void {
    state.walking?.abort.abort();
    const abort = new AbortController();
    const started = Date.now();
    const done = this.walker.walk(state.root, WALK_MAX_FINDINGS, abort.signal).then((result) => {
      if (!result || abort.signal.aborted) return;
      const snapshot = result.snapshot;
      state.docs = result.documents;
      state.walking = undefined;
      state.abort.abort(); // the old snapshot's hashing
      state.abort = new AbortController();
      state.snapshot = snapshot;
      state.walkedAt = Date.now();
      for (const digest of snapshot.facts.keys()) state.checkedAt.set(digest, state.walkedAt);
      const descriptors = result.documents.reduce((n, d) => n + d.descriptors, 0);
      this.host.log(`layout ${state.root}: walked ${result.documents.length} documents, ${descriptors} descriptors, ${snapshot.facts.size} blobs in ${state.walkedAt - started} ms`);
      state.verified = this.verify(state).catch((err) => this.host.log(`layout ${state.root}: ${err instanceof Error ? err.message : String(err)}`));
    }, (err: unknown) => {
      if (state.walking?.abort === abort) state.walking = undefined;
      this.host.log(`layout ${state.root}: ${err instanceof Error ? err.message : String(err)}`);
    });
    state.walking = { abort, done };
  }

  /** The layout's snapshot once the walk in progress (and any that supersedes it) has ended. */
  private async ready(state: LayoutState): Promise<LayoutSnapshot | undefined> {
    while (state.walking) await state.walking.done;
    return state.snapshot;
  }

  private async verify(state: LayoutState): Promise<void> {
    const s = state.snapshot!;
    if (s.pending.length > 0 && !this.cancelled.has(s.root) && state.verifying !== s) {
      state.verifying = s;
      const abort = state.abort;
      const big = s.pendingBytes >= PROGRESS_BYTES || s.pending.length >= PROGRESS_BLOBS;
      const reporter = big ? await this.host.progress() : undefined;
      reporter?.begin('Manifest Lens: verifying layout blobs', 0, `${s.pending.length} blobs, ${formatSize(s.pendingBytes)}`, true);
      reporter?.token.onCancellationRequested(() => { this.cancelled.add(s.root); abort.abort(); });
      let lastPct = -1;
      const pending = s.pending.map((p) => p.digest);
      const complete = await verifyPending(s, {
        signal: abort.signal,
        onProgress: (done, total, current) => {
          const pct = total > 0 ? Math.floor((done / total) * 100) : 100;
          if (pct === lastPct) return;
          lastPct = pct;
          reporter?.report(pct, `${formatSize(done)} of ${formatSize(total)}${current ? ` — ${current.slice(0, 19)}…` : ''}`);
        },
      }).finally(() => { reporter?.done(); if (state.verifying === s) state.verifying = undefined; });
      const now = Date.now();
      for (const digest of pending) if (s.facts.get(digest)?.hash !== 'pending') state.checkedAt.set(digest, now);
      if (!complete) this.host.log(`layout ${s.root}: hashing cancelled; ${s.pending.length} blobs left unverified`);
      if (state.snapshot !== s) return; // a newer walk took over
      await this.refind(state);
    }
    await this.announce(state);
  }

  /** The documents' findings again, from the snapshot's facts as they are now. */
  private async refind(state: LayoutState): Promise<void> {
    const s = state.snapshot;
    if (!s) return;
    const docs = await this.walker.refind(state.root, s.facts, s.unreferenced);
    if (state.snapshot === s) state.docs = docs;
  }

  /** Relints the layout's open documents and publishes its closed ones whose findings changed. */
  private async announce(state: LayoutState): Promise<void> {
    const s = state.snapshot;
    if (!s) return;
    const seen = new Set<string>();
    for (const doc of state.docs) {
      const uri = pathToFileURL(doc.path).href;
      seen.add(uri);
      if (this.host.isOpen(uri)) { this.relinting.add(uri); this.host.revalidate(uri); continue; }
      if (doc.rel === 'oci-layout' && doc.findings.length === 0) continue;
      const findings = doc.findings;
      const signature = signatureOf(doc);
      if (state.published.get(uri) !== signature) {
        state.published.set(uri, signature);
        this.host.publish(uri, doc.text, findings, doc.truncated);
      }
      // A document of many findings: let requests in between.
      if (findings.length > 1000) await new Promise<void>((r) => setImmediate(r));
      if (state.snapshot !== s) return;
    }
    for (const uri of [...state.published.keys()]) {
      if (seen.has(uri)) continue;
      state.published.delete(uri);
      if (!this.host.isOpen(uri)) this.host.clear(uri);
    }
  }

  /**
   * The findings of a document: the engine's as they are, or for a document of a layout, with
   * the layout's added (once the walk has ended, waiting a moment for the hashing of large
   * blobs; the rest follows when it is done).
   */
  async findings(doc: TextDocument, analysis: Analysis): Promise<readonly Finding[]> {
    const where = this.rootFor(doc.uri);
    if (!where) return analysis.findings;
    const state = this.state(where.root);
    const ours = this.relinting.delete(doc.uri);
    // A client that does not watch files: a document opened or edited sees a fresh walk.
    if (!ours && !state.watched && !state.walking && Date.now() - state.walkedAt >= FRESH_MS && !state.verifying) this.walk(state);
    const snapshot = await this.ready(state);
    if (!snapshot) return analysis.findings;
    await Promise.race([state.verified, new Promise((r) => setTimeout(r, WAIT_MS))]);
    const current = state.snapshot ?? snapshot;
    this.lookUpNew(current, analysis);
    return documentFindings(current, relativeToRoot(where.root, where.path), analysis);
  }

  /** Digests typed into the editor that the walk (of the files on disk) did not meet. */
  private lookUpNew(snapshot: LayoutSnapshot, analysis: Analysis): void {
    for (const { digest } of descriptorDigests(analysis)) {
      if (snapshot.facts.has(digest)) continue;
      const fact = lookAt(snapshot.root, digest);
      if (fact) snapshot.facts.set(digest, fact);
    }
  }

  /**
   * The blob behind the digest at `offset`. Never waits for a walk: while the first one runs,
   * the one blob is looked at directly (a stat, and a read of a small JSON blob).
   */
  private factAt(doc: TextDocument, analysis: Analysis, offset: number): { fact: BlobFact; root: string; node: { offset: number; length: number }; checkedAt?: number } | undefined {
    const where = this.rootFor(doc.uri);
    if (!where) return undefined;
    const hit = descriptorDigestAt(analysis, offset);
    if (!hit) return undefined;
    const state = this.state(where.root);
    const snapshot = state.snapshot;
    let fact = snapshot?.facts.get(hit.digest);
    if (!fact) {
      fact = lookAt(where.root, hit.digest);
      if (fact) {
        snapshot?.facts.set(hit.digest, fact);
        state.checkedAt.set(hit.digest, Date.now());
      }
    }
    return fact ? { fact, root: where.root, node: hit.node, checkedAt: state.checkedAt.get(hit.digest) } : undefined;
  }

  /** Markdown appended to the hover of a descriptor digest: the blob behind it. */
  hoverSection(doc: TextDocument, analysis: Analysis, offset: number): string {
    const hit = this.factAt(doc, analysis, offset);
    if (!hit) return '';
    const f = hit.fact;
    const lines = ['', '---', '', `**Blob in this image layout**: \`${f.path ?? f.digest}\``, ''];
    if (!f.exists) {
      lines.push('- **Missing**: the file does not exist.');
      return lines.join('\n');
    }
    if (f.unreadable) lines.push(`- Cannot be read: ${f.unreadable}`);
    lines.push(`- What it is: ${f.content?.type === 'document' ? KIND_TITLES[f.content.kind] : describeContent(f.content)}`);
    if (f.size !== undefined) lines.push(`- Size on disk: ${formatSize(f.size)}`);
    // When: a hash is re-checked when the watcher reports the file changed, or when its size,
    // mtime or ctime moved; an edit that escapes both (a clock set back) is not seen.
    const at = hit.checkedAt !== undefined ? ` (checked at ${new Date(hit.checkedAt).toISOString().slice(11, 19)} UTC)` : '';
    const hash = f.hash === 'verified' ? `verified: the bytes hash to \`${f.digest}\`${at}`
      : f.hash === 'mismatch' ? `**does not match**: the bytes hash to \`${f.actualDigest ?? '?'}\`${at}`
        : f.hash === 'pending' ? (this.cancelled.has(hit.root) ? 'not verified yet (hashing was cancelled; `node dist/cli.js lint` on the layout hashes every blob)' : 'not verified yet (a large blob, hashed in the background)')
          : 'not verified';
    lines.push(`- Hash: ${hash}`);
    return lines.join('\n');
  }

  /** Every descriptor digest whose blob file exists, as a link to it (once the walk has ended). */
  async links(doc: TextDocument, analysis: Analysis): Promise<DocumentLink[]> {
    const where = this.rootFor(doc.uri);
    if (!where) return [];
    const snapshot = await this.ready(this.state(where.root));
    if (!snapshot) return [];
    this.lookUpNew(snapshot, analysis);
    const out: DocumentLink[] = [];
    for (const { digest, node } of descriptorDigests(analysis)) {
      const f = snapshot.facts.get(digest);
      if (!f?.exists || !f.path) continue;
      const inner = { offset: node.offset + 1, length: Math.max(0, node.length - 2) };
      out.push({
        range: { start: doc.positionAt(inner.offset), end: doc.positionAt(inner.offset + inner.length) },
        target: pathToFileURL(`${where.root}/${f.path}`).href,
        tooltip: `Open ${f.path} (${f.content?.type === 'document' ? KIND_TITLES[f.content.kind] : describeContent(f.content)}${f.size !== undefined ? `, ${f.size} bytes` : ''}, read-only)`,
      });
    }
    return out;
  }

  /** Go to definition on a descriptor digest: its blob file. */
  definition(doc: TextDocument, analysis: Analysis, offset: number): Location | null {
    const hit = this.factAt(doc, analysis, offset);
    if (!hit?.fact.exists || !hit.fact.path) return null;
    return { uri: pathToFileURL(`${hit.root}/${hit.fact.path}`).href, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } };
  }

  /** A document of a layout was closed: the Problems panel shows its findings as on disk again. */
  closed(uri: string): void {
    const where = this.rootFor(uri);
    const state = where ? this.states.get(where.root) : undefined;
    const doc = state?.docs.find((d) => pathToFileURL(d.path).href === uri);
    if (!state || !doc || (doc.rel === 'oci-layout' && doc.findings.length === 0)) return;
    state.published.set(uri, signatureOf(doc));
    this.host.publish(uri, doc.text, doc.findings, doc.truncated);
  }

  /** workspace/didChangeWatchedFiles: gathers the events of each known layout, then acts on them. */
  filesChanged(changes: readonly FileEvent[]): void {
    for (const change of changes) {
      let path: string;
      try {
        path = fileURLToPath(change.uri);
      } catch {
        continue;
      }
      const root = candidateRoot(path);
      const state = root !== undefined ? this.states.get(root) : undefined;
      if (!state) continue;
      state.changes.add(relativeToRoot(state.root, path));
      if (!state.timer) state.timer = setTimeout(() => this.settle(state), SETTLE_MS);
    }
  }

  /**
   * Acts on a layout's changed files: index.json, oci-layout or a JSON document of the walk →
   * walk again (unchanged blobs are not hashed again); any other blob → look at it again (size,
   * mtime, ctime, then the hash) and publish what that changes.
   */
  private settle(state: LayoutState): void {
    state.timer = undefined;
    const rels = [...state.changes];
    state.changes.clear();
    const s = state.snapshot;
    if (!s || state.walking) { this.walk(state); return; }
    const docs = new Set(state.docs.map((d) => d.rel));
    const blobs: { rel: string; digest: string }[] = [];
    for (const rel of rels) {
      const parts = rel.split('/');
      if (parts.length === 3 && parts[0] === 'blobs' && HASH_ALGORITHMS.has(parts[1]) && !docs.has(rel)) blobs.push({ rel, digest: `${parts[1]}:${parts[2]}` });
      else if (rel === 'index.json' || rel === 'oci-layout' || docs.has(rel)) { this.walk(state); return; }
    }
    const now = Date.now();
    let changed = false;
    const mutable = s as { pendingBytes: number };
    for (const { rel, digest } of blobs) {
      if (s.facts.has(digest)) {
        const fact = lookAt(s.root, digest);
        if (!fact) continue;
        // A blob that now reads as a manifest or an index has children to follow: walk again.
        if (fact.content?.type === 'document' && fact.content.kind !== 'config') { this.walk(state); return; }
        s.facts.set(digest, fact);
        state.checkedAt.set(digest, now);
        // A blob already waiting to be hashed is hashed again after (the first result may be of the old bytes).
        if (fact.hash === 'pending') {
          try {
            const stat = statSync(join(s.root, rel));
            s.pending.push({ digest, algorithm: digest.slice(0, digest.indexOf(':')), path: join(s.root, rel), stat });
            mutable.pendingBytes += stat.size;
          } catch { /* gone again: the next event says so */ }
        }
        changed = true;
        continue;
      }
      // Not referenced: the list of unreferenced blobs (index.json's findings) may change.
      const i = s.unreferenced.findIndex((u) => u.path === rel);
      let size: number | undefined;
      try {
        const st = statSync(join(s.root, rel));
        if (st.isFile()) size = st.size;
      } catch { /* deleted */ }
      if (i >= 0) s.unreferenced.splice(i, 1);
      if (size !== undefined) s.unreferenced.push({ digest, path: rel, size });
      changed ||= i >= 0 || size !== undefined;
    }
    if (!changed) return;
    if (s.pending.length > 0) {
      if (state.verifying !== s) state.verified = this.verify(state).catch((err) => this.host.log(`layout ${state.root}: ${err instanceof Error ? err.message : String(err)}`));
      return; // verify() announces when the hashes are in
    }
    void this.refind(state).then(() => this.announce(state)).catch((err) => this.host.log(`layout ${state.root}: ${err instanceof Error ? err.message : String(err)}`));
  }

  /** Stops any walk and hashing in progress. */
  dispose(): void {
    for (const s of this.states.values()) {
      s.walking?.abort.abort();
      s.abort.abort();
      if (s.timer) clearTimeout(s.timer);
    }
    this.states.clear();
    this.walker.dispose();
  }
}

/** What was published for a closed document, to publish again only on a change. */
function signatureOf(doc: WalkedDocument): string {
  return `${doc.text.length}:${doc.truncated}:${JSON.stringify(doc.findings.map((f) => [f.ruleId, f.severity, f.offset, f.length, f.message]))}`;
}

/** The layout root a changed file would belong to (its layout may no longer be one on disk). */
function candidateRoot(path: string): string | undefined {
  const name = basename(path);
  if (name === 'index.json' || name === 'oci-layout') return dirname(path);
  const dir = dirname(path);
  if (basename(dirname(dir)) === 'blobs' && HASH_ALGORITHMS.has(basename(dir))) return dirname(dirname(dir));
  return undefined;
}
