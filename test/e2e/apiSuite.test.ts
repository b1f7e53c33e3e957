/**
 * The VS Code API suite of `npm run test:vscode` (test/integration/suite) run inside code-server's
 * real extension host, where no desktop VS Code build can be had. A tiny runner extension
 * (written and packaged here) loads the bundled suite on startup and calls its `run()`, as
 * @vscode/test-electron would; the suite writes its results to a file this test reads.
 * This does NOT stand in for test:vscode on a desktop build: that harness still reports itself
 * as not run where it cannot run.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import { REPO, sampleRegistry, waitFor, Workbench, type SampleRegistry } from './workbench';

interface SuiteResults { results: Array<{ id: string; title: string; ok: boolean; ms: number; error?: string }>; notes: string[] }

const RUNNER = `// Loads the suite named by the environment once the window has started, like test-electron's runner.
const fs = require('fs');
exports.activate = () => {
  const suite = process.env.MANIFEST_LENS_API_SUITE;
  const done = process.env.MANIFEST_LENS_API_SUITE_DONE;
  if (!suite || !done) return;
  setTimeout(async () => {
    let status = 'pass';
    try { await require(suite).run(); } catch (err) { status = 'fail: ' + (err && err.message); }
    fs.writeFileSync(done, status);
  }, 0);
};
exports.deactivate = () => undefined;
`;

let registry: SampleRegistry | undefined;
let wb: Workbench;
let paths: { suite: string; done: string; results: string };

/** Bundles the suite and packages the runner extension into `dir`. */
async function prepare(dir: string): Promise<{ runnerVsix: string; suite: string }> {
  const suite = join(dir, 'suite.js');
  await build({ entryPoints: [join(REPO, 'test', 'integration', 'suite', 'index.ts')], outfile: suite, bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'], logLevel: 'warning' });
  const ext = join(dir, 'runner');
  mkdirSync(ext, { recursive: true });
  writeFileSync(join(ext, 'package.json'), JSON.stringify({
    name: 'api-suite-runner',
    displayName: 'Manifest Lens API suite runner (tests only)',
    description: 'Runs test/integration/suite inside the extension host.',
    publisher: 'manifest-lens-tests',
    version: '0.0.1',
    license: 'MIT',
    engines: { vscode: '^1.85.0' },
    main: './extension.js',
    activationEvents: ['onStartupFinished'],
  }, null, 2));
  writeFileSync(join(ext, 'extension.js'), RUNNER);
  writeFileSync(join(ext, 'README.md'), 'Runs the Manifest Lens API suite inside code-server for the end-to-end tests.\n');
  const runnerVsix = join(dir, 'api-suite-runner.vsix');
  const vsce = spawnSync(join(REPO, 'node_modules', '.bin', 'vsce'), ['package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--out', runnerVsix], { cwd: ext, encoding: 'utf8' });
  if (vsce.status !== 0 || !existsSync(runnerVsix)) throw new Error(`vsce package (runner) failed:\n${vsce.stdout}\n${vsce.stderr}`);
  return { runnerVsix, suite };
}

describe('the VS Code API suite (test/integration/suite) inside code-server', { timeout: 300_000 }, () => {
  before(async () => {
    wb = new Workbench({ name: 'api-suite' });
    registry = await sampleRegistry(wb.root);
    const { runnerVsix, suite } = await prepare(wb.root);
    paths = { suite, done: join(wb.root, 'done.txt'), results: join(wb.root, 'results.json') };
    wb.extraVsix.push(runnerVsix);
    Object.assign(wb.env, {
      MANIFEST_LENS_API_SUITE: suite,
      MANIFEST_LENS_API_SUITE_DONE: paths.done,
      MANIFEST_LENS_IT_REFS: registry.refsFile,
      MANIFEST_LENS_IT_RESULTS: paths.results,
      // activate() returns the explorer for scenario s.
      MANIFEST_LENS_TEST_HOOKS: '1',
      // The suite reads the "Manifest Lens" output log under the user data folder.
      MANIFEST_LENS_IT_USER_DATA: wb.userData,
    });
    await wb.start();
  }, { timeout: 180_000 });
  after(async () => {
    await wb?.stop();
    await registry?.stop();
  });

  it('(h) the API suite (scenarios a–f through vscode.* commands, and s: collapsing an explorer node cancels its load) passes in the extension host', async (t) => {
    const status = await waitFor('the API suite to finish', () => (existsSync(paths.done) ? readFileSync(paths.done, 'utf8') : undefined), { timeoutMs: 240_000, intervalMs: 500 });
    await wb.shot('h-api-suite-done');
    const report = existsSync(paths.results) ? (JSON.parse(readFileSync(paths.results, 'utf8')) as SuiteResults) : undefined;
    for (const r of report?.results ?? []) t.diagnostic(`${r.ok ? 'pass' : 'FAIL'} (${r.id}) ${r.title} (${r.ms} ms)${r.error ? ` — ${r.error}` : ''}`);
    for (const n of report?.notes ?? []) t.diagnostic(`note: ${n}`);
    assert.ok(report, 'the suite wrote its results');
    assert.equal(report.results.length, 7, 'seven scenarios ran');
    assert.deepEqual(report.results.filter((r) => !r.ok).map((r) => `(${r.id}) ${r.error}`), []);
    assert.equal(status, 'pass');
  });
});
