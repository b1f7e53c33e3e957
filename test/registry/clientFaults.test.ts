// What a healthy registry never does: endless 401s, rate limits, 5xx, stalls, resets, oversized
// bodies, lying digests, redirect loops — and cancellation.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { Agent } from 'undici';
import type { RegistryClientOptions } from '../../server/src/registry/client';
import { listRepositories } from '../../server/src/registry/listing';
import { parseReference } from '../../server/src/registry/reference';
import { rejects, testClient } from './clientHelpers';
import { errorBody, sha256, startFakeRegistry, type FakeRegistryOptions } from './fakeRegistry';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const MANIFEST = '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[]}';

const client = (extra: Partial<RegistryClientOptions> = {}) => testClient([OCI_MANIFEST], extra, 3000);

async function withRegistry<T>(options: FakeRegistryOptions, body: (reg: Awaited<ReturnType<typeof startFakeRegistry>>) => Promise<T>): Promise<T> {
  const reg = await startFakeRegistry(options);
  try {
    return await body(reg);
  } finally {
    await reg.close();
  }
}

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return check();
}

describe('401 forever', () => {
  const always401: FakeRegistryOptions['intercept'] = (_req, res, rec, reg) => {
    if (!rec.path.startsWith('/v2/')) return false;
    res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': `Bearer realm="${reg.url}/token",service="svc",scope="repository:a/b:pull"` });
    res.end(errorBody('UNAUTHORIZED', 'authentication required'));
    return true;
  };

  test('anonymous: stops after a bounded number of requests and says what it tried', () =>
    withRegistry({ auth: 'bearer', intercept: always401 }, async (reg) => {
      const { c } = client();
      const e = await rejects(c.getManifest(parseReference(`${reg.hostPort}/a/b`)), 'unauthorized');
      assert.deepEqual(reg.requests.map((r) => r.path), ['/v2/a/b/manifests/latest', '/token', '/v2/a/b/manifests/latest']);
      assert.equal(e.status, 401);
      assert.equal(e.host, reg.hostPort);
      assert.match(e.message, /answered 401 Unauthorized for repository a\/b after trying a fresh anonymous token from 127\.0\.0\.1:\d+/);
      assert.match(e.message, /No credentials were found for it\. Log in with `docker login 127\.0\.0\.1:\d+` or check the repository name\./);
      assert.deepEqual(e.registryErrors, [{ code: 'UNAUTHORIZED', message: 'authentication required' }]);
      // Warm client: the cached token is rejected, one fresh token, then give up.
      const before = reg.requests.length;
      await rejects(c.getManifest(parseReference(`${reg.hostPort}/a/b`)), 'unauthorized');
      assert.ok(reg.requests.length - before <= 3, `warm attempt made ${reg.requests.length - before} requests`);
    }));

  test('the catalog refused: the message names the catalog, not the placeholder repository it was asked with', () =>
    withRegistry({ auth: 'bearer', intercept: always401 }, async (reg) => {
      const { c } = client();
      const e = await rejects(listRepositories(c, parseReference(`${reg.hostPort}/x`)), 'unauthorized');
      assert.match(e.message, /answered 401 Unauthorized for the catalog \(\/v2\/_catalog\) after trying a fresh anonymous token/);
      assert.doesNotMatch(e.message, /repository x|check the repository name/);
      assert.match(e.message, /Log in with `docker login 127\.0\.0\.1:\d+`; many registries list their repositories to administrators only\./);
    }));

  test('with credentials: the message names their source', () =>
    withRegistry({ auth: 'bearer', users: { u: 'pw-SECRET-1' }, intercept: always401 }, async (reg) => {
      const { c, lines } = client({ credentials: async () => ({ username: 'u', password: 'pw-SECRET-1', source: '~/.docker/config.json' }) });
      const e = await rejects(c.getManifest(parseReference(`${reg.hostPort}/a/b`)), 'unauthorized');
      assert.match(e.message, /after trying a fresh token obtained with the credentials from ~\/\.docker\/config\.json/);
      assert.match(e.message, /Check that the credentials from ~\/\.docker\/config\.json are current/);
      for (const text of [e.message, ...lines]) {
        assert.ok(!text.includes('pw-SECRET-1'));
        for (const t of reg.issuedTokens) assert.ok(!text.includes(t));
      }
    }));

  test('401 without a challenge', () =>
    withRegistry(
      {
        intercept: (_req, res) => {
          res.writeHead(401);
          res.end();
          return true;
        },
      },
      async (reg) => {
        const { c } = client();
        const e = await rejects(c.getManifest(parseReference(`${reg.hostPort}/a/b`)), 'unauthorized');
        assert.match(e.message, /sent no WWW-Authenticate challenge/);
        assert.equal(reg.requests.length, 1);
      },
    ));
});

describe('status mapping', () => {
  const respond =
    (status: number, body: string, headers: Record<string, string> = {}): FakeRegistryOptions['intercept'] =>
    (_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body);
      return true;
    };

  test('429 with Retry-After and Docker Hub RateLimit headers', () =>
    withRegistry(
      { intercept: respond(429, errorBody('TOOMANYREQUESTS', 'You have reached your pull rate limit'), { 'retry-after': '17', 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '0;w=21600' }) },
      async (reg) => {
        const e = await rejects(client().c.getManifest(parseReference(`${reg.hostPort}/a/b`)), 'rate-limited');
        assert.equal(e.retryAfterSeconds, 17);
        assert.equal(e.status, 429);
        assert.match(e.message, /Retry after 17 s/);
        assert.match(e.message, /RateLimit-Limit 100;w=21600, RateLimit-Remaining 0;w=21600/);
        assert.match(e.message, /TOOMANYREQUESTS: You have reached your pull rate limit/);
      },
    ));

  test('429 with an HTTP-date Retry-After', () =>
    withRegistry({ intercept: respond(429, '', { 'retry-after': new Date(Date.now() + 42_000).toUTCString() }) }, async (reg) => {
      const e = await rejects(client().c.getManifest(parseReference(`${reg.hostPort}/a/b`)), 'rate-limited');
      assert.ok(e.retryAfterSeconds !== undefined && e.retryAfterSeconds >= 40 && e.retryAfterSeconds <= 43, String(e.retryAfterSeconds));
    }));

  test('500 → server-error with the error code', () =>
    withRegistry({ intercept: respond(500, errorBody('UNKNOWN', 'storage backend exploded')) }, async (reg) => {
      const e = await rejects(client().c.getManifest(parseReference(`${reg.hostPort}/a/b:v1`)), 'server-error');
      assert.equal(e.status, 500);
      assert.match(e.message, new RegExp(`^${reg.hostPort.replace(/\./g, '\\.')} answered 500 Internal Server Error for the manifest a/b:v1 \\(UNKNOWN: storage backend exploded\\)\\. The registry is having trouble; try again later\\.$`));
    }));

  test('503 with Retry-After', () =>
    withRegistry({ intercept: respond(503, '', { 'retry-after': '5' }) }, async (reg) => {
      const e = await rejects(client().c.getManifest(parseReference(`${reg.hostPort}/a/b`)), 'server-error');
      assert.equal(e.retryAfterSeconds, 5);
      assert.match(e.message, /503 Service Unavailable .* try again in 5 s\.$/);
    }));

  test('502 with an HTML body', () =>
    withRegistry({ intercept: respond(502, '<html>bad gateway</html>') }, async (reg) => {
      const e = await rejects(client().c.getManifest(parseReference(`${reg.hostPort}/a/b`)), 'server-error');
      assert.deepEqual(e.registryErrors, []);
      assert.doesNotMatch(e.message, /html/);
    }));

  test('403 → forbidden', () =>
    withRegistry({ intercept: respond(403, errorBody('DENIED', 'requested access to the resource is denied')) }, async (reg) => {
      const e = await rejects(client().c.getManifest(parseReference(`${reg.hostPort}/a/b`)), 'forbidden');
      assert.match(e.message, /DENIED: requested access to the resource is denied/);
    }));

  test('404 without a body', () =>
    withRegistry({ intercept: respond(404, '') }, async (reg) => {
      const e = await rejects(client().c.getManifest(parseReference(`${reg.hostPort}/a/b`)), 'not-found');
      assert.match(e.message, /answered 404 Not Found/);
    }));

  test('a token service answering garbage → protocol', () =>
    withRegistry(
      {
        auth: 'bearer',
        intercept: (_req, res, rec) => {
          if (rec.path !== '/token') return false;
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"nothing":"here"}');
          return true;
        },
      },
      async (reg) => {
        const e = await rejects(client().c.getManifest(parseReference(`${reg.hostPort}/a/b`)), 'protocol');
        assert.match(e.message, /without a token or access_token/);
      },
    ));
});

describe('timeouts, resets and cancellation', () => {
  test('a server that never answers → timeout', () =>
    withRegistry({ intercept: () => true }, async (reg) => {
      const started = Date.now();
      const e = await rejects(client({ timeoutMs: 300 }).c.getManifest(parseReference(`${reg.hostPort}/a/b`)), 'timeout');
      const took = Date.now() - started;
      assert.ok(took >= 250 && took < 2000, `took ${took} ms`);
      assert.match(e.message, /did not answer within 300 ms/);
    }));

  test('a body that stalls half way → timeout', () =>
    withRegistry(
      {
        intercept: (_req, res) => {
          res.writeHead(200, { 'content-type': OCI_MANIFEST, 'content-length': '1000' });
          res.write('{"schemaVersion":2,');
          return true;
        },
      },
      async (reg) => {
        const started = Date.now();
        const e = await rejects(client({ timeoutMs: 300 }).c.getManifest(parseReference(`${reg.hostPort}/a/b`)), 'timeout');
        assert.ok(Date.now() - started < 2000);
        assert.match(e.message, /stopped sending the manifest after 19 B/);
      },
    ));

  test('a trickling body keeps the request alive while bytes arrive', () =>
    withRegistry(
      {
        intercept: (_req, res) => {
          res.writeHead(200, { 'content-type': OCI_MANIFEST, 'content-length': String(MANIFEST.length) });
          let i = 0;
          const t = setInterval(() => {
            res.write(MANIFEST.slice(i, i + 20));
            i += 20;
            if (i >= MANIFEST.length) {
              clearInterval(t);
              res.end();
            }
          }, 100);
          res.on('close', () => clearInterval(t));
          return true;
        },
      },
      async (reg) => {
        // No single pause of 100 ms reaches the 300 ms stall timer... but the whole request may
        // take at most the timeout (issue 10: a drip must not stretch it), so that is 1.5 s here.
        const m = await client({ timeoutMs: 1500 }).c.getManifest(parseReference(`${reg.hostPort}/a/b`));
        assert.equal(Buffer.from(m.bytes).toString(), MANIFEST);
      },
    ));

  test('connection reset mid-body → protocol, naming the bytes received', () =>
    withRegistry(
      {
        intercept: (_req, res) => {
          res.writeHead(200, { 'content-type': OCI_MANIFEST, 'content-length': '5000' });
          res.write('x'.repeat(100), () => setTimeout(() => res.socket?.destroy(), 20));
          return true;
        },
      },
      async (reg) => {
        const e = await rejects(client().c.getManifest(parseReference(`${reg.hostPort}/a/b`)), 'protocol');
        assert.match(e.message, /was closed after 100 B of the manifest/);
        assert.equal(reg.requests.length, 1, 'a partial body is not retried');
      },
    ));

  test('connection dropped before any response → one retry, then protocol', () =>
    withRegistry(
      {
        intercept: (req) => {
          req.socket.destroy();
          return true;
        },
      },
      async (reg) => {
        const e = await rejects(client().c.getManifest(parseReference(`${reg.hostPort}/a/b`)), 'protocol');
        assert.match(e.message, /closed before it answered/);
        assert.equal(reg.requests.length, 2);
      },
    ));

  test('abort mid-request → cancelled quickly and the socket is closed', () =>
    withRegistry({ intercept: () => true }, async (reg) => {
      const controller = new AbortController();
      const { c } = client({ timeoutMs: 30_000 });
      const pending = c.getManifest(parseReference(`${reg.hostPort}/a/b`), { signal: controller.signal });
      assert.ok(await waitFor(() => reg.requests.length === 1, 2000));
      const closedBefore = reg.closedSockets();
      const started = Date.now();
      controller.abort();
      const e = await rejects(pending, 'cancelled');
      assert.ok(Date.now() - started < 200, `took ${Date.now() - started} ms`);
      assert.match(e.message, /Cancelled/);
      assert.ok(await waitFor(() => reg.closedSockets() > closedBefore, 1000), 'the server saw the socket close');
    }));

  test('abort while the body streams → cancelled', () =>
    withRegistry(
      {
        intercept: (_req, res) => {
          res.writeHead(200, { 'content-type': OCI_MANIFEST });
          res.write('{');
          return true;
        },
      },
      async (reg) => {
        const controller = new AbortController();
        const pending = client().c.getManifest(parseReference(`${reg.hostPort}/a/b`), { signal: controller.signal });
        setTimeout(() => controller.abort(), 100);
        await rejects(pending, 'cancelled');
        assert.ok(await waitFor(() => reg.closedSockets() >= 1, 1000));
      },
    ));

  test('an already-aborted signal makes no request', () =>
    withRegistry({}, async (reg) => {
      const { c } = client();
      await rejects(c.getManifest(parseReference(`${reg.hostPort}/a/b`), { signal: AbortSignal.abort() }), 'cancelled');
      assert.equal(reg.requests.length, 0);
      assert.equal(c.stats.requests, 0);
    }));
});

describe('size limits', () => {
  test('Content-Length over the cap → too-large without reading the body', () =>
    withRegistry(
      {
        intercept: (_req, res) => {
          res.writeHead(200, { 'content-type': OCI_MANIFEST, 'content-length': String(5 * 1024 * 1024) });
          res.write('x'.repeat(1024));
          return true;
        },
      },
      async (reg) => {
        const e = await rejects(client().c.getManifest(parseReference(`${reg.hostPort}/a/b`)), 'too-large');
        assert.match(e.message, /is 5\.0 MB, over the 4\.0 MB limit/);
      },
    ));

  test('chunked body growing past the cap → too-large, and reading stops', async () => {
    let written = 0;
    let socketClosed = false;
    await withRegistry(
      {
        intercept: (_req, res) => {
          res.writeHead(200, { 'content-type': OCI_MANIFEST }); // no Content-Length: chunked
          const chunk = Buffer.alloc(64 * 1024, 0x20);
          const pump = (): void => {
            while (!res.destroyed && written < 64 * 1024 * 1024) {
              written += chunk.length;
              if (!res.write(chunk)) {
                res.once('drain', pump);
                return;
              }
            }
          };
          res.on('close', () => (socketClosed = true));
          pump();
          return true;
        },
      },
      async (reg) => {
        const e = await rejects(client({ maxManifestBytes: 256 * 1024 }).c.getManifest(parseReference(`${reg.hostPort}/a/b`)), 'too-large');
        assert.match(e.message, /grew past the limit/);
        assert.ok(await waitFor(() => socketClosed, 1000), 'the connection was dropped');
        assert.ok(written < 16 * 1024 * 1024, `server managed to write ${written} bytes`);
      },
    );
  });

  test('exactly the cap is fine', () =>
    withRegistry({}, async (reg) => {
      reg.putManifest('a/b', 'latest', MANIFEST, OCI_MANIFEST);
      const m = await client({ maxManifestBytes: MANIFEST.length }).c.getManifest(parseReference(`${reg.hostPort}/a/b`));
      assert.equal(m.bytes.length, MANIFEST.length);
    }));
});

describe('digest verification', () => {
  test('bytes that do not match the requested digest → digest-mismatch naming both', () =>
    withRegistry(
      {
        intercept: (_req, res) => {
          res.writeHead(200, { 'content-type': OCI_MANIFEST });
          res.end(MANIFEST + ' ');
          return true;
        },
      },
      async (reg) => {
        const expected = sha256(MANIFEST);
        const e = await rejects(client().c.getManifest(parseReference(`${reg.hostPort}/a/b@${expected}`)), 'digest-mismatch');
        assert.ok(e.message.includes(`expected ${expected}`));
        assert.ok(e.message.includes(`actual ${sha256(MANIFEST + ' ')}`));
      },
    ));

  test('a Docker-Content-Digest that disagrees with the bytes → digest-mismatch', () =>
    withRegistry(
      {
        intercept: (_req, res) => {
          res.writeHead(200, { 'content-type': OCI_MANIFEST, 'docker-content-digest': sha256('something else') });
          res.end(MANIFEST);
          return true;
        },
      },
      async (reg) => {
        const e = await rejects(client().c.getManifest(parseReference(`${reg.hostPort}/a/b:v1`)), 'digest-mismatch');
        assert.match(e.message, /Docker-Content-Digest header \(sha256:[0-9a-f]{64}\) disagrees with the bytes/);
        assert.ok(e.message.includes(sha256(MANIFEST)));
      },
    ));

  test('a blob whose bytes do not match its digest → digest-mismatch', () =>
    withRegistry(
      {
        intercept: (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          res.end('{"tampered":true}');
          return true;
        },
      },
      async (reg) => {
        await rejects(client().c.getBlob(parseReference(`${reg.hostPort}/a/b`), sha256('{"original":true}')), 'digest-mismatch');
      },
    ));
});

describe('redirects and connection errors', () => {
  test('a redirect loop stops after five hops', () =>
    withRegistry(
      {
        intercept: (_req, res, rec) => {
          res.writeHead(307, { location: `${rec.path}x` });
          res.end();
          return true;
        },
      },
      async (reg) => {
        const e = await rejects(client().c.getManifest(parseReference(`${reg.hostPort}/a/b`)), 'redirect');
        assert.equal(reg.requests.length, 6);
        assert.match(e.message, /Gave up after 5 redirects/);
      },
    ));

  test('a redirect without Location → redirect', () =>
    withRegistry(
      {
        intercept: (_req, res) => {
          res.writeHead(302);
          res.end();
          return true;
        },
      },
      async (reg) => {
        await rejects(client().c.getManifest(parseReference(`${reg.hostPort}/a/b`)), 'redirect');
      },
    ));

  test('a closed port → connection-refused', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const e = await rejects(client().c.getManifest(parseReference(`127.0.0.1:${port}/a/b`)), 'connection-refused');
    assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${port} refused the connection \\(ECONNREFUSED\\)`));
  });

  test('a name that does not resolve → unknown-host', async () => {
    const lookups: string[] = [];
    const dispatcher = new Agent({
      connect: {
        lookup: (hostname: string, _opts: unknown, cb: (err: Error | null) => void) => {
          lookups.push(hostname);
          cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
        },
      } as unknown as Agent.Options['connect'],
    });
    try {
      const e = await rejects(client({ dispatcher }).c.getManifest(parseReference('no-such-registry.test/a/b')), 'unknown-host');
      assert.deepEqual(lookups, ['no-such-registry.test']);
      assert.match(e.message, /Could not resolve the host no-such-registry\.test \(ENOTFOUND\)/);
    } finally {
      await dispatcher.close();
    }
  });
});

describe('shared token requests and cancellation', () => {
  // Delays the token service, then lets the fake issue a real token.
  const slowToken = (delayMs: number): FakeRegistryOptions['intercept'] => async (_req, res, rec) => {
    if (rec.path !== '/token') return false;
    await new Promise<void>((r) => {
      const t = setTimeout(r, delayMs);
      res.on('close', () => {
        clearTimeout(t);
        r();
      });
    });
    return res.destroyed;
  };

  test('one caller cancelling does not fail another waiting on the same token', () =>
    withRegistry({ auth: 'bearer', intercept: slowToken(300) }, async (reg) => {
      reg.putManifest('a/b', 'latest', MANIFEST, OCI_MANIFEST);
      const { c } = client();
      const ref = parseReference(`${reg.hostPort}/a/b`);
      const controller = new AbortController();
      const a = c.getManifest(ref, { signal: controller.signal });
      const b = c.getManifest(ref);
      await waitFor(() => reg.requests.some((r) => r.path === '/token'), 2000);
      controller.abort();
      await rejects(a, 'cancelled');
      const m = await b;
      assert.equal(Buffer.from(m.bytes).toString(), MANIFEST);
      assert.equal(reg.requests.filter((r) => r.path === '/token').length, 1, 'one shared token request');
      assert.equal(c.stats.tokenRequests, 1);
    }));

  test('when every waiter cancels, the token request itself is aborted', () =>
    withRegistry({ auth: 'bearer', intercept: slowToken(5000) }, async (reg) => {
      const { c } = client();
      const ref = parseReference(`${reg.hostPort}/a/b`);
      const controller = new AbortController();
      const pending = c.getManifest(ref, { signal: controller.signal });
      await waitFor(() => reg.requests.some((r) => r.path === '/token'), 2000);
      const closedBefore = reg.closedSockets();
      const started = Date.now();
      controller.abort();
      await rejects(pending, 'cancelled');
      assert.ok(Date.now() - started < 200);
      assert.ok(await waitFor(() => reg.closedSockets() > closedBefore, 1000), 'the token request was aborted');
    }));
});
