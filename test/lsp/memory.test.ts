/**
 * Server memory (issue 13): a closed document leaves nothing behind. The bench's memory
 * section watches the RSS over 20 open/close cycles of the 8 MB index; these tests catch a
 * retention that would make it creep, without timing or RSS (which depends on when V8
 * collects): the per-document state of the analysis service, and what is still alive in the
 * real server (a separate process, collected with --expose-gc) after many open/close cycles.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { makeIndex } from '../../bench/generate';
import { AnalysisService, MAX_DEBOUNCE_MS } from '../../server/src/lsp/analysisService';
import { DEFAULT_DOCUMENT_SETTINGS } from '../../server/src/lsp/settings';
import { startServer, type TestServer } from './lspClient';

const PROBE = join(__dirname, '..', 'fixtures', 'memory', 'heapProbe.cjs');

test('the analysis service keeps nothing for a closed document: analysis, lint time, open version, pending relint', async () => {
  const s = new AnalysisService(async () => DEFAULT_DOCUMENT_SETTINGS, () => undefined);
  const relinted: string[] = [];
  for (let i = 0; i < 50; i++) {
    const uri = `file:///closed-${i}.json`;
    const doc = TextDocument.create(uri, 'json', 1, makeIndex(3));
    s.openNow(doc, () => s.compute(doc, DEFAULT_DOCUMENT_SETTINGS));
    const changed = TextDocument.update(doc, [{ text: makeIndex(4) }], 2);
    s.schedule(changed, () => relinted.push(uri)); // closed before its debounce runs out
    assert.equal(s.trackedDocuments(), 1, 'while open, the document has its state');
    s.forget(uri);
    assert.equal(s.trackedDocuments(), 0, `after the close of ${uri}, nothing is kept`);
  }
  await new Promise((r) => setTimeout(r, MAX_DEBOUNCE_MS + 200)); // past the longest debounce
  assert.deepEqual(relinted, [], 'a relint pending at the close never runs (its timer held the document)');
});

/** Asks the probe for a collection and what is alive after it. */
async function alive(server: TestServer, file: string, seen: number): Promise<{ heapUsed: number; arrayBuffers: number }> {
  server.process.kill('SIGUSR2');
  for (let waited = 0; waited < 20_000; waited += 50) {
    const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
    if (lines.length > seen) return JSON.parse(lines[seen]) as { heapUsed: number; arrayBuffers: number };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the heap probe did not answer within 20 s');
}

test('the server holds nothing of closed documents: what is alive after 12 open/close cycles of a 2 MB index is what it was after 2', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ml-memory-'));
  const file = join(dir, 'probe.jsonl');
  const server = await startServer({}, { nodeArgs: ['--expose-gc', '--require', PROBE], env: { ...process.env, MANIFEST_LENS_HEAP_PROBE: file } });
  try {
    readFileSync(PROBE); // the fixture is there (else the probe's silence would read as a timeout)
    // The bench's 8 MB index at a quarter of its size: one Docker entry in nine, so it has findings.
    const text = makeIndex(5000, { dockerEvery: 9 });
    const sizes: { heapUsed: number; arrayBuffers: number }[] = [];
    for (let c = 1; c <= 12; c++) {
      const uri = `file:///memory/cycle-${c}.json`;
      const published = server.diagnostics(uri, 1, 60_000);
      server.open(uri, text);
      const diagnostics = await published;
      assert.ok(diagnostics.length > 0, 'the index was linted (its Docker entries are reported)');
      const cleared = server.diagnostics(uri, undefined, 60_000);
      await server.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
      assert.deepEqual(await cleared, [], 'the close clears the diagnostics');
      if (c === 2 || c === 12) sizes.push(await alive(server, file, sizes.length));
    }
    const [early, late] = sizes;
    const grew = late.heapUsed + late.arrayBuffers - (early.heapUsed + early.arrayBuffers);
    t.diagnostic(`alive after cycle 2: ${((early.heapUsed + early.arrayBuffers) / 1048576).toFixed(1)} MiB; after cycle 12: ${((late.heapUsed + late.arrayBuffers) / 1048576).toFixed(1)} MiB`);
    // Each document kept would hold at least its text (2 MB) and its tape (about 3 MB): ten
    // of them, 50 MB. Less than one text is room for what the server itself gathers (compiled
    // code, about 0.5 MB over these cycles).
    assert.ok(grew < text.length,
      `alive after cycle 2: ${(early.heapUsed / 1048576).toFixed(1)} MiB heap + ${(early.arrayBuffers / 1048576).toFixed(1)} MiB ArrayBuffers; ` +
      `after cycle 12: ${(late.heapUsed / 1048576).toFixed(1)} + ${(late.arrayBuffers / 1048576).toFixed(1)} MiB (grew ${(grew / 1048576).toFixed(1)} MiB, a document is ${(text.length / 1048576).toFixed(1)} MiB)`);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
