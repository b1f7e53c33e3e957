/**
 * supplychain/notation.ts without a registry: the trust policy (scope, level, trusted identities,
 * trust stores) and the certificate chain (through an intermediate, to another CA) decide the
 * verdict on a notation JWS; a verified one always says "revocation not checked".
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import { verifyNotationJws, type NotationConfig, type TrustPolicy } from '../../server/src/supplychain';
import { makeCa, makeLeaf, notationJws, type TestCa, type TestLeaf } from './fixtures';

const SUBJECT = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:' + '12'.repeat(32), size: 321 };

function config(policy: Partial<TrustPolicy>, stores: Record<string, readonly x509.X509Certificate[]>): NotationConfig {
  return {
    dir: '/n',
    policyFile: '/n/trustpolicy.json',
    policies: [{ name: 'p', registryScopes: ['*'], level: 'strict', trustStores: ['ca:root'], trustedIdentities: ['*'], ...policy }],
    stores: new Map(Object.entries(stores)),
  };
}

describe('notation JWS: trust policy and chain', () => {
  let ca: TestCa;
  let leaf: TestLeaf;
  let jws: Buffer;
  before(async () => {
    ca = await makeCa();
    leaf = await makeLeaf(ca, { subject: 'CN=release,O=Example,C=US' });
    jws = await notationJws(leaf, [], SUBJECT);
  });

  it('verified under a matching identity, with "revocation not checked"; another identity is invalid', async () => {
    const ok = await verifyNotationJws({ envelope: jws, subject: SUBJECT, scope: 'r.example/app', config: config({ trustedIdentities: ['x509.subject: C=US, O=Example, CN=release'] }, { 'ca:root': [ca.cert] }) });
    assert.equal(ok.kind, 'verified');
    assert.deepEqual(ok.notes, ['revocation not checked']);
    const other = await verifyNotationJws({ envelope: jws, subject: SUBJECT, scope: 'r.example/app', config: config({ trustedIdentities: ['x509.subject: C=US, O=Other'] }, { 'ca:root': [ca.cert] }) });
    assert.equal(other.kind, 'invalid');
    assert.match(other.reason!, /not among the trusted identities/);
  });

  it('a signer whose subject names an attribute twice (O=Evil, O=Example) is not the trusted O=Example (it matched: the last one won)', async () => {
    const twice = await makeLeaf(ca, { subject: 'CN=release,O=Evil,O=Example,C=US' });
    const env = await notationJws(twice, [], SUBJECT);
    const v = await verifyNotationJws({ envelope: env, subject: SUBJECT, scope: 'r.example/app', config: config({ trustedIdentities: ['x509.subject: C=US, O=Example'] }, { 'ca:root': [ca.cert] }) });
    assert.equal(v.kind, 'invalid', v.by);
    assert.match(v.reason!, /not among the trusted identities/);
  });

  it('a TLS server certificate or a CA of the trusted CA is no signing certificate: invalid, not verified', async () => {
    const make = async (subject: string, extensions: x509.Extension[]): Promise<TestLeaf> => {
      const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: '0b', subject, issuer: ca.cert.subject, notBefore: new Date(Date.now() - 86_400_000), notAfter: new Date(Date.now() + 86_400_000 * 30),
        publicKey: keys.publicKey, signingKey: ca.keys.privateKey, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' }, extensions,
      });
      const { createPrivateKey } = await import('node:crypto');
      return { cert, privateKey: createPrivateKey({ key: Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)), format: 'der', type: 'pkcs8' }), pem: cert.toString('pem') };
    };
    const cases: [TestLeaf, RegExp][] = [
      [await make('CN=www.example.com,O=Example,C=US', [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth])]), /not for code signing/],
      [await make('CN=sub,O=Example,C=US', [new x509.BasicConstraintsExtension(true, 0, true)]), /is a CA \(basicConstraints cA\)/],
      [await make('CN=enc,O=Example,C=US', [new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyEncipherment, true)]), /lacks digitalSignature/],
    ];
    for (const [signer, reason] of cases) {
      const v = await verifyNotationJws({ envelope: await notationJws(signer, [], SUBJECT), subject: SUBJECT, scope: 'r.example/app', config: config({}, { 'ca:root': [ca.cert] }) });
      assert.equal(v.kind, 'invalid', `${signer.cert.subject}: ${v.by}`);
      assert.match(v.reason!, reason);
    }
    const codeSigning = await make('CN=release,O=Example,C=US', [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.codeSigning]), new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)]);
    assert.equal((await verifyNotationJws({ envelope: await notationJws(codeSigning, [], SUBJECT), subject: SUBJECT, scope: 'r.example/app', config: config({}, { 'ca:root': [ca.cert] }) })).kind, 'verified');
  });

  it('scopes and levels: no policy for the repository, or level skip, is "not verified"', async () => {
    const scoped = await verifyNotationJws({ envelope: jws, subject: SUBJECT, scope: 'r.example/app', config: config({ registryScopes: ['r.example/other'] }, { 'ca:root': [ca.cert] }) });
    assert.equal(scoped.kind, 'not-verified');
    assert.match(scoped.reason!, /no trust policy .* covers r\.example\/app/);
    const skip = await verifyNotationJws({ envelope: jws, subject: SUBJECT, scope: 'r.example/app', config: config({ level: 'skip' }, { 'ca:root': [ca.cert] }) });
    assert.equal(skip.kind, 'not-verified');
    assert.equal((await verifyNotationJws({ envelope: jws, subject: SUBJECT, scope: 'x/y' })).kind, 'not-verified');
  });

  it('a chain through an intermediate verifies; a leaf of another CA is untrusted; size and media type must match', async () => {
    // root -> intermediate -> leaf, x5c = [leaf, intermediate]
    const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const interCert = await x509.X509CertificateGenerator.create({
      serialNumber: '0a', subject: 'CN=Intermediate,O=Test', issuer: ca.cert.subject, notBefore: new Date(Date.now() - 86_400_000), notAfter: new Date(Date.now() + 86_400_000 * 30),
      publicKey: keys.publicKey, signingKey: ca.keys.privateKey, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
    });
    const inter: TestCa = { cert: interCert, keys, pem: interCert.toString('pem') };
    const deepLeaf = await makeLeaf(inter);
    const deep = await notationJws(deepLeaf, [inter.cert], SUBJECT);
    const cfg = config({}, { 'ca:root': [ca.cert] });
    assert.equal((await verifyNotationJws({ envelope: deep, subject: SUBJECT, scope: 'a/b', config: cfg })).kind, 'verified');
    const stranger = await makeCa('CN=Stranger CA');
    const foreign = await notationJws(await makeLeaf(stranger), [], SUBJECT);
    const v = await verifyNotationJws({ envelope: foreign, subject: SUBJECT, scope: 'a/b', config: cfg });
    assert.equal(v.kind, 'invalid');
    assert.match(v.reason!, /untrusted certificate: .* does not chain to a trusted certificate/);
    assert.match((await verifyNotationJws({ envelope: jws, subject: { ...SUBJECT, size: 322 }, scope: 'a/b', config: cfg })).reason!, /names size 321, the manifest is 322 bytes/);
    assert.match((await verifyNotationJws({ envelope: jws, subject: { ...SUBJECT, mediaType: 'application/vnd.oci.image.index.v1+json' }, scope: 'a/b', config: cfg })).reason!, /names media type application\/vnd\.oci\.image\.manifest\.v1\+json/);
  });

  it('a flipped byte in the signature: invalid, altered bytes', async () => {
    const env = JSON.parse(jws.toString());
    const sig = Buffer.from(env.signature, 'base64url');
    sig[5] ^= 1;
    env.signature = sig.toString('base64url');
    const v = await verifyNotationJws({ envelope: Buffer.from(JSON.stringify(env)), subject: SUBJECT, scope: 'a/b', config: config({}, { 'ca:root': [ca.cert] }) });
    assert.equal(v.kind, 'invalid');
    assert.match(v.reason!, /altered bytes: the JWS signature does not verify/);
  });
});

describe('notation COSE_Sign1', () => {
  it('verified over the original protected bytes; a flipped byte, an unknown crit label, an expired certificate are invalid', async () => {
    const { notationCose } = await import('./fixtures');
    const { verifyNotationCose } = await import('../../server/src/supplychain');
    const ca = await makeCa();
    const cfg = config({}, { 'ca:root': [ca.cert] });
    const leaf = await makeLeaf(ca);
    const cose = notationCose(leaf, [], SUBJECT);
    const ok = await verifyNotationCose({ envelope: cose, subject: SUBJECT, scope: 'a/b', config: cfg });
    assert.equal(ok.kind, 'verified', ok.reason);
    assert.deepEqual(ok.notes, ['revocation not checked']);
    const flipped = Buffer.from(cose);
    flipped[flipped.length - 3] ^= 1; // inside the signature
    assert.match((await verifyNotationCose({ envelope: flipped, subject: SUBJECT, scope: 'a/b', config: cfg })).reason!, /altered bytes: the COSE signature does not verify/);
    assert.match((await verifyNotationCose({ envelope: notationCose(leaf, [], SUBJECT, { extraCrit: 'io.example.unknown' }), subject: SUBJECT, scope: 'a/b', config: cfg })).reason!, /unknown critical header "io\.example\.unknown"/);
    const expired = await makeLeaf(ca, { expired: true });
    assert.match((await verifyNotationCose({ envelope: notationCose(expired, [], SUBJECT), subject: SUBJECT, scope: 'a/b', config: cfg })).reason!, /untrusted certificate: certificate ".*" expired on /);
    assert.match((await verifyNotationCose({ envelope: Buffer.from('not cbor'), subject: SUBJECT, scope: 'a/b', config: cfg })).reason!, /not a COSE_Sign1 envelope/);
  });
});
