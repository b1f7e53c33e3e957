/**
 * The registry client against a REAL distribution registry (Debian docker-registry 2.8), no auth:
 * every seeded reference comes back byte for byte with the right digest and Content-Type;
 * children by digest, a config blob, referrers through the fallback tag, and the registry's own
 * error codes for what is missing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MANIFEST_ACCEPT_TYPES } from '../../server/src/engine/mediaTypes';
import { createRegistryClient, isRegistryError, parseReference, type RegistryError } from '../../server/src/registry';
import { startRegistry, type RunningRegistry } from '../harness/registry';
import { seedSamples, type SeededImages, type SeededManifest } from '../harness/seed';
import { sha256Digest } from '../harness/blobs';
import { httpCall } from '../harness/http';
import { skipUnlessTools } from '../harness/tools';

const skip = skipUnlessTools({ registry: true });

function client() {
  return createRegistryClient({ accept: MANIFEST_ACCEPT_TYPES, timeoutMs: 10_000 });
}

async function rejection(p: Promise<unknown>): Promise<RegistryError> {
  try {
    await p;
  } catch (err) {
    assert.ok(isRegistryError(err), `expected a RegistryError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the promise to reject');
}

/** What the registry itself answers for a URL (to compare the client's error with). */
async function rawErrorCodes(url: string): Promise<{ status: number; codes: string[] }> {
  const res = await httpCall(url, { headers: { Accept: MANIFEST_ACCEPT_TYPES.join(', ') } });
  const body = JSON.parse(res.body.toString('utf8')) as { errors?: { code: string }[] };
  return { status: res.status, codes: (body.errors ?? []).map((e) => e.code) };
}

if (skip) {
  test('real registry: fetch seeded manifests byte for byte', { skip }, () => {});
} else {
  describe('real registry (distribution 2.8, no auth)', () => {
    let registry: RunningRegistry;
    let seeds: SeededImages;

    before(async () => {
      registry = await startRegistry({ auth: 'none' });
      seeds = await seedSamples(registry.url);
    });
    after(async () => {
      await registry?.stop();
    });

    const assertSame = (got: { bytes: Uint8Array; digest: string; contentType: string }, want: SeededManifest, what: string): void => {
      assert.ok(Buffer.from(got.bytes).equals(Buffer.from(want.bytes)), `${what}: served bytes differ from the pushed bytes`);
      assert.equal(got.digest, want.digest, `${what}: digest`);
      assert.equal(sha256Digest(got.bytes), want.digest, `${what}: sha256 of the bytes`);
      assert.equal(got.contentType, want.mediaType, `${what}: Content-Type`);
    };

    test('every seeded tag is served byte for byte, with its digest and media type', async () => {
      const c = client();
      assert.ok(seeds.tagged.length >= 7);
      for (const m of seeds.tagged) {
        const got = await c.getManifest(parseReference(m.reference), {});
        assertSame(got, m, m.reference);
        assert.equal(got.mediaType, m.mediaType, `${m.reference}: mediaType`);
        assert.equal(got.verified, 'docker-content-digest', `${m.reference}: verified against Docker-Content-Digest`);
        assert.equal(got.dockerContentDigest, m.digest, `${m.reference}: Docker-Content-Digest`);
      }
    });

    test('the Docker manifest list is served as the list, not as a child the registry picked', async () => {
      const got = await client().getManifest(parseReference(seeds.dockerListOciChildren.list.reference), {});
      assertSame(got, seeds.dockerListOciChildren.list, 'docker list');
    });

    test('children of each index and list, fetched by digest', async () => {
      const c = client();
      const parents = [seeds.podman22196.index, seeds.cleanOci.index, seeds.dockerListOciChildren.list, seeds.attested.index];
      let n = 0;
      for (const parent of parents) {
        for (const child of parent.children ?? []) {
          const got = await c.getManifest(parseReference(child.byDigest), {});
          assertSame(got, child, child.byDigest);
          assert.equal(got.verified, 'requested-digest', `${child.byDigest}: verified against the requested digest`);
          n++;
        }
      }
      assert.equal(n, 8);
    });

    test('the artifact with a subject, pushed by digest only', async () => {
      const got = await client().getManifest(parseReference(seeds.artifact.manifest.byDigest), {});
      assertSame(got, seeds.artifact.manifest, 'artifact');
    });

    test('a config blob and a layer blob', async () => {
      const c = client();
      const image = seeds.podman22196.amd64;
      const ref = parseReference(image.byDigest);
      const config = await c.getBlob(ref, image.config!.digest, { maxBytes: 1 << 20 });
      assert.equal(config.digest, image.config!.digest);
      assert.ok(Buffer.from(config.bytes).equals(Buffer.from(image.config!.bytes)), 'config bytes');
      const parsed = JSON.parse(Buffer.from(config.bytes).toString('utf8')) as { rootfs: { diff_ids: string[] }; architecture: string };
      assert.equal(parsed.architecture, 'amd64');
      assert.equal(parsed.rootfs.diff_ids.length, 1);
      const layer = await c.getBlob(ref, image.layers![0].digest, { maxBytes: 1 << 20 });
      assert.ok(Buffer.from(layer.bytes).equals(Buffer.from(image.layers![0].bytes)), 'layer bytes');
    });

    test('referrers: distribution 2.8 has no referrers API, so the fallback tag answers', async () => {
      const subject = seeds.artifact.subject;
      const got = await client().getReferrers(parseReference(subject.byDigest), subject.digest, {});
      assert.equal(got.fallback, true, 'served through the fallback tag');
      assertSame(got, seeds.artifact.fallbackIndex, 'referrers fallback index');
      const index = JSON.parse(Buffer.from(got.bytes).toString('utf8')) as { manifests: { digest: string; artifactType?: string }[] };
      assert.deepEqual(index.manifests.map((m) => m.digest), [seeds.artifact.manifest.digest]);
      assert.equal(index.manifests[0].artifactType, 'application/spdx+json');
    });

    test('referrers of a manifest nobody refers to: no error, nothing listed', async () => {
      const arm = seeds.cleanOci.arm64;
      const got = await client().getReferrers(parseReference(arm.byDigest), arm.digest, {}).catch((err: unknown) => err);
      if (isRegistryError(got)) {
        assert.equal(got.kind, 'not-found', `unexpected error: ${got.message}`);
      } else {
        const index = JSON.parse(Buffer.from((got as { bytes: Uint8Array }).bytes).toString('utf8')) as { manifests: unknown[] };
        assert.deepEqual(index.manifests, []);
      }
    });

    test('a missing tag: not-found, 404, with the registry error code MANIFEST_UNKNOWN in the message', async () => {
      const ref = parseReference(`${registry.host}/samples/clean-oci:no-such-tag`);
      const err = await rejection(client().getManifest(ref, {}));
      assert.equal(err.kind, 'not-found');
      assert.equal(err.status, 404);
      assert.match(err.message, /MANIFEST_UNKNOWN/);
      assert.ok(err.message.includes(registry.host), `message names the host: ${err.message}`);
      assert.deepEqual(err.registryErrors?.map((e) => e.code), ['MANIFEST_UNKNOWN']);
      assert.doesNotMatch(err.message, /\n\s+at /, 'no stack trace in the message');
    });

    test('a missing repository: not-found with whatever code the registry sent', async () => {
      // distribution 2.8 answers MANIFEST_UNKNOWN for a manifest in a repository that does not
      // exist (NAME_UNKNOWN only comes from tags/list); the client must relay the real code.
      const raw = await rawErrorCodes(`${registry.url}/v2/samples/no-such-repository/manifests/latest`);
      assert.equal(raw.status, 404);
      const tagsList = await rawErrorCodes(`${registry.url}/v2/samples/no-such-repository/tags/list`);
      assert.deepEqual(tagsList.codes, ['NAME_UNKNOWN'], 'the registry says NAME_UNKNOWN for the repository itself');
      const err = await rejection(client().getManifest(parseReference(`${registry.host}/samples/no-such-repository:latest`), {}));
      assert.equal(err.kind, 'not-found');
      assert.equal(err.status, 404);
      assert.deepEqual(err.registryErrors?.map((e) => e.code), raw.codes);
      for (const code of raw.codes) assert.match(err.message, new RegExp(code));
    });

    test('a missing blob: not-found with BLOB_UNKNOWN', async () => {
      const image = seeds.cleanOci.amd64;
      const missing = 'sha256:' + '0'.repeat(64);
      const err = await rejection(client().getBlob(parseReference(image.byDigest), missing, { maxBytes: 1 << 20 }));
      assert.equal(err.kind, 'not-found');
      assert.match(err.message, /BLOB_UNKNOWN/);
    });

    test('request counts: one request per manifest on an open registry', async () => {
      const c = client();
      await c.getManifest(parseReference(seeds.cleanOci.index.reference), {});
      await c.getManifest(parseReference(seeds.cleanOci.amd64.byDigest), {});
      assert.equal(c.stats.tokenRequests, 0);
      assert.equal(c.stats.requests, 2, 'no ping, no retry: one GET per manifest');
    });
  });
}
