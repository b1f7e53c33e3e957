/**
 * The CLI loads only what a command needs (issue 13): `lint` no networking, and the registry
 * commands not node:http2 (undici's HTTP/2 client is loaded on first use, scripts/http2-lazy.cjs).
 * Checked on the built bundles: a preload records the built-in modules the process loaded.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { assertCliBuilt, CLI_PATH, isolatedEnv, runProgram } from '../harness/cli';

const dir = mkdtempSync(join(tmpdir(), 'manifest-lens-bundle-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs dist/cli.js with a preload that writes, at exit, the built-in modules and the files of dist/ that were loaded. */
async function loadedModules(args: readonly string[]): Promise<{ code: number | null; modules: string[]; bundles: string[] }> {
  assertCliBuilt();
  const out = join(dir, `modules-${Math.random().toString(36).slice(2)}.json`);
  const probe = join(dir, 'probe.cjs');
  writeFileSync(probe, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify({ modules: process.moduleLoadList, files: Object.keys(require.cache) })));\n`);
  const home = isolatedEnv();
  try {
    const r = await runProgram(process.execPath, ['--require', probe, CLI_PATH, ...args], { env: home.env });
    const loaded = JSON.parse(readFileSync(out, 'utf8')) as { modules: string[]; files: string[] };
    return {
      code: r.code,
      modules: loaded.modules.map((m) => m.replace(/^NativeModule /, '')),
      bundles: loaded.files.filter((f) => f.startsWith(DIST)).map((f) => basename(f)),
    };
  } finally {
    home.cleanup();
  }
}

const DIST = dirname(CLI_PATH);
const SAMPLE = join(__dirname, '..', '..', 'samples', 'podman-22196-child.json');

test('lint loads no HTTP client: neither node:http, node:http2 nor node:tls', async () => {
  const { code, modules } = await loadedModules(['lint', SAMPLE]);
  assert.equal(code, 1, 'the sample has an error finding');
  for (const m of ['http', 'http2', 'tls', 'child_process']) assert.ok(!modules.includes(m), `lint loaded ${m}`);
});

test('inspect loads its networking but not node:http2 nor node:child_process (no credential helper ran)', async () => {
  // A closed port: the command fails fast after loading everything it loads at start.
  const { code, modules } = await loadedModules(['inspect', '--no-creds', '--timeout', '5', '127.0.0.1:1/none/repo:tag']);
  assert.equal(code, 3, 'a registry that cannot be reached');
  assert.ok(modules.includes('http'), 'the probe sees what inspect loaded (undici loads node:http)');
  assert.ok(!modules.includes('http2'), 'node:http2 loaded at start');
  assert.ok(!modules.includes('child_process'), 'node:child_process loaded at start');
  // undici's invariants use scripts/assert-lazy.cjs; the credentials are read with fs.readFile.
  for (const m of ['assert', 'fs/promises', 'zlib']) assert.ok(!modules.includes(m), `node:${m} loaded at start`);
});

test('the assert undici gets in the bundles passes what holds and throws node:assert\'s AssertionError for what does not', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const lazy = require('../../scripts/assert-lazy.cjs') as ((value: unknown, message?: string | Error) => void) & { ok: unknown };
  assert.doesNotThrow(() => lazy(1));
  assert.doesNotThrow(() => lazy({}));
  assert.throws(() => lazy(0), assert.AssertionError);
  assert.throws(() => lazy(null, 'the invariant'), (e: Error) => e instanceof assert.AssertionError && e.message === 'the invariant');
  const own = new TypeError('own');
  assert.throws(() => lazy(false, own), (e) => e === own);
  assert.equal(lazy.ok, lazy);
});

test('lint of a file loads neither node:crypto (layouts hash their blobs on first use, and the code cache is checked without a hash), node:zlib, nor node:net (its output is written directly, not through process.stdout)', async () => {
  const { code, modules } = await loadedModules(['lint', SAMPLE]);
  assert.equal(code, 1, 'the sample has an error finding');
  assert.ok(modules.includes('fs'), 'the probe sees what lint loaded');
  for (const m of ['crypto', 'zlib', 'net']) assert.ok(!modules.includes(m), `lint loaded ${m}`);
});

test('lint writing directly to a pipe: a reader that waits still gets every byte, in order', async () => {
  assertCliBuilt();
  // 1,600 findings of about 200 bytes (messages are one sentence): several times what a pipe holds while nobody reads.
  const many = join(dir, 'many');
  mkdirSync(many);
  const text = readFileSync(SAMPLE);
  for (let i = 0; i < 800; i++) writeFileSync(join(many, `m${String(i).padStart(3, '0')}.json`), text);
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [CLI_PATH, 'lint', many], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pause();
  await new Promise((r) => setTimeout(r, 500));
  const chunks: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => chunks.push(d));
  child.stderr.on('data', (d) => { stderr += d; });
  child.stdout.resume();
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  assert.equal(code, 1, stderr);
  const lines = Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean);
  assert.equal(lines.length, 1600, 'every finding reached the reader');
  assert.ok(Buffer.concat(chunks).length > 128 * 1024, 'more than a pipe holds');
  lines.forEach((line, i) => assert.ok(line.startsWith(join(many, `m${String(i >> 1).padStart(3, '0')}.json:`)), `line ${i} in order: ${line.slice(0, 80)}`));
  assert.match(stderr, /^800 files checked: 800 errors, 800 warnings/m);
});

test('inspect without --lint loads no engine; lint and inspect --lint do (dist/cli-lint.js)', async () => {
  const lint = await loadedModules(['lint', SAMPLE]);
  assert.ok(lint.bundles.includes('cli-lint.js'), `the probe sees the bundles: ${lint.bundles.join(', ')}`);
  assert.ok(!lint.bundles.includes('cli-inspect.js'), 'lint loaded the registry command');
  const inspect = await loadedModules(['inspect', '--no-creds', '--timeout', '5', '127.0.0.1:1/none/repo:tag']);
  assert.equal(inspect.code, 3, 'a registry that cannot be reached');
  assert.ok(inspect.bundles.includes('cli-inspect.js'), `inspect's own bundle: ${inspect.bundles.join(', ')}`);
  assert.ok(!inspect.bundles.includes('cli-lint.js'), `inspect loaded the engine without --lint: ${inspect.bundles.join(', ')}`);
});

test('the HTTP/2 constants the lazy shim gives undici are node:http2\'s', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const shim = require('../../scripts/http2-lazy.cjs') as { constants: Record<string, string | number>; connect: unknown };
  for (const [k, v] of Object.entries(shim.constants)) assert.equal(v, (http2.constants as Record<string, string | number>)[k], k);
  assert.equal(typeof shim.connect, 'function');
});

test('the dispatcher every command loads first stays small: each command is its own bundle', () => {
  assertCliBuilt();
  // cli-main.js is parsed on every run; a command whose dynamic import is not split out by
  // scripts/build.mjs lands inside it (with its registry client and engine) and slows every
  // command's start, `lint` included, though none of it runs.
  const main = readFileSync(join(__dirname, '..', '..', 'dist', 'cli-main.js'), 'utf8');
  assert.ok(main.length < 64 * 1024, `dist/cli-main.js is ${(main.length / 1024).toFixed(0)} KiB`);
  for (const command of ['inspect', 'digest', 'tree', 'diff', 'rules', 'lint', 'fix', 'push']) {
    assert.match(main, new RegExp(`require\\("\\./cli-${command}\\.js"\\)`), `${command} is loaded from dist/cli-${command}.js`);
  }
});
