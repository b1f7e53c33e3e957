/**
 * A third real editor: Emacs with eglot (batch mode, Debian 12's Emacs 28 and eglot 1.9 from
 * ELPA) against dist/server.js, configured with the README's own Emacs setup (the elisp blocks
 * of its "Other editors" section, with the paths filled in), so the documented setup is the one
 * tested. The seed case gets its diagnostic through flymake, the hover explains it, the
 * diagnostic survives a trailing comma typed after the last layer, and the quick-fix applied
 * by eglot changes the file as expected. Needs Debian's emacs-nox and elpa-eglot
 * (scripts/ensure-deps.mjs installs them for the tests).
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

const EMACS = ['/usr/bin/emacs', '/usr/local/bin/emacs'].find((p) => existsSync(p));
const EGLOT = existsSync('/usr/share/doc/elpa-eglot');
const DRIVER = join(__dirname, 'emacs-eglot.el');
/** The Emacs setup users copy (the README links it). */
const README = join(__dirname, '..', '..', 'docs', 'other-editors.md');

interface EmacsDiagnostic { code: string; severity: number; type: string; message: string; line: number; col: number; end_col: number }
interface EmacsRun extends SeedSession<EmacsDiagnostic> {
  emacs?: string;
  mode?: string;
}

const normal = (d: EmacsDiagnostic): EditorDiagnostic => ({ code: d.code, severity: d.severity, message: d.message, line: d.line, col: d.col, endCol: d.end_col });
const mixedType = (run: EmacsRun): string | undefined => run.diagnostics?.find((d) => d.code === 'mixed-config-media-type')?.type;

/** The README's Emacs setup: every elisp block between its **Emacs** heading and the next section. */
export function readmeEmacsSetup(readme: string): string[] {
  const at = readme.indexOf('**Emacs**');
  assert.ok(at >= 0, 'docs/other-editors.md has an **Emacs** setup');
  const next = readme.indexOf('\n## ', at);
  const section = readme.slice(at, next >= 0 ? next : undefined);
  return [...section.matchAll(/```elisp\n([\s\S]*?)```/g)].map((m) => m[1]);
}

test('the README\'s Emacs setup names the server the way the test fills in', () => {
  const blocks = readmeEmacsSetup(readFileSync(README, 'utf8'));
  assert.equal(blocks.length, 2, 'the eglot-server-programs entry and the Emacs 28 json-mode');
  assert.match(blocks[0], /"node" "\/path\/to\/manifest-lens\/dist\/server\.js" "--stdio"/);
});

test('Emacs with eglot (batch): diagnostics on the seed case, the hover, a quick-fix applied, with the README\'s setup', {
  skip: EMACS && EGLOT ? undefined : 'SKIPPED LOUDLY: no emacs with eglot; install Debian\'s emacs-nox and elpa-eglot (node scripts/ensure-deps.mjs --debian emacs-nox elpa-eglot)',
  timeout: 120_000,
}, () => {
  assert.ok(existsSync(SERVER), `${SERVER} is missing: run "node scripts/build.mjs" first`);
  const dir = mkdtempSync(join(tmpdir(), 'ml-emacs-'));
  try {
    const file = join(dir, 'podman-22196-child.json');
    writeFileSync(file, SEED);
    const init = join(dir, 'init.el');
    const setup = readmeEmacsSetup(readFileSync(README, 'utf8')).join('\n')
      .replace('"node"', JSON.stringify(process.execPath))
      .replace('"/path/to/manifest-lens/dist/server.js"', JSON.stringify(SERVER));
    writeFileSync(init, setup);
    const outFile = join(dir, 'out.json');
    // -q: no user init file, but the site start files (Debian's activate elpa-eglot); HOME keeps
    // eglot's and Emacs's state out of the real one.
    const r = spawnSync(EMACS!, ['--batch', '-q', '-l', DRIVER], {
      env: { ...process.env, HOME: dir, ML_INIT: init, ML_FILE: file, ML_OUT: outFile },
      encoding: 'utf8',
      timeout: 100_000,
    });
    assert.ok(existsSync(outFile), `emacs wrote no result (exit ${r.status}, signal ${r.signal}):\n${r.stdout}\n${r.stderr}`);
    const run = JSON.parse(readFileSync(outFile, 'utf8')) as EmacsRun;
    assert.equal(run.error, undefined, `the elisp driver failed after ${run.steps.join(', ')}: ${run.error}\n${r.stderr}`);
    assert.ok(run.mode === 'json-mode' || run.mode === 'js-json-mode', `the manifest opened in ${run.mode}, a mode the setup gives the server`);
    // What a stricter client would refuse: registering what it did not offer to have registered.
    assert.doesNotMatch(r.stderr, /Server tried to register unsupported capability/);

    assert.equal(mixedType(run), 'eglot-error', 'flymake shows it as an error');
    assertSeedSession(`Emacs ${run.emacs ?? '?'}`, run, normal, readFileSync(file, 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
