/**
 * supplychain/cosignKey.ts without a registry: keyless tag-scheme signatures against a trusted
 * root (never "verified" without what cosign itself requires: an SCT from a CT log the root
 * names), and a Rekor entry whose body does not match the signature.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadPublicKey, parseTrustedRoot, verifyCosignSignature, type TrustedKey } from '../../server/src/supplychain';
import { cosignSign, makeCa, makeKey, makeLeaf, makeLog, simpleSigningPayload } from './fixtures';
import { makeKeylessSigner } from './keylessFixtures';

const D = 'sha256:' + '5a'.repeat(32);

describe('cosign tag-scheme signatures with a trusted root', () => {
  it('keyless with a Rekor entry: the chain, SCT and identity are checked by @sigstore/verify; without an SCT it is invalid, never verified', async () => {
    const ca = await makeCa('CN=fulcio-test,O=sigstore.dev');
    const leaf = await makeLeaf(ca, { subject: '', san: { type: 'email', value: 'dev@example.com' }, oidcIssuer: 'https://accounts.example.com' });
    const log = makeLog();
    const root = parseTrustedRoot(JSON.parse(log.trustedRoot([ca.pem])));
    assert.notEqual(typeof root, 'string');
    const payload = simpleSigningPayload('r/x', D);
    const sig = cosignSign(leaf.privateKey, payload);
    const annotations = { 'dev.cosignproject.cosign/signature': sig, 'dev.sigstore.cosign/certificate': leaf.pem, 'dev.sigstore.cosign/bundle': log.bundleAnnotation(payload, sig, leaf.pem) };
    const v = verifyCosignSignature({ payload, annotations, imageDigest: D, keys: [], trustedRoot: root as never, identity: 'dev@example.com', issuer: 'https://accounts.example.com' });
    assert.equal(v.kind, 'invalid');
    assert.match(v.reason!, /SCT/);
    const noRoot = verifyCosignSignature({ payload, annotations, imageDigest: D, keys: [] });
    assert.equal(noRoot.kind, 'not-verified');
    assert.match(noRoot.reason!, /give --trusted-root with --certificate-identity and --certificate-oidc-issuer/);
  });

  it('a Rekor entry for another signature: invalid against the trusted root', () => {
    const key = makeKey('p256');
    const log = makeLog();
    const root = parseTrustedRoot(JSON.parse(log.trustedRoot()));
    const payload = simpleSigningPayload('r/x', D);
    const sig = cosignSign(key.privateKey, payload);
    const otherSig = cosignSign(key.privateKey, Buffer.concat([payload, Buffer.from(' ')]));
    const annotations = { 'dev.cosignproject.cosign/signature': sig, 'dev.sigstore.cosign/bundle': log.bundleAnnotation(payload, otherSig, key.publicPem) };
    const trusted = loadPublicKey(key.publicPem, 'k.pub') as TrustedKey;
    const v = verifyCosignSignature({ payload, annotations, imageDigest: D, keys: [trusted], trustedRoot: root as never });
    assert.equal(v.kind, 'invalid');
    assert.match(v.reason!, /^the Rekor entry does not verify against the trusted root: signature mismatch/);
  });

  it('keyless from @sigstore/mock\'s CA and log (an SCT, a hashedrekord entry with its SET): verified for the certificate\'s identity and issuer only; expired, another digest, a CA not in the root: invalid', async () => {
    const signer = await makeKeylessSigner();
    const root = parseTrustedRoot(JSON.parse(signer.trustedRoot())) as never;
    const identity = 'https://github.com/example/app/.github/workflows/release.yml@refs/heads/main';
    const issuer = 'https://token.actions.githubusercontent.com';
    const payload = simpleSigningPayload('r/x', D);
    const annotations = await signer.cosignTagSignature(payload);
    const logIndex = JSON.parse(annotations['dev.sigstore.cosign/bundle']).Payload.logIndex;
    const v = verifyCosignSignature({ payload, annotations, imageDigest: D, keys: [], trustedRoot: root, identity, issuer });
    assert.equal(v.kind, 'verified', v.reason);
    assert.equal(v.by, `certificate for ${identity} (issuer ${issuer}) under the trusted root, Rekor log index ${logIndex}`);
    assert.equal(verifyCosignSignature({ payload, annotations, imageDigest: D, keys: [], trustedRoot: root, identity: 'https://github.com/example/app', issuer }).kind, 'invalid');
    assert.equal(verifyCosignSignature({ payload, annotations, imageDigest: D, keys: [], trustedRoot: root, identity, issuer: 'https://accounts.example.com' }).kind, 'invalid');
    const other = verifyCosignSignature({ payload, annotations, imageDigest: 'sha256:' + '6b'.repeat(32), keys: [], trustedRoot: root, identity, issuer });
    assert.equal(other.kind, 'invalid');
    assert.match(other.reason!, /^the payload names another digest/);
    const noCa = verifyCosignSignature({ payload, annotations, imageDigest: D, keys: [], trustedRoot: parseTrustedRoot(JSON.parse(signer.trustedRoot({ omit: 'ca' }))) as never, identity, issuer });
    assert.equal(noCa.kind, 'invalid');
    const expired = await signer.cosignTagSignature(payload, { certificateExpired: true });
    const e = verifyCosignSignature({ payload, annotations: expired, imageDigest: D, keys: [], trustedRoot: root, identity, issuer });
    assert.equal(e.kind, 'invalid');
    assert.match(e.reason!, /Failed to verify certificate chain/);
  });
});
