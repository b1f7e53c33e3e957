/**
 * Inspect Remote Image through the LSP requests the VS Code client uses, against a real
 * registry on 127.0.0.1: fetch the seed's index, walk to a child by its CodeLens, see the
 * mixed-media-type error on it, and get one actionable error for an unreachable registry.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { CancellationTokenSource, ResponseError } from 'vscode-jsonrpc/node';
import type { CodeLens, Diagnostic } from 'vscode-languageserver-protocol';
import { httpCall } from '../harness/http';
import { startRegistry, type RunningRegistry } from '../harness/registry';
import { seedSamples, type SeededImages } from '../harness/seed';
import { skipUnlessTools } from '../harness/tools';
import { startServer, type TestServer } from './lspClient';

interface RemoteDocument { uri: string; rawUri: string; text: string; raw: boolean; reference: string; contentType?: string; digest: string; verified: string; size: number; requests: number; prettyPrinted: boolean }

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

test('inspect the seed\'s index, open a child from its CodeLens, see the mixed-media-type error', { skip }, async () => {
  const ref = `${registry.host}/samples/podman-22196:mixed`;
  const doc: RemoteDocument = await server.connection.sendRequest('manifestLens/inspect', { reference: ref });
  const served = Buffer.from(seeds.podman22196.index.bytes);
  assert.equal(doc.digest, seeds.podman22196.index.digest);
  assert.equal(doc.digest, 'sha256:' + createHash('sha256').update(served).digest('hex'));
  assert.equal(doc.contentType, 'application/vnd.oci.image.index.v1+json');
  assert.equal(doc.size, served.length);
  // The last path segment is the tab's title: the reference, short.
  assert.match(decodeURIComponent(doc.uri), /^oci-image:\/127\.0\.0\.1:\d+\/samples\/podman-22196:mixed\.json$/);

  // The raw view is the served bytes, exactly.
  const raw: RemoteDocument = await server.connection.sendRequest('manifestLens/open', { uri: doc.rawUri });
  assert.equal(raw.text, served.toString('utf8'));

  const p = server.diagnostics(doc.uri, 1);
  server.open(doc.uri, doc.text, 1);
  assert.deepEqual((await p).map((d) => d.code), [], 'the index itself is clean');

  const lenses: CodeLens[] = await server.connection.sendRequest('textDocument/codeLens', { textDocument: { uri: doc.uri } });
  const titles = lenses.map((l) => l.command?.title ?? '');
  assert.ok(titles.some((t) => t.includes(doc.digest.slice(0, 19)) && t.includes('verified')), titles.join(' | '));
  const arm = lenses.find((l) => /^Open linux\/arm64(\/v8)? manifest$/.test(l.command?.title ?? ''));
  assert.ok(arm, `an "Open linux/arm64 manifest" lens among ${titles.join(' | ')}`);
  const childUri = arm.command!.arguments![0] as string;
  // A child opened from a lens: titled by its name, a short digest and its platform, never the full digest.
  const childTitle = decodeURIComponent(childUri.split('?')[0].split('/').pop()!);
  assert.match(childTitle, /^podman-22196@sha256:[0-9a-f]{12}… \(linux\u2215arm64(\u2215v8)?\)\.json$/);
  assert.ok(!childTitle.includes(seeds.podman22196.arm64.digest));
  // The top lenses fit a normal window: no line of lenses is longer than 120 characters.
  const lines = new Map<number, string[]>();
  for (const l of lenses) lines.set(l.range.start.line, [...(lines.get(l.range.start.line) ?? []), l.command?.title ?? '']);
  for (const [line, t] of lines) assert.ok(t.join(' | ').length <= 120, `line ${line}: ${t.join(' | ')}`);
  assert.ok(lines.get(0)!.some((t) => /· \d+(\.\d+)? (bytes|KiB)$/.test(t)), `a size with its unit: ${lines.get(0)!.join(' | ')}`);
  assert.ok([...lines.values()].flat().includes('Check :mixed for a newer digest'), titles.join(' | '));

  const child: RemoteDocument = await server.connection.sendRequest('manifestLens/open', { uri: childUri });
  assert.equal(child.digest, seeds.podman22196.arm64.digest);
  assert.equal(child.verified, 'requested-digest');
  const cp = server.diagnostics(child.uri, 1);
  server.open(child.uri, child.text, 1);
  const diags: Diagnostic[] = await cp;
  assert.ok(diags.some((d) => d.code === 'mixed-config-media-type'), diags.map((d) => d.code).join());

  // The top hover names what the registry served: Content-Type and the digest of the served bytes.
  const top: { contents: { value: string } } = await server.connection.sendRequest('textDocument/hover', { textDocument: { uri: child.uri }, position: { line: 0, character: 0 } });
  assert.match(top.contents.value, /Served by the registry/);
  assert.ok(top.contents.value.includes(`Digest of the served bytes: \`${child.digest}\` (verified)`), top.contents.value);
  assert.ok(top.contents.value.includes('Content-Type: `application/vnd.oci.image.manifest.v1+json`'));

  // Fetched documents are read-only: no quick-fixes are offered on them.
  const mixed = diags.find((d) => d.code === 'mixed-config-media-type')!;
  const actions = await server.connection.sendRequest('textDocument/codeAction', { textDocument: { uri: child.uri }, range: mixed.range, context: { diagnostics: [mixed] } });
  assert.deepEqual(actions, []);

  // "Open config" fetches the config blob (never a layer), verified by digest.
  const childLenses: CodeLens[] = await server.connection.sendRequest('textDocument/codeLens', { textDocument: { uri: child.uri } });
  const open = childLenses.find((l) => l.command?.title === 'Open config');
  assert.ok(open);
  assert.match(decodeURIComponent((open.command!.arguments![0] as string).split('?')[0]), /\/podman-22196@sha256:[0-9a-f]{12}… \(config\)\.json$/);
  const config: RemoteDocument = await server.connection.sendRequest('manifestLens/open', { uri: open.command!.arguments![0] });
  assert.equal(config.digest, seeds.podman22196.arm64.config!.digest);
  assert.match(config.text, /"architecture": ?"arm64"/);
});

test('an unreachable registry is one actionable error, and a bad reference is refused before any request', { skip }, async () => {
  await assert.rejects(
    server.connection.sendRequest('manifestLens/inspect', { reference: '127.0.0.1:1/x/y:z' }),
    (err: ResponseError<{ kind: string }>) => {
      assert.equal(err.code, -32050);
      assert.equal(err.data?.kind, 'connection-refused');
      assert.match(err.message, /127\.0\.0\.1:1/);
      assert.doesNotMatch(err.message, /\n\s+at /, 'no stack trace');
      return true;
    },
  );
  await assert.rejects(server.connection.sendRequest('manifestLens/inspect', { reference: '127.0.0.1:1/UPPER/case' }), (err: ResponseError<{ kind: string }>) => err.data?.kind === 'invalid-reference');
  const v: { message: string | null } = await server.connection.sendRequest('manifestLens/validateReference', { text: 'localhost:5000/app@sha256:nothex' });
  assert.ok(v.message && /digest/.test(v.message), String(v.message));
  const ok: { message: string | null } = await server.connection.sendRequest('manifestLens/validateReference', { text: `${registry.host}/samples/clean-oci:latest` });
  assert.equal(ok.message, null);
});

test('cancelling the request aborts it', { skip }, async () => {
  const net = await import('node:net');
  // A server that accepts and never answers: only cancellation can end the request quickly.
  const sockets: import('node:net').Socket[] = [];
  const closed = new Set<import('node:net').Socket>();
  const stall = net.createServer((s) => {
    sockets.push(s);
    s.on('close', () => closed.add(s));
    s.resume(); // read (and ignore) the request, so the peer's close is seen
  });
  await new Promise<void>((r) => stall.listen(0, '127.0.0.1', r));
  try {
    const port = (stall.address() as import('node:net').AddressInfo).port;
    const source = new CancellationTokenSource();
    const started = Date.now();
    const pending = server.connection.sendRequest('manifestLens/inspect', { reference: `127.0.0.1:${port}/x/y:z` }, source.token);
    setTimeout(() => source.cancel(), 300);
    await assert.rejects(pending, (err: ResponseError<{ kind?: string }>) => err.code === -32800 || err.data?.kind === 'cancelled');
    assert.ok(Date.now() - started < 5000, 'cancellation is quick');
    // The connection the server opened is closed by the abort, long before any timeout.
    const deadline = Date.now() + 5000;
    while ((sockets.length === 0 || closed.size < sockets.length) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(sockets.length > 0 && closed.size === sockets.length, `the registry connection was closed (${closed.size}/${sockets.length})`);
  } finally {
    for (const s of sockets) s.destroy();
    stall.close();
  }
});

test('Check Tag: one HEAD says whether the tag a document was opened by has moved, and where to', { skip }, async () => {
  const repo = `${registry.host}/samples/clean-oci`;
  const putAs = async (tag: string, m: { bytes: Uint8Array; mediaType: string }) => {
    const res = await httpCall(`${registry.url}/v2/samples/clean-oci/manifests/${tag}`, { method: 'PUT', headers: { 'content-type': m.mediaType }, body: m.bytes });
    assert.equal(res.status, 201, res.body.toString());
  };
  await putAs('moving', seeds.cleanOci.index);
  const doc: RemoteDocument = await server.connection.sendRequest('manifestLens/inspect', { reference: `${repo}:moving` });
  server.open(doc.uri, doc.text, 1);
  const lenses: CodeLens[] = await server.connection.sendRequest('textDocument/codeLens', { textDocument: { uri: doc.uri } });
  const lens = lenses.find((l) => l.command?.title === 'Check :moving for a newer digest');
  assert.ok(lens, lenses.map((l) => l.command?.title).join(' | '));
  assert.equal(lens.command!.command, 'manifestLens.checkTag');

  const same = await server.connection.sendRequest<{ moved: boolean; current: string; via: string; requests: number; currentUri?: string }>('manifestLens/checkTag', { uri: lens.command!.arguments![0] });
  assert.deepEqual({ moved: same.moved, current: same.current, via: same.via, currentUri: same.currentUri }, { moved: false, current: seeds.cleanOci.index.digest, via: 'head', currentUri: undefined });
  assert.equal(same.requests, 1, 'one HEAD');

  await putAs('moving', seeds.cleanOci.amd64);
  const moved = await server.connection.sendRequest<{ moved: boolean; shown: string; current: string; currentUri?: string }>('manifestLens/checkTag', { uri: doc.uri });
  assert.equal(moved.moved, true);
  assert.equal(moved.shown, seeds.cleanOci.index.digest, 'the document on screen is unchanged');
  assert.equal(moved.current, seeds.cleanOci.amd64.digest);
  const now: RemoteDocument = await server.connection.sendRequest('manifestLens/open', { uri: moved.currentUri });
  assert.equal(now.digest, seeds.cleanOci.amd64.digest);
  assert.equal(now.verified, 'requested-digest');

  // A document opened by digest has nothing to check.
  await assert.rejects(server.connection.sendRequest('manifestLens/checkTag', { uri: now.uri }), (e: unknown) => e instanceof ResponseError && /opened by digest/.test(e.message));
});

