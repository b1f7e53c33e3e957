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

/**
 * A reader that went away (`… | head`) is not an error: stop quietly instead of dying on EPIPE
 * with a stack trace.
 */
export function quietOnClosedPipe(stream: NodeJS.WriteStream, exitCode: () => number): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(exitCode());
    throw err;
  });
}
