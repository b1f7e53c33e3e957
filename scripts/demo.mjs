// `npm run demo`: Manifest Lens in a real VS Code on a fresh Debian/Ubuntu machine (Node 20+).
//   1. npm and Debian dependencies (scripts/ensure-deps.mjs: npm ci, and Debian's docker-registry)
//   2. the .vsix (npm run package)
//   3. a sample registry on 127.0.0.1:5055 with the sample images (scripts/sample-registry.mjs)
//   4. a sample workspace: a copy of samples/ with a .vscode/settings.json
//   5. VS Code: a `code` CLI on PATH gets the .vsix and opens the workspace; otherwise
//      code-server (installed by scripts/e2e-setup.mjs into ~/.cache/manifest-lens-e2e) serves
//      VS Code on http://127.0.0.1:8080 with the .vsix installed, for any browser.
// Runs until Ctrl-C, then stops what it started.
//
// Usage: node scripts/demo.mjs [--code-server] [--port N] [--registry-port N]
//                              [--screenshot FILE] [--exit]
//        npm run demo -- --registry-port N …   (the `--` hands the options to this script; without
//        it npm keeps them, and the script recovers a single `--name value` or says how to write it)
//   --code-server      use code-server even if a `code` CLI is on PATH
//   --port N           code-server's port (default 8080, or $DEMO_PORT)
//   --registry-port N  the sample registry's port (default 5055, or $SAMPLE_REGISTRY_PORT)
//   --screenshot FILE  (code-server) open the seed's mixed manifest in Chromium, show the error
//                      and its hover, and save a screenshot (the README's image)
//   --exit             stop after the screenshot instead of running until Ctrl-C
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const VSIX = join(REPO, 'manifest-lens.vsix');
const EXTENSION_ID = 'manifest-lens.manifest-lens';

const args = process.argv.slice(2);
const OPTIONS = ['--port', '--registry-port', '--screenshot'];
const FLAGS = ['--code-server', '--exit'];

/**
 * `npm run demo --registry-port 5056` (without `--`) does not reach this script as written: npm
 * takes the option for itself and hands it over as npm_config_registry_port ("5056" with `=`,
 * "true" with a space, the value then arriving as a bare argument). Recover what is certain, and
 * otherwise say how to write it instead of quietly using the default.
 */
function npmSwallowed(name) {
  return process.env[`npm_config_${name.slice(2).replace(/-/g, '_')}`];
}
const bare = args.filter((a, i) => !a.startsWith('--') && !OPTIONS.includes(args[i - 1]));
const swallowed = [...OPTIONS, ...FLAGS].filter((n) => npmSwallowed(n) !== undefined && !args.some((a) => a === n || a.startsWith(n + '=')));
const swallowedWithoutValue = swallowed.filter((n) => OPTIONS.includes(n) && npmSwallowed(n) === 'true');
if (swallowedWithoutValue.length > 1 || (swallowedWithoutValue.length === 1 && bare.length !== 1) || (swallowedWithoutValue.length === 0 && bare.length > 0)) {
  console.error(`[demo] npm kept ${swallowed.join(' ') || 'the options'} for itself${bare.length ? ` and passed on ${bare.join(' ')}` : ''}: write the options after \`--\`, e.g.\n  npm run demo -- --registry-port 5056 --port 8081`);
  process.exit(2);
}
const flag = (name) => args.includes(name) || npmSwallowed(name) === 'true';
function option(name, fallback) {
  const i = args.findIndex((a) => a === name || a.startsWith(name + '='));
  if (i >= 0) return args[i].includes('=') ? args[i].split('=').slice(1).join('=') : args[i + 1];
  const viaNpm = npmSwallowed(name);
  if (viaNpm === undefined) return fallback;
  if (viaNpm !== 'true') return viaNpm;
  return bare[0];
}
const say = (line) => console.log(`[demo] ${line}`);
function die(message) {
  console.error(`[demo] ${message}`);
  void stopAll().then(() => process.exit(1));
}

const major = Number(process.versions.node.split('.')[0]);
if (major < 20) {
  console.error(`[demo] Node 20 or newer is needed; this is ${process.version}.`);
  process.exit(1);
}

function portOption(name, fallback) {
  const value = option(name, fallback);
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    console.error(`[demo] ${name} takes a port number from 1 to 65535, not ${JSON.stringify(String(value))}.`);
    process.exit(2);
  }
  return n;
}
const port = portOption('--port', process.env.DEMO_PORT ?? 8080);
const registryPort = portOption('--registry-port', process.env.SAMPLE_REGISTRY_PORT ?? 5055);
const screenshot = option('--screenshot');
const exitAfter = flag('--exit');
const children = [];
let stopping;

function portFree(p) {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(p, '127.0.0.1', () => s.close(() => res(true)));
  });
}

function onPath(cmd) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, cmd))) return join(dir, cmd);
  }
  return undefined;
}

/** Starts a long-running child in its own process group, so that stopping it stops its children. */
function start(name, cmd, argv, opts = {}) {
  const child = spawn(cmd, argv, { detached: true, ...opts });
  children.push({ name, child });
  return child;
}

function stopAll() {
  stopping ??= (async () => {
    for (const { name, child } of children.reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      say(`stopping ${name}`);
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ }
      const gone = await Promise.race([
        new Promise((r) => child.once('exit', () => r(true))),
        new Promise((r) => setTimeout(() => r(false), 8000).unref()),
      ]);
      if (!gone) try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
    }
  })();
  return stopping;
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.log('');
    void stopAll().then(() => process.exit(0));
  });
}

function step(title, cmd, argv, opts = {}) {
  say(title);
  const r = spawnSync(cmd, argv, { cwd: REPO, stdio: 'inherit', ...opts });
  if (r.status !== 0) die(`${title} failed (exit ${r.status ?? r.signal}).`);
  return r.status === 0;
}

async function waitUntil(what, probe, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function startRegistry(stateDir) {
  if (!(await portFree(registryPort))) throw new Error(`127.0.0.1:${registryPort} is in use; stop what listens there or pass --registry-port N`);
  const refsFile = join(stateDir, 'sample-refs.json');
  let output = '';
  const child = start('the sample registry', process.execPath, [join(REPO, 'scripts', 'sample-registry.mjs'), '--port', String(registryPort), '--write-refs', refsFile], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  await waitUntil('the sample registry', () => {
    if (child.exitCode !== null) throw new Error(`the sample registry exited (${child.exitCode}):\n${output}`);
    try { return JSON.parse(readFileSync(refsFile, 'utf8')); } catch { return undefined; }
  }, 90_000);
  child.once('exit', (code) => { if (!stopping) say(`the sample registry stopped unexpectedly (${code}):\n${output}`); });
  return JSON.parse(readFileSync(refsFile, 'utf8'));
}

function writeWorkspace(dir) {
  cpSync(join(REPO, 'samples'), dir, { recursive: true });
  mkdirSync(join(dir, '.vscode'), { recursive: true });
  writeFileSync(join(dir, '.vscode', 'settings.json'), JSON.stringify({
    // Manifest Lens lints every JSON document that is a manifest, index or config.
    'manifestLens.validate.enable': true,
    // Severity per rule id ("off", "hint", "info", "warning", "error"), e.g.
    // { "mixed-layer-in-oci-manifest": "error" }. Rule ids are listed in the README.
    'manifestLens.rules': {},
    // The fetched documents carry CodeLenses: digest, "Open … manifest", "Show raw bytes".
    'editor.codeLens': true,
    'editor.stickyScroll.enabled': false,
  }, null, 2) + '\n');
}

function printReferences(refs, where, stateDir) {
  const p = refs.podman22196;
  console.log('');
  console.log(where);
  console.log('');
  console.log('  Open podman-22196-child.json: the config mediaType is underlined (mixed-config-media-type);');
  console.log('  hover it, then Ctrl+. for the quick-fix.');
  console.log('');
  console.log('  F1 → "Manifest Lens: Inspect Remote Image", then one of:');
  console.log(`    ${p.index.reference}   (the podman#22196 index; CodeLens "Open linux/arm64/v8 manifest")`);
  for (const m of refs.tagged ?? []) if (m.reference !== p.index.reference && !/:sha256-/.test(m.reference)) console.log(`    ${m.reference}`);
  console.log('');
  console.log('  Ctrl-C stops the registry' + (where.includes('code-server') ? ' and code-server.' : '.'));
  console.log(`  This run's folder (sample workspace, profile, logs) stays: ${stateDir}`);
}

async function codeServerDemo(refs, stateDir, workspace) {
  const { e2eSetup, codeServerEnv, CODE_SERVER_VERSION } = await import('./e2e-setup.mjs');
  say('code-server: node scripts/e2e-setup.mjs (skips what is already installed)');
  const paths = e2eSetup({ log: (l) => say(`setup: ${l}`) });
  if (!(await portFree(port))) throw new Error(`127.0.0.1:${port} is in use; stop what listens there or pass --port N`);
  const userData = join(stateDir, 'user-data');
  const extensions = join(stateDir, 'extensions');
  mkdirSync(join(userData, 'User'), { recursive: true });
  writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify({
    'workbench.startupEditor': 'none',
    'chat.disableAIFeatures': true,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'workbench.tips.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'editor.minimap.enabled': false,
    'manifestLens.registry.insecureHosts': [],
    // code-server would offer to forward every port the sample registry and the language
    // server open (a toast each, and a badge on Ports): the demo's ports are local already.
    'remote.autoForwardPorts': false,
    'remote.restoreForwardedPorts': false,
  }, null, 2) + '\n');
  const env = codeServerEnv(paths);
  const base = [paths.codeServerEntry, '--user-data-dir', userData, '--extensions-dir', extensions];
  step('code-server --install-extension manifest-lens.vsix', paths.node, [...base, '--install-extension', VSIX], { env });
  if (!readdirSync(extensions).some((d) => d.startsWith(EXTENSION_ID + '-'))) throw new Error('code-server did not install the .vsix');
  const log = createWriteStream(join(stateDir, 'code-server.log'));
  const cs = start('code-server', paths.node, [...base,
    '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override',
    workspace], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  cs.stdout.pipe(log);
  cs.stderr.pipe(log);
  cs.once('exit', (code) => { if (!stopping) die(`code-server stopped (${code}); see ${join(stateDir, 'code-server.log')}`); });
  await waitUntil('code-server', async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok, 60_000);
  const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`;
  printReferences(refs, `Manifest Lens is ready in VS Code (code-server ${CODE_SERVER_VERSION}): open\n\n  ${url}`, stateDir);
  if (screenshot) await takeScreenshot(paths.chromium, url, resolve(screenshot));
}

/** The README's image: the mixed manifest with its squiggle, the Problems panel and the hover. */
async function takeScreenshot(chromiumPath, url, file) {
  const { chromium } = await import('playwright-core');
  say(`screenshot → ${relative(REPO, file)}`);
  const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  try {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 720 }, deviceScaleFactor: 1 })).newPage();
    await page.goto(url);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 60_000 });
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').fill('podman-22196-child.json');
    await page.locator('.quick-input-widget .monaco-list-row.focused', { hasText: 'podman-22196-child.json' }).waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.editor-group-container.active .squiggly-error').first().waitFor({ timeout: 30_000 });
    await page.keyboard.press('Control+Shift+M');
    const row = page.locator('.markers-panel .monaco-list-row', { hasText: 'mixed-config-media-type' }).first();
    await row.waitFor({ timeout: 30_000 });
    await row.click();
    await page.keyboard.press('Enter');
    await page.keyboard.press('ArrowLeft'); // the cursor on the value's first character: diagnostic + field hover
    await page.keyboard.press('Control+K');
    await page.keyboard.press('Control+I');
    const hover = page.locator('.monaco-hover').filter({ visible: true }).first();
    await hover.filter({ hasText: 'OCI equivalent' }).waitFor({ timeout: 20_000 });
    mkdirSync(dirname(file), { recursive: true });
    await page.screenshot({ path: file });
    say(`saved ${relative(REPO, file)}`);
  } finally {
    await browser.close();
  }
}

async function main() {
  // A fresh folder per run: two demos never share (or wipe) each other's workspace, profile and
  // logs, and what a run leaves behind stays there to look at after it stops.
  const stateDir = mkdtempSync(join(tmpdir(), 'manifest-lens-demo-'));
  const workspace = join(stateDir, 'samples');
  say(`this run's folder (sample workspace, VS Code profile, logs; kept after the demo stops): ${stateDir}`);

  // The demo needs the registry only; the tests' real tools (skopeo, buildah, podman, neovim) are npm test's to install.
  if (!step('dependencies: node scripts/ensure-deps.mjs --debian docker-registry', process.execPath, [join(REPO, 'scripts', 'ensure-deps.mjs'), '--debian', 'docker-registry'])) return;
  if (!step('the extension: npm run package', 'npm', ['run', 'package'])) return;
  if (!existsSync(VSIX)) return die(`npm run package did not produce ${VSIX}`);

  say(`sample registry on 127.0.0.1:${registryPort}`);
  const refs = await startRegistry(stateDir);
  writeWorkspace(workspace);
  say(`sample workspace: ${workspace}`);

  const code = flag('--code-server') || screenshot ? undefined : onPath('code');
  if (code) {
    step('code --install-extension manifest-lens.vsix', code, ['--install-extension', VSIX, '--force']);
    step('code: opening the sample workspace', code, [workspace, join(workspace, 'podman-22196-child.json')]);
    printReferences(refs, `Manifest Lens is installed in VS Code (${code}) and the sample workspace is open: ${workspace}`, stateDir);
  } else {
    if (!flag('--code-server') && !screenshot) say('no `code` CLI on PATH: serving VS Code in the browser with code-server');
    await codeServerDemo(refs, stateDir, workspace);
  }
  if (exitAfter) {
    await stopAll();
    process.exit(0);
  }
  // Run until Ctrl-C (the signal handlers stop everything).
  setInterval(() => undefined, 1 << 30);
}

main().catch((err) => die(err?.message ?? String(err)));
