/**
 * supplychain/classify.ts and decode.ts over documents made here in the layouts the tools write:
 * the kind by layer media type (not only artifactType, cosign#4422), the predicate type, who
 * signed, when and on whose word, the log index, and the statement's gist.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyManifest, decodeLayer, type ClassifiedLayer } from '../../server/src/supplychain';
import {
  buildxAttestationManifest,
  cosignAttestationManifest,
  cosignSign,
  cosignSignatureManifest,
  dsseEnvelope,
  makeCa,
  makeKey,
  makeLeaf,
  notationCose,
  notationJws,
  notationManifest,
  sha256,
  simpleSigningPayload,
  SLSA_V02_PREDICATE,
  SPDX_PREDICATE,
  statement,
} from './fixtures';

const IMAGE = 'sha256:' + 'ab'.repeat(32);
const layerBytes = (built: { blobs: readonly Buffer[] }, layer: ClassifiedLayer): Buffer => built.blobs.find((b) => sha256(b) === layer.digest)!;

describe('supplychain: classify and decode', () => {
  it('a cosign tag-scheme signature: kind, the digest it names, the Fulcio identity, Rekor time and log index', async () => {
    const ca = await makeCa('CN=sigstore-intermediate,O=sigstore.dev');
    const leaf = await makeLeaf(ca, { subject: '', san: { type: 'email', value: 'dev@example.com' }, oidcIssuer: 'https://accounts.example.com' });
    const key = makeKey('p256');
    const payload = simpleSigningPayload('registry.example/app', IMAGE);
    const bundle = JSON.stringify({ SignedEntryTimestamp: 'MEUC', Payload: { body: 'e30=', integratedTime: 1700000000, logIndex: 12345678, logID: 'c0d2' } });
    const built = cosignSignatureManifest([{ payload, signature: cosignSign(key.privateKey, payload), annotations: { 'dev.sigstore.cosign/certificate': leaf.pem, 'dev.sigstore.cosign/bundle': bundle } }]);
    const c = classifyManifest(built.manifest.bytes, { tag: `sha256-${'ab'.repeat(32)}.sig` });
    assert.equal(c.kind, 'cosign-signature');
    assert.equal(c.layers[0].kind, 'cosign-signature');
    const d = decodeLayer(c.layers[0], layerBytes(built, c.layers[0]));
    assert.equal(d.signedDigest, IMAGE);
    assert.deepEqual(d.signer?.certificate?.sans, ['email:dev@example.com']);
    assert.equal(d.signer?.certificate?.oidcIssuer, 'https://accounts.example.com');
    assert.deepEqual(d.signedAt, { time: '2023-11-14T22:13:20Z', source: 'rekor' });
    assert.equal(d.logIndex, '12345678');
  });

  it('a cosign attestation (DSSE): predicate type and the SLSA builder, source repository and commit', () => {
    const key = makeKey('p256');
    const st = statement('https://slsa.dev/provenance/v0.2', IMAGE, SLSA_V02_PREDICATE);
    const built = cosignAttestationManifest(dsseEnvelope(st, key.privateKey), 'https://slsa.dev/provenance/v0.2');
    const c = classifyManifest(built.manifest.bytes, { tag: `sha256-${'ab'.repeat(32)}.att` });
    assert.equal(c.kind, 'cosign-attestation');
    const d = decodeLayer(c.layers[0], layerBytes(built, c.layers[0]));
    assert.equal(d.predicateType, 'https://slsa.dev/provenance/v0.2');
    assert.equal(d.summary?.builderId, 'https://github.com/docker/buildx@v0.12.0');
    assert.equal(d.summary?.sourceRepository, 'https://github.com/example/app.git');
    assert.equal(d.summary?.sourceCommit, '0123456789abcdef0123456789abcdef01234567');
    assert.deepEqual(d.summary?.subjects, [{ name: 'image', digest: IMAGE }]);
    assert.match(d.summary!.text, /^SLSA provenance: builder https:\/\/github\.com\/docker\/buildx@v0\.12\.0, source https:\/\/github\.com\/example\/app\.git@0123456789ab/);
  });

  it('a buildx attestation manifest (by its index entry, and by its bare in-toto layers): SPDX package count and top-level name', () => {
    const spdx = statement('https://spdx.dev/Document', IMAGE, SPDX_PREDICATE);
    const slsa = statement('https://slsa.dev/provenance/v0.2', IMAGE, SLSA_V02_PREDICATE);
    const built = buildxAttestationManifest([{ predicateType: 'https://spdx.dev/Document', bytes: spdx }, { predicateType: 'https://slsa.dev/provenance/v0.2', bytes: slsa }]);
    const byEntry = classifyManifest(built.manifest.bytes, { entryAnnotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': IMAGE } });
    assert.equal(byEntry.kind, 'buildx-attestation-manifest');
    assert.equal(classifyManifest(built.manifest.bytes).kind, 'buildx-attestation-manifest');
    assert.deepEqual(byEntry.layers.map((l) => [l.kind, l.predicateType]), [['in-toto-attestation', 'https://spdx.dev/Document'], ['in-toto-attestation', 'https://slsa.dev/provenance/v0.2']]);
    const d = decodeLayer(byEntry.layers[0], spdx);
    assert.equal(d.summary?.packageCount, 3);
    assert.equal(d.summary?.topLevelName, 'example-app');
    assert.equal(d.summary?.text, 'SPDX: 3 packages, top-level example-app');
  });

  it('Sigstore bundles by layer media type, v0.3 and the versioned older form; key hint and tlog entry', () => {
    const bundle = Buffer.from(JSON.stringify({
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: { publicKey: { hint: 'key-hint-1' }, tlogEntries: [{ logIndex: '42', integratedTime: '1700000000', inclusionPromise: { signedEntryTimestamp: 'AA==' }, kindVersion: { kind: 'dsse', version: '0.0.1' } }] },
      dsseEnvelope: { payloadType: 'application/vnd.in-toto+json', payload: statement('https://sigstore.dev/cosign/sign/v1', IMAGE, {}).toString('base64'), signatures: [{ sig: 'AA==' }] },
    }));
    for (const mediaType of ['application/vnd.dev.sigstore.bundle.v0.3+json', 'application/vnd.dev.sigstore.bundle+json;version=0.2']) {
      // artifactType says notation: the layer decides (cosign#4422).
      const manifest = { schemaVersion: 2, artifactType: 'application/vnd.cncf.notary.signature', config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256('{}'), size: 2 }, layers: [{ mediaType, digest: sha256(bundle), size: bundle.length, annotations: { 'dev.sigstore.bundle.predicateType': 'https://sigstore.dev/cosign/sign/v1' } }], subject: { digest: IMAGE } };
      const c = classifyManifest(manifest);
      assert.equal(c.kind, 'sigstore-bundle', mediaType);
      assert.equal(c.layers[0].bundleVersion, mediaType.endsWith('0.2') ? '0.2' : '0.3');
      assert.equal(c.artifactTypeDisagrees, 'application/vnd.cncf.notary.signature');
      const d = decodeLayer(c.layers[0], bundle);
      assert.equal(d.predicateType, 'https://sigstore.dev/cosign/sign/v1');
      assert.equal(d.signer?.keyId, 'key-hint-1');
      assert.equal(d.logIndex, '42');
      assert.equal(d.signedAt?.source, 'rekor');
    }
  });

  it('a notation JWS signature: signer subject, signing time as the signer claims it, target digest', async () => {
    const ca = await makeCa();
    const leaf = await makeLeaf(ca, { subject: 'CN=release,O=Example,C=US' });
    const target = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: IMAGE, size: 1234 };
    const jws = await notationJws(leaf, [], target, { signingTime: '2026-01-02T03:04:05Z' });
    const built = notationManifest(jws, target);
    const c = classifyManifest(built.manifest.bytes);
    assert.equal(c.kind, 'notation-signature');
    assert.equal(c.layers[0].envelope, 'jws');
    assert.equal(c.subject, IMAGE);
    const d = decodeLayer(c.layers[0], jws);
    assert.equal(d.signer?.certificate?.subject, 'CN=release, O=Example, C=US');
    assert.deepEqual(d.signedAt, { time: '2026-01-02T03:04:05Z', source: 'signer-claim' });
    assert.equal(d.signedDigest, IMAGE);
    // COSE is classified by its layer too, and decoded the same way
    const coseLayer = classifyManifest({ layers: [{ mediaType: 'application/cose', digest: IMAGE, size: 1 }] }).layers[0];
    assert.equal(coseLayer.envelope, 'cose');
    const cose = decodeLayer(coseLayer, notationCose(leaf, [], target));
    assert.equal(cose.signer?.certificate?.subject, 'CN=release, O=Example, C=US');
    assert.equal(cose.signedAt?.source, 'signer-claim');
    assert.equal(cose.signedDigest, IMAGE);
  });

  it('SBOM layers (CycloneDX, SPDX) and plain artifacts', () => {
    const cdx = Buffer.from(JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5', metadata: { component: { name: 'web' } }, components: [{ name: 'a' }, { name: 'b' }] }));
    const c = classifyManifest({ artifactType: 'application/vnd.example.thing', layers: [{ mediaType: 'application/vnd.cyclonedx+json', digest: sha256(cdx), size: cdx.length }] });
    assert.equal(c.kind, 'sbom');
    assert.equal(decodeLayer(c.layers[0], cdx).summary?.text, 'CycloneDX: 2 packages, top-level web');
    assert.equal(classifyManifest({ artifactType: 'application/vnd.example.thing', layers: [{ mediaType: 'application/octet-stream', digest: IMAGE, size: 1 }] }).kind, 'artifact');
    // no layer says: the artifactType does
    assert.equal(classifyManifest({ artifactType: 'application/spdx+json', layers: [] }).kind, 'sbom');
    assert.equal(classifyManifest(Buffer.from('not json')).kind, 'artifact');
  });
});
