// The registry client against a healthy fake registry: token flows, Basic, caching, Accept,
// verification, HEAD, blobs and referrers.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Credentials, RegistryClientOptions } from '../../server/src/registry/client';
import { parseReference, referenceWithDigest } from '../../server/src/registry/reference';
import { rejects, testClient } from './clientHelpers';
import { errorBody, sha256, signedSchema1, startFakeRegistry, type FakeRegistry } from './fakeRegistry';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const V2S2 = 'application/vnd.docker.distribution.manifest.v2+json';
const ACCEPT = [OCI_MANIFEST, OCI_INDEX, V2S2, 'application/vnd.docker.distribution.manifest.list.v2+json'];
const MANIFEST = '{\n  "schemaVersion": 2,\n  "mediaType": "application/vnd.oci.image.manifest.v1+json",\n  "config": {}, "layers": []\n}\n';

const client = (extra: Partial<RegistryClientOptions> = {}) => testClient(ACCEPT, extra, 5000);

describe('anonymous bearer token flow', () => {
  let reg: FakeRegistry;
  let digest: string;
  before(async () => {
    reg = await startFakeRegistry({ auth: 'bearer', tokenExpiresIn: 300 });
    digest = reg.putManifest('library/alpine', 'latest', MANIFEST, OCI_MANIFEST);
    reg.putManifest('team/app', 'v1', MANIFEST, OCI_MANIFEST);
  });
  after(() => reg.close());

  test('cold: 401 → token → retry; warm: one request with the cached token', async () => {
    const { c, lines } = client();
    const ref = parseReference(`${reg.hostPort}/library/alpine`);
    const first = await c.getManifest(ref);
    assert.equal(first.requests, 3);
    assert.deepEqual(
      reg.requests.map((r) => `${r.method} ${r.url} ${r.headers.authorization ? r.headers.authorization.split(' ')[0] : '-'}`),
      [
        'GET /v2/library/alpine/manifests/latest -',
        'GET /token?service=fake-registry&scope=repository%3Alibrary%2Falpine%3Apull -',
        'GET /v2/library/alpine/manifests/latest Bearer',
      ],
    );
    assert.equal(reg.requests[2]!.headers.authorization, `Bearer ${reg.issuedTokens[0]}`);
    assert.equal(Buffer.from(first.bytes).toString('utf8'), MANIFEST);
    assert.equal(first.digest, digest);
    assert.equal(first.verified, 'docker-content-digest');
    assert.equal(first.dockerContentDigest, digest);
    assert.equal(first.mediaType, OCI_MANIFEST);
    assert.equal(first.url, `http://${reg.hostPort}/v2/library/alpine/manifests/latest`);

    const second = await c.getManifest(ref);
    assert.equal(second.requests, 1);
    assert.equal(reg.requests.length, 4);
    assert.deepEqual(c.stats, { requests: 4, refused: 0, tokenRequests: 1, tokenCacheHits: 1 });
    assert.equal(reg.issuedTokens.length, 1);

    // Another repository on the known host: the token is fetched up front, no 401 round trip.
    const other = await c.getManifest(parseReference(`${reg.hostPort}/team/app:v1`));
    assert.equal(other.requests, 2);
    assert.deepEqual(reg.requests.slice(4).map((r) => r.path), ['/token', '/v2/team/app/manifests/v1']);
    assert.ok(lines.some((l) => /^GET http:\/\/127\.0\.0\.1:\d+\/v2\/library\/alpine\/manifests\/latest → 200 \(\d+ B, \d+ ms\)$/.test(l)), lines.join('\n'));
    assert.ok(!lines.some((l) => reg.issuedTokens.some((t) => l.includes(t))));
  });

  test('a by-digest fetch is verified against the requested digest', async () => {
    const { c } = client();
    const m = await c.getManifest(referenceWithDigest(parseReference(`${reg.hostPort}/library/alpine:ignored`), digest));
    assert.equal(m.verified, 'requested-digest');
    assert.equal(m.digest, digest);
    assert.ok(reg.requests.at(-1)!.url.endsWith(`/manifests/${digest}`), 'the digest, not the tag, is fetched');
  });

  test('concurrent cold fetches share one token request', async () => {
    const { c } = client();
    const ref = parseReference(`${reg.hostPort}/library/alpine`);
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => c.getManifest(ref)));
    assert.equal(c.stats.tokenRequests, 1);
    assert.ok(results.every((r) => r.digest === digest));
  });

  test('an expired token is fetched again (injected clock)', async () => {
    let now = 1_000_000;
    const { c } = client({ now: () => now });
    const ref = parseReference(`${reg.hostPort}/library/alpine`);
    await c.getManifest(ref);
    now += 290_000; // within 300 s minus the safety margin
    assert.equal((await c.getManifest(ref)).requests, 1);
    now += 10_000;
    const refreshed = await c.getManifest(ref);
    assert.equal(refreshed.requests, 2, 'token request + manifest');
    assert.equal(c.stats.tokenRequests, 2);
  });

  test('Accept lists the caller’s media types joined by ", "', async () => {
    const { c } = client();
    await c.getManifest(parseReference(`${reg.hostPort}/library/alpine`));
    assert.equal(reg.requests.at(-1)!.headers.accept, ACCEPT.join(', '));
    assert.match(String(reg.requests.at(-1)!.headers['user-agent']), /^manifest-lens\//);
  });

  test('404 with a distribution error body → not-found carrying the codes', async () => {
    const { c } = client();
    const e = await rejects(c.getManifest(parseReference(`${reg.hostPort}/library/alpine:nope`)), 'not-found');
    assert.deepEqual(e.registryErrors, [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }]);
    assert.equal(e.status, 404);
    assert.match(e.message, /MANIFEST_UNKNOWN: manifest unknown/);
    assert.match(e.message, /library\/alpine:nope/);
    const e2 = await rejects(c.getManifest(parseReference(`${reg.hostPort}/no/such`)), 'not-found');
    assert.match(e2.message, /NAME_UNKNOWN/);
    assert.match(e2.message, /check the repository name/);
  });

  test('HEAD reports digest, media type and size', async () => {
    const { c } = client();
    const h = await c.headManifest(parseReference(`${reg.hostPort}/library/alpine`));
    assert.deepEqual(h, { digest, mediaType: OCI_MANIFEST, size: Buffer.byteLength(MANIFEST), requests: 3 });
    assert.equal(reg.requests.at(-1)!.method, 'HEAD');
    await rejects(c.headManifest(parseReference(`${reg.hostPort}/library/alpine:nope`)), 'not-found');
  });
});

describe('credentials', () => {
  let reg: FakeRegistry;
  const password = 'pa55-W0rd-very-secret';
  before(async () => {
    reg = await startFakeRegistry({
      auth: 'bearer',
      users: { alice: password },
      anonymousPull: false,
      identityTokens: { 'refresh-XYZ-secret': 'alice' },
    });
    reg.putManifest('private/app', 'latest', MANIFEST, OCI_MANIFEST);
  });
  after(() => reg.close());

  test('token request carries Basic and account=<user>', async () => {
    const lookups: string[] = [];
    const creds = async (registry: string): Promise<Credentials> => {
      lookups.push(registry);
      return { username: 'alice', password, source: 'a test config' };
    };
    const { c, lines } = client({ credentials: creds });
    const m = await c.getManifest(parseReference(`${reg.hostPort}/private/app`));
    assert.equal(m.requests, 3);
    const tokenReq = reg.requests.find((r) => r.path === '/token')!;
    assert.equal(tokenReq.query.get('account'), 'alice');
    assert.equal(tokenReq.headers.authorization, `Basic ${Buffer.from(`alice:${password}`).toString('base64')}`);
    assert.deepEqual(lookups, [reg.hostPort]);
    assert.ok(lines.some((l) => l === `using credentials for ${reg.hostPort} from a test config`));
    assert.ok(lines.every((l) => !l.includes(password) && !l.includes('alice:')));
  });

  test('identity token: POST grant_type=refresh_token', async () => {
    const { c } = client({ credentials: async () => ({ username: 'alice', identityToken: 'refresh-XYZ-secret' }) });
    const before = reg.requests.length;
    await c.getManifest(parseReference(`${reg.hostPort}/private/app`));
    const post = reg.requests.slice(before).find((r) => r.method === 'POST')!;
    const form = new URLSearchParams(post.body);
    assert.equal(form.get('grant_type'), 'refresh_token');
    assert.equal(form.get('refresh_token'), 'refresh-XYZ-secret');
    assert.equal(form.get('service'), 'fake-registry');
    assert.equal(form.get('scope'), 'repository:private/app:pull');
    assert.equal(post.headers['content-type'], 'application/x-www-form-urlencoded');
  });

  test('identity token: POST 404 falls back to GET', async () => {
    const old = await startFakeRegistry({ auth: 'bearer', tokenPostUnsupported: true });
    try {
      old.putManifest('a/b', 'latest', MANIFEST, OCI_MANIFEST);
      const { c } = client({ credentials: async () => ({ identityToken: 'refresh-XYZ-secret' }) });
      const m = await c.getManifest(parseReference(`${old.hostPort}/a/b`));
      assert.deepEqual(old.requests.map((r) => `${r.method} ${r.path}`), ['GET /v2/a/b/manifests/latest', 'POST /token', 'GET /token', 'GET /v2/a/b/manifests/latest']);
      assert.equal(m.requests, 4);
      assert.equal(c.stats.tokenRequests, 2);
    } finally {
      await old.close();
    }
  });

  test('wrong password → unauthorized naming the source, never the password', async () => {
    const wrong = 'WRONG-pass-123456';
    const { c, lines } = client({ credentials: async () => ({ username: 'alice', password: wrong, source: '~/.docker/config.json' }) });
    const e = await rejects(c.getManifest(parseReference(`${reg.hostPort}/private/app`)), 'unauthorized');
    assert.match(e.message, /rejected the credentials from ~\/\.docker\/config\.json/);
    assert.match(e.message, /docker login 127\.0\.0\.1:\d+/);
    assert.ok(!e.message.includes(wrong));
    assert.ok(lines.every((l) => !l.includes(wrong)));
  });

  test('anonymous refused by the token service → unauthorized with a login hint', async () => {
    const { c } = client();
    const e = await rejects(c.getManifest(parseReference(`${reg.hostPort}/private/app`)), 'unauthorized');
    assert.match(e.message, /refused an anonymous request/);
    assert.match(e.message, /Log in with `docker login 127\.0\.0\.1:\d+`/);
  });

  test('a throwing credential lookup means anonymous, with a log line', async () => {
    const { c, lines } = client({
      credentials: async () => {
        throw new Error('boom with secret hunter2');
      },
    });
    await rejects(c.getManifest(parseReference(`${reg.hostPort}/private/app`)), 'unauthorized');
    assert.ok(lines.some((l) => l.includes('credential lookup') && !l.includes('hunter2')));
  });
});

describe('Basic auth', () => {
  let reg: FakeRegistry;
  const password = 'basic-SECRET-42';
  before(async () => {
    reg = await startFakeRegistry({ auth: 'basic', users: { bob: password } });
    reg.putManifest('x/y', 'latest', MANIFEST, OCI_MANIFEST);
  });
  after(() => reg.close());

  test('401 Basic → Basic once; then Basic up front', async () => {
    const { c } = client({ credentials: async () => ({ username: 'bob', password }) });
    const ref = parseReference(`${reg.hostPort}/x/y`);
    assert.equal((await c.getManifest(ref)).requests, 2);
    assert.equal(reg.requests[0]!.headers.authorization, undefined);
    assert.equal(reg.requests[1]!.headers.authorization, `Basic ${Buffer.from(`bob:${password}`).toString('base64')}`);
    assert.equal((await c.getManifest(ref)).requests, 1);
    assert.equal(c.stats.tokenRequests, 0);
  });

  test('Basic without credentials → unauthorized after one request', async () => {
    const { c } = client();
    const before = reg.requests.length;
    const e = await rejects(c.getManifest(parseReference(`${reg.hostPort}/x/y`)), 'unauthorized');
    assert.equal(reg.requests.length - before, 1);
    assert.match(e.message, /HTTP Basic/);
    assert.match(e.message, /No credentials were found/);
  });

  test('Basic with a wrong password → unauthorized after two requests', async () => {
    const { c } = client({ credentials: async () => ({ username: 'bob', password: 'nope-nope', source: 'helper X' }) });
    const before = reg.requests.length;
    const e = await rejects(c.getManifest(parseReference(`${reg.hostPort}/x/y`)), 'unauthorized');
    assert.equal(reg.requests.length - before, 2);
    assert.match(e.message, /after trying HTTP Basic with the credentials from helper X/);
    assert.ok(!e.message.includes('nope-nope'));
  });
});

describe('challenge selection', () => {
  test('Basic and Bearer offered: Bearer is used', async () => {
    const reg = await startFakeRegistry({
      auth: 'bearer',
      intercept: (req, res, rec, r) => {
        if (rec.path.startsWith('/v2/') && !req.headers.authorization) {
          res.writeHead(401, { 'www-authenticate': `Basic realm="x", Bearer realm="${r.url}/token",service="svc"` });
          res.end();
          return true;
        }
        return false;
      },
    });
    try {
      reg.putManifest('a/b', 'latest', MANIFEST, OCI_MANIFEST);
      const { c } = client({ credentials: async () => ({ username: 'u', password: 'p-secret' }) });
      await rejects(c.getManifest(parseReference(`${reg.hostPort}/a/b`)), 'unauthorized'); // fake has no users: token refused
      assert.equal(reg.requests[1]!.path, '/token');
      assert.equal(reg.requests[1]!.query.get('service'), 'svc');
    } finally {
      await reg.close();
    }
  });

  test('challenge scope is requested alongside our own', async () => {
    const reg = await startFakeRegistry({
      auth: 'bearer',
      intercept: (req, res, rec, r) => {
        if (rec.path.startsWith('/v2/') && !req.headers.authorization) {
          res.writeHead(401, { 'www-authenticate': `Bearer realm="${r.url}/token",service="svc",scope="repository:a/b:pull repository:extra:pull"` });
          res.end();
          return true;
        }
        return false;
      },
    });
    try {
      reg.putManifest('a/b', 'latest', MANIFEST, OCI_MANIFEST);
      const { c } = client();
      await c.getManifest(parseReference(`${reg.hostPort}/a/b`));
      assert.deepEqual(reg.requests[1]!.query.getAll('scope'), ['repository:a/b:pull', 'repository:extra:pull']);
    } finally {
      await reg.close();
    }
  });
});

describe('verification and headers', () => {
  test('Warning: 299 headers are surfaced once each', async () => {
    const reg = await startFakeRegistry({
      intercept: (_req, res, rec) => {
        if (!rec.path.includes('/manifests/')) return false;
        res.setHeader('warning', ['299 - "this repository is deprecated"', '299 - "this repository is deprecated"', '199 - "ignored"']);
        res.setHeader('content-type', `${OCI_MANIFEST}; charset=utf-8`);
        res.end(MANIFEST);
        return true;
      },
    });
    try {
      const { c } = client();
      const m = await c.getManifest(parseReference(`${reg.hostPort}/a/b`));
      assert.deepEqual(m.warnings, ['this repository is deprecated']);
      assert.equal(m.contentType, `${OCI_MANIFEST}; charset=utf-8`);
      assert.equal(m.mediaType, OCI_MANIFEST);
      assert.equal(m.verified, 'computed-only');
      assert.equal(m.dockerContentDigest, undefined);
    } finally {
      await reg.close();
    }
  });

  test('signed schema1: digests cover the payload without signatures', async () => {
    const { signed, payloadDigest } = signedSchema1();
    const reg = await startFakeRegistry({
      intercept: (_req, res, rec) => {
        if (!rec.path.includes('/manifests/')) return false;
        res.writeHead(200, { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws', 'docker-content-digest': payloadDigest });
        res.end(signed);
        return true;
      },
    });
    try {
      const { c } = client();
      const byTag = await c.getManifest(parseReference(`${reg.hostPort}/a/b`));
      assert.equal(byTag.verified, 'docker-content-digest');
      // The digest it goes by (registries, docker, skopeo, crane) is the payload's; the bytes' is kept too.
      assert.equal(byTag.digest, payloadDigest);
      assert.equal(byTag.bytesDigest, sha256(signed));
      const byDigest = await c.getManifest(parseReference(`${reg.hostPort}/a/b@${payloadDigest}`));
      assert.equal(byDigest.verified, 'requested-digest');
    } finally {
      await reg.close();
    }
  });
});

describe('blobs', () => {
  let reg: FakeRegistry;
  const config = '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}';
  before(async () => {
    reg = await startFakeRegistry({ auth: 'bearer' });
  });
  after(() => reg.close());

  test('getBlob fetches and verifies a config', async () => {
    const digest = reg.putBlob('a/b', config);
    const { c } = client();
    const blob = await c.getBlob(parseReference(`${reg.hostPort}/a/b`), digest);
    assert.equal(Buffer.from(blob.bytes).toString(), config);
    assert.equal(blob.digest, digest);
    assert.equal(blob.requests, 3);
    assert.equal(blob.contentType, 'application/octet-stream');
  });

  test('getBlob honours maxBytes and refuses an invalid digest', async () => {
    const digest = reg.putBlob('a/b', config);
    const { c } = client();
    await rejects(c.getBlob(parseReference(`${reg.hostPort}/a/b`), digest, { maxBytes: 10 }), 'too-large');
    await rejects(c.getBlob(parseReference(`${reg.hostPort}/a/b`), 'sha256:zz'), 'invalid-reference');
    const missing = await rejects(c.getBlob(parseReference(`${reg.hostPort}/a/b`), sha256('nothing')), 'not-found');
    assert.match(missing.message, /BLOB_UNKNOWN/);
  });
});

describe('referrers', () => {
  const subjectDoc = MANIFEST;
  const subject = sha256(subjectDoc);
  const descriptor = { mediaType: OCI_MANIFEST, digest: sha256('sig'), size: 3, artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json' };

  test('the Referrers API answers', async () => {
    const reg = await startFakeRegistry({ auth: 'bearer' });
    try {
      reg.addReferrer('a/b', subject, descriptor);
      reg.addReferrer('a/b', subject, { ...descriptor, digest: sha256('sbom'), artifactType: 'application/spdx+json' });
      const { c } = client();
      const r = await c.getReferrers(parseReference(`${reg.hostPort}/a/b`), subject);
      assert.equal(r.fallback, false);
      assert.equal(r.mediaType, OCI_INDEX);
      assert.equal(r.requests, 3);
      const doc = JSON.parse(Buffer.from(r.bytes).toString()) as { manifests: unknown[] };
      assert.equal(doc.manifests.length, 2);
      assert.equal(reg.requests.at(-1)!.headers.accept, OCI_INDEX);
      const filtered = await c.getReferrers(parseReference(`${reg.hostPort}/a/b`), subject, { artifactType: 'application/spdx+json' });
      assert.equal(reg.requests.at(-1)!.query.get('artifactType'), 'application/spdx+json');
      assert.equal((JSON.parse(Buffer.from(filtered.bytes).toString()) as { manifests: unknown[] }).manifests.length, 1);
      assert.equal(filtered.requests, 1);
    } finally {
      await reg.close();
    }
  });

  test('404 from the API → the sha256-<hex> fallback tag', async () => {
    const reg = await startFakeRegistry({ referrersApi: false });
    try {
      const index = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [descriptor] });
      reg.putManifest('a/b', `sha256-${subject.slice(7)}`, index, OCI_INDEX);
      const { c } = client();
      const r = await c.getReferrers(parseReference(`${reg.hostPort}/a/b`), subject);
      assert.equal(r.fallback, true);
      assert.equal(Buffer.from(r.bytes).toString(), index);
      assert.equal(r.reference.tag, `sha256-${subject.slice(7)}`);
      assert.deepEqual(reg.requests.map((q) => q.path), [`/v2/a/b/referrers/${subject}`, `/v2/a/b/manifests/sha256-${subject.slice(7)}`]);
      assert.equal(r.requests, 2);
    } finally {
      await reg.close();
    }
  });

  test('neither → an empty OCI index', async () => {
    const reg = await startFakeRegistry({ referrersApi: false });
    try {
      const { c } = client();
      const r = await c.getReferrers(parseReference(`${reg.hostPort}/a/b`), subject);
      assert.equal(r.fallback, true);
      assert.equal(Buffer.from(r.bytes).toString(), '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}');
      assert.equal(r.mediaType, OCI_INDEX);
      assert.equal(r.digest, sha256(r.bytes));
      assert.equal(r.requests, 2);
    } finally {
      await reg.close();
    }
  });

  test('a server error on the API is not mistaken for "no referrers"', async () => {
    const reg = await startFakeRegistry({
      intercept: (_req, res, rec) => {
        if (!rec.path.includes('/referrers/')) return false;
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(errorBody('UNAVAILABLE', 'try later'));
        return true;
      },
    });
    try {
      const { c } = client();
      await rejects(c.getReferrers(parseReference(`${reg.hostPort}/a/b`), subject), 'server-error');
    } finally {
      await reg.close();
    }
  });
});

describe('HEAD keeps its connection', () => {
  let reg: FakeRegistry;
  before(async () => {
    reg = await startFakeRegistry();
    reg.putManifest('team/app', 'v1', MANIFEST, OCI_MANIFEST);
  });
  after(() => reg.close());

  test('HEADs one after another, then a GET, on one connection (undici closes it after each HEAD by default: an audit was a connect per tag)', async () => {
    const { c } = client();
    const ref = parseReference(`${reg.hostPort}/team/app:v1`);
    for (let i = 0; i < 5; i++) assert.match((await c.headManifest(ref)).digest ?? '', /^sha256:/);
    const m = await c.getManifest(ref);
    assert.equal(Buffer.from(m.bytes).toString('utf8'), MANIFEST);
    assert.equal(reg.closedSockets(), 0, 'no connection closed');
    await c.close();
  });
});
