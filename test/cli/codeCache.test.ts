/**
 * The CLI's own V8 code cache on Node releases without module.enableCompileCache
 * (cli/codeCache.ts, issue 13): where it lives, how it is turned off, and that a stale, foreign or
 * damaged cache is never used and never breaks a command — checked on the built CLI, with
 * `inspect` of a registry that refuses the connection (it loads all its code, then fails fast).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { codeCacheDir, decodeCache, encodeCache } from '../../server/src/cli/codeCache';
import { assertCliBuilt, isolatedEnv, runCli } from '../harness/cli';

const dir = mkdtempSync(join(tmpdir(), 'manifest-lens-code-cache-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SAMPLE = join(__dirname, '..', '..', 'samples', 'podman-22196-child.json');
const INSPECT = ['inspect', '--no-creds', '--timeout', '5', '127.0.0.1:1/none/repo:tag'];
const MAIN = 'v8-cli-main-liftoff.cache';
const BUNDLE = 'v8-cli-inspect-liftoff.cache';
const HAS_NODE_COMPILE_CACHE = typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache === 'function';
const SKIP_NODE_CACHE = HAS_NODE_COMPILE_CACHE
  ? `SKIPPED: this Node (${process.version}) has module.enableCompileCache, which the CLI uses instead of its own cache`
  : false;

test('the cache directory: MANIFEST_LENS_CACHE_DIR, XDG_CACHE_HOME, the platform default; off by MANIFEST_LENS_CODE_CACHE=0 or NODE_DISABLE_COMPILE_CACHE', () => {
  const home = (): string => '/home/u';
  assert.equal(codeCacheDir({ MANIFEST_LENS_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x' }, 'linux', home), '/c');
  assert.equal(codeCacheDir({ XDG_CACHE_HOME: '/x' }, 'linux', home), join('/x', 'manifest-lens'));
  assert.equal(codeCacheDir({}, 'linux', home), join('/home/u', '.cache', 'manifest-lens'));
  assert.equal(codeCacheDir({}, 'darwin', home), join('/home/u', 'Library', 'Caches', 'manifest-lens'));
  assert.equal(codeCacheDir({ LOCALAPPDATA: 'C:\\L' }, 'win32', home), join('C:\\L', 'manifest-lens'));
  assert.equal(codeCacheDir({ MANIFEST_LENS_CODE_CACHE: '0', XDG_CACHE_HOME: '/x' }, 'linux', home), undefined);
  assert.equal(codeCacheDir({ NODE_DISABLE_COMPILE_CACHE: '1', XDG_CACHE_HOME: '/x' }, 'linux', home), undefined);
  assert.equal(codeCacheDir({}, 'linux', () => { throw new Error('no home'); }), undefined);
});

test('a cache file is used only when it was made from these exact bytes and arrives whole', () => {
  const source = Buffer.from('module.exports = 1;\n');
  const payload = Buffer.from(Array.from({ length: 300 }, (_, i) => i % 251));
  const file = encodeCache(source, 'default', payload);
  assert.deepEqual(decodeCache(file, source, 'default'), payload);
  // Every single flipped byte, in the header, the copy of the source or either payload, is noticed.
  for (let i = 0; i < file.length; i++) {
    const flipped = Buffer.from(file);
    flipped[i] ^= 0x10;
    assert.equal(decodeCache(flipped, source, 'default'), undefined, `byte ${i} of ${file.length} damaged`);
  }
  // The same damage in both payloads is the one thing a copy cannot see; V8 then still checks its own header.
  assert.equal(decodeCache(file.subarray(0, file.length - 1), source, 'default'), undefined, 'a truncated file');
  assert.equal(decodeCache(file.subarray(0, file.length - payload.length), source, 'default'), undefined, 'one payload only');
  assert.equal(decodeCache(Buffer.concat([file, Buffer.from([0])]), source, 'default'), undefined, 'bytes past the payload');
  const edited = Buffer.from('module.exports = 2;\n'); // same length, other bytes: V8 alone would accept its cache
  assert.equal(decodeCache(file, edited, 'default'), undefined, 'a cache of other source bytes');
  assert.equal(decodeCache(file, source, 'liftoff'), undefined, 'a cache made under other V8 flags');
  assert.equal(decodeCache(encodeCache(source, 'default', Buffer.alloc(0)), source, 'default'), undefined, 'an empty payload');
  assert.equal(decodeCache(Buffer.from('garbage without a line break'), source, 'default'), undefined);
  assert.equal(decodeCache(Buffer.alloc(0), source, 'default'), undefined);
});

/** The cache files in `d`, each with its inode and modification time (a rewrite, a rename into place, changes both). */
function cacheFiles(d: string): Map<string, string> {
  let names: string[] = [];
  try {
    names = readdirSync(d);
  } catch {
    // not made
  }
  return new Map(names.map((n) => {
    const st = statSync(join(d, n));
    return [n, `${st.ino}:${st.mtimeMs}`];
  }));
}

test('inspect and lint write the cache at their first run, read it at the next, and print the same either way', { skip: SKIP_NODE_CACHE }, async () => {
  assertCliBuilt();
  const cacheDir = join(dir, 'first');
  const home = isolatedEnv({ MANIFEST_LENS_CACHE_DIR: cacheDir });
  try {
    const lint = await runCli(['lint', SAMPLE], { env: home.env });
    assert.equal(lint.code, 1, lint.stderr);
    const lintWritten = cacheFiles(cacheDir);
    assert.deepEqual([...lintWritten.keys()].sort(), ['v8-cli-lint-default.cache', 'v8-cli-main-default.cache']);
    const lintAgain = await runCli(['lint', SAMPLE], { env: home.env });
    assert.equal(lintAgain.code, 1, lintAgain.stderr);
    assert.deepEqual(lintAgain.stdout, lint.stdout);
    assert.deepEqual(cacheFiles(cacheDir), lintWritten, 'the second lint rewrote its cache: it did not use it');
    const first = await runCli(INSPECT, { env: home.env });
    assert.equal(first.code, 3, first.stderr);
    const written = cacheFiles(cacheDir);
    assert.deepEqual([...written.keys()].sort(), [BUNDLE, MAIN, 'v8-cli-lint-default.cache', 'v8-cli-main-default.cache'].sort());
    const second = await runCli(INSPECT, { env: home.env });
    assert.equal(second.code, first.code);
    assert.deepEqual(second.stdout, first.stdout);
    assert.equal(second.stderr, first.stderr);
    // A cache that was read and accepted is not written again (a rejected one would be).
    assert.deepEqual(cacheFiles(cacheDir), written, 'the second run rewrote the cache: it did not use it');
    assert.equal((statSync(cacheDir).mode & 0o777).toString(8), '700', 'the cache directory is the user\'s only');
  } finally {
    home.cleanup();
  }
});

test('a damaged, foreign or empty cache is ignored and replaced; the command works and prints the same', { skip: SKIP_NODE_CACHE }, async () => {
  assertCliBuilt();
  const cacheDir = join(dir, 'damaged');
  const home = isolatedEnv({ MANIFEST_LENS_CACHE_DIR: cacheDir });
  try {
    const clean = await runCli(INSPECT, { env: home.env });
    assert.equal(clean.code, 3, clean.stderr);
    const main = join(cacheDir, MAIN);
    const bundle = join(cacheDir, BUNDLE);
    const good = readFileSync(bundle);
    const damaged = Buffer.from(good);
    for (let i = good.indexOf(0x0a) + 1; i < damaged.length; i += 97) damaged[i] ^= 0xff; // bytecode V8 would run as is
    writeFileSync(bundle, damaged);
    writeFileSync(main, 'not a cache at all\n');
    const r = await runCli(INSPECT, { env: home.env });
    assert.equal(r.code, clean.code, r.stderr);
    assert.deepEqual(r.stdout, clean.stdout);
    assert.equal(r.stderr, clean.stderr);
    assert.notDeepEqual(readFileSync(bundle), damaged, 'the damaged cache was replaced');
    assert.match(readFileSync(main, 'latin1'), /^manifest-lens-code-cache /, 'the foreign file was replaced');
    const replaced = cacheFiles(cacheDir);
    const next = await runCli(INSPECT, { env: home.env });
    assert.equal(next.stderr, clean.stderr);
    assert.deepEqual(cacheFiles(cacheDir), replaced, 'the replacements are good caches: the next run uses them');
    writeFileSync(bundle, '');
    const again = await runCli(INSPECT, { env: home.env });
    assert.equal(again.stderr, clean.stderr);
    if (process.platform !== 'win32') {
      // A FIFO in the cache's place: reading it must not wait for a writer that never comes.
      rmSync(bundle);
      execFileSync('mkfifo', [bundle]);
      const fifo = await runCli(INSPECT, { env: home.env, timeoutMs: 20_000 });
      assert.equal(fifo.code, clean.code, fifo.stderr);
      assert.equal(fifo.stderr, clean.stderr);
    }
  } finally {
    home.cleanup();
  }
});

test('MANIFEST_LENS_CODE_CACHE=0 writes nothing; an unwritable cache directory only costs the cache', { skip: SKIP_NODE_CACHE }, async () => {
  assertCliBuilt();
  const off = join(dir, 'off');
  const home = isolatedEnv({ MANIFEST_LENS_CACHE_DIR: off, MANIFEST_LENS_CODE_CACHE: '0' });
  try {
    const r = await runCli(INSPECT, { env: home.env });
    assert.equal(r.code, 3, r.stderr);
    assert.equal(cacheFiles(off).size, 0);
  } finally {
    home.cleanup();
  }
  const blocker = join(dir, 'a-file');
  writeFileSync(blocker, 'x');
  const blocked = isolatedEnv({ MANIFEST_LENS_CACHE_DIR: join(blocker, 'cache') });
  try {
    const r = await runCli(INSPECT, { env: blocked.env });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /refused the connection/);
  } finally {
    blocked.cleanup();
  }
});
