// Installs what the tests and the demo need on a fresh Debian/Ubuntu machine:
// npm packages (npm ci when node_modules is missing or stale) and Debian packages
// (the distribution registry, skopeo, buildah, podman, openssl, htpasswd, neovim, emacs with eglot) when they are missing.
// Usage: node scripts/ensure-deps.mjs [--debian pkg…]
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const DEBIAN = {
  'docker-registry': '/usr/bin/docker-registry',
  skopeo: '/usr/bin/skopeo',
  // The real-tools suite (test/realtools) builds images with them, offline.
  buildah: '/usr/bin/buildah',
  podman: '/usr/bin/podman',
  openssl: '/usr/bin/openssl',
  'apache2-utils': '/usr/bin/htpasswd',
  // test/editors/neovim.test.ts: the language server in a second real editor.
  neovim: '/usr/bin/nvim',
  // test/editors/emacs.test.ts: and in Emacs with eglot (Debian 12: Emacs 28, eglot from ELPA).
  'emacs-nox': '/usr/bin/emacs',
  'elpa-eglot': '/usr/share/doc/elpa-eglot',
};

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  return r.status === 0;
}

export function ensureNpm() {
  const stale = !existsSync('node_modules/.package-lock.json') ||
    statSync('package-lock.json').mtimeMs > statSync('node_modules/.package-lock.json').mtimeMs;
  if (!stale) return;
  console.log('[deps] npm ci');
  if (!run('npm', ['ci', '--no-audit', '--no-fund'])) process.exit(1);
}

export function ensureDebian(names = Object.keys(DEBIAN)) {
  const missing = names.filter((n) => !existsSync(DEBIAN[n] ?? `/usr/bin/${n}`));
  if (missing.length === 0) return true;
  const asRoot = process.getuid?.() === 0;
  const sudo = asRoot ? [] : ['sudo', '-n'];
  console.log(`[deps] apt-get install ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const [cmd, ...pre] = sudo.length ? sudo : ['apt-get'];
  const aptArgs = (a) => (sudo.length ? [...pre, 'apt-get', ...a] : a);
  run(cmd, aptArgs(['update', '-qq']), { env });
  if (!run(cmd, aptArgs(['install', '-y', '-qq', '--no-install-recommends', ...missing]), { env })) {
    console.error(`[deps] could not install ${missing.join(', ')}; install them with apt-get as root and run again.`);
    return false;
  }
  return true;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  ensureNpm();
  const i = process.argv.indexOf('--debian');
  if (!ensureDebian(i >= 0 ? process.argv.slice(i + 1) : undefined)) process.exit(1);
}
