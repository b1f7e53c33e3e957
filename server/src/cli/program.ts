/**
 * How the user ran the CLI, for usage lines and hints: `node dist/cli.js` from a checkout,
 * `manifest-lens` when installed through package.json's bin (npm link, npm install -g).
 */
import { writeSync } from 'node:fs';
import { basename, relative } from 'node:path';

export function programName(): string {
  const script = process.argv[1] ?? '';
  if (basename(script) !== 'cli.js') return basename(script) || 'manifest-lens';
  const rel = relative(process.cwd(), script);
  return `node ${rel && !rel.startsWith('..') ? rel : script}`;
}

/** The exit code when the output cannot be written (sysexits EX_IOERR): a full disk, /dev/full. */
export const OUTPUT_ERROR_EXIT = 74;

function outputErrorMessage(err: NodeJS.ErrnoException): string {
  return `manifest-lens: cannot write the output (${err.code ?? err.message}${err.code === 'ENOSPC' ? ': no space left on the device' : ''})\n`;
}

/**
 * The reader of the output went away: EPIPE for a pipe, ECONNRESET when the "pipe" is a socket
 * pair (what Node's child_process and libuv give a child for `stdio: 'pipe'`).
 */
function readerGone(err: NodeJS.ErrnoException): boolean {
  return err.code === 'EPIPE' || err.code === 'ECONNRESET';
}

/**
 * A reader that went away (`… | head`) is not an error: the rest of the output is dropped, and
 * the command runs to its end so its exit code (1 when lint found errors) is the one the shell
 * sees. Any other write failure (a full disk: `> /dev/full`) is one line on stderr and exit
 * OUTPUT_ERROR_EXIT, never a stack trace with the bundle's source.
 */
export function quietOnClosedPipe(stream: NodeJS.WriteStream): void {
  let closed = false;
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (closed) return; // writes after the reader left fail too; they were expected to
    if (readerGone(err)) {
      closed = true;
      return;
    }
    closed = true;
    process.stderr.write(outputErrorMessage(err));
    process.exit(OUTPUT_ERROR_EXIT);
  });
}

/**
 * Standard output (fd 1) or error (fd 2) written with `fs.writeSync`. Creating process.stdout
 * and process.stderr for a pipe loads node:net and makes a socket for each: about a tenth of a
 * bare `node -e 0` for `lint`, and still 5-7% for the registry commands, which load node:net
 * anyway (issue 13). Writes to a pipe, a file or a terminal are synchronous on POSIX either way. The same behaviour as
 * {@link quietOnClosedPipe}: a reader that went away (EPIPE) drops the rest quietly, any other
 * failure of standard output is one line on stderr and exit OUTPUT_ERROR_EXIT; a non-blocking
 * descriptor that is full (EAGAIN) is waited for.
 */
export function directOutput(fd: 1 | 2): NodeJS.WritableStream {
  let closed = false;
  const write = (chunk: string | Uint8Array): boolean => {
    if (closed) return false;
    let bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    while (bytes.length > 0) {
      let n: number;
      try {
        n = writeSync(fd, bytes);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (err.code === 'EAGAIN') {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
          continue;
        }
        closed = true;
        if (readerGone(err) || fd === 2) return false;
        try {
          writeSync(2, outputErrorMessage(err));
        } catch {
          // stderr is gone too: the exit code says it
        }
        process.exit(OUTPUT_ERROR_EXIT);
      }
      bytes = bytes.subarray(n);
    }
    return true;
  };
  // The commands use write(), `fd` (to compare destinations) and `isTTY` (inspect ends a
  // document's last line on a terminal); node:tty is loaded only if asked.
  return {
    fd,
    write,
    get isTTY(): boolean {
      return (require('node:tty') as typeof import('node:tty')).isatty(fd);
    },
  } as unknown as NodeJS.WritableStream;
}
