/**
 * The audit's journal (`audit --state FILE`): an append-only file of JSON lines, the first the
 * audit it belongs to (registry, prefix, shard, --max-tags), then one line per finished repository with its
 * whole result (RepositoryAudit), written and fsynced before the next repository is started.
 *
 * A run killed at any point (kill -9 included) leaves whole lines and at most one torn last line
 * (a write cut short): reopening drops the torn line (the file is cut back to its last newline),
 * takes every whole line as done, and the next run asks nothing about those repositories; its
 * report is built from the journal's results and its own, the same as an uninterrupted run's.
 * A journal of another audit (another registry, prefix, shard or --max-tags) is refused, not mixed in.
 */
import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { isRepositoryAudit, type RepositoryAudit } from './audit';

/** What the first line says: the audit the journal belongs to. */
export interface JournalHead {
  readonly registry: string;
  readonly prefix?: string;
  readonly shard?: string;
  /** --max-tags: a journal of another limit holds other results. */
  readonly maxTags?: number;
}

export interface Journal {
  /** The repositories finished by earlier runs, by name. */
  readonly done: ReadonlyMap<string, RepositoryAudit>;
  /** Whether the file ended with a torn line (dropped). */
  readonly torn: boolean;
  /** Appends a finished repository and flushes it to the disk. */
  append(result: RepositoryAudit): void;
  close(): void;
}

const FORMAT = 'manifest-lens-audit-journal/1';
/** The longest journal read (a journal of a registry of a million repositories is far less). */
const MAX_JOURNAL_BYTES = 2 * 1024 * 1024 * 1024 - 1;
/** The longest line read (one repository's result: 100,000 tags with their findings are far less). */
const MAX_LINE_BYTES = 64 * 1024 * 1024;
const CHUNK_BYTES = 1024 * 1024;

/** Writes the whole line (a write to a file may be short). */
function writeAll(fd: number, text: string): void {
  let bytes = Buffer.from(text, 'utf8');
  while (bytes.length > 0) bytes = bytes.subarray(writeSync(fd, bytes));
}

function sameHead(a: JournalHead, b: JournalHead): boolean {
  return a.registry === b.registry && (a.prefix ?? '') === (b.prefix ?? '') && (a.shard ?? '') === (b.shard ?? '') && (a.maxTags ?? 0) === (b.maxTags ?? 0);
}

function describe(h: JournalHead): string {
  return `${h.registry}${h.prefix ? `/${h.prefix}` : ''}${h.shard ? ` (shard ${h.shard})` : ''}${h.maxTags ? ` (--max-tags ${h.maxTags})` : ''}`;
}


/**
 * Opens (or creates) the journal at `path` for the audit `head`. A string is the reason it cannot
 * be used (another audit's journal, a line in the middle that is not a result, an I/O error).
 */
export function openJournal(path: string, head: JournalHead): Journal | string {
  let fd: number;
  try {
    fd = openSync(path, 'a+', 0o644);
  } catch (e) {
    return `cannot open ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`${path} is not a regular file (a FIFO, a device or a folder cannot hold the journal); give another --state file`);
    const size = st.size;
    if (size > MAX_JOURNAL_BYTES) throw new Error(`${path} is larger than 2 GB: not a journal of this audit`);
    const notJournal = (): Error => new Error(`${path} is not an audit journal (its first line is not one); give another --state file`);
    const headStart = Buffer.from(`{"format":"${FORMAT}"`);
    const done = new Map<string, RepositoryAudit>();
    // Read a chunk at a time, line by line: the first line is checked before anything past it is
    // read (a file of a gigabyte that is not a journal costs one chunk), and no line is kept
    // longer than MAX_LINE_BYTES (memory stays that of the results).
    let lineNo = 0;
    let wholeEnd = 0; // the byte after the last newline
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const takeLine = (line: Buffer): void => {
      lineNo++;
      if (lineNo === 1) {
        let first: (JournalHead & { format?: string }) | undefined;
        try {
          first = JSON.parse(line.toString('utf8')) as JournalHead & { format?: string };
        } catch {
          first = undefined;
        }
        if (!first || typeof first !== 'object' || first.format !== FORMAT) throw notJournal();
        if (!sameHead(first, head)) throw new Error(`${path} is the journal of the audit of ${describe(first)}, not of ${describe(head)}; give another --state file`);
        return;
      }
      let r: unknown;
      try {
        r = JSON.parse(line.toString('utf8'));
      } catch {
        r = undefined;
      }
      if (!isRepositoryAudit(r)) throw new Error(`${path}: line ${lineNo} is not a repository's result; the journal is damaged (remove it to start again)`);
      done.set(r.repository, r);
    };
    const chunk = Buffer.alloc(Math.min(CHUNK_BYTES, Math.max(size, 1)));
    for (let at = 0; at < size; ) {
      const n = readSync(fd, chunk, 0, Math.min(chunk.length, size - at), at);
      if (n === 0) break;
      let from = 0;
      for (let nl = chunk.indexOf(10, 0); nl >= 0 && nl < n; nl = chunk.indexOf(10, from)) {
        const piece = chunk.subarray(from, nl);
        takeLine(pendingBytes ? Buffer.concat([...pending, piece]) : Buffer.from(piece));
        pending = [];
        pendingBytes = 0;
        wholeEnd = at + nl + 1;
        from = nl + 1;
      }
      if (from < n) {
        pending.push(Buffer.from(chunk.subarray(from, n)));
        pendingBytes += n - from;
        if (lineNo === 0) {
          // Still in the first line: it must be (the start of) a journal's head.
          const seen = pending[0]!; // the file's first bytes (a whole chunk, unless the file is shorter)
          const k = Math.min(seen.length, headStart.length);
          if (!seen.subarray(0, k).equals(headStart.subarray(0, k))) throw notJournal();
        }
        if (pendingBytes > MAX_LINE_BYTES) {
          throw new Error(`${path}: line ${lineNo + 1} is longer than ${MAX_LINE_BYTES / (1024 * 1024)} MiB, not a line of this audit's journal; remove it to start again`);
        }
      }
      at += n;
    }
    // Whole lines end with a newline; what follows the last one is a write cut short. Only a
    // journal's torn line is cut (a file that is not one was refused above).
    const torn = pendingBytes > 0;
    if (torn) ftruncateSync(fd, wholeEnd);
    if (lineNo === 0) {
      writeAll(fd, JSON.stringify({ format: FORMAT, ...head }) + '\n');
      fsyncSync(fd);
    }
    return {
      done,
      torn,
      append(result) {
        writeAll(fd, JSON.stringify(result) + '\n');
        fsyncSync(fd);
      },
      close() {
        closeSync(fd);
      },
    };
  } catch (e) {
    closeSync(fd);
    return (e as Error).message;
  }
}
