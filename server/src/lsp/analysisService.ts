/**
 * One analysis per document version, shared by diagnostics, hovers, completions and code
 * actions; debounced validation that drops stale work when the user keeps typing.
 */
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { analyze, type Analysis } from '../engine/analyze';
import { analyzeTolerant } from './tolerantAnalysis';
import type { DocumentSettings } from './settings';

export interface AnalysisEntry {
  readonly version: number;
  readonly analysis: Analysis;
  /** Set when the document was too large to lint. */
  readonly skippedBytes?: number;
}

/** From this size on (characters), queries do not wait for a pending relint. */
export const LARGE_DOCUMENT = 1024 * 1024;

export class AnalysisService {
  private readonly cache = new Map<string, AnalysisEntry>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly settingsFor: (uri: string) => Promise<DocumentSettings>,
    private readonly contentTypeFor: (uri: string) => string | undefined,
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
      entry = {
        version: doc.version,
        // Text that does not parse keeps what the previous version found away from the broken spot.
        analysis: analyzeTolerant(text, { rules: settings.rules, maxFindings: settings.maxProblems, contentType: this.contentTypeFor(doc.uri) }, hit?.analysis),
      };
    }
    this.cache.set(doc.uri, entry);
    return entry;
  }

  /**
   * Runs `fn` after the user stops typing. Small documents are linted almost at once; large
   * ones wait longer so a burst of keystrokes costs one lint, not one per key.
   */
  schedule(doc: TextDocument, fn: () => void): void {
    const old = this.timers.get(doc.uri);
    if (old) clearTimeout(old);
    const size = doc.getText().length;
    const delay = size < 64 * 1024 ? 50 : size < LARGE_DOCUMENT ? 200 : 500;
    this.timers.set(doc.uri, setTimeout(() => { this.timers.delete(doc.uri); fn(); }, delay));
  }

  forget(uri: string): void {
    this.cache.delete(uri);
    const t = this.timers.get(uri);
    if (t) clearTimeout(t);
    this.timers.delete(uri);
  }

  clear(): void {
    this.cache.clear();
  }
}
