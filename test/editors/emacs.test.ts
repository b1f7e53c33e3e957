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
import { DOCKER_CONFIG, OCI_CONFIG, SEED } from '../harness/typing';
import { SERVER } from '../lsp/lspClient';

const EMACS = ['/usr/bin/emacs', '/usr/local/bin/emacs'].find((p) => existsSync(p));
const EGLOT = existsSync('/usr/share/doc/elpa-eglot');
const DRIVER = join(__dirname, 'emacs-eglot.el');
const README = join(__dirname, '..', '..', 'README.md');

interface EmacsDiagnostic { code: string; severity: number; type: string; message: string; line: number; col: number; end_col: number }
interface EmacsRun {
  emacs?: string;
  mode?: string;
  steps: string[];
  error?: string;
  diagnostics?: EmacsDiagnostic[];
  broken_diagnostics?: EmacsDiagnostic[];
  hover?: { kind?: string; value?: string } | null;
  actions?: string[];
  after_fix?: EmacsDiagnostic[];
  text?: string;
}

/** The README's Emacs setup: every elisp block between its **Emacs** heading and the next section. */
export function readmeEmacsSetup(readme: string): string[] {
  const at = readme.indexOf('**Emacs**');
  assert.ok(at >= 0, 'README.md has an **Emacs** setup');
  const section = readme.slice(at, readme.indexOf('\n## ', at));
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

    // 1. The diagnostic, through flymake, on exactly the config mediaType value (0-based line 4, columns 19–67).
    const mixed = run.diagnostics?.find((d) => d.code === 'mixed-config-media-type');
    assert.ok(mixed, `diagnostics in Emacs: ${JSON.stringify(run.diagnostics)}`);
    assert.equal(mixed.severity, 1);
    assert.equal(mixed.type, 'eglot-error');
    assert.deepEqual([mixed.line, mixed.col, mixed.end_col], [4, 19, 67]);
    assert.equal(SEED.split('\n')[4].slice(mixed.col, mixed.end_col), DOCKER_CONFIG);
    assert.match(mixed.message, /invalid mixed OCI image with Docker v2s2 config/);

    // 2. The hover.
    assert.equal(run.hover?.kind, 'markdown');
    assert.match(run.hover?.value ?? '', /Docker image config/);
    assert.match(run.hover?.value ?? '', /mixed-config-media-type/);

    // 3. A trailing comma after the last layer: broken JSON, and the error is still shown.
    assert.ok(run.broken_diagnostics?.some((d) => d.code === 'mixed-config-media-type' && d.line === 4), `after typing a comma: ${JSON.stringify(run.broken_diagnostics)}`);

    // 4. The quick-fix, applied by eglot and saved: the file has the OCI config type, nothing else changed.
    assert.ok(run.steps.includes('applied'), `actions offered: ${run.actions?.join(' | ')}`);
    const expected = SEED.replace(DOCKER_CONFIG, JSON.stringify(OCI_CONFIG));
    assert.equal(run.text, expected);
    assert.equal(readFileSync(file, 'utf8'), expected, 'the file on disk, as Emacs saved it');
    assert.ok(!run.after_fix?.some((d) => d.code === 'mixed-config-media-type'), `after the fix: ${JSON.stringify(run.after_fix)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
