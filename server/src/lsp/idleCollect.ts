/**
 * Gives back the memory of closed large documents once the server is idle. Nothing holds a
 * closed document (test/lsp/memory.test.ts), but V8 collects its garbage — the text, the tape,
 * the line table: about 100 MB for an 8 MB index — only when new allocation asks for it. A
 * server that goes quiet after the user closes a large file would keep that memory for as long
 * as it stays quiet (measured: 248 MiB RSS for 20 s and on, against 120 MiB after a full
 * collection). So after a large document closes, once no document has been opened or changed
 * for IDLE_MS, one full collection runs. Never while the user works: any open or change puts it
 * off again, so the opens and keystrokes the bench measures are not slowed by it.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** A closed document of at least this many characters leaves enough garbage to be worth a collection. */
export const LARGE_DOCUMENT = 2 * 1024 * 1024;
/** How long the server must be idle (no open, no change) before it collects. */
export const IDLE_MS = 10_000;
const SECOND_COLLECTION_MS = 300;

export interface IdleCollectorOptions {
  /** Runs a full collection; default V8's own `gc`, made available at the first use. */
  readonly collect?: () => void;
  readonly idleMs?: number;
  readonly log?: (line: string) => void;
}

/** V8's full collection, without starting Node with --expose-gc; undefined where V8 refuses. */
function v8Collect(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

export class IdleCollector {
  private timer: NodeJS.Timeout | undefined;
  private pending = 0;
  private collectFn: (() => void) | undefined | null = null;

  constructor(private readonly options: IdleCollectorOptions = {}) {}

  /** A document of `length` characters was closed. */
  closed(length: number): void {
    if (length < LARGE_DOCUMENT) return;
    this.pending += length;
    this.arm();
  }

  /** A document was opened or changed: the collection waits for the next quiet period. */
  busy(): void {
    if (this.pending > 0) this.arm();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), this.options.idleMs ?? IDLE_MS);
    this.timer.unref();
  }

  private run(): void {
    this.timer = undefined;
    const bytes = this.pending;
    this.pending = 0;
    if (this.collectFn === null) this.collectFn = this.options.collect ?? v8Collect();
    if (!this.collectFn) return;
    const started = Date.now();
    this.collectFn();
    // Large ArrayBuffers (the tapes) are freed by V8's concurrent sweeper after the collection;
    // a second one a moment later compacts what that freed, so the pages can be given back.
    const again = setTimeout(() => this.collectFn?.(), SECOND_COLLECTION_MS);
    again.unref();
    this.options.log?.(`memory: collected after closing ${Math.round(bytes / 1048576)} MiB of documents, idle for ${Math.round((this.options.idleMs ?? IDLE_MS) / 1000)} s (${Date.now() - started} ms)`);
  }
}
