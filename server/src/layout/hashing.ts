/**
 * Hashing blob files: in memory for small ones, streamed for large ones. The language server
 * streams in a worker thread (its main thread keeps answering hovers while a 2 GiB layer is
 * hashed), can cancel, reports bytes as they go, and remembers each result by path, size and
 * mtime, so a layout checked again after a keystroke hashes nothing that did not change.
 */
import type { Hash } from 'node:crypto';
import { closeSync, constants, createReadStream, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { Worker } from 'node:worker_threads';

/**
 * node:crypto on first use: `lint` of a file that is not a layout hashes nothing, and loading
 * node:crypto is a measurable part of its cold start (issue 13).
 */
function createHash(algorithm: string): Hash {
  return (require('node:crypto') as typeof import('node:crypto')).createHash(algorithm);
}

/** Algorithms a blob file can be named by (image-layout.md: blobs/<alg>/<encoded>). */
export const HASH_ALGORITHMS: ReadonlySet<string> = new Set(['sha256', 'sha512']);

interface CacheEntry {
  readonly size: number;
  readonly mtimeMs: number;
  /** When known: a write in place that keeps the size and puts the mtime back still moves the ctime (utimes cannot set it). */
  readonly ctimeMs?: number;
  readonly ino?: number;
  readonly digest: string;
}

/** What a cached digest is keyed on: size and mtime, and the ctime and inode when the caller has a whole Stats. */
export type FileStamp = Pick<Stats, 'size' | 'mtimeMs'> & Partial<Pick<Stats, 'ctimeMs' | 'ino'>>;

/** path → what it hashed to at that size and mtime. Bounded: a long session sees many layouts. */
const cache = new Map<string, CacheEntry>();
const MAX_CACHE = 50_000;

/** The cached digest of a file, when its size and mtime (and ctime and inode, when known) are what they were when it was hashed. */
export function cachedDigest(path: string, st: FileStamp, algorithm: string): string | undefined {
  const c = cache.get(path);
  if (!c || c.size !== st.size || c.mtimeMs !== st.mtimeMs || !c.digest.startsWith(algorithm + ':')) return undefined;
  if (c.ctimeMs !== undefined && st.ctimeMs !== undefined && c.ctimeMs !== st.ctimeMs) return undefined;
  if (c.ino !== undefined && st.ino !== undefined && c.ino !== st.ino) return undefined;
  return c.digest;
}

export function rememberDigest(path: string, st: FileStamp, digest: string): void {
  if (cache.size >= MAX_CACHE) cache.delete(cache.keys().next().value as string);
  cache.set(path, { size: st.size, mtimeMs: st.mtimeMs, ...(st.ctimeMs !== undefined ? { ctimeMs: st.ctimeMs } : {}), ...(st.ino !== undefined ? { ino: st.ino } : {}), digest });
}

/** For tests: forget every cached digest. */
export function clearDigestCache(): void {
  cache.clear();
}

/** `algorithm:hex` of some bytes. */
export function digestOfBytes(bytes: Uint8Array, algorithm: string): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** Hashes a file synchronously in 1 MiB reads (the CLI: nothing else to serve meanwhile). */
export function hashFileSync(path: string, algorithm: string, st: FileStamp): string {
  const hit = cachedDigest(path, st, algorithm);
  if (hit) return hit;
  const hash = createHash(algorithm);
  // Non-blocking and checked on the descriptor: a blob swapped for a FIFO or a device after the
  // walk looked at it fails here instead of hanging or reading for ever.
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    if (!fstatSync(fd).isFile()) throw Object.assign(new Error('not a regular file'), { code: 'not a regular file' });
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  const digest = `${algorithm}:${hash.digest('hex')}`;
  rememberDigest(path, st, digest);
  return digest;
}

export class HashCancelled extends Error {
  constructor() {
    super('hashing cancelled');
  }
}

export interface HashFileOptions {
  readonly signal?: AbortSignal;
  /** Called with the bytes hashed so far (about every 8 MiB). */
  readonly onBytes?: (bytes: number) => void;
}

// The worker is plain CommonJS given as a string, so the bundled server needs no second file.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { constants, createReadStream, closeSync, fstatSync, openSync } = require('node:fs');
const streams = new Map();
parentPort.on('message', (m) => {
  if (m.type === 'cancel') { const s = streams.get(m.id); if (s) { streams.delete(m.id); s.destroy(); } return; }
  const hash = createHash(m.algorithm);
  let fd;
  try {
    fd = openSync(m.path, constants.O_RDONLY | (constants.O_NONBLOCK || 0));
    if (!fstatSync(fd).isFile()) { closeSync(fd); parentPort.postMessage({ type: 'error', id: m.id, message: 'not a regular file' }); return; }
  } catch (e) { parentPort.postMessage({ type: 'error', id: m.id, message: e.code || e.message }); return; }
  const stream = createReadStream('', { fd, highWaterMark: 1 << 20 });
  streams.set(m.id, stream);
  let done = 0, last = 0;
  stream.on('data', (c) => {
    hash.update(c);
    done += c.length;
    if (done - last >= 8 << 20) { last = done; parentPort.postMessage({ type: 'progress', id: m.id, bytes: done }); }
  });
  stream.on('error', (e) => { streams.delete(m.id); parentPort.postMessage({ type: 'error', id: m.id, message: e.code || e.message }); });
  stream.on('end', () => { streams.delete(m.id); parentPort.postMessage({ type: 'done', id: m.id, hex: hash.digest('hex'), bytes: done }); });
});
`;

interface Job {
  resolve(hex: string): void;
  reject(err: Error): void;
  onBytes?: (bytes: number) => void;
}

let worker: Worker | undefined;
let workerBroken = false;
const jobs = new Map<number, Job>();
let nextId = 1;

function hashWorker(): Worker | undefined {
  if (worker || workerBroken) return worker;
  try {
    const w = new Worker(WORKER_SOURCE, { eval: true });
    w.on('message', (m: { type: string; id: number; hex?: string; bytes?: number; message?: string }) => {
      const job = jobs.get(m.id);
      if (!job) return;
      if (m.type === 'progress') { job.onBytes?.(m.bytes ?? 0); return; }
      jobs.delete(m.id);
      if (m.type === 'done') job.resolve(m.hex!);
      else job.reject(new Error(m.message ?? 'read error'));
    });
    w.on('error', (err) => {
      // A dead worker fails its jobs; the next hash streams on the main thread instead.
      for (const job of jobs.values()) job.reject(err);
      jobs.clear();
      worker = undefined;
      workerBroken = true;
    });
    // After the listeners: adding a 'message' listener refs the worker's port again, and a
    // hasher unref'd before it kept `tree oci:` (the CLI) running after its last hash.
    w.unref(); // an idle hasher must not keep the server (or a test) alive
    worker = w;
  } catch {
    workerBroken = true;
  }
  return worker;
}

/** Streams on this thread, yielding between 1 MiB chunks: the fallback when no worker starts. */
async function hashHere(path: string, algorithm: string, options: HashFileOptions): Promise<string> {
  const hash = createHash(algorithm);
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    throw Object.assign(new Error('not a regular file'), { code: 'not a regular file' });
  }
  const stream = createReadStream('', { fd, highWaterMark: 1 << 20 });
  let done = 0;
  let last = 0;
  try {
    for await (const chunk of stream) {
      if (options.signal?.aborted) throw new HashCancelled();
      hash.update(chunk as Buffer);
      done += (chunk as Buffer).length;
      if (done - last >= 8 << 20) { last = done; options.onBytes?.(done); }
    }
  } finally {
    stream.destroy();
  }
  return hash.digest('hex');
}

/**
 * Hashes a file off the main thread; `algorithm:hex`. Rejects with {@link HashCancelled} when the
 * signal aborts (the worker stops reading at once). Cached by path, size and mtime.
 */
export async function hashFile(path: string, algorithm: string, st: FileStamp, options: HashFileOptions = {}): Promise<string> {
  const hit = cachedDigest(path, st, algorithm);
  if (hit) return hit;
  if (options.signal?.aborted) throw new HashCancelled();
  const w = hashWorker();
  let hex: string;
  if (!w) {
    hex = await hashHere(path, algorithm, options);
  } else {
    const id = nextId++;
    hex = await new Promise<string>((resolve, reject) => {
      const onAbort = (): void => {
        jobs.delete(id);
        idleWorker();
        w.postMessage({ type: 'cancel', id });
        reject(new HashCancelled());
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      jobs.set(id, {
        resolve: (h) => { options.signal?.removeEventListener('abort', onAbort); idleWorker(); resolve(h); },
        reject: (e) => { options.signal?.removeEventListener('abort', onAbort); idleWorker(); reject(e); },
        onBytes: options.onBytes,
      });
      w.ref(); // a hash in flight keeps the process alive (nothing else may: the CLI), an idle hasher does not
      w.postMessage({ type: 'hash', id, path, algorithm });
    });
  }
  const digest = `${algorithm}:${hex}`;
  rememberDigest(path, st, digest);
  return digest;
}

/** Lets the process exit once no hash is in flight (see hashWorker). */
function idleWorker(): void {
  if (jobs.size === 0) worker?.unref();
}

/** Stops the hashing worker (tests; server shutdown). */
export async function stopHashWorker(): Promise<void> {
  const w = worker;
  worker = undefined;
  await w?.terminate();
}
