/**
 * Keystrokes in a large index (issue 25): a change inside one entry is relinted from the
 * previous version's parse (engine/reanalyze.ts), and what the editor is shown is what a fresh
 * open of the same text shows. In the service: which versions take that path; over LSP: the
 * diagnostics after a run of incremental edits (typing, a paste inside an entry, a deletion
 * across entries, an undo) against those of the final text opened afresh.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { makeIndex } from '../../bench/generate';
import { AnalysisService, INCREMENTAL_FROM } from '../../server/src/lsp/analysisService';
import { DEFAULT_DOCUMENT_SETTINGS } from '../../server/src/lsp/settings';
import { FastTextDocument } from '../../server/src/lsp/textDocument';
import { startServer, type TestServer } from './lspClient';

const TEXT = makeIndex(1500, { dockerEvery: 9 });

/** The range of `count` characters at `offset` of `text`, as LSP positions. */
function rangeAt(text: string, offset: number, count: number): { start: { line: number; character: number }; end: { line: number; character: number } } {
  const pos = (o: number) => {
    const before = text.slice(0, o);
    const line = before.split('\n').length - 1;
    return { line, character: o - (before.lastIndexOf('\n') + 1) };
  };
  return { start: pos(offset), end: pos(offset + count) };
}

interface Step { readonly what: string; readonly offset: number; readonly count: number; readonly insert: string; readonly partial: boolean }

/** Edits of the running text: each with whether the relint of one entry may take it. */
function steps(): Step[] {
  const out: Step[] = [];
  let text = TEXT;
  const add = (what: string, offset: number, count: number, insert: string, partial: boolean): void => {
    out.push({ what, offset, count, insert, partial });
    text = text.slice(0, offset) + insert + text.slice(offset + count);
  };
  const size = text.indexOf('"size": ', text.length >> 1) + 8;
  add('a digit', size, 1, '9', true);
  add('another digit', size + 1, 0, '7', true);
  const docker = text.indexOf('application/vnd.docker.distribution.manifest.v2+json', text.length >> 1);
  add('a Docker entry made OCI (pasted inside the string)', docker, 52, 'application/vnd.oci.image.manifest.v1+json', true);
  const ref = text.indexOf('"org.opencontainers.image.ref.name": "v', text.length >> 2);
  add('a key typed in (the entry breaks for a moment)', ref, 0, '"', false);
  // Relinted from the last version that parsed: the change since is inside the same entry.
  add('… and finished', ref + 1, 0, 'com.example.x": "1", ', true);
  const arch = text.indexOf('"architecture": "ppc64le"', text.length >> 1);
  add('an unknown architecture', arch + 17, 7, 'ppc65', true);
  // A deletion from one entry into the next: not inside one entry.
  const entry = text.indexOf('    {\n', text.length >> 1);
  const next = text.indexOf('    {\n', entry + 10);
  add('two entries joined', entry + 6, next - entry, '', false);
  return out;
}

test('the service relints one entry from the previous parse, and gives the full lint', () => {
  assert.ok(TEXT.length > INCREMENTAL_FROM, 'large enough for the relint of one entry');
  const s = new AnalysisService(async () => DEFAULT_DOCUMENT_SETTINGS, () => undefined);
  const doc = FastTextDocument.create('file:///large.json', 'json', 1, TEXT);
  s.compute(doc, DEFAULT_DOCUMENT_SETTINGS);
  let version = 1;
  let partial = 0;
  for (const step of steps()) {
    const text = doc.getText();
    FastTextDocument.update(doc, [{ range: rangeAt(text, step.offset, step.count), text: step.insert }], ++version);
    assert.equal(s.relintsOneEntry(doc), step.partial, `${step.what}: the scheduler's guess`);
    const entry = s.compute(doc, DEFAULT_DOCUMENT_SETTINGS);
    const fresh = new AnalysisService(async () => DEFAULT_DOCUMENT_SETTINGS, () => undefined).compute(FastTextDocument.create('file:///fresh.json', 'json', 1, doc.getText()), DEFAULT_DOCUMENT_SETTINGS);
    assert.equal(entry.partial === true, step.partial, `${step.what}: ${step.partial ? 'one entry relinted' : 'a full lint'}`);
    assert.deepEqual(entry.analysis.findings, fresh.analysis.findings, step.what);
    if (entry.partial) partial++;
  }
  assert.equal(partial, steps().filter((x) => x.partial).length);
  // Two keys before the relint (the debounce took both): one span, still one entry.
  const text = doc.getText();
  const at = text.indexOf('"size": ', text.length >> 1) + 8;
  FastTextDocument.update(doc, [{ range: rangeAt(text, at, 1), text: '1' }], ++version);
  FastTextDocument.update(doc, [{ range: rangeAt(doc.getText(), at + 1, 1), text: '2' }], ++version);
  assert.equal(s.compute(doc, DEFAULT_DOCUMENT_SETTINGS).partial, true, 'two keys in one entry');
  // Settings changed: not a base for the relint.
  FastTextDocument.update(doc, [{ range: rangeAt(doc.getText(), at, 1), text: '3' }], ++version);
  assert.notEqual(s.compute(doc, { ...DEFAULT_DOCUMENT_SETTINGS, rules: { 'mixed-index-docker-children': 'off' } }).partial, true, 'other rule settings');
});

let server: TestServer;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

function summary(diags: readonly Diagnostic[]): string[] {
  return diags.map((d) => `${d.range.start.line}:${d.range.start.character}-${d.range.end.line}:${d.range.end.character} ${String(d.code)} ${d.severity} ${d.message}`).sort();
}

test('over LSP: after incremental edits in one entry and across entries, the diagnostics of a fresh open of the same text', async () => {
  const uri = 'file:///virtual/large-typed.json';
  const opened = server.diagnostics(uri, 1);
  server.open(uri, TEXT, 1);
  await opened;
  let text = TEXT;
  let version = 1;
  for (const step of steps()) {
    version++;
    const pending = server.diagnostics(uri, version);
    void server.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ range: rangeAt(text, step.offset, step.count), text: step.insert }] });
    text = text.slice(0, step.offset) + step.insert + text.slice(step.offset + step.count);
    const typed = await pending;
    const freshUri = `file:///virtual/large-fresh-${version}.json`;
    const freshPending = server.diagnostics(freshUri, 1);
    server.open(freshUri, text, 1);
    const fresh = await freshPending;
    void server.connection.sendNotification('textDocument/didClose', { textDocument: { uri: freshUri } });
    assert.deepEqual(summary(typed), summary(fresh), step.what);
  }
});
