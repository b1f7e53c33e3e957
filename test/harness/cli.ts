/**
 * Spawning the built CLI (`node dist/cli.js …`) and peers like skopeo, with a clean HOME so no
 * user credentials or registries.conf leak into the tests. The tests never build: a missing
 * bundle is a clear failure that says how to build it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Absolute path of the CLI bundle. */
export const CLI_PATH = resolve(__dirname, '..', '..', 'dist', 'cli.js');

/** Throws a clear error when dist/cli.js has not been built. */
export function assertCliBuilt(): void {
  if (!existsSync(CLI_PATH)) {
    throw new Error(`${CLI_PATH} is missing: build it first with \`node scripts/build.mjs\` (or run \`node scripts/test.mjs\` without --no-build)`);
  }
}

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: string;
  /** Wall time from spawn to exit, in milliseconds. */
  readonly ms: number;
}

/** Runs a program to completion, capturing stdout as bytes (never decoded) and stderr as text. */
export function runProgram(file: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(file, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({
        code,
        signal,
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: Number(process.hrtime.bigint() - started) / 1e6,
      });
    });
  });
}

/** A throw-away HOME (and DOCKER_CONFIG, XDG dirs) so no user configuration is read. */
export interface IsolatedEnv {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  cleanup(): void;
}

/** An environment with a fresh empty HOME, DOCKER_CONFIG and REGISTRY_AUTH_FILE; `extra` is merged last. */
export function isolatedEnv(extra: NodeJS.ProcessEnv = {}): IsolatedEnv {
  const dir = mkdtempSync(join(tmpdir(), 'manifest-lens-home-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    XDG_RUNTIME_DIR: dir,
    XDG_CONFIG_HOME: join(dir, '.config'),
    DOCKER_CONFIG: join(dir, '.docker'),
    REGISTRY_AUTH_FILE: join(dir, 'auth.json'),
    LANG: 'C.UTF-8',
    ...extra,
  };
  return { dir, env, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `node dist/cli.js ARGS…`. */
export function runCli(args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return runProgram(process.execPath, [CLI_PATH, ...args], options);
}

/** The median of some numbers. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Whether util-linux `script` (a pseudo-terminal for {@link runCliInTerminal}) is installed. */
export function hasScript(): boolean {
  return spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
}

/**
 * Runs `node dist/cli.js ARGS…` with its stdout on a pseudo-terminal of `columns` columns
 * (util-linux `script`); stderr is dropped. The terminal's output, with its line ends as \n.
 */
export async function runCliInTerminal(args: readonly string[], options: { env?: NodeJS.ProcessEnv; columns?: number } = {}): Promise<{ code: number | null; text: string }> {
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = `stty cols ${options.columns ?? 100} rows 50; exec ${quote(process.execPath)} ${quote(CLI_PATH)} ${args.map(quote).join(' ')} 2>/dev/null`;
  const r = await runProgram('script', ['-qfec', command, '/dev/null'], { env: options.env, timeoutMs: 30_000 });
  return { code: r.code, text: r.stdout.toString('utf8').replace(/\r\n/g, '\n') };
}
