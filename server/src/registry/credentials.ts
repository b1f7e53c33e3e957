import { readFile as readFileCallback } from 'node:fs';
import { promisify } from 'node:util';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { CredentialLookup, Credentials } from './client';

// fs.readFile, not node:fs/promises: loading that module (and the readline code it brings) is a
// measurable part of every registry command's cold start, for one small file read (issue 13).
const readFile = promisify(readFileCallback);

export interface DockerConfigCredentialOptions {
  /** Environment to read DOCKER_CONFIG, REGISTRY_AUTH_FILE, XDG_* and PATH from. Default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Home directory. Default os.homedir(). */
  readonly homeDir?: string;
  /** Run `docker-credential-*` helpers. Untrusted workspaces pass false. */
  readonly allowHelpers: boolean;
  /**
   * Runs a helper program (`docker-credential-<name>`) with `get`, writing `serverUrl` to its
   * stdin, and resolves with its stdout. Default: execFile without a shell, 10 s timeout.
   */
  readonly runHelper?: (helper: string, serverUrl: string) => Promise<string>;
  /** Receives lines about what was read or skipped; never secrets. */
  readonly log?: (line: string) => void;
}

const HUB_KEY = 'https://index.docker.io/v1/';
const HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);
const HELPER_TIMEOUT_MS = 10_000;
const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

interface AuthEntry {
  auth?: unknown;
  username?: unknown;
  password?: unknown;
  identitytoken?: unknown;
  registrytoken?: unknown;
}

interface ConfigFile {
  auths?: Record<string, AuthEntry>;
  credHelpers?: Record<string, unknown>;
  credsStore?: unknown;
}

/** Host key for matching: scheme and path dropped, lowercased, Docker Hub aliases folded to docker.io. */
export function normaliseRegistryKey(key: string): string {
  const host = key
    .trim()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
  return HUB_ALIASES.has(host) ? 'docker.io' : host;
}

function findKey<T>(map: Record<string, T> | undefined, registry: string): { key: string; value: T } | undefined {
  if (!map || typeof map !== 'object') return undefined;
  const wanted = normaliseRegistryKey(registry);
  // An exact key wins over one that only matches after normalisation.
  if (Object.prototype.hasOwnProperty.call(map, registry)) return { key: registry, value: map[registry]! };
  for (const [key, value] of Object.entries(map)) {
    // podman allows namespaced keys (quay.io/org); a registry-wide lookup uses host keys only.
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(key) ? false : key.includes('/')) continue;
    if (normaliseRegistryKey(key) === wanted) return { key, value };
  }
  return undefined;
}

function entryCredentials(entry: AuthEntry, source: string): Credentials | undefined {
  let username: string | undefined;
  let password: string | undefined;
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      username = decoded.slice(0, colon);
      password = decoded.slice(colon + 1);
    }
  } else if (typeof entry.username === 'string' && entry.username !== '') {
    username = entry.username;
    password = typeof entry.password === 'string' ? entry.password : undefined;
  }
  const identityToken = typeof entry.identitytoken === 'string' && entry.identitytoken !== '' ? entry.identitytoken : undefined;
  const registryToken = typeof entry.registrytoken === 'string' && entry.registrytoken !== '' ? entry.registrytoken : undefined;
  if (!username && !identityToken && !registryToken) return undefined;
  const creds: { username?: string; password?: string; identityToken?: string; registryToken?: string; source: string } = { source };
  if (username) creds.username = username;
  if (password && !identityToken) creds.password = password;
  if (identityToken) creds.identityToken = identityToken;
  if (registryToken) creds.registryToken = registryToken;
  return creds;
}

/**
 * Default helper runner: no shell, server URL on stdin, at most 1 MiB of output, 10 s.
 *
 * The helper runs in its own process group. At the deadline the whole group is killed and the
 * answer is given at once: a helper whose own child keeps the output pipe open (a keychain
 * agent it started) must not hold the request past the timeout, as waiting for the pipe to
 * close would.
 */
export function execCredentialHelper(env: NodeJS.ProcessEnv, timeoutMs = HELPER_TIMEOUT_MS): (helper: string, serverUrl: string) => Promise<string> {
  return (helper, serverUrl) =>
    new Promise((resolve, reject) => {
      const fail = (why: string): void => reject(Object.assign(new Error(why), { name: 'CredentialHelperError' }));
      // Loaded when a helper runs, not at every CLI start: node:child_process is one of the
      // costlier built-ins to load, and most runs need no helper.
      const { spawn } = require('node:child_process') as typeof import('node:child_process');
      const child = spawn(helper, ['get'], { env, stdio: ['pipe', 'pipe', 'ignore'], windowsHide: true, detached: process.platform !== 'win32' });
      let stdout = '';
      let settled = false;
      const killGroup = (): void => {
        try {
          if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL');
          else child.kill('SIGKILL');
        } catch {
          // already gone
        }
      };
      const finish = (action: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        child.stdout?.destroy();
        action();
      };
      const timer = setTimeout(() => {
        finish(() => fail(`stopped after ${timeoutMs / 1000} s (timeout)`));
        killGroup();
      }, timeoutMs);
      child.stdout?.setEncoding('utf8');
      child.stdout?.on('data', (chunk: string) => {
        stdout += chunk;
        if (stdout.length > 1024 * 1024) {
          finish(() => fail('wrote more than 1 MiB'));
          killGroup();
        }
      });
      child.once('error', (e: NodeJS.ErrnoException) => finish(() => fail(e.code === 'ENOENT' ? 'not found on PATH' : 'failed to run')));
      // 'exit', not 'close': a grandchild holding the pipe must not keep us waiting. What the
      // helper wrote before it exited is read by then, or within the short grace below.
      child.once('exit', (code, signal) => {
        const settle = (): void =>
          finish(() => {
            // Helpers say "credentials not found in native keychain" on stdout with exit code 1.
            if (code === 0 || /credentials not found/i.test(stdout)) resolve(stdout);
            else fail(signal ? `stopped (${signal})` : `exit code ${code}`);
          });
        if (child.stdout && !child.stdout.readableEnded) {
          child.stdout.once('end', settle);
          setTimeout(settle, 200).unref();
        } else settle();
      });
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(serverUrl);
    });
}

/**
 * Credentials the way docker, podman and skopeo find them: `$DOCKER_CONFIG/config.json` or
 * `~/.docker/config.json` (credHelpers, then credsStore, then inline auths), then the containers
 * auth files (`$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`,
 * `$XDG_CONFIG_HOME/containers/auth.json` or `~/.config/containers/auth.json`). Files are re-read on
 * every lookup so a `docker login` takes effect. Missing or garbled files mean no credentials.
 */
export function dockerConfigCredentials(opts: DockerConfigCredentialOptions): CredentialLookup {
  const env = opts.env ?? process.env;
  const home = opts.homeDir ?? homedir();
  const log = opts.log;
  const runHelper = opts.runHelper ?? execCredentialHelper(env);
  const display = (path: string): string => (home && path.startsWith(home + '/') ? `~/${path.slice(home.length + 1)}` : path);

  const readConfig = async (path: string): Promise<ConfigFile | undefined> => {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') log?.(`could not read ${display(path)} (${code ?? 'error'}); ignoring it`);
      return undefined;
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      return parsed as ConfigFile;
    } catch {
      log?.(`${display(path)} is not valid JSON; ignoring it`);
      return undefined;
    }
  };

  const fromHelper = async (name: string, serverUrl: string, registry: string, source: string): Promise<Credentials | undefined> => {
    if (!HELPER_NAME.test(name)) {
      const shown = JSON.stringify(name.slice(0, 40).replace(/[\u0000-\u001f\u007f-\u009f]/g, '?'));
      const problem = `the credential helper name ${shown} for ${registry} in ${source} was not run: a helper name is a plain program suffix (letters, digits, . _ -)`;
      log?.(`ignoring ${problem}`);
      return { source, problem };
    }
    const program = `docker-credential-${name}`;
    if (!opts.allowHelpers) {
      log?.(`not running ${program} for ${registry}: credential helpers are disabled (untrusted workspace); continuing without its credentials`);
      return undefined;
    }
    let stdout: string;
    try {
      stdout = await runHelper(program, serverUrl);
    } catch (e) {
      const problem = `${program} could not provide credentials for ${registry}: ${e instanceof Error ? e.message : 'failed'}`;
      log?.(problem);
      return { source: program, problem };
    }
    if (/credentials not found/i.test(stdout)) {
      log?.(`${program} has no credentials for ${registry}`);
      return undefined;
    }
    let parsed: { Username?: unknown; Secret?: unknown };
    try {
      parsed = JSON.parse(stdout) as typeof parsed;
    } catch {
      log?.(`${program} answered with something that is not JSON for ${registry}; ignoring it`);
      return undefined;
    }
    const username = typeof parsed.Username === 'string' ? parsed.Username : '';
    const secret = typeof parsed.Secret === 'string' ? parsed.Secret : '';
    if (!secret) return undefined;
    if (username === '<token>') return { identityToken: secret, source: program };
    return { username, password: secret, source: program };
  };

  /** One config file: credHelpers[host] → credsStore → inline auths. `helperBacked` marks a host that only a helper serves. */
  const fromConfig = async (
    config: ConfigFile,
    source: string,
    registry: string,
  ): Promise<{ creds?: Credentials; helperBacked: boolean }> => {
    const helper = findKey(config.credHelpers, registry);
    const inline = findKey(config.auths, registry);
    const inlineCreds = inline && typeof inline.value === 'object' && inline.value ? entryCredentials(inline.value, source) : undefined;
    const serverUrl = (key: string | undefined): string => (normaliseRegistryKey(registry) === 'docker.io' ? HUB_KEY : key ?? registry);
    if (helper && typeof helper.value === 'string' && helper.value !== '') {
      return { creds: await fromHelper(helper.value, serverUrl(helper.key), registry, source || 'DOCKER_AUTH_CONFIG'), helperBacked: true };
    }
    if (typeof config.credsStore === 'string' && config.credsStore !== '') {
      const creds = await fromHelper(config.credsStore, serverUrl(inline?.key), registry, source || 'DOCKER_AUTH_CONFIG');
      if (creds && !creds.problem) return { creds, helperBacked: true };
      if (inlineCreds) return { creds: inlineCreds, helperBacked: false };
      if (creds) return { creds, helperBacked: true };
      if (inlineCreds) return { creds: inlineCreds, helperBacked: false };
      return { helperBacked: !opts.allowHelpers };
    }
    return { creds: inlineCreds, helperBacked: false };
  };

  return async (registry: string): Promise<Credentials | undefined> => {
    const sources: { path?: string; text?: string; label: string }[] = [];
    if (env.DOCKER_AUTH_CONFIG) sources.push({ text: env.DOCKER_AUTH_CONFIG, label: 'DOCKER_AUTH_CONFIG' });
    const dockerDir = env.DOCKER_CONFIG || join(home, '.docker');
    sources.push({ path: join(dockerDir, 'config.json'), label: '' });
    if (env.REGISTRY_AUTH_FILE) sources.push({ path: env.REGISTRY_AUTH_FILE, label: '' });
    if (env.XDG_RUNTIME_DIR) sources.push({ path: join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'), label: '' });
    sources.push({ path: join(env.XDG_CONFIG_HOME || join(home, '.config'), 'containers', 'auth.json'), label: '' });

    const seen = new Set<string>();
    for (const s of sources) {
      let config: ConfigFile | undefined;
      let label = s.label;
      if (s.text !== undefined) {
        try {
          config = JSON.parse(s.text) as ConfigFile;
        } catch {
          log?.('DOCKER_AUTH_CONFIG is not valid JSON; ignoring it');
        }
      } else if (s.path && !seen.has(s.path)) {
        seen.add(s.path);
        config = await readConfig(s.path);
        label = display(s.path);
      }
      if (!config || typeof config !== 'object') continue;
      const { creds, helperBacked } = await fromConfig(config, label, registry);
      if (creds) return creds;
      // A host routed to a helper is answered by that helper alone, as docker does.
      if (helperBacked) return undefined;
    }
    return undefined;
  };
}
