/**
 * CodeLenses of a fetched index with more entries than get a lens each: the first
 * MAX_ENTRY_LENSES get "Open …", and one lens at the top opens Go to Symbol for the others.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { analyze } from '../../server/src/engine/analyze';
import { MANIFEST_ACCEPT_TYPES } from '../../server/src/engine/mediaTypes';
import { MAX_ENTRY_LENSES, RemoteService } from '../../server/src/lsp/remote';
import { createRegistryClient } from '../../server/src/registry/client';
import { makeIndex } from '../../bench/generate';
import { startFakeRegistry, type FakeRegistry } from '../registry/fakeRegistry';

let reg: FakeRegistry;
let service: RemoteService;

before(async () => {
  reg = await startFakeRegistry();
  reg.putManifest('big', 'many', makeIndex(MAX_ENTRY_LENSES + 50), 'application/vnd.oci.image.index.v1+json');
  reg.putManifest('big', 'few', makeIndex(3), 'application/vnd.oci.image.index.v1+json');
  const client = createRegistryClient({ accept: MANIFEST_ACCEPT_TYPES, timeoutMs: 5000 });
  service = new RemoteService(() => client, () => undefined);
});
after(async () => reg?.close());

async function lensTitles(tag: string): Promise<{ titles: string[]; commands: string[] }> {
  const doc = await service.inspect(`${reg.hostPort}/big:${tag}`, new AbortController().signal);
  const lenses = service.codeLenses(TextDocument.create(doc.uri, 'json', 1, doc.text), analyze(doc.text));
  return { titles: lenses.map((l) => l.command?.title ?? ''), commands: lenses.map((l) => l.command?.command ?? '') };
}

test(`an index of more than ${MAX_ENTRY_LENSES} entries: that many "Open" lenses, and one to Go to Symbol for the rest`, async () => {
  const { titles, commands } = await lensTitles('many');
  assert.equal(titles.filter((t) => t.startsWith('Open ')).length, MAX_ENTRY_LENSES);
  const rest = titles.findIndex((t) => t === `Go to one of ${MAX_ENTRY_LENSES + 50} entries… (Open lenses on the first ${MAX_ENTRY_LENSES} only)`);
  assert.ok(rest >= 0, titles.slice(0, 6).join(' | '));
  assert.equal(commands[rest], 'workbench.action.gotoSymbol');
});

test('a small index: a lens per entry and no Go to Symbol lens', async () => {
  const { titles, commands } = await lensTitles('few');
  assert.equal(titles.filter((t) => t.startsWith('Open ')).length, 3);
  assert.ok(!commands.includes('workbench.action.gotoSymbol'));
});
