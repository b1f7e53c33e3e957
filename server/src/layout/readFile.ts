/**
 * The one way files of an OCI image layout are opened and read (`lint DIR`, `inspect oci:`,
 * `tree oci:`, the editor's walk): a layout is data someone else wrote, so a file is read only
 * when
 * - its real path (symlinks resolved) stays under the layout's real root: a blob, or a whole
 *   `blobs/sha512` folder, symlinked to `/etc/shadow` or a home folder is not followed;
 * - it is a regular file, checked on the open descriptor (fstat), after opening it
 *   non-blocking, so a FIFO neither hangs the open nor the read and `/dev/zero` is refused;
 * - it is not larger than the limit, counted while reading (at most limit + 1 bytes are ever
 *   read, whatever `stat` says: a file that grows or lies about its size stops there).
 */
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, type Stats } from 'node:fs';
import { isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';

/** The most any JSON file of a layout (index.json, oci-layout, a JSON blob) is read: as `lint` reads any file. */
export const MAX_JSON_BYTES = 64 * 1024 * 1024;

/** Why a file of the layout was not read. */
export type LayoutReadReason = 'missing' | 'outside' | 'not-file' | 'too-large' | 'unreadable';

/** A file of the layout that is not read; `message` says what it is and why, naming it by its path relative to the root. */
export class LayoutReadError extends Error {
  constructor(readonly reason: LayoutReadReason, message: string) {
    super(message);
    this.name = 'LayoutReadError';
  }
}

/** An open regular file of the layout. Close it with `closeSync(fd)`. */
export interface OpenLayoutFile {
  readonly fd: number;
  /** fstat of the open descriptor: a regular file. */
  readonly stat: Stats;
  /** Its real path, under the layout's real root. */
  readonly real: string;
}

const O_NONBLOCK = constants.O_NONBLOCK ?? 0;
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;

const MiB = (n: number): string => (n % 1048576 === 0 ? `${n / 1048576} MiB` : `${n} bytes`);

/** What a file that is not a regular one is: "a FIFO (named pipe)", "a folder"…, for messages. */
export function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

const codeText = (err: unknown): string => {
  const e = err as NodeJS.ErrnoException;
  return e.code === 'EACCES' ? 'permission denied' : e.code ?? (e.message || String(err));
};

/** `rel`'s display name: the path relative to the root, with forward slashes. */
function displayName(root: string, path: string): string {
  const r = relative(root, path);
  return (r && !r.startsWith('..') && !isAbsolute(r) ? r : path).split(sep).join('/');
}

/**
 * `path` made absolute: as it is when absolute; a relative path built from a relative root
 * (`join('L/clean', 'blobs/…')`, as the callers make them: relative to the working directory)
 * resolved from the working directory; any other relative path taken relative to the root.
 */
function absoluteIn(root: string, path: string): string {
  if (isAbsolute(path)) return path;
  const r = normalize(root);
  const p = normalize(path);
  return p === r || p.startsWith(r.endsWith(sep) ? r : r + sep) ? resolve(p) : resolve(r, p);
}

/**
 * The real path of `path` (absolute, relative to `root`, or built from a relative root) when it
 * stays inside the layout's real root; a LayoutReadError otherwise ('missing' for a file or link
 * target that does not exist).
 */
export function realPathInLayout(root: string, path: string): string {
  const abs = absoluteIn(root, path);
  root = resolve(root);
  const name = displayName(root, abs);
  let rootReal: string;
  let real: string;
  try {
    rootReal = realpathSync(root);
    real = realpathSync(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new LayoutReadError('missing', `${name} does not exist`);
    throw new LayoutReadError('unreadable', `${name} cannot be read (${codeText(err)})`);
  }
  if (real !== rootReal && !real.startsWith(rootReal.endsWith(sep) ? rootReal : rootReal + sep)) {
    throw new LayoutReadError('outside', `${name} is a symlink that leads out of the layout's folder: not followed`);
  }
  return real;
}

/** Opens a regular file of the layout (see the module comment); a LayoutReadError when it is not one. */
export function openLayoutFile(root: string, path: string): OpenLayoutFile {
  const real = realPathInLayout(root, path);
  const name = displayName(resolve(root), absoluteIn(root, path));
  let fd: number;
  try {
    fd = openSync(real, constants.O_RDONLY | O_NONBLOCK | O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new LayoutReadError('missing', `${name} does not exist`);
    if (code === 'ELOOP') throw new LayoutReadError('outside', `${name} changed into a symlink while being opened: not followed`);
    throw new LayoutReadError('unreadable', `${name} cannot be read (${codeText(err)})`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new LayoutReadError('not-file', `${name} is ${kindOf(stat)}, not a regular file: not read`);
    return { fd, stat, real };
  } catch (err) {
    closeSync(fd);
    if (err instanceof LayoutReadError) throw err;
    throw new LayoutReadError('unreadable', `${name} cannot be read (${codeText(err)})`);
  }
}

/**
 * Reads an open file from `position` (default its start) to its end, at most `maxBytes`;
 * undefined when there is more. Never reads more than maxBytes + 1 bytes.
 */
export function readBoundedFd(fd: number, maxBytes: number, position = 0): Buffer | undefined {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(Math.min(1 << 20, maxBytes + 1 - total));
    const n = readSync(fd, chunk, 0, chunk.length, position + total);
    if (n === 0) return Buffer.concat(chunks, total);
    chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    total += n;
    if (total > maxBytes) return undefined;
  }
}

/** Reads the first `n` bytes of an open file (fewer when it is shorter). */
export function readHeadFd(fd: number, n: number): Buffer {
  const buf = Buffer.alloc(n);
  const got = readSync(fd, buf, 0, n, 0);
  return buf.subarray(0, got);
}

/**
 * Reads a regular file of the layout whole, refusing one larger than `maxBytes` (default
 * {@link MAX_JSON_BYTES}) without reading it when its size says so, and stopping at maxBytes + 1
 * when it grows. `what` names the limit in the message ("a JSON file of a layout").
 */
export function readLayoutFile(root: string, path: string, maxBytes = MAX_JSON_BYTES, what = 'a JSON file of a layout'): { bytes: Buffer; stat: Stats; real: string } {
  const file = openLayoutFile(root, path);
  const name = displayName(resolve(root), absoluteIn(root, path));
  try {
    const tooLarge = (size: string): LayoutReadError => new LayoutReadError('too-large', `${name} is ${size}, more than ${what} may be (${MiB(maxBytes)}): not read`);
    if (file.stat.size > maxBytes) throw tooLarge(`${file.stat.size} bytes`);
    let bytes: Buffer | undefined;
    try {
      bytes = readBoundedFd(file.fd, maxBytes);
    } catch (err) {
      throw new LayoutReadError('unreadable', `${name} cannot be read (${codeText(err)})`);
    }
    if (!bytes) throw tooLarge(`larger than ${MiB(maxBytes)} (it grew while being read)`);
    return { bytes, stat: file.stat, real: file.real };
  } finally {
    closeSync(file.fd);
  }
}
