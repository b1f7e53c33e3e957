/**
 * The service's relint of one entry (issue 25) under editor-shaped input: LF and CRLF text,
 * several changes in one didChange (multi-cursor, in one entry or in several), a whole-text
 * change between incremental ones, settings changed between versions, and edits that break
 * the text and undo it. After every version the findings must be those of a fresh open.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import { makeIndex } from '../../bench/generate';
import { AnalysisService } from '../../server/src/lsp/analysisService';
import { DEFAULT_DOCUMENT_SETTINGS, type DocumentSettings } from '../../server/src/lsp/settings';
import { FastTextDocument } from '../../server/src/lsp/textDocument';
import { rng } from '../harness/corpus';

const INSERTS = ['7', '"', '}', '{', '\r\n', '\r', '\n', '"x": 1, ', '\\', '😀', '\ud83d', '', ' ', '"a": {"b": "}"}, ', '"mediaType": "x", ',
  '"annotations": {"com.example.a": "1", "com.example.a": "2"}, '];

for (const crlf of [false, true]) {
  test(`random multi-change edits of a large index (${crlf ? 'CRLF' : 'LF'}): every version's findings are a fresh open's`, () => {
    const r = rng(crlf ? 91 : 19);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
    let base = makeIndex(1500, { dockerEvery: 7 });
    if (crlf) base = base.replace(/\n/g, '\r\n');
    const service = new AnalysisService(async () => DEFAULT_DOCUMENT_SETTINGS, () => undefined);
    const doc = FastTextDocument.create('file:///attack.json', 'json', 1, base);
    let settings: DocumentSettings = DEFAULT_DOCUMENT_SETTINGS;
    service.compute(doc, settings);
    let partial = 0;
    let v = 1;
    while (v < 70) {
      const changes: TextDocumentContentChangeEvent[] = [];
      const text = doc.getText();
      const n = r() < 0.8 ? 1 : 2 + Math.floor(r() * 2);
      for (let c = 0; c < n; c++) {
        if (r() < 0.01) { changes.push({ text: base }); continue; }
        const near = text.indexOf('"', Math.floor(r() * text.length));
        const a = Math.max(0, near + Math.floor(r() * 40) - 20);
        const b = Math.min(text.length, a + (r() < 0.6 ? 0 : Math.floor(r() * 4)));
        changes.push({ range: { start: doc.positionAt(a), end: doc.positionAt(b) }, text: pick(INSERTS) });
      }
      if (r() < 0.03) settings = { ...DEFAULT_DOCUMENT_SETTINGS, maxProblems: pick([1, 5, 1000]), rules: pick<DocumentSettings['rules']>([{}, { 'mixed-index-docker-children': 'off' }]) };
      FastTextDocument.update(doc, changes, ++v);
      const entry = service.compute(doc, settings);
      if (entry.partial) partial++;
      const fresh = new AnalysisService(async () => settings, () => undefined).compute(FastTextDocument.create('file:///fresh.json', 'json', 1, doc.getText()), settings);
      if (fresh.analysis.syntaxErrors.length === 0) {
        assert.deepEqual(entry.analysis.findings, fresh.analysis.findings, `v${v}: ${JSON.stringify(changes).slice(0, 200)}`);
        assert.equal(entry.analysis.truncated, fresh.analysis.truncated);
      } else if (r() < 0.7) {
        // Undo: back to the original text, as one change over the whole range.
        FastTextDocument.update(doc, [{ range: { start: doc.positionAt(0), end: doc.positionAt(doc.getText().length) }, text: base }], ++v);
        const back = service.compute(doc, settings);
        assert.deepEqual(back.analysis.findings, new AnalysisService(async () => settings, () => undefined).compute(FastTextDocument.create('file:///f.json', 'json', 1, base), settings).analysis.findings);
      }
    }
    assert.ok(partial > 8, `relinted one entry ${partial} times`);
  });
}
