/**
 * Starts a REAL distribution registry (Debian's docker-registry 2.8) for a test: its own temp
 * directory for storage and config, 127.0.0.1 on a free port, optional htpasswd or token auth.
 * `stop()` kills it and removes the directory; a process exit (or SIGINT/SIGTERM) does the same
 * for any registry still running, so tests never leave a daemon or a temp dir behind.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { httpCall } from './http';
import { freePort } from './net';
import { generateSigningCert, startTokenServer, type TokenServer } from './tokenServer';
import { findExecutable, registryBinary } from './tools';

const run = promisify(execFile);

export type RegistryAuthMode = 'none' | 'htpasswd' | 'token';

export interface StartRegistryOptions {
  /** Default 'none'. */
  readonly auth?: RegistryAuthMode;
  /** The user that may push (htpasswd and token modes). Default `tester`. */
  readonly username?: string;
  /** Its password. Default: random. */
  readonly password?: string;
  /** Token mode: whether anonymous clients get pull tokens (default true). */
  readonly anonymousPull?: boolean;
  /** Token mode: `expires_in` of issued tokens (default 300 s). */
  readonly tokenTtlSeconds?: number;
  /** Listen on this port instead of a free one (the sample-registry script). */
  readonly port?: number;
  /** How long to wait for GET /v2/ to answer (default 20 s). */
  readonly startTimeoutMs?: number;
  /** Registry log level (default 'error'). */
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

export interface RunningRegistry {
  /** `127.0.0.1:PORT`: the registry part of an image reference. */
  readonly host: string;
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  readonly auth: RegistryAuthMode;
  /** The temp directory holding config, storage and auth files. */
  readonly dir: string;
  /** Set in htpasswd and token modes: the user allowed to push. */
  readonly username?: string;
  readonly password?: string;
  /** Token mode: the in-process token server (realm, counters). */
  readonly tokenServer?: TokenServer;
  /** What the registry wrote to stdout/stderr so far (last 64 KiB). */
  logs(): string;
  /** Settles when the registry process exits, for whatever reason (the exit code, or the signal). */
  readonly exited: Promise<number | string>;
  /** Kills the registry (and the token server) and removes the temp directory. Idempotent. */
  stop(): Promise<void>;
}

/** Registries still running, for the exit hook. */
const live = new Set<{ child: ChildProcess; dir: string }>();
let hooksInstalled = false;

function killAllSync(): void {
  for (const r of live) {
    try {
      r.child.kill('SIGKILL');
    } catch {
      // already gone
    }
    rmSync(r.dir, { recursive: true, force: true });
  }
  live.clear();
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.once('exit', killAllSync);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = (): void => {
      killAllSync();
      // If nobody else handles the signal, keep its default meaning: terminate.
      if (process.listenerCount(sig) === 0) process.exit(sig === 'SIGINT' ? 130 : 143);
    };
    process.once(sig, onSignal);
  }
}

export { freePort };

const q = (s: string): string => JSON.stringify(s);

function configYaml(o: { port: number; storage: string; secret: string; logLevel: string; authYaml: string }): string {
  return `version: 0.1
log:
  level: ${o.logLevel}
  formatter: text
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${q(o.storage)}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
  cache:
    blobdescriptor: inmemory
http:
  addr: ${q(`127.0.0.1:${o.port}`)}
  secret: ${q(o.secret)}
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: false
compatibility:
  schema1:
    enabled: false
${o.authYaml}`;
}

/** Polls GET /v2/ until it answers 200 or 401 (auth modes), the process dies, or time runs out. */
async function waitReady(url: string, child: ChildProcess, timeoutMs: number, logs: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`docker-registry exited (${child.exitCode ?? child.signalCode}) before answering:\n${logs()}`);
    }
    try {
      const res = await httpCall(`${url}/v2/`, { timeoutMs: 1000 });
      if (res.status === 200 || res.status === 401) return;
      lastError = `HTTP ${res.status}`;
    } catch (err) {
      lastError = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`docker-registry did not answer GET ${url}/v2/ within ${timeoutMs} ms (last: ${lastError}):\n${logs()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts a distribution registry on 127.0.0.1 with a temp storage directory.
 * Throws (with the registry's own output) when the binary is missing or it does not come up.
 */
export async function startRegistry(options: StartRegistryOptions = {}): Promise<RunningRegistry> {
  const bin = registryBinary();
  if (!bin) throw new Error('docker-registry is not installed: run node scripts/ensure-deps.mjs (needs root/apt)');
  const auth = options.auth ?? 'none';
  const dir = mkdtempSync(join(tmpdir(), 'manifest-lens-registry-'));
  installExitHooks();
  let tokenServer: TokenServer | undefined;
  const username = auth === 'none' ? undefined : options.username ?? 'tester';
  const password = auth === 'none' ? undefined : options.password ?? randomBytes(9).toString('base64url');
  try {
    let authYaml = '';
    if (auth === 'htpasswd') {
      const htpasswd = findExecutable(['/usr/bin/htpasswd', 'htpasswd']);
      if (!htpasswd) throw new Error('htpasswd is not installed (Debian package apache2-utils): run node scripts/ensure-deps.mjs');
      const { stdout } = await run(htpasswd, ['-Bbn', username!, password!], { timeout: 20_000 });
      const path = join(dir, 'htpasswd');
      await writeFile(path, stdout.trim() + '\n', { mode: 0o600 });
      authYaml = `auth:\n  htpasswd:\n    realm: ${q('manifest-lens-test')}\n    path: ${q(path)}\n`;
    } else if (auth === 'token') {
      const cert = await generateSigningCert(dir);
      tokenServer = await startTokenServer({
        service: 'manifest-lens-test',
        issuer: 'manifest-lens-test-issuer',
        cert,
        users: { [username!]: password! },
        anonymousPull: options.anonymousPull ?? true,
        ttlSeconds: options.tokenTtlSeconds,
      });
      authYaml = `auth:\n  token:\n    realm: ${q(tokenServer.realm)}\n    service: ${q(tokenServer.service)}\n` +
        `    issuer: ${q(tokenServer.issuer)}\n    rootcertbundle: ${q(cert.certPath)}\n`;
    }

    // A free port can be taken between probing and binding: retry a few times on a fresh one.
    const attempts = options.port ? 1 : 4;
    let lastError: Error | undefined;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const port = options.port ?? (await freePort());
      const configPath = join(dir, 'config.yml');
      await writeFile(configPath, configYaml({
        port,
        storage: join(dir, 'storage'),
        secret: randomBytes(16).toString('hex'),
        logLevel: options.logLevel ?? 'error',
        authYaml,
      }));
      // A clean environment: REGISTRY_* variables would override the config file.
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, TMPDIR: dir };
      const child = spawn(bin, ['serve', configPath], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      const collect = (chunk: Buffer): void => {
        output = (output + chunk.toString('utf8')).slice(-65536);
      };
      child.stdout!.on('data', collect);
      child.stderr!.on('data', collect);
      const entry = { child, dir };
      live.add(entry);
      const url = `http://127.0.0.1:${port}`;
      try {
        await waitReady(url, child, options.startTimeoutMs ?? 20_000, () => output);
      } catch (err) {
        lastError = err as Error;
        await stopChild(child);
        live.delete(entry);
        if (/address already in use/i.test(output)) continue;
        throw err;
      }
      let stopped = false;
      const ts = tokenServer;
      const exited = new Promise<number | string>((resolveExit) => {
        if (child.exitCode !== null || child.signalCode !== null) resolveExit(child.exitCode ?? child.signalCode ?? 'unknown');
        else child.once('exit', (code, signal) => resolveExit(code ?? signal ?? 'unknown'));
      });
      return {
        host: `127.0.0.1:${port}`,
        url,
        port,
        auth,
        dir,
        username,
        password,
        tokenServer: ts,
        logs: () => output,
        exited,
        async stop() {
          if (stopped) return;
          stopped = true;
          await stopChild(child);
          live.delete(entry);
          await ts?.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    throw lastError ?? new Error('docker-registry did not start');
  } catch (err) {
    await tokenServer?.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
