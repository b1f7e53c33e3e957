/**
 * The one way the supply-chain code reads a file the user names (a key, a trusted root, a
 * notation policy or certificate): once, bounded, and never blocking on a FIFO or a device.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/**
 * A small regular file's bytes, or why not: opened without blocking (a FIFO would wait for a
 * writer for ever), refused unless a regular file (/dev/zero, a FIFO, a folder have no end or no
 * size), read to at most `max` bytes.
 */
export function readSmallFile(file: string, max: number, what: string): { bytes: Buffer; mtimeMs: number } | string {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'no such file' : code ?? (e instanceof Error ? e.message : String(e));
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return `not a regular file (${st.isFIFO() ? 'a FIFO' : st.isDirectory() ? 'a folder' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'a special file'}), not ${what}`;
    if (st.size > max) return `larger than ${max} bytes, not ${what}`;
    // As large as the file said it was (a byte more, to see it grew), and to max + 1 if it did.
    let buf = Buffer.alloc(st.size + 1);
    let read = 0;
    for (let n = -1; n !== 0 && read <= max; read += n) {
      if (read === buf.length) buf = Buffer.concat([buf, Buffer.alloc(max + 1 - buf.length)]);
      n = readSync(fd, buf, read, buf.length - read, read);
    }
    if (read > max) return `larger than ${max} bytes, not ${what}`;
    return { bytes: buf.subarray(0, read), mtimeMs: st.mtimeMs };
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
  } finally {
    closeSync(fd);
  }
}
