/**
 * Gives back the memory of closed large documents once the server is idle. Nothing holds a
 * closed document (test/lsp/memory.test.ts), but V8 collects its garbage — the text, the tape,
 * the line table: about 100 MB for an 8 MB index — only when new allocation asks for it. A
 * server that goes quiet after the user closes a large file would keep that memory for as long
 * as it stays quiet (measured: 248 MiB RSS for 20 s and on, against 120 MiB after a full
 * collection). So after a large document closes, once no document has been opened or changed
 * for IDLE_MS, full collections run: one, another SECOND_COLLECTION_MS later for what the
 * sweeper freed, and a last one YOUNG_SHRINK_MS after that. V8 gives back the young generation it
 * grew while the large document was parsed (32 MiB, against 1 MiB at rest) only in a collection
 * that sees a low allocation rate over its last five seconds, which the first two, so soon after
 * the work, do not (measured in the bench's memory section: without the last one, three runs
 * settled at 91–116 MiB after 20 cycles of the 8 MB index, up to 130 after 10; with it, 93–97). Never while the user works: any open or change puts them off again,
 * so the opens and keystrokes the bench measures are not slowed by them.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** A closed document of at least this many characters leaves enough garbage to be worth a collection. */
export const LARGE_DOCUMENT = 2 * 1024 * 1024;
/** How long the server must be idle (no open, no change) before it collects. */
export const IDLE_MS = 10_000;
export const SECOND_COLLECTION_MS = 300;
export const YOUNG_SHRINK_MS = 6_000;
/** From the last open or change to the end of the last collection: when the memory has settled. */
export const SETTLED_MS = IDLE_MS + SECOND_COLLECTION_MS + YOUNG_SHRINK_MS;

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
  /** Characters of large documents closed since the last complete round of collections. */
  private pending = 0;
  private collectFn: (() => void) | undefined | null = null;

  constructor(private readonly options: IdleCollectorOptions = {}) {}

  /** A document of `length` characters was closed. */
  closed(length: number): void {
    if (length < LARGE_DOCUMENT) return;
    this.pending += length;
    this.arm();
  }

  /** A document was opened or changed: the collections, even a round under way, wait for the next quiet period. */
  busy(): void {
    if (this.pending > 0) this.arm();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    this.schedule(this.options.idleMs ?? IDLE_MS, () => this.first());
  }

  private schedule(ms: number, then: () => void): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      then();
    }, ms);
    this.timer.unref();
  }

  private first(): void {
    if (this.collectFn === null) this.collectFn = this.options.collect ?? v8Collect();
    const collect = this.collectFn;
    if (!collect) {
      this.pending = 0;
      return;
    }
    const started = Date.now();
    collect();
    this.options.log?.(`memory: collected after closing ${Math.round(this.pending / 1048576)} MiB of documents, idle for ${Math.round((this.options.idleMs ?? IDLE_MS) / 1000)} s (${Date.now() - started} ms)`);
    // Large ArrayBuffers (the tapes) are freed by V8's concurrent sweeper after the collection;
    // a second one a moment later compacts what that freed, so the pages can be given back.
    this.schedule(SECOND_COLLECTION_MS, () => {
      collect();
      // The last one, once V8's allocation rate has been low for five seconds: the young generation.
      this.schedule(YOUNG_SHRINK_MS, () => {
        collect();
        this.pending = 0;
      });
    });
  }
}
