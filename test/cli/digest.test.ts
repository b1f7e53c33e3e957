/**
 * `node dist/cli.js digest`: against the real registry (and skopeo's answer for the same
 * reference), and against a fake one whose HEAD leaves out Docker-Content-Digest or contradicts
 * the requested digest.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertCliBuilt, runCli, runProgram } from '../harness/cli';
import { useSeededRegistry, type SeededImages } from '../harness/seed';
import { skipUnlessTools, skopeoBinary } from '../harness/tools';
import { sha256, signedSchema1, startFakeRegistry, type FakeRegistry } from '../registry/fakeRegistry';

const skip = skipUnlessTools({ registry: true });

if (skip) {
  test('digest CLI against a real registry', { skip }, () => {});
} else {
  describe('manifest-lens digest against docker-registry', () => {
    const ctx = useSeededRegistry({ cli: true });
    const digest = (...args: string[]) => runCli(['digest', ...args], { env: ctx.home.env });
    let seeds: SeededImages;
    before(() => { seeds = ctx.seeds; });

    test('a tag: one line on stdout, the index digest from a HEAD request; --verify hashes the bytes', async () => {
      const r = await digest(seeds.cleanOci.index.reference);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.toString(), seeds.cleanOci.index.digest + '\n');
      assert.match(r.stderr, /Docker-Content-Digest of a HEAD request/);
      const v = await digest('--verify', seeds.cleanOci.index.reference);
      assert.equal(v.code, 0, v.stderr);
      assert.equal(v.stdout.toString(), seeds.cleanOci.index.digest + '\n');
      assert.match(v.stderr, /is the sha256 of the \d+ bytes served, matching Docker-Content-Digest/);
    });

    test('--platform gives the child\'s digest, not the index\'s; --verify fetches the child', async () => {
      const r = await digest('--platform', 'linux/arm64', seeds.cleanOci.index.reference);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.toString(), seeds.cleanOci.arm64.digest + '\n');
      assert.notEqual(seeds.cleanOci.arm64.digest, seeds.cleanOci.index.digest);
      const v = await digest('--platform', 'linux/amd64', '--verify', seeds.cleanOci.index.reference);
      assert.equal(v.stdout.toString(), seeds.cleanOci.amd64.digest + '\n');
      assert.match(v.stderr, /fetched, \d+ bytes; its digest matches the index entry/);
    });

    test('no such platform, a missing tag: exit 3 with one readable line; --lint is inspect\'s: exit 2', async () => {
      const none = await digest('--platform', 'windows/amd64', seeds.cleanOci.index.reference);
      assert.equal(none.code, 3);
      assert.match(none.stderr, /no manifest for platform windows\/amd64 \(it lists: linux\/amd64, linux\/arm64\/v8\)/);
      const missing = await digest(`${seeds.host}/samples/clean-oci:no-such-tag`);
      assert.equal(missing.code, 3);
      assert.equal(missing.stdout.length, 0);
      assert.equal(missing.stderr.trim().split('\n').length, 1, missing.stderr);
      const usage = await digest('--lint', seeds.cleanOci.index.reference);
      assert.equal(usage.code, 2);
    });

    test('the same digest skopeo reports for the reference', { skip: skopeoBinary() ? false : 'SKIPPED: skopeo is not installed' }, async () => {
      for (const m of [seeds.cleanOci.index, seeds.dockerV2s2.manifest, seeds.podman22196.index]) {
        const ours = await digest(m.reference);
        const peer = await runProgram(skopeoBinary()!, ['inspect', '--tls-verify=false', '--no-creds', '--retry-times', '0', '--raw', `docker://${m.reference}`], { env: ctx.home.env });
        assert.equal(peer.code, 0, peer.stderr);
        assert.equal(ours.stdout.toString().trim(), sha256(peer.stdout), m.reference);
      }
    });
  });
}

describe('manifest-lens digest when HEAD does not tell the truth', () => {
  let reg: FakeRegistry;
  let mode: 'no-header' | 'wrong-header' = 'no-header';
  const body = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256('{}'), size: 2 }, layers: [] });
  let digestOfBody = '';

  before(async () => {
    assertCliBuilt();
    reg = await startFakeRegistry({
      intercept: (_req, res, rec) => {
        if (rec.method !== 'HEAD' || !rec.path.includes('/manifests/')) return false;
        const headers: Record<string, string> = { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': String(Buffer.byteLength(body)) };
        if (mode === 'wrong-header') headers['docker-content-digest'] = sha256('something else');
        res.writeHead(200, headers);
        res.end();
        return true;
      },
    });
    digestOfBody = reg.putManifest('app', 'v1', body, 'application/vnd.oci.image.manifest.v1+json');
  });
  after(async () => reg?.close());

  test('no Docker-Content-Digest on HEAD: the manifest is fetched and hashed', async () => {
    mode = 'no-header';
    const r = await runCli(['digest', `${reg.hostPort}/app:v1`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.toString(), digestOfBody + '\n');
    assert.match(r.stderr, /HEAD gave no Docker-Content-Digest; fetching the manifest to hash it/);
    assert.deepEqual(reg.requests.filter((q) => q.path.includes('/manifests/')).map((q) => q.method).slice(-2), ['HEAD', 'GET']);
  });

  test('a HEAD that names another digest than the one asked for: exit 3, nothing on stdout', async () => {
    mode = 'wrong-header';
    const r = await runCli(['digest', `${reg.hostPort}/app@${digestOfBody}`]);
    assert.equal(r.code, 3);
    assert.equal(r.stdout.length, 0);
    assert.match(r.stderr, /not the requested digest/);
  });
});

describe('manifest-lens digest: signed schema 1, a useless header, nested indexes', () => {
  let reg: FakeRegistry;
  const s1 = signedSchema1();
  const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
  const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
  let child = '';
  let childSize = 0;
  before(async () => {
    assertCliBuilt();
    reg = await startFakeRegistry({
      intercept: (_req, res, rec) => {
        if (rec.path === '/v2/app/manifests/old') {
          // What a registry does for signed schema 1: Docker-Content-Digest is the payload's.
          res.writeHead(200, { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws', 'docker-content-digest': s1.payloadDigest, 'content-length': String(Buffer.byteLength(s1.signed)) });
          res.end(rec.method === 'HEAD' ? undefined : s1.signed);
          return true;
        }
        if (rec.path === '/v2/app/manifests/junk-header' && rec.method === 'HEAD') {
          res.writeHead(200, { 'content-type': OCI_MANIFEST, 'docker-content-digest': 'md5:zzz' });
          res.end();
          return true;
        }
        return false;
      },
    });
    const manifest = JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256('{}'), size: 2 }, layers: [] });
    child = reg.putManifest('app', 'junk-header', manifest, OCI_MANIFEST);
    childSize = Buffer.byteLength(manifest);
    const inner = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: child, size: manifest.length, platform: { os: 'linux', architecture: 'amd64' } }] });
    const innerDigest = reg.putManifest('app', undefined, inner, OCI_INDEX);
    reg.putManifest('app', 'nested', JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_INDEX, digest: innerDigest, size: inner.length, platform: { os: 'linux', architecture: 'amd64' } }] }), OCI_INDEX);
  });
  after(async () => reg?.close());

  test('signed schema 1: HEAD and --verify give the same digest, the payload\'s, and --verify says why the bytes hash otherwise', async () => {
    const head = await runCli(['digest', `${reg.hostPort}/app:old`]);
    const verify = await runCli(['digest', '--verify', `${reg.hostPort}/app:old`]);
    assert.equal(head.stdout.toString(), s1.payloadDigest + '\n', head.stderr);
    assert.equal(verify.stdout.toString(), s1.payloadDigest + '\n', verify.stderr);
    assert.match(verify.stderr, new RegExp(`payload without its signatures \\(the \\d+ bytes served hash to ${s1.bytesDigest}\\)`));
    const inspect = await runCli(['inspect', `${reg.hostPort}/app:old`]);
    assert.equal(sha256(inspect.stdout), s1.bytesDigest, 'inspect still prints the served bytes');
    // Say exactly what was verified: the payload's digest matched the header, not the bytes'.
    assert.match(inspect.stderr, /verified: the sha256 of the signed payload \(the manifest without its signatures\) matches Docker-Content-Digest/);
    assert.doesNotMatch(inspect.stderr, /sha256 of the served bytes matches/);
    assert.match(inspect.stderr, new RegExp(`its digest ${s1.payloadDigest} is the payload's .*hash to ${s1.bytesDigest}`));
    const json = await runCli(['inspect', '--format', 'json', `${reg.hostPort}/app:old`]);
    const body = JSON.parse(json.stdout.toString());
    assert.equal(body.digest, s1.payloadDigest);
    assert.equal(body.bytesDigest, s1.bytesDigest);
    assert.equal(body.verified, 'docker-content-digest');
    assert.equal(body.verifiedDigestOf, 'signed-payload');
    assert.match(body.verification, /signed payload/);
  });

  test('inspect --lint follows an entry that is itself an index to the manifests inside', async () => {
    const r = await runCli(['inspect', '--lint', '--format', 'json', `${reg.hostPort}/app:nested`]);
    const body = JSON.parse(r.stdout.toString());
    // The outer index, the inner index and the manifest inside it.
    assert.deepEqual(body.findings.map((f: { kind: string }) => f.kind), ['oci-index', 'oci-index', 'oci-manifest'], r.stderr);
    assert.match(r.stderr, /3 documents checked/);
  });

  test('inspect --lint stops at the nesting limit and says so', async () => {
    // Six indexes, each the only entry of the next: the reference and four levels below it are linted.
    let digest = child;
    let size = childSize;
    let mediaType = OCI_MANIFEST;
    for (let i = 0; i < 6; i++) {
      const text = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType, digest, size }] });
      digest = reg.putManifest('app', i === 5 ? 'deep' : undefined, text, OCI_INDEX);
      size = Buffer.byteLength(text);
      mediaType = OCI_INDEX;
    }
    const r = await runCli(['inspect', '--lint', '--format', 'json', `${reg.hostPort}/app:deep`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout.toString()).findings.length, 5, r.stderr);
    assert.match(r.stderr, /not linting its children: 4 nested indexes deep/);
  });

  test('a Docker-Content-Digest that is not a digest is no answer: the manifest is fetched and hashed', async () => {
    const r = await runCli(['digest', `${reg.hostPort}/app:junk-header`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.toString(), child + '\n');
    assert.doesNotMatch(r.stdout.toString(), /md5/);
  });

  test('--platform follows an entry that is itself an index to the manifest inside', async () => {
    const r = await runCli(['digest', '--platform', 'linux/amd64', `${reg.hostPort}/app:nested`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.toString(), child + '\n');
    assert.equal(r.stderr.trim().split('\n').length, 2, r.stderr);
  });
});

