/**
 * A fetched document's lenses when the client never asks for them. VS Code schedules its
 * `textDocument/codeLens` request a debounce after an editor shows a document and drops it when
 * the editor loses focus before it is sent (the child opened from its index's lens, then the
 * Problems panel at once: no lens at all until the tab was shown again). The server sees that no
 * request came and asks the client to refresh its lenses; it does not when the request came (a
 * refresh then only moves the pending request later, which made it worse in E2E (e)).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { CodeLens } from 'vscode-languageserver-protocol';
import { URI } from 'vscode-uri';
import { startRegistry, type RunningRegistry } from '../harness/registry';
import { seedSamples, type SeededImages } from '../harness/seed';
import { skipUnlessTools } from '../harness/tools';
import { startServer, type TestServer } from './lspClient';

interface RemoteDocument { uri: string; text: string; digest: string }

const skip = skipUnlessTools({ registry: true });
let registry: RunningRegistry;
let seeds: SeededImages;
let server: TestServer;
/** When each workspace/codeLens/refresh came (ms since the epoch). */
const refreshes: number[] = [];

before(async () => {
  if (skip) return;
  registry = await startRegistry();
  seeds = await seedSamples(registry.url);
  server = await startServer({}, { workspace: { codeLens: { refreshSupport: true } } });
  server.connection.onRequest('workspace/codeLens/refresh', () => {
    refreshes.push(Date.now());
    return null;
  });
});
after(async () => {
  await server?.stop();
  await registry?.stop();
});

/** Fetches a child manifest by digest and opens it as VS Code does (its form of the URI); resolves once it is linted. */
async function openChild(digest: string): Promise<string> {
  const doc: RemoteDocument = await server.connection.sendRequest('manifestLens/inspect', { reference: `${registry.host}/samples/podman-22196@${digest}` });
  const uri = URI.parse(doc.uri).toString();
  const linted = server.diagnostics(uri, 1);
  server.open(uri, doc.text, 1);
  await linted;
  return uri;
}

const lenses = (uri: string): Promise<CodeLens[]> => server.connection.sendRequest('textDocument/codeLens', { textDocument: { uri } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a document whose lenses were asked for right after it opened (or that was closed) gets no refresh', { skip }, async () => {
  const uri = await openChild(seeds.podman22196.amd64.digest);
  assert.ok((await lenses(uri)).some((l) => l.command?.title === 'Open config'));
  const closed = await openChild(seeds.podman22196.arm64.digest);
  void server.connection.sendNotification('textDocument/didClose', { textDocument: { uri: closed } });
  await sleep(2000); // past the first check (1.5 s after didOpen)
  assert.deepEqual(refreshes, [], 'no workspace/codeLens/refresh');
});

test('a child opened and never asked for its lenses: the server asks the client to refresh them, once asked no more', { skip }, async () => {
  const opened = Date.now();
  const uri = await openChild(seeds.podman22196.arm64.digest);
  const deadline = Date.now() + 5000;
  while (refreshes.length === 0 && Date.now() < deadline) await sleep(50);
  assert.equal(refreshes.length, 1, 'one workspace/codeLens/refresh within 5 s of the open');
  assert.ok(refreshes[0] - opened >= 1400, `not before the client had its time to ask (${refreshes[0] - opened} ms)`);
  // The client asks again, as VS Code does on the refresh: the child's lenses are all there.
  const ls = await lenses(uri);
  assert.ok(ls.some((l) => l.command?.title === 'Open config'), ls.map((l) => l.command?.title).join(' | '));
  assert.ok(ls.some((l) => (l.command?.title ?? '').startsWith(`$(pass) ${seeds.podman22196.arm64.digest.slice(0, 19)}…`)));
  await sleep(3500); // past the second check (3 s after the first)
  assert.equal(refreshes.length, 1, 'no more refreshes once the lenses were asked for');
});
