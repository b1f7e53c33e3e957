/**
 * The registry session alone (server/src/registry/session.ts over transport.ts), against tiny
 * node:http servers on 127.0.0.1: redirects that never carry credentials to another origin, the
 * one retry of a request on a stale connection, size limits, the deadline, cancellation, masking
 * of held secrets in responses, logs and errors, the request counts, and the rate gate after a
 * 429. No auth, no registry API.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { RegistryError } from '../../server/src/registry/errors';
import { DEFAULT_WAIT_S, MAX_WAIT_S, RateGate } from '../../server/src/registry/rateGate';
import { createSession, type Call } from '../../server/src/registry/session';
import { json, startLocalServer, type LocalServer } from './localServer';

const servers: LocalServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});
async function server(...args: Parameters<typeof startLocalServer>): Promise<LocalServer> {
  const s = await startLocalServer(...args);
  servers.push(s);
  return s;
}

const call = (signal?: AbortSignal): Call => ({ requests: 0, signal });
const get = { method: 'GET' as const, maxBytes: 1024, what: 'manifest' };

async function kindOf(p: Promise<unknown>): Promise<RegistryError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof RegistryError, `a RegistryError, not ${String(e)}`);
    return e;
  }
  assert.fail('expected a rejection');
}

test('a redirect to another origin is followed without the Authorization header; the same origin keeps it', async () => {
  const other = await server((_r, res) => json(res, 200, { ok: 'other' }));
  const first = await server((r, res) => {
    if (r.url === '/same') return void res.writeHead(307, { location: '/final' }).end();
    if (r.url === '/final') return json(res, 200, { ok: 'same' });
    res.writeHead(302, { location: `${other.origin}/blob?X-Amz-Signature=abc` }).end();
  });
  const lines: string[] = [];
  const s = createSession({ timeoutMs: 3000, log: (l) => lines.push(l) });
  const authorization = { header: 'Bearer tok-1234567890', carriesCredentials: true };
  const c = call();
  const res = await s.send(c, new URL(`${first.origin}/start`), { ...get, authorization });
  assert.equal(res.status, 200);
  assert.equal(Buffer.from(res.body).toString(), '{"ok":"other"}');
  assert.equal(first.seen[0]!.headers.authorization, 'Bearer tok-1234567890');
  assert.equal(other.seen[0]!.headers.authorization, undefined, 'credentials never follow a redirect to another origin');
  assert.equal(c.requests, 2, 'each hop is a request of the call');
  assert.equal(s.stats.requests, 2);
  assert.ok(lines.some((l) => l.includes('X-Amz-Signature=…')), 'signed query values are hidden in the log');
  assert.ok(!lines.some((l) => l.includes('abc')), lines.join('\n'));

  await s.send(call(), new URL(`${first.origin}/same`), { ...get, authorization });
  assert.equal(first.seen.at(-1)!.url, '/final');
  assert.equal(first.seen.at(-1)!.headers.authorization, 'Bearer tok-1234567890', 'the same origin keeps it');
  await s.close();
});

test('a redirect loop stops after five hops with a redirect error', async () => {
  const loop = await server((r, res) => void res.writeHead(302, { location: `/hop${r.url.length}` }).end());
  const s = createSession({ timeoutMs: 3000 });
  const c = call();
  const e = await kindOf(s.send(c, new URL(`${loop.origin}/x`), get));
  assert.equal(e.kind, 'redirect');
  assert.match(e.message, /Gave up after 5 redirects/);
  assert.equal(c.requests, 6);
  await s.close();
});

test('a GET on a connection closed before it answered is retried once; a POST is not', async () => {
  let n = 0;
  const flaky = await server((r, res, raw) => {
    n++;
    if (n === 1 || r.method === 'POST') return void raw.socket.destroy();
    json(res, 200, { n });
  });
  const s = createSession({ timeoutMs: 3000 });
  const c = call();
  const res = await s.send(c, new URL(`${flaky.origin}/m`), get);
  assert.equal(res.status, 200);
  assert.equal(flaky.seen.length, 2, 'the first attempt died, the retry answered');
  assert.equal(c.requests, 2);
  const before = flaky.seen.length;
  const e = await kindOf(s.send(call(), new URL(`${flaky.origin}/token`), { method: 'POST', body: 'a=b', maxBytes: 1024, what: 'token response' }));
  assert.equal(e.kind, 'protocol');
  assert.equal(flaky.seen.length, before + 1, 'a POST is never sent twice');
  await s.close();
});

test('size limits: a declared Content-Length over the cap and a body that grows past it are too-large', async () => {
  const big = await server((r, res) => {
    if (r.url === '/declared') {
      res.writeHead(200, { 'content-length': '5000' });
      return void res.end(Buffer.alloc(5000, 0x61));
    }
    res.writeHead(200); // chunked, no length
    res.write(Buffer.alloc(800, 0x61));
    res.end(Buffer.alloc(800, 0x61));
  });
  const s = createSession({ timeoutMs: 3000 });
  const declared = await kindOf(s.send(call(), new URL(`${big.origin}/declared`), get));
  assert.equal(declared.kind, 'too-large');
  assert.match(declared.message, /The manifest at .* is 4\.9 KB, over the 1\.0 KB limit/);
  const grown = await kindOf(s.send(call(), new URL(`${big.origin}/grown`), get));
  assert.equal(grown.kind, 'too-large');
  assert.match(grown.message, /grew past the limit/);
  const ok = await s.send(call(), new URL(`${big.origin}/grown`), { ...get, maxBytes: 1600 });
  assert.equal(ok.body.length, 1600, 'exactly at the cap is fine');
  await s.close();
});

test('a body that drips a byte at a time is given up at the deadline; an abort cancels at once', async () => {
  const drip = await server((_r, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const t = setInterval(() => res.write(' '), 50);
    res.on('close', () => clearInterval(t));
  });
  const s = createSession({ timeoutMs: 400 });
  const started = Date.now();
  const e = await kindOf(s.send(call(), new URL(`${drip.origin}/m`), get));
  assert.equal(e.kind, 'timeout');
  assert.match(e.message, /the longest a request may take/);
  assert.ok(Date.now() - started < 5000, `gave up in ${Date.now() - started} ms`);

  const slow = createSession({ timeoutMs: 30_000 });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  const t0 = Date.now();
  const c = await kindOf(slow.send(call(controller.signal), new URL(`${drip.origin}/m`), { ...get, signal: controller.signal }));
  assert.equal(c.kind, 'cancelled');
  assert.ok(Date.now() - t0 < 5000, `cancelled in ${Date.now() - t0} ms`);
  await s.close();
  await slow.close();
});

test('held secrets are masked in error bodies, headers and log lines; a success echoing one is refused', async () => {
  const secret = 'tok-SECRET-0123456789abcdef';
  const echo = await server((r, res) => {
    if (r.url === '/ok-echo') return json(res, 200, { token: secret });
    json(res, 403, { errors: [{ code: 'DENIED', message: `no, ${secret}` }] }, { 'x-echo': secret, warning: `299 - "${secret}"` });
  });
  const lines: string[] = [];
  const s = createSession({ timeoutMs: 3000, log: (l) => lines.push(l) });
  s.remember(secret);
  const res = await s.send(call(), new URL(`${echo.origin}/denied`), get);
  assert.equal(res.status, 403);
  const text = Buffer.from(res.body).toString() + JSON.stringify(res.headers);
  assert.ok(!text.includes(secret) && !text.includes('0123456789'), text);
  assert.match(text, /\*\*\*/);
  s.log!(`about to send ${secret}`);
  assert.ok(!lines.join('\n').includes('0123456789'), lines.join('\n'));

  const ok = await s.send(call(), new URL(`${echo.origin}/ok-echo`), get);
  assert.ok(Buffer.from(ok.body).toString().includes(secret), 'a successful body is content and is left exact…');
  assert.throws(() => s.refuseEchoedSecrets(ok, echo.host, 'manifest'), (e: unknown) => e instanceof RegistryError && e.kind === 'protocol' && /contains the credentials or token/.test(e.message));
  assert.doesNotThrow(() => s.refuseEchoedSecrets(res, echo.host, 'manifest'), 'an error answer is masked, not refused');
  await s.close();
});

test('run: its own call, cancellation up front, secrets scrubbed from errors, anything else a protocol error', async () => {
  const s = createSession({});
  s.rememberBasic('alice', 'correct-horse-battery');
  const requests = await s.run(undefined, async (c) => {
    c.requests += 3;
    return c.requests;
  });
  assert.equal(requests, 3);
  const scrubbed = await kindOf(s.run(undefined, async () => {
    throw new RegistryError('unauthorized', 'rejected correct-horse-battery and YWxpY2U6Y29ycmVjdC1ob3JzZS1iYXR0ZXJ5', { host: 'h', status: 401, registryErrors: [{ code: 'X', message: 'pw correct-horse-battery' }] });
  }));
  assert.equal(scrubbed.kind, 'unauthorized');
  assert.equal(scrubbed.status, 401);
  assert.ok(!/correct-horse|YWxpY2U6/.test(scrubbed.message + JSON.stringify(scrubbed.registryErrors)), scrubbed.message);
  const odd = await kindOf(s.run(undefined, async () => {
    throw new TypeError('boom correct-horse-battery');
  }));
  assert.equal(odd.kind, 'protocol');
  assert.match(odd.message, /Unexpected failure talking to the registry \(TypeError\)/);
  let ran = false;
  const aborted = new AbortController();
  aborted.abort();
  const early = await kindOf(s.run(aborted.signal, async () => {
    ran = true;
  }));
  assert.equal(early.kind, 'cancelled');
  assert.equal(ran, false);
});

test('plain http to a host that is neither loopback nor listed is refused before any connection', async () => {
  const s = createSession({ timeoutMs: 3000 });
  const c = call();
  const e = await kindOf(s.send(c, new URL('http://registry.invalid/v2/'), get));
  assert.equal(e.kind, 'insecure');
  assert.equal(c.requests, 0);
  const listed = createSession({ timeoutMs: 3000, insecureHosts: ['registry.invalid'] });
  const e2 = await kindOf(listed.send(call(), new URL('http://registry.invalid/v2/'), { ...get, authorization: { header: 'Basic x', carriesCredentials: true } }));
  assert.equal(e2.kind, 'insecure', 'a listed insecure host still gets no credentials');
  assert.match(e2.message, /credentials will not be sent/);
});

test('after a 429 nothing more goes to that host until the time it asked for; other hosts are not held back', async () => {
  let now = Date.parse('2026-12-01T20:00:00Z');
  const gate = new RateGate(() => now);
  const limited = await server((r, res) => {
    if (r.url === '/first') return void res.writeHead(429, { 'retry-after': '120', 'content-type': 'application/json' }).end('{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}');
    json(res, 200, { ok: r.url });
  });
  const other = await server((r, res) => json(res, 200, { ok: r.url }));
  const lines: string[] = [];
  const a = createSession({ timeoutMs: 3000, rateGate: gate, log: (l) => lines.push(l) });
  const b = createSession({ timeoutMs: 3000, rateGate: gate }); // another client of the same process
  const first = await a.send(call(), new URL(`${limited.origin}/first`), get);
  assert.equal(first.status, 429, 'the 429 itself comes back to its caller, which says what it means');
  now += 5_000;
  for (const s of [a, b]) {
    const c = call();
    const e = await kindOf(s.send(c, new URL(`${limited.origin}/second`), get));
    assert.equal(e.kind, 'rate-limited');
    assert.equal(e.host, limited.host);
    assert.equal(e.retryAfterSeconds, 115);
    assert.match(e.message, new RegExp(`^Not sent: ${limited.host} answered 429 Too Many Requests 5 s ago and it asked to be left alone until 20:02:00 UTC\\. Nothing more is asked of it until then: try again in 115 s\\.$`));
    assert.equal(c.requests, 0, 'no request was made');
  }
  assert.equal(limited.seen.length, 1, 'the registry saw nothing after the 429');
  assert.deepEqual([a.stats.requests, a.stats.refused, b.stats.requests, b.stats.refused], [1, 1, 0, 1], 'the 429 was a request sent; the refusals are counted apart');
  assert.ok(lines.some((l) => l.includes('/second → not sent')), lines.join('\n'));
  const elsewhere = await b.send(call(), new URL(`${other.origin}/x`), get);
  assert.equal(elsewhere.status, 200, 'another host is asked as usual');
  now += 115_000;
  const later = await b.send(call(), new URL(`${limited.origin}/third`), get);
  assert.equal(later.status, 200, 'once the time has passed, the host is asked again');
  assert.equal(limited.seen.length, 2);
  await a.close();
  await b.close();
});

test('a 429 without Retry-After holds the host for DEFAULT_WAIT_S; an HTTP date and an absurd wait are read and capped', async () => {
  let now = Date.parse('2026-12-01T20:00:00Z');
  const gate = new RateGate(() => now);
  let retryAfter: string | undefined;
  const limited = await server((_r, res) => void res.writeHead(429, retryAfter ? { 'retry-after': retryAfter } : {}).end());
  const s = createSession({ timeoutMs: 3000, rateGate: gate });
  await s.send(call(), new URL(`${limited.origin}/a`), get);
  const e = await kindOf(s.send(call(), new URL(`${limited.origin}/b`), get));
  assert.match(e.message, new RegExp(`it named no time, so Manifest Lens waits ${DEFAULT_WAIT_S} s \\(until 20:00:30 UTC\\)`));
  now += DEFAULT_WAIT_S * 1000;
  retryAfter = new Date(now + 90_000).toUTCString();
  assert.equal((await s.send(call(), new URL(`${limited.origin}/c`), get)).status, 429);
  assert.equal((await kindOf(s.send(call(), new URL(`${limited.origin}/d`), get))).retryAfterSeconds, 90);
  now += 90_000;
  retryAfter = '999999';
  assert.equal((await s.send(call(), new URL(`${limited.origin}/e`), get)).status, 429);
  const capped = await kindOf(s.send(call(), new URL(`${limited.origin}/f`), get));
  assert.equal(capped.retryAfterSeconds, MAX_WAIT_S);
  assert.match(capped.message, new RegExp(`it asked for more than a week; Manifest Lens waits at most ${MAX_WAIT_S} s \\(until `));
  assert.equal(limited.seen.length, 3, 'only the three requests after each wait reached the registry');
  await s.close();
});
