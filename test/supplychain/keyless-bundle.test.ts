/**
 * supplychain/bundle.ts without a registry, on keyless bundles from @sigstore/mock's CA and log
 * (keylessFixtures.ts): each refusal of @sigstore/verify said in words a user can act on, and
 * never "verified".
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { parseTrustedRoot, verifySigstoreBundle } from '../../server/src/supplychain/bundle';
import { statement } from './fixtures';
import { makeKeylessSigner, type KeylessSigner } from './keylessFixtures';

const D = 'sha256:' + '7c'.repeat(32);
const IDENTITY = 'https://github.com/example/app/.github/workflows/release.yml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';

describe('keyless Sigstore bundles: the reasons', () => {
  let signer: KeylessSigner;
  let good: Buffer;
  const trust = (omit?: 'ca' | 'tlog' | 'ctlog') => ({ keys: [], trustedRoot: parseTrustedRoot(JSON.parse(signer.trustedRoot({ omit }))) as never, identity: IDENTITY, issuer: ISSUER });
  const edit = (f: (j: any) => void): Buffer => { const j = JSON.parse(good.toString()); f(j); return Buffer.from(JSON.stringify(j)); };
  before(async () => {
    signer = await makeKeylessSigner();
    good = (await signer.bundle(statement('https://sigstore.dev/cosign/sign/v1', D, {}))).json;
  });

  it('verified with the trusted root, identity and issuer', () => {
    assert.equal(verifySigstoreBundle(good, { digest: D }, trust()).kind, 'verified');
  });

  it('a flipped bit in the signature: the bundle differs from what its log entry records', async () => {
    const flipped = (await signer.bundle(statement('https://sigstore.dev/cosign/sign/v1', D, {}), { flipSignature: true })).json;
    const v = verifySigstoreBundle(flipped, { digest: D }, trust());
    assert.equal(v.kind, 'invalid');
    assert.match(v.reason!, /^the bundle's signature or payload differs from what its log entry records \(tlog entry signature mismatch\): altered bytes/);
  });

  it('an inclusion proof without a promise (SET) nor a timestamp: no trusted time for the certificate', () => {
    const v = verifySigstoreBundle(edit((j) => delete j.verificationMaterial.tlogEntries[0].inclusionPromise), { digest: D }, trust());
    assert.equal(v.kind, 'invalid');
    assert.match(v.reason!, /^no trusted time to check the certificate at: the log entry has no inclusion promise \(SET\) and the bundle no RFC 3161 timestamp/);
  });

  it('a log or CT log the trusted root does not name: said so', () => {
    const noLog = verifySigstoreBundle(good, { digest: D }, trust('tlog'));
    assert.equal(noLog.kind, 'invalid');
    assert.match(noLog.reason!, /^the log entry's promise does not verify with a log of the trusted root \(inclusion promise could not be verified\)/);
    const noCt = verifySigstoreBundle(good, { digest: D }, trust('ctlog'));
    assert.equal(noCt.kind, 'invalid');
    assert.match(noCt.reason!, /^the certificate's SCT is not signed by a CT log of the trusted root \(SCT verification failed\)/);
  });

  it('the identity is matched whole: a prefix of it, another one: invalid, naming the certificate\'s', () => {
    for (const identity of ['https://github.com/example/app', 'https://github.com/example/app/.github/workflows/release.yml@refs/heads/main2', 'https://github.com/example/app/.github/workflows/release.yml@refs/heads/mai.']) {
      const v = verifySigstoreBundle(good, { digest: D }, { ...trust(), identity });
      assert.equal(v.kind, 'invalid', identity);
      assert.equal(v.reason, `the certificate is for ${IDENTITY}, not ${identity} (certificate identity error)`);
    }
  });

  it('a keyless message-signature bundle over the manifest\'s bytes: verified for that manifest; for other bytes, invalid', async () => {
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: {}, layers: [] }));
    const digest = 'sha256:' + createHash('sha256').update(manifest).digest('hex');
    const b = (await signer.bundle(manifest, { messageSignature: true })).json;
    assert.ok(JSON.parse(b.toString()).messageSignature);
    const v = verifySigstoreBundle(b, { digest, bytes: manifest }, trust());
    assert.equal(v.kind, 'verified', v.reason);
    const other = Buffer.concat([manifest, Buffer.from(' ')]);
    const w = verifySigstoreBundle(b, { digest: 'sha256:' + createHash('sha256').update(other).digest('hex'), bytes: other }, trust());
    assert.equal(w.kind, 'invalid');
  });
});
