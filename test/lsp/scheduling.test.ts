/**
 * Scheduling of validation (issue 13): an opened document is validated at once, and a change
 * after a debounce that follows the document's own lint time.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { AnalysisService, debounceFor, MAX_DEBOUNCE_MS, MIN_DEBOUNCE_MS } from '../../server/src/lsp/analysisService';
import { DEFAULT_DOCUMENT_SETTINGS } from '../../server/src/lsp/settings';

const MANIFEST = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'a'.repeat(64)}`, size: 2 }, layers: [] }, null, 2);

function service(): AnalysisService {
  return new AnalysisService(async () => DEFAULT_DOCUMENT_SETTINGS, () => undefined);
}

test('debounceFor follows the last lint time, within its floor and ceiling', () => {
  assert.equal(debounceFor(0.3, 500), MIN_DEBOUNCE_MS, 'a small manifest relints within the floor');
  assert.equal(debounceFor(130, 8_000_000), 130, 'a large index waits about its own lint time');
  assert.equal(debounceFor(5000, 8_000_000), MAX_DEBOUNCE_MS, 'never more than the ceiling');
  assert.ok(debounceFor(undefined, 8_000_000) > debounceFor(undefined, 1000), 'before a first lint, the size gives an estimate');
});

test('an opened document is validated at once, and its own change event does not schedule a second lint', async () => {
  const s = service();
  const doc = TextDocument.create('file:///m.json', 'json', 1, MANIFEST);
  const runs: string[] = [];
  s.openNow(doc, () => runs.push('open'));
  assert.deepEqual(runs, ['open'], 'synchronously, without a timer');
  s.schedule(doc, () => runs.push('change v1'));
  await new Promise((r) => setTimeout(r, MIN_DEBOUNCE_MS * 3));
  assert.deepEqual(runs, ['open'], 'the open fires a change event for the same version: not linted twice');
});

test('a change is validated after the debounce, and a burst of changes costs one validation', async () => {
  const s = service();
  let doc = TextDocument.create('file:///m.json', 'json', 1, MANIFEST);
  const runs: number[] = [];
  s.openNow(doc, () => { s.compute(doc, DEFAULT_DOCUMENT_SETTINGS); runs.push(doc.version); });
  for (let v = 2; v <= 4; v++) {
    doc = TextDocument.update(doc, [{ text: MANIFEST.replace('"size": 2', `"size": ${v}`) }], v);
    const current = doc;
    s.schedule(current, () => runs.push(current.version));
  }
  assert.deepEqual(runs, [1], 'not synchronously');
  await new Promise((r) => setTimeout(r, MIN_DEBOUNCE_MS * 5));
  assert.deepEqual(runs, [1, 4], 'only the last version of the burst, once');
  s.forget(doc.uri);
});
