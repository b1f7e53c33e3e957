/**
 * Deep inspection of fetched indexes in the editor: once an index fetched with Inspect Remote
 * Image is shown (and linted), its children are fetched by digest in the background
 * (server/src/graph/imageGraph.ts: a few at a time, cached by digest, nested indexes to the
 * bottom), linted and cross-checked, and each child's problems become diagnostics on its entry
 * in the index document. So the podman#22196 index, clean on its own, is marked where the
 * trap is. Closing the document cancels the work; a result is kept per served digest, and the
 * documents fetched by digest are held (heldDocuments.ts) for the next inspection and the
 * explorer. Every entry is inspected up to DEEP_MAX_CHILDREN per index; past it, or when the
 * registry rate-limits (429: nothing more is asked of it), or when the inspection fails, a
 * diagnostic on `manifests` says that it stopped early and why. A child named by many entries
 * is fetched, linted and built once (the graph's `sameAs` nodes), the graph's node and problem
 * budgets hold (what they left out is said on `manifests` too), at most DEEP_MAX_DIAGNOSTICS
 * diagnostics are published, and the walk gives the event loop a turn every few milliseconds,
 * so hovers are answered while it runs.
 *
 * Also the size lenses: total compressed size (config + layers) and layer count, read from the
 * document itself for a manifest, from the inspected children for an index's entries.
 */
import { DiagnosticSeverity, type CodeLens, type Diagnostic } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Analysis } from '../engine/analyze';
import { propertyOf, valueOf, type Node } from '../engine/json';
import type { Severity } from '../engine/types';
import { compactSize } from '../../../common/units';
import { DEFAULT_MAX_CHILDREN, inspectGraph, leftOutText, problemSummaries, type GraphNode, type GraphResult, type ProblemSummary } from '../graph/imageGraph';
import { holdingClient } from './heldDocuments';
import { isRegistryError, parseReference, type RegistryClient } from '../registry';
import { deepEntryText, SOURCE } from './convert';
import type { Fetched } from './remote';
import { remoteUri, withRaw } from './remoteUri';
import { ruleDocUrl } from './ruleDocs';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

/** Problems one entry gets at most (a broken child can have many findings). */
const MAX_PER_ENTRY = 20;
/** Diagnostics deep inspection publishes at most for one document (manifestLens.validate.maxProblems' default). */
export const DEEP_MAX_DIAGNOSTICS = 1000;

/** Entries inspected per index by default (manifestLens.remote.deepInspectionMaxEntries): the graph's own default. */
export const DEEP_MAX_CHILDREN = DEFAULT_MAX_CHILDREN;

/** The code of the diagnostic that says deep inspection stopped early (not a rule: no link). */
export const DEEP_STOPPED = 'deep-inspection-stopped';

interface State {
  readonly digest: string;
  /** The entry limit it ran with: a new setting starts it again. */
  readonly maxEntries: number;
  readonly controller: AbortController;
  graph?: GraphNode;
  result?: GraphResult;
  /** The problems below a node of `result`, each shared document summed once. */
  summary?: (node: GraphNode) => ProblemSummary;
  failed?: string;
  /** The registry rate-limited a request: nothing more was asked of it. */
  rateLimited?: string;
  /** Digests not fetched because of that. */
  readonly skipped: Set<string>;
}

export interface DeepInspectionDeps {
  readonly client: () => RegistryClient;
  readonly fetched: (uri: string) => Fetched | undefined;
  readonly log: (line: string) => void;
  /** Called when the result for a document is in: publish its diagnostics again. */
  readonly done: (uri: string) => void;
}

export class DeepInspection {
  /** Keyed by the pretty URI: the raw and pretty views share one inspection. */
  private readonly states = new Map<string, State>();

  constructor(private readonly deps: DeepInspectionDeps) {}

  /**
   * Diagnostics of the index entries in `doc`, once its children are inspected. The first call
   * for a fetched index starts the inspection and returns none: the index shows at once.
   */
  diagnostics(doc: TextDocument, analysis: Analysis, settings: { readonly enabled: boolean; readonly maxEntries?: number }): Diagnostic[] {
    const key = withRaw(doc.uri, false);
    const f = this.deps.fetched(doc.uri);
    if (!key || !f || f.target.kind !== 'manifest' || !settings.enabled || !isIndex(analysis)) return [];
    const maxEntries = settings.maxEntries ?? DEEP_MAX_CHILDREN;
    const state = this.states.get(key);
    if (!state || state.digest !== f.digest || state.maxEntries !== maxEntries) {
      this.start(key, f, maxEntries);
      return [];
    }
    const stopped = this.stoppedEarly(doc, analysis, state);
    if (!state.graph || !state.summary || !state.result) return stopped;
    const out: Diagnostic[] = [];
    const sites = entrySites(analysis);
    let notShown = 0;
    for (const child of state.graph.children) {
      const site = child.position === undefined ? undefined : sites.get(child.position);
      if (!site) continue;
      // An entry left unfetched after a 429 is said once, on `manifests`, not on every entry.
      const own = child.sameAs !== undefined ? state.result.shared.get(child.sameAs) ?? child : child;
      const skipped = state.skipped.has(child.digest) || own.children.some((c) => c.kind === 'config' && state.skipped.has(c.digest));
      const summary = state.summary(child);
      const listed = summary.list.filter((p) => !(p.ruleId === 'child-unavailable' && skipped));
      const total = summary.total - (summary.list.length - listed.length);
      if (out.length >= DEEP_MAX_DIAGNOSTICS) {
        notShown += total;
        continue;
      }
      const problems = listed.slice(0, Math.min(MAX_PER_ENTRY, DEEP_MAX_DIAGNOSTICS - out.length));
      notShown += Math.max(0, Math.min(total, MAX_PER_ENTRY) - problems.length);
      for (const p of problems) {
        // Cross-checks underline the field they contradict; a child's own findings the digest.
        const field = p.ruleId === 'child-size-mismatch' ? 'size' : p.ruleId === 'child-media-type-mismatch' ? 'mediaType' : p.ruleId === 'platform-config-mismatch' ? 'platform' : 'digest';
        const node: Node = valueOf(site, field) ?? valueOf(site, 'digest') ?? site;
        // The problem first; the entry's path last, the child's digest and position in relatedInformation (a link to it).
        const text = deepEntryText(p, p.path, child, remoteUri({ registry: f.target.registry, repository: f.target.repository, raw: false, ref: child.digest, kind: 'manifest' }));
        out.push({
          range: { start: doc.positionAt(node.offset), end: doc.positionAt(node.offset + node.length) },
          severity: SEVERITY[p.severity],
          code: p.ruleId,
          codeDescription: { href: ruleDocUrl(p.ruleId) },
          source: SOURCE,
          ...text,
          data: { ruleId: p.ruleId, deep: true, child: child.digest },
        });
      }
      if (total > MAX_PER_ENTRY && out.length < DEEP_MAX_DIAGNOSTICS) {
        out.push({
          range: rangeOf(doc, valueOf(site, 'digest') ?? site),
          severity: DiagnosticSeverity.Information,
          code: 'too-many-problems',
          source: SOURCE,
          message: `${child.label}: ${total - MAX_PER_ENTRY} more problems below this entry; open it to see them all.`,
        });
      }
    }
    if (notShown > 0) {
      stopped.push({
        ...(stopped[0] ?? this.onManifests(doc, analysis, DiagnosticSeverity.Information, '')),
        severity: DiagnosticSeverity.Information,
        message: `Deep inspection shows at most ${DEEP_MAX_DIAGNOSTICS} problems below the entries; ${notShown} more are not shown. Open an entry's child to see its own.`,
      });
    }
    return [...stopped, ...out];
  }

  /** A diagnostic on the `manifests` key. */
  private onManifests(doc: TextDocument, analysis: Analysis, severity: DiagnosticSeverity, message: string): Diagnostic {
    const key = analysis.root ? propertyOf(analysis.root, 'manifests') : undefined;
    const range = rangeOf(doc, { offset: key?.offset ?? 0, length: key ? '"manifests"'.length : 0 } as Node);
    return { range, severity, code: DEEP_STOPPED, source: SOURCE, message };
  }

  /** Why the inspection of `doc` stopped early, if it did: one diagnostic on the `manifests` key. */
  private stoppedEarly(doc: TextDocument, analysis: Analysis, state: State): Diagnostic[] {
    const reasons: { severity: DiagnosticSeverity; message: string }[] = [];
    if (state.failed) reasons.push({ severity: DiagnosticSeverity.Warning, message: `Deep inspection stopped: ${state.failed}` });
    if (state.rateLimited) {
      const count = state.skipped.size;
      reasons.push({
        severity: DiagnosticSeverity.Warning,
        message: `Deep inspection stopped fetching children when the registry rate-limited it; ${count} document${count === 1 ? ' was' : 's were'} not fetched, so the entries that lead to them are not checked. ${state.rateLimited}`,
      });
    }
    const g = state.graph;
    if (g?.notFetched) {
      reasons.push({
        severity: DiagnosticSeverity.Information,
        message: `Deep inspection checked the first ${g.children.length} of ${g.children.length + g.notFetched} entries: at most ${state.maxEntries} per index (manifestLens.remote.deepInspectionMaxEntries), to bound the requests one document costs. The other ${g.notFetched} were not fetched; open an entry's child to inspect it.`,
      });
    }
    const leftOut = leftOutText(state.result?.leftOut);
    if (leftOut) {
      reasons.push({
        severity: DiagnosticSeverity.Information,
        message: `Deep inspection: ${leftOut}. A document named by many entries is inspected once; open an entry's child to inspect it on its own.`,
      });
    }
    return reasons.map((r) => this.onManifests(doc, analysis, r.severity, r.message));
  }

  /**
   * Size lenses: on a manifest, its layer count and total compressed size; on an inspected
   * index, the same for each entry (and the index's distinct blobs on top).
   */
  codeLenses(doc: TextDocument, analysis: Analysis): CodeLens[] {
    const f = this.deps.fetched(doc.uri);
    if (!f || f.target.kind !== 'manifest' || !analysis.root) return [];
    // The summary stands above the list it sums up (`layers`, `manifests`), not on the top line,
    // which the provenance and action lenses already fill to a normal window's width.
    const listKey = propertyOf(analysis.root, isIndex(analysis) ? 'manifests' : 'layers');
    const top = rangeOf(doc, { offset: listKey?.offset ?? 0, length: 0 } as Node);
    if (!isIndex(analysis)) {
      const sizes = analysis.descriptors.filter((s) => s.role === 'config' || s.role === 'layer').map((s) => valueOf(s.node, 'size')?.value);
      const layers = analysis.descriptors.filter((s) => s.role === 'layer').length;
      if (!analysis.descriptors.some((s) => s.role === 'config')) return [];
      const total = sizes.reduce<number>((t, v) => t + (typeof v === 'number' ? v : 0), 0);
      return [{ range: top, command: { title: `${layers} layer${layers === 1 ? '' : 's'} · ${compactSize(total)} compressed (config + layers)`, command: '' } }];
    }
    const state = this.states.get(withRaw(doc.uri, false) ?? '');
    if (!state?.graph) return state && !state.failed ? [{ range: top, command: { title: '$(sync~spin) Inspecting the children…', command: '' } }] : [];
    const skipped = state.graph.notFetched ? ` (the first ${state.graph.children.length} of ${state.graph.children.length + state.graph.notFetched} inspected: manifestLens.remote.deepInspectionMaxEntries)` : '';
    const lenses: CodeLens[] = [{ range: top, command: { title: `${state.graph.children.length} entr${state.graph.children.length === 1 ? 'y' : 'ies'} · ${compactSize(state.graph.totalSize)} of distinct blobs${skipped}`, command: '' } }];
    const base = { registry: f.target.registry, repository: f.target.repository, raw: false };
    const sites = entrySites(analysis);
    for (const child of state.graph.children) {
      const site = child.position === undefined ? undefined : sites.get(child.position);
      if (!site) continue;
      const counts = state.summary?.(child).bySeverity ?? {};
      const problems = (counts.error ?? 0) + (counts.warning ?? 0);
      const own = child.sameAs !== undefined ? state.result?.shared.get(child.sameAs) ?? child : child;
      const size = child.kind === 'manifest'
        ? `${child.layerCount} layer${child.layerCount === 1 ? '' : 's'} · ${compactSize(child.totalSize)}`
        : child.kind === 'index' ? `index of ${own.children.length} · ${compactSize(child.totalSize)}` : 'not inspected';
      const title = `${child.attestationOf !== undefined ? child.label + ' · ' : ''}${size}${problems ? ` · ${problems} problem${problems === 1 ? '' : 's'} below` : ''}`;
      lenses.push({ range: rangeOf(doc, { offset: site.offset, length: 0 } as Node), command: { title, command: 'manifestLens.openRemote', arguments: [remoteUri({ ...base, ref: child.digest, kind: 'manifest' })] } });
    }
    return lenses;
  }

  /** Stops the work for a closed document and forgets it. */
  forget(uri: string): void {
    const key = withRaw(uri, false);
    if (!key) return;
    // The raw and pretty views share the state: keep it while the other is open (the caller knows).
    const s = this.states.get(key);
    s?.controller.abort();
    this.states.delete(key);
  }

  private start(key: string, f: Fetched, maxEntries: number): void {
    this.states.get(key)?.controller.abort();
    const state: State = { digest: f.digest, maxEntries, controller: new AbortController(), skipped: new Set() };
    this.states.set(key, state);
    const started = Date.now();
    void (async () => {
      try {
        const sep = f.target.ref.includes(':') ? '@' : ':';
        const ref = parseReference(`${f.target.registry}/${f.target.repository}${sep}${f.target.ref}`);
        const client = holdingClient(this.deps.client(), {
          stopWhenRateLimited: true,
          onRateLimited: (message) => {
            state.rateLimited = message;
          },
          onSkipped: (digest) => state.skipped.add(digest),
        });
        const result = await inspectGraph(client, ref, { bytes: f.bytes, contentType: f.contentType, digest: f.digest }, {
          signal: state.controller.signal,
          maxChildren: maxEntries,
          lintRoot: false, // the editor lints the document itself
        });
        if (this.states.get(key) !== state) return;
        state.graph = result.root;
        state.result = result;
        state.summary = problemSummaries(result.shared, MAX_PER_ENTRY);
        const count = state.summary(result.root).total - result.root.problems.length;
        const leftOut = leftOutText(result.leftOut);
        this.deps.log(`deep inspection of ${f.reference}: ${result.fetched} documents in ${result.requests} requests, ${result.nodes} nodes, ${Date.now() - started} ms; ${count} problem(s) below the entries${leftOut ? `; ${leftOut}` : ''}`);
      } catch (e) {
        if (this.states.get(key) !== state) return;
        if (isRegistryError(e) && e.kind === 'cancelled') return;
        state.failed = e instanceof Error ? e.message : String(e);
        this.deps.log(`deep inspection of ${f.reference} failed: ${state.failed}`);
      }
      this.deps.done(key);
    })();
  }
}

function isIndex(analysis: Analysis): boolean {
  return analysis.kind === 'oci-index' || analysis.kind === 'docker-list';
}

/** The object of each `manifests[position]`, by position (one pass, not one search per entry). */
function entrySites(analysis: Analysis): Map<number, Node> {
  const out = new Map<number, Node>();
  for (const s of analysis.descriptors) if (s.role === 'manifest' && s.index !== undefined && !out.has(s.index)) out.set(s.index, s.node);
  return out;
}

function rangeOf(doc: TextDocument, node: Node): Diagnostic['range'] {
  return { start: doc.positionAt(node.offset), end: doc.positionAt(node.offset + node.length) };
}

