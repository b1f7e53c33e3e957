/**
 * A second real editor: Neovim's built-in LSP client (headless) against dist/server.js. The seed
 * case gets its diagnostic, the hover explains it, the diagnostic survives a trailing comma
 * typed after the last layer, and the quick-fix applied by Neovim changes the file as expected.
 * Needs Debian's `neovim` (scripts/ensure-deps.mjs installs it for the tests).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DOCKER_CONFIG, OCI_CONFIG, SEED } from '../harness/typing';
import { SERVER } from '../lsp/lspClient';

const NVIM = ['/usr/bin/nvim', '/usr/local/bin/nvim'].find((p) => existsSync(p));
const SCRIPT = join(__dirname, 'neovim-lsp.lua');

interface NvimDiagnostic { code: string; source: string; message: string; severity: number; lnum: number; col: number; end_col: number }
interface NvimRun {
  nvim?: string;
  steps: string[];
  error?: string;
  diagnostics?: NvimDiagnostic[];
  broken_diagnostics?: NvimDiagnostic[];
  hover?: { kind?: string; value?: string } | null;
  actions?: string[];
  after_fix?: NvimDiagnostic[];
  text?: string;
}

test('Neovim (built-in LSP client, headless): diagnostics on the seed case, the hover, a quick-fix applied', {
  skip: NVIM ? undefined : 'SKIPPED LOUDLY: no nvim; install Debian\'s neovim (node scripts/ensure-deps.mjs --debian neovim)',
  timeout: 90_000,
}, () => {
  assert.ok(existsSync(SERVER), `${SERVER} is missing: run "node scripts/build.mjs" first`);
  const dir = mkdtempSync(join(tmpdir(), 'ml-nvim-'));
  try {
    const file = join(dir, 'podman-22196-child.json');
    writeFileSync(file, SEED);
    const outFile = join(dir, 'out.json');
    const r = spawnSync(NVIM!, ['--headless', '--clean', '-n', '-i', 'NONE', '-c', `luafile ${SCRIPT}`], {
      env: { ...process.env, ML_NODE: process.execPath, ML_SERVER: SERVER, ML_FILE: file, ML_OUT: outFile, XDG_STATE_HOME: dir, XDG_DATA_HOME: dir },
      encoding: 'utf8',
      timeout: 80_000,
    });
    assert.ok(existsSync(outFile), `nvim wrote no result (exit ${r.status}, signal ${r.signal}):\n${r.stdout}\n${r.stderr}`);
    const run = JSON.parse(readFileSync(outFile, 'utf8')) as NvimRun;
    assert.equal(run.error, undefined, `the Lua driver failed after ${run.steps.join(', ')}: ${run.error}`);

    // 1. The diagnostic, on exactly the config mediaType value (0-based line 4, columns 19–67).
    const mixed = run.diagnostics?.find((d) => d.code === 'mixed-config-media-type');
    assert.ok(mixed, `diagnostics in Neovim: ${JSON.stringify(run.diagnostics)}`);
    assert.equal(mixed.severity, 1, 'an error');
    assert.equal(mixed.source, 'manifest-lens');
    assert.deepEqual([mixed.lnum, mixed.col, mixed.end_col], [4, 19, 67]);
    assert.equal(SEED.split('\n')[4].slice(mixed.col, mixed.end_col), DOCKER_CONFIG);
    assert.match(mixed.message, /invalid mixed OCI image with Docker v2s2 config/);

    // 2. The hover.
    assert.equal(run.hover?.kind, 'markdown');
    assert.match(run.hover?.value ?? '', /Docker image config/);
    assert.match(run.hover?.value ?? '', /mixed-config-media-type/);

    // 3. A trailing comma after the last layer: broken JSON, and the error is still shown.
    assert.ok(run.broken_diagnostics?.some((d) => d.code === 'mixed-config-media-type' && d.lnum === 4), `after typing a comma: ${JSON.stringify(run.broken_diagnostics)}`);

    // 4. The quick-fix, applied by Neovim and written: the file has the OCI config type, nothing else changed.
    assert.ok(run.steps.includes('applied'), `actions offered: ${run.actions?.join(' | ')}`);
    const expected = SEED.replace(DOCKER_CONFIG, JSON.stringify(OCI_CONFIG));
    assert.equal(run.text, expected.replace(/\n$/, ''));
    assert.equal(readFileSync(file, 'utf8'), expected, 'the file on disk, as Neovim wrote it');
    assert.ok(!run.after_fix?.some((d) => d.code === 'mixed-config-media-type'), `after the fix: ${JSON.stringify(run.after_fix)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
