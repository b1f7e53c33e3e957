// `npm run test:e2e`: the end-to-end tests in a real VS Code (code-server + Debian's Chromium,
// driven by Playwright). In order:
//   1. scripts/e2e-setup.mjs (Node 24, chromium, code-server, playwright-core; skips what is there)
//   2. npm run package → manifest-lens.vsix
//   3. scripts/sample-registry.mjs on a free loopback port (a real registry with the sample images)
//   4. node --import tsx --test test/e2e/*.test.ts, one file at a time
//   5. stops everything it started, even on failure or Ctrl-C: the test runner, code-server,
//      Chromium, the language server, the registry (every process whose command line names this
//      run's temp folder, and the process groups it spawned), then removes the temp folder.
// Screenshots of every step: test-results/e2e/. Prints the scenarios, their results, the
// activation time, the .vsix size and the total time.
//
// Usage: node scripts/run-e2e.mjs [--skip-package] [test/e2e/file.test.ts …]
//   --skip-package   reuse the existing manifest-lens.vsix (when iterating on the tests only)
//   --readme-shots   after a run in which every scenario passed, copy the README's screenshots
//                    (README_SHOTS below) from this run into images/readme/, so the README shows
//                    what the current build shows; every run checks that each of them was taken
//   MANIFEST_LENS_E2E_KEEP=1 keeps the temp folder (code-server logs, workspace copies)
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { e2eSetup, SetupError } from './e2e-setup.mjs';
import { ensureDebian } from './ensure-deps.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SHOTS = join(REPO, 'test-results', 'e2e');
const VSIX = join(REPO, 'manifest-lens.vsix');
const TEST_TIMEOUT_MS = 8 * 60_000;
const started = Date.now();
const args = process.argv.slice(2);
const skipPackage = args.includes('--skip-package');
const readmeShots = args.includes('--readme-shots');
/** The README's pictures: images/readme/NAME ← the step of a scenario that shows it (its shot name). */
const README_SHOTS = {
  'lint-hover.png': 'b-hover',
  'deep-inspection.png': 'e-index-with-codelens',
  'child.png': 'e-child-linted',
  'explorer.png': 'k-explorer-expanded',
  'compare.png': 'm-compare',
  'image-map.png': 'v-image-map',
  'repair.png': 'x-repair-modal',
};
const only = args.filter((a) => !a.startsWith('--'));

const log = (line) => console.log(`[e2e] ${line}`);
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;

const runTmp = mkdtempSync(join(tmpdir(), 'manifest-lens-e2e-run-'));
const spawned = []; // { name, child } started detached: each is a process-group leader
let cleaning;

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Processes whose command line names this run's temp folder (code-server, language server, Chromium, registry). */
function leftovers() {
  const mine = new Set([process.pid]);
  const found = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || mine.has(Number(name))) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (cmd.includes(runTmp)) found.push({ pid: Number(name), cmd: cmd.replace(/\0/g, ' ').slice(0, 160) });
    } catch { /* exited meanwhile */ }
  }
  return found;
}

async function waitGone(pids, ms) {
  const deadline = Date.now() + ms;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return pids.filter(alive);
}

/** Stops everything this run started. Safe to call twice. */
function cleanup() {
  cleaning ??= (async () => {
    // Our own children first, as whole process groups (they were spawned detached).
    for (const { child } of spawned) {
      if (child.exitCode === null && child.signalCode === null) {
        try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ }
      }
    }
    const groupLeaders = spawned.map((s) => s.child.pid);
    const stubborn = await waitGone(groupLeaders, 8000);
    for (const pid of stubborn) try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
    // Then anything that escaped into its own group (Chromium, code-server): found by the temp folder.
    let rest = leftovers();
    if (rest.length) {
      log(`stopping ${rest.length} leftover process(es): ${rest.map((p) => `${p.pid} ${p.cmd.split(' ')[0]}`).join(', ')}`);
      for (const p of rest) try { process.kill(p.pid, 'SIGTERM'); } catch { /* gone */ }
      const still = await waitGone(rest.map((p) => p.pid), 5000);
      for (const pid of still) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      rest = leftovers();
      if (rest.length) log(`WARNING: still running: ${rest.map((p) => p.pid).join(', ')}`);
    }
    if (process.env.MANIFEST_LENS_E2E_KEEP) log(`kept the temp folder ${runTmp}`);
    else rmSync(runTmp, { recursive: true, force: true, maxRetries: 3 });
  })();
  return cleaning;
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    log(`${sig}: stopping everything`);
    void cleanup().then(() => process.exit(130));
  });
}

/** The scenarios this run means to run: known before setup, so a run that stops early still counts them. */
let planned = [];

function fail(message) {
  console.error(`[e2e] FAILED: ${message}`);
  // Every scenario that was to run is counted as failed: a setup that cannot start is not a pass.
  log(`0 passed, ${Math.max(planned.length, 1)} failed or not run, of ${planned.length} scenarios (stopped before the tests: ${message.split('\n')[0]})`);
  return cleanup().then(() => process.exit(1));
}

/** The scenario titles, read from the test files: it('(a) …'). */
function scenarios(files) {
  const out = [];
  for (const f of files) {
    const src = readFileSync(f, 'utf8');
    for (const m of src.matchAll(/\bit\(\s*(['`])(\([a-z]\)[^'`]*)\1/g)) out.push({ file: relative(REPO, f), title: m[2] });
  }
  return out;
}

async function startRegistry() {
  if (!ensureDebian(['docker-registry'])) throw new Error('docker-registry (Debian) is needed for the remote scenarios');
  const script = join(REPO, 'scripts', 'sample-registry.mjs');
  if (!existsSync(script)) throw new Error('scripts/sample-registry.mjs is missing');
  const port = await freePort();
  const refsFile = join(runTmp, 'sample-refs.json');
  let output = '';
  const child = spawn(process.execPath, [script, '--port', String(port), '--write-refs', refsFile], {
    cwd: REPO,
    // TMPDIR: the registry's storage lands in this run's temp folder, so cleanup can find it.
    env: { ...process.env, TMPDIR: runTmp },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  spawned.push({ name: 'sample registry', child });
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sample-registry.mjs exited with ${child.exitCode}:\n${output}`);
    if (existsSync(refsFile)) {
      try {
        const refs = JSON.parse(readFileSync(refsFile, 'utf8'));
        return { refsFile, refs, output };
      } catch { /* still being written */ }
    }
    if (Date.now() > deadline) throw new Error(`the sample registry did not write ${refsFile} within 90 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function runTests(files, env) {
  const tapFile = join(runTmp, 'results.tap');
  const child = spawn(process.execPath, [
    '--import', 'tsx',
    '--test',
    '--test-concurrency=1',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tapFile}`,
    ...files,
  ], { cwd: REPO, env, stdio: 'inherit', detached: true });
  spawned.push({ name: 'test runner', child });
  return new Promise((res) => {
    const timer = setTimeout(() => {
      log(`the tests ran over ${secs(TEST_TIMEOUT_MS)}: stopping them`);
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ }
    }, TEST_TIMEOUT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      res({ code: code ?? 1, signal, tap: existsSync(tapFile) ? readFileSync(tapFile, 'utf8') : '' });
    });
  });
}

/** ok / not ok per scenario, from the TAP report. */
function results(tap) {
  const out = new Map();
  for (const m of tap.matchAll(/^\s*(not ok|ok) \d+ - (\([a-z]\))(.*?)(?: # (SKIP|TODO).*)?$/gm)) out.set(m[2], m[4] ? m[4].toLowerCase() : m[1] === 'ok' ? 'pass' : 'FAIL');
  return out;
}

async function main() {
  log(`end-to-end tests in code-server + Chromium; temp folder ${runTmp}`);
  const dir = join(REPO, 'test', 'e2e');
  const files = (only.length ? only.map((f) => resolve(f)) : readdirSync(dir).filter((f) => f.endsWith('.test.ts')).sort().map((f) => join(dir, f)));
  if (files.length === 0) return fail('no test files in test/e2e');
  const list = scenarios(files).sort((a, b) => a.title.localeCompare(b.title));
  planned = list;
  // Results are matched to scenarios by their letter: two scenarios with one letter would be
  // counted under each other's result.
  const letters = new Map();
  for (const s of list) letters.set(s.title.slice(0, 3), [...(letters.get(s.title.slice(0, 3)) ?? []), s.file]);
  const shared = [...letters].filter(([, where]) => where.length > 1);
  if (shared.length) return fail(`scenario letters must be unique across test/e2e: ${shared.map(([l, where]) => `${l} in ${where.join(' and ')}`).join('; ')}`);

  // 1. setup
  const t1 = Date.now();
  let paths;
  try {
    paths = e2eSetup({ log: (l) => log(`setup: ${l}`) });
  } catch (err) {
    return fail(err instanceof SetupError ? err.message : err?.stack ?? String(err));
  }
  const setupMs = Date.now() - t1;
  const afterSetup = Date.now();

  // 2. the .vsix
  if (skipPackage && existsSync(VSIX)) {
    log(`--skip-package: using ${relative(REPO, VSIX)} as it is`);
  } else {
    log('npm run package');
    const p = spawnSync('npm', ['run', 'package'], { cwd: REPO, stdio: 'inherit' });
    if (p.status !== 0 || !existsSync(VSIX)) return fail(`npm run package failed (exit ${p.status}); no ${relative(REPO, VSIX)}`);
  }
  const vsixBytes = statSync(VSIX).size;

  // 3. the sample registry
  let registry;
  try {
    registry = await startRegistry();
  } catch (err) {
    return fail(`could not start the sample registry: ${err.message}`);
  }
  log(`sample registry on ${registry.refs.host} (${registry.refs.tagged?.length ?? '?'} tagged images)`);

  // 4. the tests
  console.log('\nE2E scenarios:');
  for (const s of list) console.log(`  ${s.title}   [${s.file}]`);
  console.log('');
  rmSync(SHOTS, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });
  const tTests = Date.now();
  const run = await runTests(files, {
    ...process.env,
    TMPDIR: runTmp, // Playwright's Chromium profile and the workbenches' folders: findable by cleanup
    MANIFEST_LENS_E2E_TMP: runTmp,
    MANIFEST_LENS_E2E_CACHE: paths.cache,
    MANIFEST_LENS_E2E_REFS: registry.refsFile,
    MANIFEST_LENS_E2E_SHOTS: SHOTS,
    MANIFEST_LENS_VSIX: VSIX,
  });
  const testsMs = Date.now() - tTests;

  // 5. stop everything, then report
  await cleanup();
  const outcome = results(run.tap);
  let metrics = {};
  try { metrics = JSON.parse(readFileSync(join(SHOTS, 'metrics.json'), 'utf8')); } catch { /* no metrics */ }
  const shots = existsSync(SHOTS) ? readdirSync(SHOTS).filter((f) => f.endsWith('.png')).length : 0;
  console.log('\nE2E results:');
  let passed = 0;
  let failed = 0;
  for (const s of list) {
    const r = outcome.get(s.title.slice(0, 3)) ?? 'not run';
    if (r === 'pass') passed++;
    else failed++;
    console.log(`  ${r === 'pass' ? 'pass' : r.toUpperCase().padEnd(4)}  ${s.title}`);
  }
  console.log('');
  if (metrics.activationMs !== undefined) log(`activation: activate() returned in ${metrics.activationMs} ms; language server ready after ${metrics.serverReadyMs ?? '?'} ms`);
  if (metrics.activationLogLine) log(`exthost log: ${metrics.activationLogLine}`);
  log(`.vsix: ${relative(REPO, VSIX)} ${(vsixBytes / 1024).toFixed(1)} KiB (${vsixBytes} bytes)`);
  log(`screenshots: ${shots} in ${relative(REPO, SHOTS)}/`);
  log(`${passed} passed, ${failed} failed or not run, of ${list.length} scenarios`);
  log(`time: setup ${secs(setupMs)}, tests ${secs(testsMs)}, after setup ${secs(Date.now() - afterSetup)}, total ${secs(Date.now() - started)}`);
  // The README's screenshots: each must have been taken by this run when its scenario ran.
  const taken = existsSync(SHOTS) ? readdirSync(SHOTS).filter((f) => f.endsWith('.png')) : [];
  const missingShots = [];
  for (const [name, step] of Object.entries(README_SHOTS)) {
    const file = taken.filter((f) => f.replace(/^[A-Za-z]+-\d+-/, '').replace(/\.png$/, '') === step).pop();
    if (!file) {
      if (only.length === 0) missingShots.push(`${name} (step ${step})`);
      continue;
    }
    if (readmeShots && run.code === 0 && failed === 0) copyFileSync(join(SHOTS, file), join(REPO, 'images', 'readme', name));
  }
  if (missingShots.length) console.error(`[e2e] the README's screenshots were not taken: ${missingShots.join(', ')} (a scenario step was renamed? README_SHOTS in scripts/run-e2e.mjs)`);
  else if (readmeShots) log(run.code === 0 && failed === 0 ? `README screenshots copied to images/readme/ (${Object.keys(README_SHOTS).length})` : 'README screenshots not copied: a scenario failed');
  const ok = run.code === 0 && failed === 0 && passed > 0 && missingShots.length === 0;
  if (!ok) console.error(`[e2e] FAILED (test runner exit ${run.code}${run.signal ? `, ${run.signal}` : ''})`);
  process.exit(ok ? 0 : 1);
}

main().catch((err) => fail(err?.stack ?? String(err)));
