// Where credentials may go: redirects across hosts, plain http, realms, TLS, proxies, and the
// guarantee that no secret reaches a message or a log line.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Agent } from 'undici';
import type { RegistryClientOptions } from '../../server/src/registry/client';
import { RegistryError } from '../../server/src/registry/errors';
import { noProxyMatches } from '../../server/src/registry/hosts';
import { parseReference } from '../../server/src/registry/reference';
import { rejects, testClient } from './clientHelpers';
import { errorBody, sha256, startFakeRegistry, type FakeRegistry } from './fakeRegistry';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const MANIFEST = '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[]}';

const client = (extra: Partial<RegistryClientOptions> = {}) => testClient([OCI_MANIFEST], extra, 3000);

/** A dispatcher that resolves made-up names to loopback and records every lookup. */
function mappedDispatcher(names: Record<string, string>, lookups: string[], tls: { ca?: string } = {}): Agent {
  return new Agent({
    connect: {
      ...tls,
      lookup: (hostname: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) => {
        lookups.push(hostname);
        const address = names[hostname];
        if (!address) return cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
        if (opts?.all) cb(null, [{ address, family: 4 }]);
        else cb(null, address, 4);
      },
    } as unknown as Agent.Options['connect'],
  });
}

describe('redirects and the Authorization header', () => {
  let a: FakeRegistry;
  let b: FakeRegistry;
  before(async () => {
    b = await startFakeRegistry({
      host: '127.0.0.2',
      intercept: (_req, res) => {
        res.writeHead(200, { 'content-type': OCI_MANIFEST });
        res.end(MANIFEST);
        return true;
      },
    });
    a = await startFakeRegistry({
      auth: 'bearer',
      intercept: (req, res, rec) => {
        if (!req.headers.authorization) return false; // let the fake challenge
        if (rec.path === '/v2/a/b/manifests/cross') {
          res.writeHead(307, { location: `${b.url}/storage/blob?X-Amz-Signature=SIGNED-SECRET&X-Amz-Expires=300` });
          res.end();
          return true;
        }
        if (rec.path === '/v2/a/b/manifests/same') {
          res.writeHead(307, { location: '/storage/same' });
          res.end();
          return true;
        }
        if (rec.path === '/storage/same') {
          res.writeHead(200, { 'content-type': OCI_MANIFEST });
          res.end(MANIFEST);
          return true;
        }
        return false;
      },
    });
  });
  after(async () => {
    await a.close();
    await b.close();
  });

  test('to another host: Authorization is dropped', async () => {
    const { c, lines } = client();
    const m = await c.getManifest(parseReference(`${a.hostPort}/a/b:cross`));
    assert.equal(Buffer.from(m.bytes).toString(), MANIFEST);
    assert.equal(b.requests.length, 1);
    assert.equal(b.requests[0]!.headers.authorization, undefined);
    assert.equal(b.requests[0]!.query.get('X-Amz-Signature'), 'SIGNED-SECRET');
    assert.ok(a.requests.at(-1)!.headers.authorization?.startsWith('Bearer '), 'the registry itself got the token');
    assert.equal(m.requests, 4); // 401, token, 307, 200
    assert.ok(lines.some((l) => l.includes('127.0.0.2') && l.includes('X-Amz-Signature=…')), lines.join('\n'));
    assert.ok(lines.every((l) => !l.includes('SIGNED-SECRET')));
    assert.ok(!m.url.includes('SIGNED-SECRET'));
  });

  test('on the same host: Authorization is kept', async () => {
    const { c } = client();
    await c.getManifest(parseReference(`${a.hostPort}/a/b:same`));
    const last = a.requests.at(-1)!;
    assert.equal(last.path, '/storage/same');
    assert.ok(last.headers.authorization?.startsWith('Bearer '));
  });

  test('to plain http on a non-loopback host: refused before connecting', async () => {
    const lookups: string[] = [];
    const dispatcher = mappedDispatcher({}, lookups);
    const reg = await startFakeRegistry({
      intercept: (_req, res) => {
        res.writeHead(302, { location: 'http://registry.invalid/steal' });
        res.end();
        return true;
      },
    });
    try {
      const e = await rejects(client({ dispatcher }).c.getManifest(parseReference(`${reg.hostPort}/a/b`)), 'insecure');
      assert.match(e.message, /Refusing to follow a redirect to http:\/\/registry\.invalid\/steal over plain http/);
      assert.deepEqual(lookups, [], 'no DNS lookup happened');
    } finally {
      await reg.close();
      await dispatcher.close();
    }
  });
});

describe('plain http', () => {
  test('an http realm on a non-loopback host is refused before any lookup', async () => {
    const lookups: string[] = [];
    const dispatcher = mappedDispatcher({}, lookups);
    const reg = await startFakeRegistry({
      intercept: (_req, res) => {
        res.writeHead(401, { 'www-authenticate': 'Bearer realm="http://registry.invalid/token",service="x"' });
        res.end();
        return true;
      },
    });
    try {
      const { c } = client({ dispatcher, credentials: async () => ({ username: 'u', password: 'pw-never-sent' }) });
      const e = await rejects(c.getManifest(parseReference(`${reg.hostPort}/a/b`)), 'insecure');
      assert.match(e.message, /Refusing to fetch a registry token from http:\/\/registry\.invalid\/token over plain http/);
      assert.deepEqual(lookups, []);
      assert.equal(reg.requests.length, 1);
      assert.equal(c.stats.tokenRequests, 0);
    } finally {
      await reg.close();
      await dispatcher.close();
    }
  });

  test('a listed insecure host: reachable anonymously, but credentials are never sent over http', async () => {
    const basicReg = await startFakeRegistry({ auth: 'basic', users: { u: 'pw-never-sent' } });
    const bearerReg = await startFakeRegistry({ auth: 'bearer', realm: 'PLACEHOLDER' });
    const lookups: string[] = [];
    const dispatcher = mappedDispatcher({ 'registry.test': '127.0.0.1', 'bearer.test': '127.0.0.1' }, lookups);
    try {
      basicReg.putManifest('a/b', 'latest', MANIFEST, OCI_MANIFEST);
      const basicHost = `registry.test:${basicReg.port}`;
      const { c, lines } = client({ dispatcher, insecureHosts: [basicHost], credentials: async () => ({ username: 'u', password: 'pw-never-sent' }) });
      const e = await rejects(c.getManifest(parseReference(`${basicHost}/a/b`)), 'insecure');
      assert.match(e.message, /registry\.test:\d+ is reached over plain http, so credentials will not be sent to it/);
      assert.equal(basicReg.requests.length, 1);
      assert.equal(basicReg.requests[0]!.headers.authorization, undefined);
      assert.ok(lines.every((l) => !l.includes('pw-never-sent')));
      assert.ok(lines[0]!.startsWith(`GET http://${basicHost}/v2/a/b/manifests/latest → 401`), lines[0]);

      // Not listed: https is used (and fails here, since the fake speaks http) — never plain http.
      const unlisted = await rejects(client({ dispatcher }).c.getManifest(parseReference(`${basicHost}/a/b`)), 'tls');
      assert.match(unlisted.message, /TLS connection to registry\.test:\d+ failed/);
      assert.match(unlisted.message, /NODE_EXTRA_CA_CERTS/);
    } finally {
      await basicReg.close();
      await bearerReg.close();
      await dispatcher.close();
    }
  });

  test('insecure host with a bearer realm on it: anonymous token ok, credentials refused', async () => {
    const lookups: string[] = [];
    const dispatcher = mappedDispatcher({ 'bearer.test': '127.0.0.1' }, lookups);
    let port = 0;
    const reg = await startFakeRegistry({
      auth: 'bearer',
      intercept: (req, res, rec) => {
        if (rec.path.startsWith('/v2/') && !req.headers.authorization) {
          res.writeHead(401, { 'www-authenticate': `Bearer realm="http://bearer.test:${port}/token",service="svc"` });
          res.end();
          return true;
        }
        return false;
      },
    });
    port = reg.port;
    try {
      reg.putManifest('a/b', 'latest', MANIFEST, OCI_MANIFEST);
      const host = `bearer.test:${port}`;
      // A bare host in the list covers every port.
      const anonymous = await client({ dispatcher, insecureHosts: ['bearer.test'] }).c.getManifest(parseReference(`${host}/a/b`));
      assert.equal(anonymous.requests, 3);
      const before = reg.requests.length;
      const e = await rejects(
        client({ dispatcher, insecureHosts: [host], credentials: async () => ({ username: 'u', password: 'pw-2-never-sent' }) }).c.getManifest(
          parseReference(`${host}/a/b`),
        ),
        'insecure',
      );
      assert.match(e.message, /token service bearer\.test:\d+ .* is plain http, so credentials will not be sent/);
      assert.ok(reg.requests.slice(before).every((r) => r.path !== '/token'));
    } finally {
      await reg.close();
      await dispatcher.close();
    }
  });
});

describe('secrets never leak', () => {
  test('password, identity token, registry token and issued tokens stay out of messages and logs', async () => {
    const PASSWORD = 'P4ssw0rd-LEAK-CHECK';
    const IDENTITY = 'identity-LEAK-CHECK';
    const REGISTRY_TOKEN = 'regtoken-LEAK-CHECK';
    // A hostile registry that echoes whatever Authorization it gets into its error messages.
    const reg = await startFakeRegistry({
      auth: 'bearer',
      users: { u: PASSWORD },
      identityTokens: { [IDENTITY]: 'u' },
      intercept: (req, res, rec) => {
        if (rec.path.startsWith('/v2/') && req.headers.authorization) {
          res.writeHead(rec.path.includes('five') ? 500 : 403, { 'content-type': 'application/json' });
          res.end(errorBody('DENIED', `you sent ${req.headers.authorization}`));
          return true;
        }
        return false;
      },
    });
    const texts: string[] = [];
    try {
      const creds = [
        { username: 'u', password: PASSWORD },
        { username: 'u', password: 'wrong-' + PASSWORD },
        { identityToken: IDENTITY },
        { registryToken: REGISTRY_TOKEN },
      ];
      for (const cr of creds) {
        for (const repo of ['a/b', 'a/five']) {
          const { c, lines } = client({ credentials: async () => cr });
          try {
            await c.getManifest(parseReference(`${reg.hostPort}/${repo}`));
            assert.fail('should fail');
          } catch (e) {
            assert.ok(e instanceof RegistryError);
            texts.push(e.message, ...(e.registryErrors ?? []).map((x) => x.message));
          }
          texts.push(...lines);
        }
      }
      assert.ok(texts.some((t) => /you sent (Bearer|Basic) \*\*\*/.test(t)), 'the echo was masked, not dropped');
      const secrets = [PASSWORD, IDENTITY, REGISTRY_TOKEN, Buffer.from(`u:${PASSWORD}`).toString('base64'), ...reg.issuedTokens];
      assert.ok(reg.issuedTokens.length >= 3);
      for (const t of texts) for (const s of secrets) assert.ok(!t.includes(s), `"${t}" leaks a secret`);
      // The registry token went straight to the registry, without a token request.
      assert.ok(reg.requests.some((r) => r.headers.authorization === `Bearer ${REGISTRY_TOKEN}`));
    } finally {
      await reg.close();
    }
  });
});

const haveOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('TLS', { skip: haveOpenssl ? false : 'openssl is not installed' }, () => {
  let dir: string;
  let cert: string;
  let key: string;
  let httpsServer: Server;
  let port = 0;
  const lookups: string[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ml-tls-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1',
      '-subj', '/CN=registry.test', '-addext', 'subjectAltName=DNS:registry.test',
    ], { stdio: 'ignore' });
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    key = readFileSync(join(dir, 'key.pem'), 'utf8');
    httpsServer = createHttpsServer({ cert, key }, (req, res) => {
      if (req.url?.includes('downgrade')) {
        res.writeHead(307, { location: `http://other.test:${port}/x` });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': OCI_MANIFEST, 'docker-content-digest': sha256(MANIFEST) });
      res.end(MANIFEST);
    });
    await new Promise<void>((r) => httpsServer.listen(0, '127.0.0.1', r));
    port = (httpsServer.address() as AddressInfo).port;
  });
  after(async () => {
    httpsServer.closeAllConnections();
    await new Promise<void>((r) => httpsServer.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  test('an untrusted certificate → tls with advice', async () => {
    const dispatcher = mappedDispatcher({ 'registry.test': '127.0.0.1' }, lookups);
    try {
      const e = await rejects(client({ dispatcher }).c.getManifest(parseReference(`registry.test:${port}/a/b`)), 'tls');
      assert.match(e.message, /The TLS connection to registry\.test:\d+ failed \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\)/);
    } finally {
      await dispatcher.close();
    }
  });

  test('a trusted certificate works over https', async () => {
    const dispatcher = mappedDispatcher({ 'registry.test': '127.0.0.1' }, lookups, { ca: cert });
    try {
      const m = await client({ dispatcher }).c.getManifest(parseReference(`registry.test:${port}/a/b`));
      assert.equal(m.url, `https://registry.test:${port}/v2/a/b/manifests/latest`);
      assert.equal(m.verified, 'docker-content-digest');
    } finally {
      await dispatcher.close();
    }
  });

  test('an https → http redirect to a non-loopback host is refused, even if that host is listed insecure', async () => {
    const dispatcher = mappedDispatcher({ 'registry.test': '127.0.0.1', 'other.test': '127.0.0.1' }, lookups, { ca: cert });
    try {
      const e = await rejects(
        client({ dispatcher, insecureHosts: [`other.test:${port}`] }).c.getManifest(parseReference(`registry.test:${port}/a/b:downgrade`)),
        'insecure',
      );
      assert.match(e.message, /redirected from https to plain http/);
      assert.ok(!lookups.includes('other.test'));
    } finally {
      await dispatcher.close();
    }
  });
});

describe('proxy', () => {
  test('requests to a non-loopback host go through the configured proxy (CONNECT); loopback never does', async () => {
    const reg = await startFakeRegistry();
    reg.putManifest('a/b', 'latest', MANIFEST, OCI_MANIFEST);
    const seen: string[] = [];
    const sockets = new Set<Socket>();
    const proxy = createHttpServer();
    proxy.on('connect', (req, clientSocket: Socket, head: Buffer) => {
      seen.push(`CONNECT ${req.url}`);
      const upstream = connect(reg.port, '127.0.0.1', () => {
        clientSocket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(clientSocket);
        clientSocket.pipe(upstream);
      });
      sockets.add(upstream).add(clientSocket);
      upstream.on('error', () => clientSocket.destroy());
      clientSocket.on('error', () => upstream.destroy());
    });
    proxy.on('request', (req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(502);
      res.end();
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    try {
      const host = `registry.test:${reg.port}`;
      const { c } = client({ insecureHosts: [host], env: { HTTP_PROXY: proxyUrl } });
      const m = await c.getManifest(parseReference(`${host}/a/b`));
      assert.equal(Buffer.from(m.bytes).toString(), MANIFEST);
      assert.deepEqual(seen, [`CONNECT ${host}`]);
      assert.equal(reg.requests[0]!.headers.host, host);

      await client({ env: { HTTP_PROXY: proxyUrl, HTTPS_PROXY: proxyUrl } }).c.getManifest(parseReference(`${reg.hostPort}/a/b`));
      assert.equal(seen.length, 1, 'loopback is not proxied');
      await c.close();
    } finally {
      for (const s of sockets) s.destroy();
      proxy.closeAllConnections();
      await new Promise<void>((r) => proxy.close(() => r()));
      await reg.close();
    }
  });

  test('NO_PROXY matching', () => {
    const cases: [string, string, boolean][] = [
      ['registry.example.com', 'example.com', true],
      ['registry.example.com', '.example.com', true],
      ['registry.example.com', '*.example.com', true],
      ['example.com', '.example.com', true],
      ['notexample.com', 'example.com', false],
      ['registry.example.com:5000', 'registry.example.com:5000', true],
      ['registry.example.com:5000', 'registry.example.com:6000', false],
      ['registry.example.com:5000', 'registry.example.com', true],
      ['quay.io', 'ghcr.io, quay.io', true],
      ['anything', '*', true],
      ['anything', '', false],
      ['[::1]:5000', '::1', true],
    ];
    for (const [host, list, expected] of cases) assert.equal(noProxyMatches(host, list), expected, `${host} vs ${list}`);
  });
});
