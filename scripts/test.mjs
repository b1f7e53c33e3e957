// The test command: builds the bundles (the LSP and CLI tests spawn dist/), type-checks every
// project, then runs each node:test suite under test/ (TypeScript through tsx).
// Usage: node scripts/test.mjs [--no-build] [dir-or-file …]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDebian, ensureNpm } from './ensure-deps.mjs';

const args = process.argv.slice(2);
const noBuild = args.includes('--no-build');
const targets = args.filter((a) => !a.startsWith('--'));

function run(cmd, cmdArgs) {
  const r = spawnSync(cmd, cmdArgs, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function collect(path, out) {
  const st = statSync(path);
  if (st.isFile()) {
    if (path.endsWith('.test.ts')) out.push(path);
    return out;
  }
  for (const name of readdirSync(path).sort()) {
    // The editor suites have their own runners (npm run test:e2e, npm run test:vscode).
    if (name === 'node_modules' || name === 'integration' || name === 'e2e' || name === 'fixtures') continue;
    collect(join(path, name), out);
  }
  return out;
}

if (!noBuild) {
  ensureNpm();
  // Missing Debian packages are reported by the registry suites themselves, loudly.
  ensureDebian();
  run('node', ['scripts/build.mjs']);
  run('npx', ['tsc', '-b']);
}
const files = (targets.length ? targets : ['test']).flatMap((t) => collect(t, []));
if (files.length === 0) {
  console.error('no test files found under ' + (targets.join(', ') || 'test'));
  process.exit(1);
}
run(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files]);
