/**
 * Audit Registry… over LSP (issue 21): dist/server.js answers `manifestLens/audit` for a real
 * docker-registry seeded with clean repositories and planted broken images
 * (test/harness/auditSeed.ts): each finding a diagnostic on the raw `oci-image:` URI of the
 * document it is in, at the place the opened document shows it; progress as work-done progress;
 * the SARIF it answers is what `audit --format sarif` writes; cancelling the request stops the
 * audit (no request reaches the registry after it).
 */
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import type { AuditResult, RemoteDocument } from '../../common/protocol';
import { parseRemoteUri } from '../../server/src/lsp/remoteUri';
import { seedAuditRegistry, type AuditSeed } from '../harness/auditSeed';
import { isolatedEnv, runCli, type IsolatedEnv } from '../harness/cli';
import { startRegistry, type RunningRegistry } from '../harness/registry';
import { skipUnlessTools } from '../harness/tools';
import { startServer, type TestServer } from './lspClient';

const skip = skipUnlessTools({ registry: true });
let registry: RunningRegistry;
let seed: AuditSeed;
let server: TestServer;
let home: IsolatedEnv;

/** A reverse proxy to the registry that holds each request `delayMs` and counts them. */
async function startSlowProxy(target: string, delayMs: number): Promise<{ host: string; count: () => number; close: () => Promise<void> }> {
  let count = 0;
  const server: Server = createServer((req, res) => {
    count++;
    setTimeout(() => {
      const up = request(`http://${target}${req.url}`, { method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    }, delayMs);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    count: () => count,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

before(async () => {
  if (skip) return;
  registry = await startRegistry();
  seed = await seedAuditRegistry(registry.url, { cleanRepositories: 3 });
  home = isolatedEnv();
  server = await startServer({}, { env: home.env });
});
after(async () => {
  await server?.stop();
  await registry?.stop();
  home?.cleanup();
});

test('the audit request: every planted image found on its document\'s URI, at its place; progress; the CLI\'s SARIF', { skip }, async () => {
  const progress: { kind: string; message?: string; percentage?: number }[] = [];
  server.connection.onNotification('$/progress', (p: { token: string; value: { kind: string; message?: string; percentage?: number } }) => {
    if (p.token === 'audit-1') progress.push(p.value);
  });
  const result: AuditResult = await server.connection.sendRequest('manifestLens/audit', { registry: registry.host, workDoneToken: 'audit-1' });
  assert.equal(result.totals.repositories, seed.repositories.length);
  assert.equal(result.totals.tags, seed.tags);

  // Every planted rule on its repository, and nothing on a clean one.
  for (const [repo, rules] of Object.entries(seed.planted)) {
    const found = result.diagnostics.filter((d) => d.repository === repo).map((d) => d.code);
    for (const rule of rules) assert.ok(found.includes(rule), `${repo}: ${rule} in ${found.join(', ')}`);
  }
  assert.deepEqual(result.diagnostics.filter((d) => seed.clean.includes(d.repository)), []);

  // Each on the raw URI of a document of its repository, which the server opens.
  for (const d of result.diagnostics) {
    const t = parseRemoteUri(d.uri);
    assert.ok(t, d.uri);
    assert.equal(t.registry, registry.host);
    assert.equal(t.repository, d.repository);
    assert.match(t.ref, /^sha256:[0-9a-f]{64}$/);
    assert.equal(t.raw, true);
    assert.match(d.href, /rules\.md#/, d.href); // its entry in the rule reference (ruleDocs.ts)
  }
  // podman#22196's mixed child: the finding is on the child, at the line of its config's media type.
  const mixed = result.diagnostics.find((d) => d.repository === 'broken/mixed' && d.code === 'mixed-config-media-type');
  assert.ok(mixed);
  const tagged = result.diagnostics.find((d) => d.repository === 'broken/mixed')!.digest;
  assert.notEqual(parseRemoteUri(mixed.uri)!.ref, tagged, 'the child, not the index');
  assert.deepEqual(mixed.tags, ['also-mixed', 'mixed']);
  const doc: RemoteDocument = await server.connection.sendRequest('manifestLens/open', { uri: mixed.uri });
  const line = doc.text.split('\n')[mixed.range.start.line];
  assert.ok(mixed.range.start.line > 0, 'a place, not the first line');
  assert.match(line, /application\/vnd\.docker\.container\.image\.v1\+json/);
  // A finding without a place (the size of an entry against its child) is on the first line.
  const size = result.diagnostics.find((d) => d.code === 'child-size-mismatch');
  assert.ok(size);
  assert.deepEqual(size.range.start, { line: 0, character: 0 });

  // Progress: begin, repositories done of the total, end.
  assert.equal(progress[0]?.kind, 'begin');
  assert.ok(progress.some((p) => p.kind === 'report' && p.message === `${seed.repositories.length}/${seed.repositories.length} repositories, ${result.totals.findings} findings`), JSON.stringify(progress));
  assert.equal(progress[progress.length - 1]?.kind, 'end');

  // The same SARIF as the command line's.
  const cli = await runCli(['audit', registry.host, '--format', 'sarif'], { env: home.env, timeoutMs: 30_000 });
  assert.equal(cli.code, 1, cli.stderr);
  assert.equal(result.sarif, String(cli.stdout));
});

test('cancelling the audit request stops the audit: an error answer, progress ended, no request after it', { skip }, async () => {
  const proxy = await startSlowProxy(registry.host, 60);
  try {
    const cts = new CancellationTokenSource();
    const progress: { kind: string; message?: string }[] = [];
    let reports = 0;
    server.connection.onNotification('$/progress', (p: { token: string; value: { kind: string; message?: string } }) => {
      if (p.token !== 'audit-2') return;
      progress.push(p.value);
      if (p.value.kind === 'report' && ++reports === 2) cts.cancel(); // after the first repository is done
    });
    const answer = server.connection.sendRequest('manifestLens/audit', { registry: proxy.host, concurrency: 1, workDoneToken: 'audit-2' }, cts.token);
    await assert.rejects(answer);
    assert.ok(cts.token.isCancellationRequested, 'cancelled before it ended');
    await new Promise((r) => setTimeout(r, 300));
    const seen = proxy.count();
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(proxy.count(), seen, 'no request after the cancellation');
    // It stopped well before the end: at 60 ms a request, one at a time, the whole audit is ~80 requests.
    assert.ok(seen < 40, `${seen} requests`);
    assert.equal(progress[progress.length - 1]?.kind, 'end');
    assert.ok(!progress.some((p) => p.message?.startsWith(`${seed.repositories.length}/`)), 'not every repository done');
  } finally {
    await proxy.close();
  }
});
