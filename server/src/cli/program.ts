/**
 * How the user ran the CLI, for usage lines and hints: `node dist/cli.js` from a checkout,
 * `manifest-lens` when installed through package.json's bin (npm link, npm install -g).
 */
import { basename, relative } from 'node:path';

export function programName(): string {
  const script = process.argv[1] ?? '';
  if (basename(script) !== 'cli.js') return basename(script) || 'manifest-lens';
  const rel = relative(process.cwd(), script);
  return `node ${rel && !rel.startsWith('..') ? rel : script}`;
}

/** The exit code when the output cannot be written (sysexits EX_IOERR): a full disk, /dev/full. */
export const OUTPUT_ERROR_EXIT = 74;

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
    if (err.code === 'EPIPE') {
      closed = true;
      return;
    }
    closed = true;
    process.stderr.write(`manifest-lens: cannot write the output (${err.code ?? err.message}${err.code === 'ENOSPC' ? ': no space left on the device' : ''})\n`);
    process.exit(OUTPUT_ERROR_EXIT);
  });
}
