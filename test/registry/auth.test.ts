/**
 * Registry authentication alone (server/src/registry/auth.ts on a session), against a fake
 * registry endpoint and token endpoint on 127.0.0.1 written here with node:http: Bearer
 * challenges → one token per scope set (cached until it expires, shared by concurrent callers),
 * up-front authorization once the host's scheme is known, HTTP Basic, refresh tokens by POST
 * with the GET fallback, registry tokens, credentials looked up once, never sent over plain http
 * to a host that is not loopback, and the 401 messages.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createAuth, type Credentials } from '../../server/src/registry/auth';
import { RegistryError } from '../../server/src/registry/errors';
import { parseReference } from '../../server/src/registry/reference';
import { createSession, type Session } from '../../server/src/registry/session';
import { json, startLocalServer, type LocalServer } from './localServer';

const servers: LocalServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

interface Fake {
  readonly registry: LocalServer;
  /** Token requests the token endpoint saw. */
  readonly tokens: { method: string; query: URLSearchParams; form: URLSearchParams; authorization?: string }[];
  /** Authorization headers the registry saw, in order ('' when none). */
  readonly sent: string[];
}

/**
 * One server, two roles: `/token` issues `tok-<n>` (a refresh-token POST answers 404 when
 * `postUnsupported`), `/v2/…` wants `Bearer tok-*` (or, with `basic`, the Basic pair) and
 * challenges otherwise. `valid` decides which tokens the registry accepts.
 */
async function fakeRegistry(opts: { basic?: string; expiresIn?: number; postUnsupported?: boolean; tokenDelayMs?: number; valid?: (token: string) => boolean; users?: Record<string, string> } = {}): Promise<Fake> {
  const tokens: Fake['tokens'] = [];
  const sent: string[] = [];
  let issued = 0;
  const registry = await startLocalServer(async (r, res) => {
    const url = new URL(r.url, 'http://x');
    if (url.pathname === '/token') {
      const form = new URLSearchParams(r.method === 'POST' ? r.body : '');
      tokens.push({ method: r.method, query: url.searchParams, form, authorization: r.headers.authorization });
      if (r.method === 'POST' && opts.postUnsupported) return json(res, 404, {});
      if (r.headers.authorization) {
        const [user, password] = Buffer.from(r.headers.authorization.replace(/^Basic /, ''), 'base64').toString().split(':');
        if (opts.users?.[user!] !== password) return json(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'bad login' }] });
      }
      if (opts.tokenDelayMs) await new Promise((resolve) => setTimeout(resolve, opts.tokenDelayMs));
      issued++;
      return json(res, 200, { token: `tok-${issued}-abcdefghij`, ...(opts.expiresIn ? { expires_in: opts.expiresIn } : {}) });
    }
    const auth = r.headers.authorization ?? '';
    sent.push(auth);
    if (opts.basic) {
      if (auth === `Basic ${Buffer.from(opts.basic).toString('base64')}`) return json(res, 200, { ok: true });
      return json(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }, { 'www-authenticate': 'Basic realm="fake"' });
    }
    const token = auth.replace(/^Bearer /, '');
    if (auth.startsWith('Bearer ') && (opts.valid ?? (() => true))(token)) return json(res, 200, { ok: true });
    const repo = url.pathname.replace(/^\/v2\//, '').replace(/\/manifests\/.*$/, '');
    json(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }, {
      'www-authenticate': `Bearer realm="${registry.origin}/token",service="fake-svc",scope="repository:${repo}:pull"`,
    });
  });
  servers.push(registry);
  return { registry, tokens, sent };
}

function setup(fake: Fake, creds?: Credentials, now?: () => number): { session: Session; request: (repo: string, signal?: AbortSignal) => Promise<number>; lookups: () => number; lines: string[] } {
  const lines: string[] = [];
  const session = createSession({ timeoutMs: 3000, log: (l) => lines.push(l) });
  let lookups = 0;
  const auth = createAuth(session, {
    credentials: async () => {
      lookups++;
      return creds;
    },
    now,
  });
  const request = async (repo: string, signal?: AbortSignal): Promise<number> => {
    const ref = parseReference(`${fake.registry.host}/${repo}:latest`);
    const res = await session.run(signal, (c) => auth.request(c, ref, new URL(`${fake.registry.origin}/v2/${repo}/manifests/latest`), { method: 'GET', maxBytes: 4096, what: 'manifest' }));
    return res.status;
  };
  return { session, request, lookups: () => lookups, lines };
}

async function rejection(p: Promise<unknown>): Promise<RegistryError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof RegistryError, String(e));
    return e;
  }
  assert.fail('expected a rejection');
}

test('Bearer: a 401 gets one anonymous token for the challenge scope; later requests send it up front', async () => {
  const fake = await fakeRegistry({ expiresIn: 300 });
  const { session, request, lookups } = setup(fake);
  assert.equal(await request('lib/a'), 200);
  assert.deepEqual(fake.sent, ['', 'Bearer tok-1-abcdefghij'], 'challenged once, then the token');
  assert.equal(fake.tokens.length, 1);
  assert.equal(fake.tokens[0]!.query.get('service'), 'fake-svc');
  assert.deepEqual(fake.tokens[0]!.query.getAll('scope'), ['repository:lib/a:pull']);
  assert.equal(fake.tokens[0]!.authorization, undefined, 'anonymous');
  assert.equal(await request('lib/a'), 200);
  assert.deepEqual(fake.sent.slice(2), ['Bearer tok-1-abcdefghij'], 'the host is known: the cached token goes first, no 401');
  assert.deepEqual(session.stats, { requests: 4, refused: 0, tokenRequests: 1, tokenCacheHits: 1 });
  assert.equal(await request('lib/b'), 200);
  assert.equal(fake.tokens.length, 2, 'another repository, another scope, another token');
  assert.deepEqual(fake.tokens[1]!.query.getAll('scope'), ['repository:lib/b:pull']);
  assert.equal(fake.sent.at(-1), 'Bearer tok-2-abcdefghij');
  assert.equal(lookups(), 1, 'credentials are looked up once per registry');
  assert.equal(session.scrub('x tok-2-abcdefghij y'), 'x *** y', 'issued tokens are held as secrets');
});

test('Bearer: a token is reused until shortly before it expires, then fetched again', async () => {
  const fake = await fakeRegistry({ expiresIn: 60 });
  let clock = 1_000_000;
  const { request } = setup(fake, undefined, () => clock);
  await request('lib/a');
  clock += 50_000;
  await request('lib/a');
  assert.equal(fake.tokens.length, 1, 'within its lifetime');
  clock += 6_000; // 56 s: inside the 5 s margin before 60 s
  await request('lib/a');
  assert.equal(fake.tokens.length, 2, 'renewed before it expires');
  assert.equal(fake.sent.at(-1), 'Bearer tok-2-abcdefghij');
});

test('Bearer: concurrent requests share one token request', async () => {
  const fake = await fakeRegistry({ tokenDelayMs: 150 });
  const { request, session } = setup(fake);
  const statuses = await Promise.all([request('lib/a'), request('lib/a'), request('lib/a')]);
  assert.deepEqual(statuses, [200, 200, 200]);
  assert.equal(fake.tokens.length, 1);
  assert.equal(session.stats.tokenRequests, 1);
});

test('Bearer: a token the registry keeps rejecting is evicted and the 401 says what was tried', async () => {
  const fake = await fakeRegistry({ valid: () => false });
  const { request } = setup(fake);
  const e = await rejection(request('lib/a'));
  assert.equal(e.kind, 'unauthorized');
  assert.match(e.message, /after trying a fresh anonymous token from 127\.0\.0\.1:\d+/);
  assert.match(e.message, /No credentials were found for it\. Log in with `docker login 127\.0\.0\.1:\d+`/);
  await rejection(request('lib/a'));
  assert.equal(fake.tokens.length, 2, 'the rejected token was not reused from the cache');
});

test('Bearer with a username and password: the token request carries HTTP Basic; the password never shows', async () => {
  const fake = await fakeRegistry({ users: { alice: 'pw-alice-0123456789' } });
  const { request, lines } = setup(fake, { username: 'alice', password: 'pw-alice-0123456789', source: 'test' });
  assert.equal(await request('lib/a'), 200);
  assert.equal(fake.tokens[0]!.authorization, `Basic ${Buffer.from('alice:pw-alice-0123456789').toString('base64')}`);
  assert.equal(fake.tokens[0]!.query.get('account'), 'alice');
  const wrong = await fakeRegistry({ users: { alice: 'another' } });
  const w = setup(wrong, { username: 'alice', password: 'pw-alice-0123456789', source: 'test' });
  const e = await rejection(w.request('lib/a'));
  assert.equal(e.kind, 'unauthorized');
  assert.match(e.message, /rejected the credentials from test/);
  assert.ok(!/pw-alice|YWxpY2U6/.test(e.message + lines.join('\n') + w.lines.join('\n')));
});

test('a refresh token goes by POST (grant_type=refresh_token); a token service without POST gets GET', async () => {
  const fake = await fakeRegistry();
  const { request } = setup(fake, { identityToken: 'refresh-0123456789abc', username: '<token>' });
  assert.equal(await request('lib/a'), 200);
  assert.equal(fake.tokens[0]!.method, 'POST');
  assert.equal(fake.tokens[0]!.form.get('grant_type'), 'refresh_token');
  assert.equal(fake.tokens[0]!.form.get('refresh_token'), 'refresh-0123456789abc');
  assert.equal(fake.tokens[0]!.form.get('scope'), 'repository:lib/a:pull');
  const old = await fakeRegistry({ postUnsupported: true });
  const o = setup(old, { identityToken: 'refresh-0123456789abc', username: '<token>' });
  assert.equal(await o.request('lib/a'), 200);
  assert.deepEqual(old.tokens.map((t) => t.method), ['POST', 'GET']);
});

test('a registry token is sent as the Bearer token itself, without a token request', async () => {
  const fake = await fakeRegistry({ valid: (t) => t === 'registry-token-0123456789' });
  const { request } = setup(fake, { registryToken: 'registry-token-0123456789', source: 'config' });
  assert.equal(await request('lib/a'), 200);
  assert.deepEqual(fake.sent, ['', 'Bearer registry-token-0123456789']);
  assert.equal(fake.tokens.length, 0);
});

test('HTTP Basic: the pair after a Basic challenge, up front afterwards; without credentials a clear 401', async () => {
  const fake = await fakeRegistry({ basic: 'bob:pw-bob-0123456789' });
  const { request } = setup(fake, { username: 'bob', password: 'pw-bob-0123456789' });
  assert.equal(await request('lib/a'), 200);
  assert.equal(await request('lib/a'), 200);
  const pair = `Basic ${Buffer.from('bob:pw-bob-0123456789').toString('base64')}`;
  assert.deepEqual(fake.sent, ['', pair, pair], 'the second request sends Basic before any challenge');
  assert.equal(fake.tokens.length, 0);
  const anon = setup(fake);
  const e = await rejection(anon.request('lib/a'));
  assert.equal(e.kind, 'unauthorized');
  assert.match(e.message, /asks for a username and password \(HTTP Basic\) and none were found/);
});

test('credentials are never sent over plain http to a host that is not loopback', async () => {
  // The registry is loopback, its token realm is not: with credentials the token request is
  // refused before it is made; anonymously it would be allowed (the realm is listed insecure).
  const registry = await startLocalServer((_r, res) =>
    json(res, 401, {}, { 'www-authenticate': 'Bearer realm="http://tokens.invalid/token",service="s"' }),
  );
  servers.push(registry);
  const session = createSession({ timeoutMs: 3000, insecureHosts: ['tokens.invalid'] });
  const auth = createAuth(session, { credentials: async () => ({ username: 'u', password: 'pw-0123456789' }) });
  const ref = parseReference(`${registry.host}/lib/a:latest`);
  const e = await rejection(session.run(undefined, (c) => auth.request(c, ref, new URL(`${registry.origin}/v2/lib/a/manifests/latest`), { method: 'GET', maxBytes: 1024, what: 'manifest' })));
  assert.equal(e.kind, 'insecure');
  assert.match(e.message, /token service tokens\.invalid .* is plain http, so credentials will not be sent to it/);
  assert.equal(session.stats.tokenRequests, 0);

  const strict = createSession({ timeoutMs: 3000 });
  const strictAuth = createAuth(strict);
  const e2 = await rejection(strict.run(undefined, (c) => strictAuth.request(c, ref, new URL(`${registry.origin}/v2/lib/a/manifests/latest`), { method: 'GET', maxBytes: 1024, what: 'manifest' })));
  assert.equal(e2.kind, 'insecure', 'a plain-http realm that is not listed is not contacted at all');
});

test('a caller that cancels while its token is being fetched is released at once', async () => {
  const fake = await fakeRegistry({ tokenDelayMs: 2000 });
  const { request } = setup(fake);
  const controller = new AbortController();
  const started = Date.now();
  setTimeout(() => controller.abort(), 100);
  const e = await rejection(request('lib/a', controller.signal));
  assert.equal(e.kind, 'cancelled');
  assert.ok(Date.now() - started < 1500, `released after ${Date.now() - started} ms`);
});
