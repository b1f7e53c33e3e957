/**
 * A V8 code cache for the CLI's own bundles on Node releases without `module.enableCompileCache`
 * (before 22.1; issue 13). Compiling dist/cli-main.js and the command's bundle (400 KB for
 * `inspect`, undici included) is the largest single cost of a cold start in the CPU profile, and
 * V8 compiles again the functions it needs at every run. With the cache, a start deserialises the
 * code it compiled the first time instead: the first run after an install or an upgrade writes the
 * cache (at exit, after the command ran, so that it holds the functions the command compiled
 * while it ran), the next ones read it.
 *
 * Where: `$MANIFEST_LENS_CACHE_DIR`, else `$XDG_CACHE_HOME/manifest-lens`, else
 * `~/.cache/manifest-lens` (`%LOCALAPPDATA%\manifest-lens` on Windows, `~/Library/Caches/manifest-lens`
 * on macOS), one `v8-*.cache` file per bundle. Off: `MANIFEST_LENS_CODE_CACHE=0` (or Node's
 * `NODE_DISABLE_COMPILE_CACHE=1`). Nothing in it is needed: deleting it costs one slower start.
 *
 * A cache is only used when it was made from this very bundle and arrives whole: release builds of
 * V8 do not checksum a code cache (they check the source's length only), and a stale or damaged
 * one must never run. The file holds, after a header line (format, Node version, architecture,
 * the V8 flags set for the command, the lengths), a copy of the bundle's bytes and the payload
 * twice; a start compares the copy with the bundle it is loading and the two payloads with each
 * other (memcmp, no hashing: loading node:crypto and hashing both files cost more than the cache
 * saved for `lint`). Damage that leaves both copies identical does not happen by chance; and
 * whoever can rewrite the cache directory could rewrite a checksum as well. Anything else (a
 * missing, foreign, truncated or corrupt file; a cache V8 rejects; a directory that cannot be
 * written) means compiling as Node would, and at most rewriting the file. Writes go to a
 * temporary file renamed into place, so that two processes starting at once never read half a
 * cache.
 */
import * as nodeModule from 'node:module';
import { closeSync, constants, fstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';

/** Bumped when the header's layout changes, so an older file is never misread. */
const FORMAT = 'manifest-lens-code-cache 3';

/** The cache directory for this environment, or undefined when caching is turned off. */
export function codeCacheDir(env: NodeJS.ProcessEnv = process.env, platform: string = process.platform, home: () => string = homedir): string | undefined {
  if (env.MANIFEST_LENS_CODE_CACHE === '0' || env.MANIFEST_LENS_CODE_CACHE === 'off' || env.NODE_DISABLE_COMPILE_CACHE) return undefined;
  if (env.MANIFEST_LENS_CACHE_DIR) return env.MANIFEST_LENS_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'manifest-lens');
  if (platform === 'win32' && env.LOCALAPPDATA) return join(env.LOCALAPPDATA, 'manifest-lens');
  let h: string;
  try {
    h = home();
  } catch {
    return undefined;
  }
  if (!h) return undefined;
  return platform === 'darwin' ? join(h, 'Library', 'Caches', 'manifest-lens') : join(h, '.cache', 'manifest-lens');
}

/** The first line of a cache file without its payload length: what it was made from, under which V8 flags (`tag`). */
export function cacheHeader(source: Uint8Array, tag: string): string {
  return `${FORMAT} ${process.version} ${process.arch} ${tag} ${source.length}`;
}

/** `header payloadLength\n` + the source's bytes + the payload + the payload again. */
export function encodeCache(source: Buffer, tag: string, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${cacheHeader(source, tag)} ${payload.length}\n`, 'latin1'), source, payload, payload]);
}

/**
 * The payload of a cache file made from `source` under `tag`, or undefined unless the file is
 * exactly that, whole: its copy of the source equal to `source`, its two payloads equal.
 */
export function decodeCache(file: Buffer, source: Buffer, tag: string): Buffer | undefined {
  const nl = file.indexOf(0x0a);
  if (nl < 0 || nl > 512) return undefined;
  const header = cacheHeader(source, tag);
  const line = file.toString('latin1', 0, nl);
  if (!line.startsWith(`${header} `)) return undefined;
  const m = /^(\d{1,9})$/.exec(line.slice(header.length + 1));
  if (!m) return undefined;
  const n = Number(m[1]);
  const at = nl + 1 + source.length;
  if (n === 0 || file.length !== at + 2 * n) return undefined;
  if (!file.subarray(nl + 1, at).equals(source)) return undefined;
  const payload = file.subarray(at, at + n);
  return payload.equals(file.subarray(at + n)) ? payload : undefined;
}

/** No bundle's cache comes near this; a larger "cache" is not one. */
const MAX_CACHE_BYTES = 64 * 1024 * 1024;

/**
 * The bytes of a cache file, or undefined. Only a regular file of a sane size is read, and it is
 * opened non-blocking: a FIFO or a device put in its place must not hang or flood the command.
 */
export function readCacheFile(file: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch {
    return undefined; // none yet, or unreadable
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > MAX_CACHE_BYTES) return undefined;
    const buf = Buffer.allocUnsafe(st.size);
    let n = 0;
    while (n < buf.length) {
      const got = readSync(fd, buf, n, buf.length - n, n);
      if (got === 0) break;
      n += got;
    }
    return n === buf.length ? buf : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

interface Pending {
  readonly script: Script;
  readonly file: string;
  readonly source: Buffer;
  readonly tag: string;
}

/**
 * From now on, `require` of a file named by `shouldCache` (the CLI's bundles) compiles it with the
 * code cache; other files load as before. `tag` names the V8 flags the command runs with (V8
 * rejects a cache made under other flags, so each set of flags has its own files). Returns false,
 * installing nothing, when caching is off or this Node lacks what it needs.
 */
export function installCodeCache(shouldCache: (filename: string) => boolean, tag: string, dir: string | undefined = codeCacheDir()): boolean {
  const M = nodeModule as unknown as {
    _extensions?: Record<string, (module: NodeJS.Module, filename: string) => void>;
    wrap?: (source: string) => string;
    _resolveFilename?: (request: string, parent: NodeJS.Module, isMain: boolean, options?: unknown) => string;
    _cache?: unknown;
  };
  const original = M._extensions?.['.js'];
  if (!dir || !original || typeof M.wrap !== 'function' || typeof M._resolveFilename !== 'function') return false;
  const wrapperPrefix = M.wrap('\u0000').indexOf('\u0000');
  const pending: Pending[] = [];
  let exitHook = false;

  M._extensions!['.js'] = function (module: NodeJS.Module, filename: string): void {
    if (!shouldCache(filename)) return original.call(this, module, filename);
    const bytes = readFileSync(filename);
    const file = join(dir, `v8-${basename(filename, '.js')}-${tag}.cache`);
    const stored = readCacheFile(file);
    const cachedData = stored && decodeCache(stored, bytes, tag);
    // Module.wrap's prefix shifts line 1: the negative offset keeps stack traces' columns the file's.
    const script = new Script(M.wrap!(bytes.toString('utf8')), { filename, cachedData, columnOffset: -wrapperPrefix });
    if (!cachedData || script.cachedDataRejected) {
      pending.push({ script, file, source: bytes, tag });
      if (!exitHook) {
        exitHook = true;
        process.once('exit', () => writeCaches(pending, dir));
      }
    }
    const fn = script.runInThisContext({ displayErrors: true }) as (this: unknown, ...args: unknown[]) => void;
    const req = ((id: string) => module.require(id)) as NodeJS.Require;
    req.resolve = ((request: string, options?: unknown) => M._resolveFilename!(request, module, false, options)) as NodeJS.RequireResolve;
    req.main = require.main;
    req.cache = M._cache as NodeJS.Require['cache'];
    fn.call(module.exports, module.exports, req, module, filename, dirname(filename));
  };
  return true;
}

/** At exit: the code V8 compiled for each bundle without a usable cache, written for the next start. Never throws. */
function writeCaches(pending: readonly Pending[], dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch {
    return;
  }
  for (const p of pending) {
    const tmp = `${p.file}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, encodeCache(p.source, p.tag, p.script.createCachedData()), { mode: 0o600 });
      renameSync(tmp, p.file);
    } catch {
      try {
        unlinkSync(tmp);
      } catch {
        // nothing was written
      }
    }
  }
}
