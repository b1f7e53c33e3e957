/**
 * `npm run test:vscode`: the @vscode/test-electron harness. Runs test/integration/suite (the
 * editor scenarios through the VS Code API) in a desktop VS Code with this repository as the
 * extension under development, against the sample registry (scripts/sample-registry.mjs).
 *
 * Which VS Code: $VSCODE_EXECUTABLE (a local VS Code build's executable, e.g. /usr/share/code/code
 * or VSCode-linux-x64/code), else whatever @vscode/test-electron can download (or find in
 * .vscode-test/). When neither is there it prints ONE line and exits 1 — or 0 with "SKIPPED" when
 * MANIFEST_LENS_ALLOW_SKIP_VSCODE=1. A skip is never a pass.
 * Linux without a display: re-runs itself under `xvfb-run -a` when that is installed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from '../harness/net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { downloadAndUnzipVSCode, ProgressReportStage, runTests, type ProgressReporter } from '@vscode/test-electron';
import { build } from 'esbuild';

const REPO = resolve(__dirname, '..', '..');
const SUITE_SRC = join(REPO, 'test', 'integration', 'suite', 'index.ts');
const SUITE_OUT = join(REPO, 'out', 'integration', 'suite.js');
const allowSkip = process.env.MANIFEST_LENS_ALLOW_SKIP_VSCODE === '1';

function unavailable(why: string): never {
  const base = 'test:vscode: no VS Code build available (set VSCODE_EXECUTABLE=/path/to/code)';
  if (allowSkip) {
    console.log(`${base}; SKIPPED (MANIFEST_LENS_ALLOW_SKIP_VSCODE=1) — not run, not passed [${why}]`);
    process.exit(0);
  }
  console.log(`${base}; not run [${why}]`);
  process.exit(1);
}

/** A VS Code executable, or undefined with the reason. */
async function findVSCode(): Promise<{ path?: string; why: string }> {
  const given = process.env.VSCODE_EXECUTABLE;
  if (given) {
    return existsSync(given) ? { path: resolve(given), why: 'VSCODE_EXECUTABLE' } : { why: `VSCODE_EXECUTABLE=${given} does not exist` };
  }
  const messages: string[] = [];
  const reporter: ProgressReporter = {
    report: (p) => { if (p.stage === ProgressReportStage.Retrying) messages.push(`retry: ${p.error.message}`); },
    error: (err) => { messages.push(String(err)); },
  };
  try {
    const path = await Promise.race([
      downloadAndUnzipVSCode({ version: process.env.VSCODE_VERSION ?? 'stable', cachePath: join(REPO, '.vscode-test'), reporter, timeout: 20_000 }),
      new Promise<never>((_, rej) => setTimeout(() => rej(new Error('no answer within 90 s')), 90_000).unref()),
    ]);
    return existsSync(path) ? { path, why: 'downloaded or cached by @vscode/test-electron' } : { why: `downloaded path ${path} is missing` };
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return { why: `download failed: ${msg.split('\n')[0]}${messages.length ? `; ${messages[messages.length - 1].split('\n')[0]}` : ''}` };
  }
}


async function startSampleRegistry(dir: string): Promise<{ child: ChildProcess; refsFile: string }> {
  const refsFile = join(dir, 'sample-refs.json');
  const port = await freePort();
  let output = '';
  const child = spawn(process.execPath, [join(REPO, 'scripts', 'sample-registry.mjs'), '--port', String(port), '--write-refs', refsFile], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TMPDIR: dir },
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`scripts/sample-registry.mjs exited with ${child.exitCode}:\n${output}`);
    if (existsSync(refsFile)) {
      try { JSON.parse(readFileSync(refsFile, 'utf8')); return { child, refsFile }; } catch { /* being written */ }
    }
    if (Date.now() > deadline) throw new Error(`the sample registry did not start within 90 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function main(): Promise<void> {
  const found = await findVSCode();
  if (!found.path) unavailable(found.why);
  const vscodeExecutablePath = found.path;

  // Electron needs a display; without one, run this whole harness again under xvfb-run.
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY && !process.env.MANIFEST_LENS_UNDER_XVFB) {
    const xvfb = spawnSync('sh', ['-c', 'command -v xvfb-run'], { encoding: 'utf8' }).stdout.trim();
    if (!xvfb) {
      console.log('test:vscode: VS Code needs a display: set DISPLAY, or install xvfb (apt-get install xvfb) so this can run under xvfb-run; not run');
      process.exit(1);
    }
    const r = spawnSync(xvfb, ['-a', process.execPath, ...process.execArgv, __filename, ...process.argv.slice(2)], {
      stdio: 'inherit',
      env: { ...process.env, MANIFEST_LENS_UNDER_XVFB: '1', VSCODE_EXECUTABLE: vscodeExecutablePath },
    });
    process.exit(r.status ?? 1);
  }

  if (!existsSync(join(REPO, 'dist', 'extension.js'))) {
    console.log('test:vscode: dist/extension.js is missing; run node scripts/build.mjs (npm run test:vscode does); not run');
    process.exit(1);
  }
  // The suite runs inside VS Code's extension host, which loads plain JavaScript: bundle it.
  await build({ entryPoints: [SUITE_SRC], outfile: SUITE_OUT, bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'], sourcemap: 'inline', logLevel: 'warning' });

  const root = mkdtempSync(join(tmpdir(), 'manifest-lens-vscode-'));
  const workspace = join(root, 'samples');
  const userData = join(root, 'user-data');
  const extensions = join(root, 'extensions');
  cpSync(join(REPO, 'samples'), workspace, { recursive: true });
  mkdirSync(join(userData, 'User'), { recursive: true });
  mkdirSync(extensions, { recursive: true });
  writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify({
    'editor.stickyScroll.enabled': false,
    'workbench.startupEditor': 'none',
    'chat.disableAIFeatures': true,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'security.workspace.trust.enabled': false,
    'extensions.autoCheckUpdates': false,
    'update.mode': 'none',
    'telemetry.telemetryLevel': 'off',
    'manifestLens.registry.insecureHosts': [],
  }, null, 2));

  let registry: ChildProcess | undefined;
  const stop = (): void => {
    if (registry && registry.exitCode === null) registry.kill('SIGTERM');
  };
  process.once('exit', stop);
  let code = 1;
  try {
    const started = await startSampleRegistry(root);
    registry = started.child;
    const resultsFile = join(root, 'results.json');
    const t0 = Date.now();
    console.log(`test:vscode: ${vscodeExecutablePath} (${found.why})`);
    try {
      code = await runTests({
        vscodeExecutablePath,
        extensionDevelopmentPath: REPO,
        extensionTestsPath: SUITE_OUT,
        launchArgs: [
          workspace,
          '--user-data-dir', userData,
          '--extensions-dir', extensions,
          '--disable-extensions', // other extensions; the one under development stays on
          '--disable-workspace-trust',
          '--skip-welcome',
          '--skip-release-notes',
          '--disable-gpu',
          '--no-sandbox',
        ],
        extensionTestsEnv: {
          MANIFEST_LENS_IT_REFS: started.refsFile,
          MANIFEST_LENS_IT_USER_DATA: userData,
          MANIFEST_LENS_IT_RESULTS: resultsFile,
          MANIFEST_LENS_TEST_HOOKS: '1',
        },
      });
    } catch (err) {
      console.error(`test:vscode: ${err instanceof Error ? err.message : String(err)}`);
      code = 1;
    }
    if (existsSync(resultsFile)) {
      const { results } = JSON.parse(readFileSync(resultsFile, 'utf8')) as { results: Array<{ ok: boolean }> };
      const passed = results.filter((r) => r.ok).length;
      console.log(`test:vscode: ${passed} passed, ${results.length - passed} failed, in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      if (passed !== results.length) code = code || 1;
    } else {
      console.log('test:vscode: the suite wrote no results (did VS Code start?)');
      code = code || 1;
    }
  } finally {
    stop();
    if (!process.env.MANIFEST_LENS_IT_KEEP) rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  }
  process.exit(code);
}

main().catch((err) => {
  console.error(`test:vscode: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exit(1);
});
