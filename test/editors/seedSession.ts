/**
 * What every real editor's run of the seed case must show (test/editors/*.test.ts): the editor
 * drives the same four steps — the diagnostic, the hover, a trailing comma typed after the last
 * layer, the quick-fix applied and saved — and reports them in this shape.
 */
import assert from 'node:assert/strict';
import { DOCKER_CONFIG, OCI_CONFIG, SEED } from '../harness/typing';

/** A diagnostic as the editor holds it, 0-based, columns on its line. */
export interface EditorDiagnostic { code: string; severity: number; message: string; line: number; col: number; endCol: number }

/** What an editor's driver script writes (as JSON), with diagnostics in the editor's own form D. */
export interface SeedSession<D> {
  steps: string[];
  error?: string;
  diagnostics?: D[];
  broken_diagnostics?: D[];
  hover?: { kind?: string; value?: string } | null;
  actions?: string[];
  after_fix?: D[];
  /** The buffer's text after the fix, as the editor has it. */
  text?: string;
}

/**
 * Asserts the four steps of `raw` (`normal` reads the editor's diagnostics); `onDisk` is the
 * file as the editor saved it.
 */
export function assertSeedSession<D>(editor: string, raw: SeedSession<D>, normal: (d: D) => EditorDiagnostic, onDisk: string): void {
  const run = { ...raw, diagnostics: raw.diagnostics?.map(normal), brokenDiagnostics: raw.broken_diagnostics?.map(normal), afterFix: raw.after_fix?.map(normal) };
  // 1. The diagnostic, an error on exactly the config mediaType value (line 4, columns 19–67).
  const mixed = run.diagnostics?.find((d) => d.code === 'mixed-config-media-type');
  assert.ok(mixed, `diagnostics in ${editor}: ${JSON.stringify(run.diagnostics)}`);
  assert.equal(mixed.severity, 1, 'an error');
  assert.deepEqual([mixed.line, mixed.col, mixed.endCol], [4, 19, 67]);
  assert.equal(SEED.split('\n')[4].slice(mixed.col, mixed.endCol), DOCKER_CONFIG);
  assert.match(mixed.message, /OCI manifest with a Docker config media type: podman and buildah refuse to pull it/);

  // 2. The hover.
  assert.equal(run.hover?.kind, 'markdown');
  assert.match(run.hover?.value ?? '', /Docker image config/);
  assert.match(run.hover?.value ?? '', /mixed-config-media-type/);

  // 3. A trailing comma after the last layer: broken JSON, and the error is still shown.
  assert.ok(run.brokenDiagnostics?.some((d) => d.code === 'mixed-config-media-type' && d.line === 4), `after typing a comma: ${JSON.stringify(run.brokenDiagnostics)}`);

  // 4. The quick-fix, applied by the editor and saved: the OCI config type, nothing else changed.
  assert.ok(run.steps.includes('applied'), `actions offered in ${editor}: ${run.actions?.join(' | ')}`);
  const expected = SEED.replace(DOCKER_CONFIG, JSON.stringify(OCI_CONFIG));
  assert.equal(run.text?.replace(/\n?$/, '\n'), expected, `the buffer in ${editor}`);
  assert.equal(onDisk, expected, `the file on disk, as ${editor} saved it`);
  assert.ok(!run.afterFix?.some((d) => d.code === 'mixed-config-media-type'), `after the fix: ${JSON.stringify(run.afterFix)}`);
}
