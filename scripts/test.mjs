// The test command (`npm test`, also what .ci/run calls). In order:
//   1. installs what is missing (npm ci; Debian's docker-registry, skopeo, buildah, podman, openssl,
//      apache2-utils)
//   2. builds the bundles (the LSP and CLI tests spawn dist/) and type-checks every project
//   3. runs every node:test suite under test/ (engine, LSP, CLI, registry against a real
//      docker-registry, real tools: buildah/podman/skopeo output, corpus, schemas, docs), TypeScript through tsx
//   4. runs the end-to-end suite in a real VS Code (code-server + Chromium): scripts/run-e2e.mjs
//   5. the @vscode/test-electron suite when a VS Code build is given (VSCODE_EXECUTABLE)
// and ends with one line: "tests: N passed, N failed, N skipped". Every end-to-end scenario is in
// those counts; a step, suite or scenario that could not run counts as failed, so a run that exits
// non-zero never ends on "0 failed".
// Usage: node scripts/test.mjs [--no-build] [--no-e2e] [dir-or-file …]
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDebian, ensureNpm } from './ensure-deps.mjs';

const args = process.argv.slice(2);
const noBuild = args.includes('--no-build');
const targets = args.filter((a) => !a.startsWith('--'));
const e2e = !args.includes('--no-e2e') && targets.length === 0;
const totals = { passed: 0, failed: 0, skipped: 0 };

/** The closing line: every failed step, suite or scenario is in the failed count. */
function finish(failed) {
  if (failed && totals.failed === 0) totals.failed = 1; // never "0 failed" on a failing run
  console.log(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
  process.exit(failed || totals.failed > 0 ? 1 : 0);
}

/** A set-up step the tests cannot run without: when it fails, it counts as one failure and the run ends. */
function run(cmd, cmdArgs, opts = {}) {
  const r = spawnSync(cmd, cmdArgs, { stdio: 'inherit', ...opts });
  if (r.status !== 0) {
    console.error(`\n${[cmd, ...cmdArgs].join(' ')} failed (exit ${r.status ?? r.signal}): counted as 1 failed; the tests did not run`);
    totals.failed++;
    finish(true);
  }
}

/** Runs a command, echoing its output, and adds up the pass/fail counts it reports. */
function runCounting(cmd, cmdArgs, { e2eSummaryOnly = false } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, cmdArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    let buffered = '';
    const scan = (line) => {
      let m;
      if (e2eSummaryOnly) {
        if ((m = /^\[e2e\] (\d+) passed, (\d+) failed or not run/.exec(line))) { totals.passed += Number(m[1]); totals.failed += Number(m[2]); }
        return;
      }
      if ((m = /^ℹ pass (\d+)$/.exec(line))) totals.passed += Number(m[1]);
      else if ((m = /^ℹ fail (\d+)$/.exec(line))) totals.failed += Number(m[1]);
      else if ((m = /^ℹ (?:skipped|todo|cancelled) (\d+)$/.exec(line))) totals[line.includes('cancelled') ? 'failed' : 'skipped'] += Number(m[1]);
    };
    child.stdout.on('data', (d) => {
      process.stdout.write(d);
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop();
      lines.forEach(scan);
    });
    child.stderr.on('data', (d) => process.stderr.write(d));
    const failedBefore = totals.failed;
    child.on('close', (code, signal) => {
      if (buffered) scan(buffered);
      const status = code ?? 1;
      // A suite that exits non-zero without reporting a failed test (it could not start, its
      // setup failed, it was killed) is one failure, never a silent pass.
      if (status !== 0 && totals.failed === failedBefore) {
        console.error(`\n${[cmd, ...cmdArgs].join(' ')} exited ${signal ?? status} without reporting a failed test: counted as 1 failed`);
        totals.failed++;
      }
      resolve(status);
    });
  });
}

function collect(path, out) {
  const st = statSync(path);
  if (st.isFile()) {
    if (path.endsWith('.test.ts')) out.push(path);
    return out;
  }
  for (const name of readdirSync(path).sort()) {
    // The editor suites have their own runners (step 4 and 5).
    if (name === 'node_modules' || name === 'integration' || name === 'e2e' || name === 'fixtures') continue;
    collect(join(path, name), out);
  }
  return out;
}

if (!noBuild) {
  ensureNpm();
  // A Debian package that could not be installed: the suites that need it skip loudly, and the
  // install itself counts as one failure, so the run cannot end green without them.
  if (!ensureDebian()) {
    console.error('[deps] a Debian package the tests need is missing: counted as 1 failed');
    totals.failed++;
  }
  run('node', ['scripts/build.mjs']);
  run('npx', ['tsc', '-b']);
  run('npx', ['tsc', '-p', 'test/e2e', '--noEmit']);
  run('npx', ['tsc', '-p', 'test/integration', '--noEmit']);
}
const files = (targets.length ? targets : ['test']).flatMap((t) => collect(t, []));
if (files.length === 0) {
  console.error('no test files found under ' + (targets.join(', ') || 'test'));
  process.exit(1);
}
let failed = (await runCounting(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files])) !== 0;
if (e2e) {
  console.log('\n=== end-to-end: a real VS Code (code-server + Chromium) ===');
  failed = (await runCounting(process.execPath, ['scripts/run-e2e.mjs'], { e2eSummaryOnly: true })) !== 0 || failed;
  if (process.env.VSCODE_EXECUTABLE) {
    console.log('\n=== @vscode/test-electron suite ===');
    failed = (await runCounting('npm', ['run', 'test:vscode'], { e2eSummaryOnly: true })) !== 0 || failed;
  } else {
    console.log('test:vscode not run: no VS Code build here (set VSCODE_EXECUTABLE=/path/to/code to run it); its scenarios ran in code-server above (e2e h)');
  }
}
finish(failed);
