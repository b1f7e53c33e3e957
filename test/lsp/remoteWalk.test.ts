/**
 * The walk index → child → config over the LSP, with every URI as VS Code sends it back: the
 * client opens what the server names through VS Code's URI class (vscode-uri), which re-encodes
 * the URI before didOpen, codeLens and hover carry it to the server. A document opened by digest
 * must keep its lenses, verification line, sizes and deep inspection after that. And a referrers
 * list says on top what was asked for it, most of all when nothing was found.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { CodeLens, Diagnostic } from 'vscode-languageserver-protocol';
import { URI } from 'vscode-uri';
import { startRegistry, type RunningRegistry } from '../harness/registry';
import { seedSamples, type SeededImages } from '../harness/seed';
import { skipUnlessTools } from '../harness/tools';
import { startServer, type TestServer } from './lspClient';

interface RemoteDocument { uri: string; text: string; digest: string; verified: string }

const skip = skipUnlessTools({ registry: true });
let registry: RunningRegistry;
let seeds: SeededImages;
let server: TestServer;

before(async () => {
  if (skip) return;
  registry = await startRegistry();
  seeds = await seedSamples(registry.url);
  server = await startServer();
});
after(async () => {
  await server?.stop();
  await registry?.stop();
});

/** The URI VS Code hands the server for a document the server named `uri`. */
const asVscode = (uri: string): string => URI.parse(uri).toString();

/** Runs the client's `manifestLens.openRemote` (or Inspect): fetch, then open under VS Code's form of the URI. */
async function show(request: 'manifestLens/open' | 'manifestLens/inspect', params: object, deep = false): Promise<{ doc: RemoteDocument; uri: string; diagnostics: Diagnostic[] }> {
  const doc: RemoteDocument = await server.connection.sendRequest(request, params);
  const uri = asVscode(doc.uri);
  const first = server.diagnostics(uri, 1);
  server.open(uri, doc.text, 1);
  let diagnostics = await first;
  if (deep) diagnostics = await server.diagnostics(uri, 1);
  return { doc, uri, diagnostics };
}

async function lenses(uri: string): Promise<CodeLens[]> {
  return server.connection.sendRequest('textDocument/codeLens', { textDocument: { uri } });
}

const titles = (ls: CodeLens[]): string => ls.map((l) => l.command?.title ?? '').join(' | ');

test('an index inspected by digest keeps its lenses and its deep inspection; its child keeps "Open config", the verification line and sizes', { skip }, async () => {
  const index = seeds.podman22196.index.digest;
  const { uri, diagnostics } = await show('manifestLens/inspect', { reference: `${registry.host}/samples/podman-22196@${index}` }, true);
  // The children's problems on the entries (deep inspection found the index by its URI).
  assert.equal(diagnostics.filter((d) => d.code === 'mixed-config-media-type').length, 2, diagnostics.map((d) => d.code).join());

  const top = await lenses(uri);
  assert.ok(top.some((l) => l.command?.title === `$(pass) ${index.slice(0, 19)}… verified (requested digest)`), titles(top));
  assert.ok(top.some((l) => /^1 layer · \d+ B · 2 problems below$/.test(l.command?.title ?? '')), titles(top));
  const arm = top.find((l) => /^Open linux\/arm64(\/v8)? manifest$/.test(l.command?.title ?? ''));
  assert.ok(arm, titles(top));

  // The lens names the child; the client opens it and VS Code re-encodes its URI.
  const child = await show('manifestLens/open', { uri: arm.command!.arguments![0] });
  assert.equal(child.doc.digest, seeds.podman22196.arm64.digest);
  assert.ok(child.diagnostics.some((d) => d.code === 'mixed-config-media-type'), child.diagnostics.map((d) => d.code).join());
  const childLenses = await lenses(child.uri);
  assert.ok(childLenses.some((l) => l.command?.title === `$(pass) ${child.doc.digest.slice(0, 19)}… verified (requested digest)`), titles(childLenses));
  assert.ok(childLenses.some((l) => /^1 layer · .+ compressed \(config \+ layers\)$/.test(l.command?.title ?? '')), titles(childLenses));
  const openConfig = childLenses.find((l) => l.command?.title === 'Open config');
  assert.ok(openConfig, titles(childLenses));

  const config = await show('manifestLens/open', { uri: openConfig.command!.arguments![0] });
  assert.equal(config.doc.digest, seeds.podman22196.arm64.config!.digest);
  const configLenses = await lenses(config.uri);
  assert.ok(configLenses.some((l) => l.command?.title === `$(pass) ${config.doc.digest.slice(0, 19)}… verified (requested digest)`), titles(configLenses));

  // Show raw bytes from the child, and back: the same document, still with its lenses.
  const rawLens = childLenses.find((l) => l.command?.title === 'Show raw bytes')!;
  const raw = await show('manifestLens/open', { uri: asVscode(rawLens.command!.arguments![0]) });
  assert.ok((await lenses(raw.uri)).some((l) => l.command?.title === 'Show pretty-printed'));
});

test('"Show referrers" with none says on top what it asked (the Referrers API, then the fallback tag) and that none were found', { skip }, async () => {
  const index = seeds.podman22196.index.digest;
  const { uri } = await show('manifestLens/inspect', { reference: `${registry.host}/samples/podman-22196@${index}` });
  const show1 = (await lenses(uri)).find((l) => l.command?.title === 'Show referrers');
  assert.ok(show1);
  const referrers = await show('manifestLens/open', { uri: show1.command!.arguments![0] });
  assert.match(referrers.doc.text, /"manifests": \[\]/);
  const ls = await lenses(referrers.uri);
  const header = ls.filter((l) => l.range.start.line === 0);
  const tag = index.replace(':', '-');
  assert.deepEqual(header.map((l) => l.command?.title), [
    `No referrers of ${index.slice(0, 19)}…`,
    `Referrers API: not supported · fallback tag ${tag.slice(0, 19)}…: none`,
  ]);
  assert.deepEqual(header[1].command!.arguments, [`${registry.url}/v2/samples/podman-22196/referrers/${index}`], 'the lens copies the URL asked');
  assert.ok(header.map((l) => l.command?.title).join(' | ').length <= 120);
  // The top hover gives both URLs, in the order asked.
  const hover: { contents: { value: string } } = await server.connection.sendRequest('textDocument/hover', { textDocument: { uri: referrers.uri }, position: { line: 0, character: 0 } });
  const v = hover.contents.value;
  assert.ok(v.includes(`1. the Referrers API, \`GET ${registry.url}/v2/samples/podman-22196/referrers/${index}\`: not supported`), v);
  assert.ok(v.includes(`2. then the fallback tag \`${tag}\`, \`GET ${registry.url}/v2/samples/podman-22196/manifests/${tag}\`: no list`), v);
  // The provenance is still there, a line down.
  assert.ok(ls.some((l) => l.range.start.line > 0 && (l.command?.title ?? '').startsWith('$(pass) ')), titles(ls));
});

test('a referrers list found under the fallback tag says how many and where', { skip }, async () => {
  const subject = seeds.artifact.subject.digest;
  const doc: RemoteDocument = await server.connection.sendRequest('manifestLens/inspect', { reference: `${registry.host}/samples/clean-oci@${subject}` });
  const uri = asVscode(doc.uri);
  server.open(uri, doc.text, 1);
  const show1 = (await lenses(uri)).find((l) => l.command?.title === 'Show referrers')!;
  const referrers = await show('manifestLens/open', { uri: show1.command!.arguments![0] });
  const header = (await lenses(referrers.uri)).filter((l) => l.range.start.line === 0).map((l) => l.command?.title);
  assert.deepEqual(header, [`1 referrer of ${subject.slice(0, 19)}…`, `Referrers API: not supported · fallback tag ${subject.replace(':', '-').slice(0, 19)}…: 1`]);
});
