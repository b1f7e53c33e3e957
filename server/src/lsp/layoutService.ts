/**
 * OCI image layouts in the editor. A document that is a layout's index.json or one of its
 * blobs (`blobs/sha256/<hex>`) gets, besides the engine's findings, what the folder says about
 * the blobs its descriptors point at; every digest is a link to its blob file, and its hover
 * says what the blob is, its size on disk and whether its hash was verified.
 *
 * The folder is read by layout/layout.ts. Small blobs are hashed as they are read; large ones
 * are hashed afterwards in a worker thread, one at a time, cancellable, with work-done progress
 * on big layouts; results are cached by path, size and mtime. When the hashes come in, the
 * layout's open documents are linted again and its closed ones get their diagnostics published.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { DocumentLink, Location, WorkDoneProgressServerReporter } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Analysis } from '../engine/analyze';
import { KIND_TITLES } from '../engine/documentKind';
import { descriptorDigestAt, descriptorDigests, describeContent, type BlobFact } from '../engine/layoutFindings';
import { formatSize } from '../engine/hover';
import type { Finding } from '../engine/types';
import { documentFindings, layoutRootOf, lookAt, relativeToRoot, verifyPending, walkLayout, type LayoutSnapshot } from '../layout/layout';

export interface LayoutHost {
  log(line: string): void;
  /** Lint an open document again (its layout's facts changed). */
  revalidate(uri: string): void;
  isOpen(uri: string): boolean;
  /** Publish findings for a document of the layout that is not open. */
  publish(uri: string, text: string, findings: readonly Finding[]): void;
  /** A work-done progress reporter (a no-op one when the client has no such support). */
  progress(): Promise<WorkDoneProgressServerReporter>;
}

/** A walk this recent is reused; the hash cache makes a newer one cheap anyway. */
const FRESH_MS = 1000;
/** How long a lint waits for the hashing before it publishes what it knows. */
const WAIT_MS = 1500;
/** From how many pending bytes (or blobs) the hashing shows progress. */
const PROGRESS_BYTES = 32 * 1024 * 1024;
const PROGRESS_BLOBS = 16;

interface LayoutState {
  snapshot: LayoutSnapshot;
  walkedAt: number;
  abort: AbortController;
  verified: Promise<void>;
  /** What was last published for the closed documents, to publish only on a change. */
  published?: string;
  /** Large blobs are being hashed: a new walk waits for that (else each keystroke would restart a 2 GiB layer). */
  verifying: boolean;
}

export class LayoutService {
  private readonly states = new Map<string, LayoutState>();
  /** Layouts whose hashing the user cancelled: their large blobs stay unverified this session. */
  private readonly cancelled = new Set<string>();

  constructor(private readonly host: LayoutHost) {}

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

  /** The current snapshot of a layout, walking it again when the last walk is not fresh. */
  private state(root: string): LayoutState {
    const old = this.states.get(root);
    if (old && (old.verifying || Date.now() - old.walkedAt < FRESH_MS)) return old;
    old?.abort.abort();
    const snapshot = walkLayout(root);
    const abort = new AbortController();
    const state: LayoutState = { snapshot, walkedAt: Date.now(), abort, verified: Promise.resolve(), published: old?.published, verifying: false };
    this.states.set(root, state);
    state.verified = this.verify(state).catch((err) => this.host.log(`layout ${root}: ${err instanceof Error ? err.message : String(err)}`));
    return state;
  }

  private async verify(state: LayoutState): Promise<void> {
    const s = state.snapshot;
    if (s.pending.length > 0 && !this.cancelled.has(s.root)) {
      state.verifying = true;
      const big = s.pendingBytes >= PROGRESS_BYTES || s.pending.length >= PROGRESS_BLOBS;
      const reporter = big ? await this.host.progress() : undefined;
      reporter?.begin('Manifest Lens: verifying layout blobs', 0, `${s.pending.length} blobs, ${formatSize(s.pendingBytes)}`, true);
      reporter?.token.onCancellationRequested(() => { this.cancelled.add(s.root); state.abort.abort(); });
      let lastPct = -1;
      const complete = await verifyPending(s, {
        signal: state.abort.signal,
        onProgress: (done, total, current) => {
          const pct = total > 0 ? Math.floor((done / total) * 100) : 100;
          if (pct === lastPct) return;
          lastPct = pct;
          reporter?.report(pct, `${formatSize(done)} of ${formatSize(total)}${current ? ` — ${current.slice(0, 19)}…` : ''}`);
        },
      }).finally(() => { reporter?.done(); state.verifying = false; });
      if (!complete) this.host.log(`layout ${s.root}: hashing cancelled; ${s.pending.length} blobs left unverified`);
      if (this.states.get(s.root) !== state) return; // a newer walk took over
    }
    this.announce(state);
  }

  /** Relints the layout's open documents and publishes its closed ones, when something changed. */
  private announce(state: LayoutState): void {
    const s = state.snapshot;
    const signature = JSON.stringify([[...s.facts.values()], s.unreferenced, s.problems, s.documents.map((d) => d.rel + d.text.length)]);
    if (signature === state.published) return;
    state.published = signature;
    for (const doc of s.documents) {
      const uri = pathToFileURL(doc.path).href;
      if (this.host.isOpen(uri)) this.host.revalidate(uri);
      else if (doc.rel !== 'oci-layout' || doc.analysis.findings.length > 0) this.host.publish(uri, doc.text, documentFindings(s, doc.rel, doc.analysis));
    }
  }

  /**
   * The findings of a document: the engine's as they are, or for a document of a layout, with
   * the layout's added (waiting a moment for the hashing of large blobs; the rest follows when
   * it is done).
   */
  async findings(doc: TextDocument, analysis: Analysis): Promise<readonly Finding[]> {
    const where = this.rootFor(doc.uri);
    if (!where) return analysis.findings;
    const state = this.state(where.root);
    await Promise.race([state.verified, new Promise((r) => setTimeout(r, WAIT_MS))]);
    this.lookUpNew(state, analysis);
    return documentFindings(state.snapshot, relativeToRoot(where.root, where.path), analysis);
  }

  /** Digests typed into the editor that the walk (of the files on disk) did not meet. */
  private lookUpNew(state: LayoutState, analysis: Analysis): void {
    for (const { digest } of descriptorDigests(analysis)) {
      if (state.snapshot.facts.has(digest)) continue;
      const fact = lookAt(state.snapshot.root, digest);
      if (fact) state.snapshot.facts.set(digest, fact);
    }
  }

  private factAt(doc: TextDocument, analysis: Analysis, offset: number): { fact: BlobFact; root: string; node: { offset: number; length: number } } | undefined {
    const where = this.rootFor(doc.uri);
    if (!where) return undefined;
    const hit = descriptorDigestAt(analysis, offset);
    if (!hit) return undefined;
    const state = this.state(where.root);
    this.lookUpNew(state, analysis);
    const fact = state.snapshot.facts.get(hit.digest);
    return fact ? { fact, root: where.root, node: hit.node } : undefined;
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
    const hash = f.hash === 'verified' ? `verified: the bytes hash to \`${f.digest}\``
      : f.hash === 'mismatch' ? `**does not match**: the bytes hash to \`${f.actualDigest ?? '?'}\``
        : f.hash === 'pending' ? (this.cancelled.has(hit.root) ? 'not verified yet (hashing was cancelled; `node dist/cli.js lint` on the layout hashes every blob)' : 'not verified yet (a large blob, hashed in the background)')
          : 'not verified';
    lines.push(`- Hash: ${hash}`);
    return lines.join('\n');
  }

  /** Every descriptor digest whose blob file exists, as a link to it. */
  links(doc: TextDocument, analysis: Analysis): DocumentLink[] {
    const where = this.rootFor(doc.uri);
    if (!where) return [];
    const state = this.state(where.root);
    this.lookUpNew(state, analysis);
    const out: DocumentLink[] = [];
    for (const { digest, node } of descriptorDigests(analysis)) {
      const f = state.snapshot.facts.get(digest);
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

  /** Stops any hashing in progress. */
  dispose(): void {
    for (const s of this.states.values()) s.abort.abort();
    this.states.clear();
  }
}
