/**
 * Audit Registry… against a hostile registry (attack review): registry text in what the editor
 * shows (the Problems panel, the notification that names a repository that could not be
 * audited) carries no control or bidi characters and no `[label](link)` a notification would
 * render as a link (a `command:` link runs a command when clicked).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import type { AuditResult } from '../../common/protocol';
import { startFakeRegistry, type FakeRegistry } from '../harness/fakeRegistry';
import { isolatedEnv, type IsolatedEnv } from '../harness/cli';
import { startServer, type TestServer } from './lspClient';

let reg: FakeRegistry;
let server: TestServer;
let home: IsolatedEnv;

const LINK = '[Open a terminal](command:workbench.action.terminal.new)';
const BIDI = '\u202egnp.exe\u202c';
let catalogFails = false;

before(async () => {
  reg = await startFakeRegistry();
  const config = reg.putBlob(Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'));
  // A manifest whose layer media type carries bidi characters and a link: the finding quotes it.
  reg.putManifest('good', 'v1', {
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 78 },
    layers: [{ mediaType: `application/x-${BIDI}${LINK}`, digest: `sha256:${'a'.repeat(64)}`, size: 10 }],
  });
  reg.hook = (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/v2/_catalog' && catalogFails) {
      res.writeHead(400, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'UNKNOWN', message: `${BIDI} ${LINK}` }] }));
      return true;
    }
    if (url.pathname === '/v2/_catalog') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ repositories: ['bad', 'good'] }));
      return true;
    }
    if (url.pathname === '/v2/good/tags/list') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ name: 'good', tags: ['v1'] }));
      return true;
    }
    if (url.pathname.startsWith('/v2/bad/')) {
      res.writeHead(400, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'UNKNOWN', message: `${BIDI} ${LINK}` }] }));
      return true;
    }
    return false;
  };
  home = isolatedEnv();
  server = await startServer({}, { env: home.env });
});
after(async () => {
  await server?.stop();
  await reg?.close();
  home?.cleanup();
});

test('registry text in the audit\'s diagnostics and failures: no bidi or control characters, no markdown link', async () => {
  const result: AuditResult = await server.connection.sendRequest('manifestLens/audit', { registry: reg.host });
  assert.equal(result.failedRepositories.length, 1, 'bad could not be audited');
  const texts = [...result.failedRepositories.map((f) => f.error), ...result.diagnostics.map((d) => d.message)];
  assert.match(result.failedRepositories[0].error, /gnp\.exe/, 'the registry\'s words are still there, as text');
  assert.ok(result.diagnostics.length > 0, 'good was audited');
  for (const t of texts) {
    assert.doesNotMatch(t, /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/, t);
    assert.doesNotMatch(t, /\]\(/, t);
  }
});

test('an audit that fails at the catalog: its error answer carries no bidi character and no markdown link', async () => {
  catalogFails = true;
  try {
    const err = await server.connection.sendRequest('manifestLens/audit', { registry: reg.host }).then(() => undefined, (e: Error) => e);
    assert.ok(err instanceof Error, 'the audit failed');
    assert.match(err.message, /gnp\.exe/);
    assert.doesNotMatch(err.message, /[\u0000-\u001f\u202a-\u202e\u2066-\u2069]/, err.message);
    assert.doesNotMatch(err.message, /\]\(/, err.message);
  } finally {
    catalogFails = false;
  }
});

test('cancelled while it waits out a 429 (Retry-After: 120): the audit answers at once, not after the wait', async () => {
  let limited = 0;
  const before = reg.hook;
  reg.hook = (req, res) => {
    if (new URL(req.url ?? '/', 'http://x').pathname.endsWith('/tags/list')) {
      limited++;
      res.writeHead(429, { 'Retry-After': '120', 'Content-Type': 'application/json' }).end('{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}');
      return true;
    }
    return before!(req, res);
  };
  try {
    const cts = new CancellationTokenSource();
    const answer = server.connection.sendRequest('manifestLens/audit', { registry: `${reg.host}/good` }, cts.token).then(() => 'answered', () => 'failed');
    for (let waited = 0; limited === 0 && waited < 5000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    assert.ok(limited > 0, 'the registry answered 429');
    await new Promise((r) => setTimeout(r, 200)); // the audit is in its wait now
    cts.cancel();
    const outcome = await Promise.race([answer, new Promise((r) => setTimeout(() => r('still waiting 5 s after the cancellation'), 5000))]);
    assert.equal(outcome, 'failed', 'the cancelled request is answered (with the cancellation) at once');
    const seen = reg.log.length;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(reg.log.length, seen, 'no request after it');
  } finally {
    reg.hook = before;
  }
});
