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
import { SEED } from '../harness/typing';
import { SERVER } from '../lsp/lspClient';
import { assertSeedSession, type EditorDiagnostic, type SeedSession } from './seedSession';

const NVIM = ['/usr/bin/nvim', '/usr/local/bin/nvim'].find((p) => existsSync(p));
const SCRIPT = join(__dirname, 'neovim-lsp.lua');

interface NvimDiagnostic { code: string; source: string; message: string; severity: number; lnum: number; col: number; end_col: number }
interface NvimRun extends SeedSession<NvimDiagnostic> {
  nvim?: string;
}

const normal = (d: NvimDiagnostic): EditorDiagnostic => ({ code: d.code, severity: d.severity, message: d.message, line: d.lnum, col: d.col, endCol: d.end_col });

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

    assert.equal(run.diagnostics?.find((d) => d.code === 'mixed-config-media-type')?.source, 'manifest-lens');
    assertSeedSession(`Neovim ${run.nvim ?? '?'}`, run, normal, readFileSync(file, 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
