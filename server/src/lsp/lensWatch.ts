/**
 * Asks the client for the CodeLenses of a fetched document again when it never asked for them
 * after the document was opened.
 *
 * Why: VS Code asks for an editor's lenses only after a debounce (250 ms or more) once the
 * document is shown, and drops that pending request when the editor's text loses focus
 * (its CodeLens controller cancels the scheduled request on blur and schedules it again only on
 * focus, a content change or the provider's change event). A child opened from its index's lens
 * and then left for the Problems panel at once (or a notification, another view) showed no lens
 * at all until its tab was shown again. The server cannot see the editor's focus, but it sees
 * that no `textDocument/codeLens` came for the document: then, and only then, it sends
 * `workspace/codeLens/refresh`, which VS Code turns into the provider's change event and so a new
 * request, focused or not. A refresh sent while the first request is still pending moves that
 * request later (it restarts the debounce), which is why it is never sent unconditionally.
 */

/**
 * After didOpen, when to look whether the lenses were asked for: 1.5 s, then 3, 6 and 12 s later.
 * In code-server under load VS Code asked 0.5–2 s after didOpen (the editor shows the document
 * up to a second after it is opened); a refresh that comes before that only delays the request.
 */
export const LENS_WATCH_DELAYS_MS: readonly number[] = [1500, 3000, 6000, 12000];

export interface LensWatchDeps {
  /** Sends `workspace/codeLens/refresh` (the client declared refreshSupport). */
  readonly refresh: () => void;
  readonly log?: (line: string) => void;
  readonly delaysMs?: readonly number[];
}

export class LensWatch {
  /** Open documents whose lenses were not asked for yet, with their pending check. */
  private readonly waiting = new Map<string, NodeJS.Timeout>();
  private readonly delays: readonly number[];

  constructor(private readonly deps: LensWatchDeps) {
    this.delays = deps.delaysMs ?? LENS_WATCH_DELAYS_MS;
  }

  /** A document was opened (or reopened): its lenses are owed from now on. */
  opened(uri: string): void {
    this.stop(uri);
    this.check(uri, 0);
  }

  /** The client asked for the lenses of `uri`: nothing more to do for it. */
  asked(uri: string): void {
    this.stop(uri);
  }

  closed(uri: string): void {
    this.stop(uri);
  }

  dispose(): void {
    for (const t of this.waiting.values()) clearTimeout(t);
    this.waiting.clear();
  }

  private check(uri: string, attempt: number): void {
    if (attempt >= this.delays.length) return;
    const timer = setTimeout(() => {
      if (this.waiting.get(uri) !== timer) return;
      this.waiting.delete(uri);
      this.deps.log?.(`no CodeLens request for ${uri} ${this.delays.slice(0, attempt + 1).reduce((a, b) => a + b, 0)} ms after it was opened: asking the client to refresh its lenses`);
      this.deps.refresh();
      this.check(uri, attempt + 1);
    }, this.delays[attempt]);
    timer.unref?.();
    this.waiting.set(uri, timer);
  }

  private stop(uri: string): void {
    const t = this.waiting.get(uri);
    if (t) clearTimeout(t);
    this.waiting.delete(uri);
  }
}
