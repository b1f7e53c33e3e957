/**
 * One analysis per document version, shared by diagnostics, hovers, completions and code
 * actions; validation at once on open, and on changes after a debounce that follows the
 * document's own lint cost, dropping stale work when the user keeps typing.
 */
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { analyze, type Analysis, type AnalyzeOptions } from '../engine/analyze';
import { canReanalyze, reanalyze } from '../engine/reanalyze';
import type { DocumentContext } from '../engine/types';
import { analyzeTolerant } from './tolerantAnalysis';
import type { DocumentSettings } from './settings';
import { editSince } from './textDocument';

export interface AnalysisEntry {
  readonly version: number;
  readonly analysis: Analysis;
  /** Set when the document was too large to lint. */
  readonly skippedBytes?: number;
  /** The options it was linted with, as a key: a relint of one entry needs the same. */
  readonly optionsKey?: string;
  /** Set when only the edited entry was parsed again (engine/reanalyze.ts). */
  readonly partial?: boolean;
}

/**
 * From this size on (characters), a change inside one entry relints that entry's part of the
 * parse only (engine/reanalyze.ts); below it a full lint takes a few milliseconds anyway.
 */
export const INCREMENTAL_FROM = 256 * 1024;

/** From this size on (characters), queries do not wait for a pending relint. */
export const LARGE_DOCUMENT = 1024 * 1024;

// ---- scheduling (issue 13): how long a change waits before its relint ----

/** The shortest debounce: a small manifest relints within about this long after the last key. */
export const MIN_DEBOUNCE_MS = 40;
/** The longest: even a document that lints slowly is relinted within a second of the last key. */
export const MAX_DEBOUNCE_MS = 1000;
/** Before a document's first lint is timed: an estimate of the engine's speed (characters per ms). */
const ESTIMATED_CHARS_PER_MS = 100_000;

/**
 * The debounce after a change: about the document's last lint time (an 8 MB index waits about
 * as long as it takes to lint, so a burst of keys costs one lint, not one per key), and never
 * less than {@link MIN_DEBOUNCE_MS} nor more than {@link MAX_DEBOUNCE_MS}.
 */
export function debounceFor(lastLintMs: number | undefined, size: number): number {
  const cost = lastLintMs ?? size / ESTIMATED_CHARS_PER_MS;
  return Math.round(Math.min(MAX_DEBOUNCE_MS, Math.max(MIN_DEBOUNCE_MS, cost)));
}

export class AnalysisService {
  private readonly cache = new Map<string, AnalysisEntry>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** How long the last full lint of each document took (ms): the base of its debounce. */
  private readonly lintMs = new Map<string, number>();
  /** How long the last relint of one entry took (ms): the debounce of a change that one will take. */
  private readonly relintMs = new Map<string, number>();
  /**
   * The last version of each large document that parsed and was linted: the base of the relint
   * of one entry, also while the versions after it do not parse (a key half typed), so that the
   * key that makes the entry whole again relints that entry only.
   */
  private readonly clean = new Map<string, AnalysisEntry>();
  /** The version each document was opened with and validated at once: its change event is not debounced again. */
  private readonly openedVersion = new Map<string, number>();

  constructor(
    private readonly settingsFor: (uri: string) => Promise<DocumentSettings>,
    private readonly contentTypeFor: (uri: string) => string | undefined,
    /** Where a document sits (a layout's index.json, a referrers response), when known. */
    private readonly contextFor: (uri: string) => DocumentContext | undefined = () => undefined,
  ) {}

  /** The analysis of this exact version, computing it if needed. */
  async get(doc: TextDocument): Promise<AnalysisEntry> {
    const hit = this.cache.get(doc.uri);
    if (hit && hit.version === doc.version) return hit;
    const settings = await this.settingsFor(doc.uri);
    return this.compute(doc, settings);
  }

  /**
   * For hovers, completions and the outline: the full analysis when it is current; for a large
   * document whose relint is still pending (the user is typing), a parse of the current text
   * without rules, so the answer is not queued behind a full lint.
   */
  async forQuery(doc: TextDocument): Promise<AnalysisEntry> {
    const hit = this.cache.get(doc.uri);
    if (hit && hit.version === doc.version) return hit;
    const text = doc.getText();
    if (text.length >= LARGE_DOCUMENT && this.timers.has(doc.uri)) {
      return { version: doc.version, analysis: analyze(text, { parseOnly: true, contentType: this.contentTypeFor(doc.uri) }) };
    }
    return this.get(doc);
  }

  /** Synchronous variant for callers that already hold the settings. */
  compute(doc: TextDocument, settings: DocumentSettings): AnalysisEntry {
    const hit = this.cache.get(doc.uri);
    if (hit && hit.version === doc.version) return hit;
    const text = doc.getText();
    const limit = settings.maxFileSizeMB * 1024 * 1024;
    let entry: AnalysisEntry;
    if (text.length > limit) {
      entry = { version: doc.version, analysis: analyze('', {}), skippedBytes: text.length };
    } else {
      const started = performance.now();
      const options: AnalyzeOptions = { rules: settings.rules, maxFindings: settings.maxProblems, contentType: this.contentTypeFor(doc.uri), context: this.contextFor(doc.uri) };
      const optionsKey = JSON.stringify(options);
      // A change inside one entry of a large document since its last version that parsed: that
      // entry is parsed again, the rest of that version's parse kept.
      const base = this.baseFor(doc, optionsKey);
      const edit = base ? editSince(doc, base.version) : undefined;
      const again = edit && base ? reanalyze(base.analysis, text, edit, options) : undefined;
      entry = {
        version: doc.version,
        // Text that does not parse keeps what the previous version found away from the broken spot.
        analysis: again ?? analyzeTolerant(text, options, hit?.analysis),
        optionsKey,
        ...(again ? { partial: true } : {}),
      };
      (again ? this.relintMs : this.lintMs).set(doc.uri, performance.now() - started);
      const a = entry.analysis;
      // A version that does not parse leaves the last one that did as the base.
      if (a.linted && a.syntaxErrors.length === 0 && !a.damaged) {
        if (text.length >= INCREMENTAL_FROM) this.clean.set(doc.uri, entry);
        else this.clean.delete(doc.uri);
      }
    }
    this.cache.set(doc.uri, entry);
    return entry;
  }

  /** The last version of a large document that parsed (linted with these options, when given), if any. */
  private baseFor(doc: TextDocument, optionsKey?: string): AnalysisEntry | undefined {
    const base = this.clean.get(doc.uri);
    if (!base || (optionsKey !== undefined && base.optionsKey !== optionsKey)) return undefined;
    return base.version < doc.version && doc.getText().length >= INCREMENTAL_FROM ? base : undefined;
  }

  /**
   * How long a change waits before its relint ({@link debounceFor}): about the last relint of
   * one entry when this change is one (inside one entry, which still parses alone), else about
   * the last full lint.
   */
  delayFor(doc: TextDocument): number {
    const size = doc.getText().length;
    if (this.relintsOneEntry(doc)) return debounceFor(this.relintMs.get(doc.uri) ?? MIN_DEBOUNCE_MS, size);
    return debounceFor(this.lintMs.get(doc.uri), size);
  }

  /** Whether the next relint of this version takes only the entry it was changed in (engine/reanalyze.ts). */
  relintsOneEntry(doc: TextDocument): boolean {
    const base = this.baseFor(doc);
    if (!base) return false;
    const edit = editSince(doc, base.version);
    return edit !== undefined && canReanalyze(base.analysis, doc.getText(), edit);
  }

  /**
   * A document just opened: runs `fn` (its validation) at once, with no debounce, and marks the
   * version so that the change event the open also fires does not schedule a second lint.
   */
  openNow(doc: TextDocument, fn: () => void): void {
    this.cancel(doc.uri);
    this.openedVersion.set(doc.uri, doc.version);
    fn();
  }

  /**
   * Runs `fn` after the user stops typing, after {@link debounceFor} the document's last lint
   * time. Hovers and completions never wait for this timer (see {@link forQuery}).
   */
  schedule(doc: TextDocument, fn: () => void): void {
    if (this.openedVersion.get(doc.uri) === doc.version) return; // the open's own change event: already validated
    this.openedVersion.delete(doc.uri);
    this.cancel(doc.uri);
    const delay = this.delayFor(doc);
    this.timers.set(doc.uri, setTimeout(() => { this.timers.delete(doc.uri); fn(); }, delay));
  }

  private cancel(uri: string): void {
    const t = this.timers.get(uri);
    if (t) clearTimeout(t);
    this.timers.delete(uri);
  }

  forget(uri: string): void {
    this.cache.delete(uri);
    this.cancel(uri);
    this.lintMs.delete(uri);
    this.relintMs.delete(uri);
    this.clean.delete(uri);
    this.openedVersion.delete(uri);
  }

  clear(): void {
    this.cache.clear();
    this.clean.clear();
  }

  /** How many documents the service holds anything for (a closed document must leave nothing: test/lsp/memory.test.ts). */
  trackedDocuments(): number {
    return new Set([...this.cache.keys(), ...this.timers.keys(), ...this.lintMs.keys(), ...this.relintMs.keys(), ...this.clean.keys(), ...this.openedVersion.keys()]).size;
  }
}
