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
import type { RepositoryAudit } from './audit';

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

function isRepositoryAudit(v: unknown): v is RepositoryAudit {
  const r = v as RepositoryAudit | null;
  return !!r && typeof r === 'object' && typeof r.repository === 'string' && Array.isArray(r.tags) && Array.isArray(r.digests);
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
    const size = fstatSync(fd).size;
    if (size > MAX_JOURNAL_BYTES) throw new Error(`${path} is larger than 2 GB: not a journal of this audit`);
    const buf = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const n = readSync(fd, buf, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    const text = buf.subarray(0, read).toString('utf8');
    // Whole lines end with a newline; what follows the last one is a write cut short.
    const end = text.lastIndexOf('\n') + 1;
    const torn = end < text.length;
    const lines = text.slice(0, end).split('\n').slice(0, -1);
    // Only a journal's torn line is cut: never a byte of a file that is not a journal.
    const headStart = `{"format":"${FORMAT}"`;
    if (torn && lines.length === 0 && !(headStart.startsWith(text) || text.startsWith(headStart))) throw new Error(`${path} is not an audit journal (its first line is not one); give another --state file`);
    if (torn && lines.length > 0 && !lines[0].startsWith(headStart)) throw new Error(`${path} is not an audit journal (its first line is not one); give another --state file`);
    if (torn) ftruncateSync(fd, Buffer.byteLength(text.slice(0, end), 'utf8'));
    const done = new Map<string, RepositoryAudit>();
    if (lines.length === 0) {
      writeAll(fd, JSON.stringify({ format: FORMAT, ...head }) + '\n');
      fsyncSync(fd);
    } else {
      let first: (JournalHead & { format?: string }) | undefined;
      try {
        first = JSON.parse(lines[0]) as JournalHead & { format?: string };
      } catch {
        first = undefined;
      }
      if (!first || first.format !== FORMAT) throw new Error(`${path} is not an audit journal (its first line is not one); give another --state file`);
      if (!sameHead(first, head)) throw new Error(`${path} is the journal of the audit of ${describe(first)}, not of ${describe(head)}; give another --state file`);
      lines.slice(1).forEach((line, i) => {
        let r: unknown;
        try {
          r = JSON.parse(line);
        } catch {
          r = undefined;
        }
        if (!isRepositoryAudit(r)) throw new Error(`${path}: line ${i + 2} is not a repository's result; the journal is damaged (remove it to start again)`);
        done.set(r.repository, r);
      });
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
