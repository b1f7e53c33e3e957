// The registry client through a forward proxy: HTTPS_PROXY/HTTP_PROXY and the explicit option
// carry requests for registry hosts, loopback registries are never proxied, proxy credentials
// in the proxy URL are used but never logged, and a proxy that refuses gives a readable error.
// The registry is reached as registry.example.test, a name only the proxy knows: nothing leaves
// 127.0.0.1, and no DNS query is made.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseReference } from '../../server/src/registry/reference';
import { startProxy, type TestProxy } from '../harness/proxy';
import { rejects, testClient } from './clientHelpers';
import { startFakeRegistry, type FakeRegistry } from './fakeRegistry';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const MANIFEST = '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[]}';
const NAME = 'registry.example.test:5000';

describe('through a forward proxy', () => {
  let reg: FakeRegistry;
  let proxy: TestProxy;
  let locked: TestProxy;
  let digest: string;
  before(async () => {
    reg = await startFakeRegistry();
    digest = reg.putManifest('team/app', 'v1', MANIFEST, OCI_MANIFEST);
    proxy = await startProxy({ routes: { [NAME]: `127.0.0.1:${reg.port}` } });
    locked = await startProxy({ routes: { [NAME]: `127.0.0.1:${reg.port}` }, basic: { user: 'proxyuser', password: 'proxy-SECRET-7' } });
  });
  after(async () => {
    await proxy?.close();
    await locked?.close();
    await reg?.close();
  });

  test('HTTP_PROXY from the environment carries a registry host, and the bytes arrive verified', async () => {
    const { c, lines } = testClient([OCI_MANIFEST], { env: { HTTP_PROXY: proxy.url }, insecureHosts: [NAME] });
    const m = await c.getManifest(parseReference(`${NAME}/team/app:v1`));
    await c.close();
    assert.equal(m.digest, digest);
    assert.equal(m.verified, 'docker-content-digest');
    assert.ok(proxy.connects.includes(NAME), `the proxy was asked for ${NAME}: ${proxy.connects.join(', ')}`);
    assert.ok(lines.some((l) => l.includes(`http://${NAME}/v2/team/app/manifests/v1`)), lines.join('\n'));
  });

  test('NO_PROXY naming the host, or a loopback registry, bypasses the proxy', async () => {
    const before = proxy.connects.length;
    const { c } = testClient([OCI_MANIFEST], { env: { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url } });
    const m = await c.getManifest(parseReference(`${reg.hostPort}/team/app:v1`));
    await c.close();
    assert.equal(m.digest, digest);
    assert.equal(proxy.connects.length, before, 'a loopback registry is reached directly');
  });

  test('the proxy option (VS Code\'s http.proxy) wins over the environment; "" turns proxying off', async () => {
    const { c } = testClient([OCI_MANIFEST], { env: { HTTP_PROXY: 'http://127.0.0.1:9' }, proxy: proxy.url, insecureHosts: [NAME] });
    const before = proxy.connects.length;
    assert.equal((await c.getManifest(parseReference(`${NAME}/team/app:v1`))).digest, digest);
    await c.close();
    assert.equal(proxy.connects.length, before + 1);
  });

  test('credentials in the proxy URL are sent to the proxy and never appear in a log line', async () => {
    const { c, lines } = testClient([OCI_MANIFEST], { proxy: `http://proxyuser:proxy-SECRET-7@${locked.url.slice('http://'.length)}`, insecureHosts: [NAME] });
    assert.equal((await c.getManifest(parseReference(`${NAME}/team/app:v1`))).digest, digest);
    await c.close();
    assert.ok(locked.authorizations.includes(`Basic ${Buffer.from('proxyuser:proxy-SECRET-7').toString('base64')}`));
    assert.ok(!lines.join('\n').includes('proxy-SECRET-7'), lines.join('\n'));
  });

  test('a proxy that wants credentials it did not get: one readable error naming the proxy, no secret', async () => {
    const { c, lines } = testClient([OCI_MANIFEST], { proxy: locked.url, insecureHosts: [NAME] });
    const e = await rejects(c.getManifest(parseReference(`${NAME}/team/app:v1`)), 'proxy');
    await c.close();
    assert.match(e.message, /proxy/i);
    assert.match(e.message, /407/);
    assert.ok(!lines.join('\n').includes('SECRET'));
  });

  test('a proxy that cannot be reached, or cannot reach the registry: the message says it is the proxy', async () => {
    const { c } = testClient([OCI_MANIFEST], { proxy: 'http://127.0.0.1:9', insecureHosts: [NAME] });
    const down = await rejects(c.getManifest(parseReference(`${NAME}/team/app:v1`)), 'proxy');
    await c.close();
    assert.match(down.message, /Could not reach the proxy 127\.0\.0\.1:9 \(ECONNREFUSED\) to connect to registry\.example\.test:5000/);
    const { c: c2 } = testClient([OCI_MANIFEST], { proxy: proxy.url, insecureHosts: ['elsewhere.example.test:5000'] });
    const unrouted = await rejects(c2.getManifest(parseReference('elsewhere.example.test:5000/team/app:v1')), 'proxy');
    await c2.close();
    assert.match(unrouted.message, /answered 502 when asked to connect to elsewhere\.example\.test:5000/);
  });

  test('a proxy setting that is not a URL: the message says so, names the host part, and never shows the credentials', async () => {
    const { c, lines } = testClient([OCI_MANIFEST], { proxy: 'user:s3cret@proxy.example:3128', insecureHosts: [NAME] });
    const e = await rejects(c.getManifest(parseReference(`${NAME}/team/app:v1`)), 'proxy');
    await c.close();
    assert.match(e.message, /The proxy setting "proxy\.example:3128" is not a usable URL/);
    assert.ok(!e.message.includes('s3cret') && !lines.join('\n').includes('s3cret'));
  });
});
