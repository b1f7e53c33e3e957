/**
 * `manifest-lens verify` against a real docker-registry 2.8 on 127.0.0.1 (no Referrers API: the
 * referrers come through the sha256-<hex> fallback tag), with signatures made here in the
 * layouts cosign and notation write: cosign tag-scheme key signatures (P-256, P-384, RSA,
 * Ed25519) and a DSSE attestation; notation JWS under a CA made here. Each negative case must be
 * "invalid" with its reason and exit 1; unsigned is exit 1 "no signatures".
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertCliBuilt, isolatedEnv, runCli, type IsolatedEnv } from '../harness/cli';
import { startRegistry, type RunningRegistry } from '../harness/registry';
import {
  buildxAttestationManifest,
  cosignAttestationManifest,
  cosignSign,
  cosignSignatureManifest,
  dsseEnvelope,
  makeCa,
  makeKey,
  makeLeaf,
  makeLog,
  notationCose,
  notationJws,
  notationManifest,
  pushArtifact,
  pushImage,
  pushManifest,
  referrersIndex,
  sigstoreBundle,
  sigstoreBundleManifest,
  simpleSigningPayload,
  SLSA_V02_PREDICATE,
  SPDX_PREDICATE,
  statement,
  type Doc,
  type KeyKind,
} from './fixtures';

const REPO = 'sc/app';
const sigTag = (d: Doc): string => `sha256-${d.digest.slice(7)}.sig`;
const descriptor = (d: Doc): { mediaType: string; digest: string; size: number } => ({ mediaType: d.mediaType, digest: d.digest, size: d.bytes.length });

describe('verify: cosign key signatures and notation JWS, offline, through the fallback tag', () => {
  let registry: RunningRegistry;
  let home: IsolatedEnv;
  const keyFile: Partial<Record<KeyKind | 'other', string>> = {};
  const images: Record<string, Doc> = {};
  let notationDir = '';
  let rootFile = '';
  let otherRootFile = '';

  before(async () => {
    assertCliBuilt();
    home = isolatedEnv();
    registry = await startRegistry({ auth: 'none' });
    const url = registry.url;
    const keys = { p256: makeKey('p256'), p384: makeKey('p384'), rsa: makeKey('rsa'), ed25519: makeKey('ed25519'), other: makeKey('p256') };
    for (const [k, v] of Object.entries(keys)) {
      keyFile[k as KeyKind] = join(home.dir, `${k}.pub`);
      writeFileSync(keyFile[k as KeyKind]!, v.publicPem);
    }
    const ref = `${registry.host}/${REPO}`;
    const cosignSigned = async (name: string, signer: KeyKind, opts: { names?: string; tamper?: boolean } = {}): Promise<Doc> => {
      const img = await pushImage(url, REPO, name, name);
      const payload = simpleSigningPayload(ref, opts.names ?? img.digest);
      const signature = cosignSign(keys[signer].privateKey, payload);
      // A flipped byte: the payload changed after signing (and re-pushed under its new digest).
      const stored = opts.tamper ? Buffer.from(payload.toString().replace('cosign container image signature', 'cosign container image signaturf')) : payload;
      await pushArtifact(url, REPO, sigTag(img), cosignSignatureManifest([{ payload: stored, signature }]));
      return img;
    };
    for (const k of ['p256', 'p384', 'rsa', 'ed25519'] as const) images[k] = await cosignSigned(`key-${k}`, k);
    // p256 also carries a signed SLSA attestation (.att)
    const att = statement('https://slsa.dev/provenance/v0.2', images.p256.digest, SLSA_V02_PREDICATE);
    await pushArtifact(url, REPO, `sha256-${images.p256.digest.slice(7)}.att`, cosignAttestationManifest(dsseEnvelope(att, keys.p256.privateKey), 'https://slsa.dev/provenance/v0.2'));
    images.otherDigest = await cosignSigned('names-other', 'p256', { names: images.p384.digest });
    images.tampered = await cosignSigned('tampered', 'p256', { tamper: true });
    images.unsigned = await pushImage(url, REPO, 'unsigned', 'unsigned');
    // a hostile signature manifest: 100 layers naming one payload
    images.many = await pushImage(url, REPO, 'many', 'many');
    const mPayload = simpleSigningPayload(ref, images.many.digest);
    const mSig = cosignSign(keys.p256.privateKey, mPayload);
    await pushArtifact(url, REPO, sigTag(images.many), cosignSignatureManifest(Array.from({ length: 100 }, () => ({ payload: mPayload, signature: mSig }))));
    // a key signature with a Rekor entry (SET) from a log of our own, named by a trusted_root.json
    const log = makeLog();
    rootFile = join(home.dir, 'trusted_root.json');
    writeFileSync(rootFile, log.trustedRoot());
    otherRootFile = join(home.dir, 'other_root.json');
    writeFileSync(otherRootFile, makeLog().trustedRoot());
    images.rekor = await pushImage(url, REPO, 'rekor', 'rekor');
    const rPayload = simpleSigningPayload(ref, images.rekor.digest);
    const rSig = cosignSign(keys.p256.privateKey, rPayload);
    await pushArtifact(url, REPO, sigTag(images.rekor), cosignSignatureManifest([{ payload: rPayload, signature: rSig, annotations: { 'dev.sigstore.cosign/bundle': log.bundleAnnotation(rPayload, rSig, keys.p256.publicPem) } }]));
    // an index whose linux/amd64 child is the P-256-signed image (the index itself is unsigned)
    // and BuildKit's attestation manifest for that child (SPDX + SLSA statements)
    const buildx = buildxAttestationManifest([
      { predicateType: 'https://spdx.dev/Document', bytes: statement('https://spdx.dev/Document', images.p256.digest, SPDX_PREDICATE) },
      { predicateType: 'https://slsa.dev/provenance/v0.2', bytes: statement('https://slsa.dev/provenance/v0.2', images.p256.digest, SLSA_V02_PREDICATE) },
    ]);
    await pushArtifact(url, REPO, undefined, buildx);
    const index = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [
      { ...descriptor(images.p256), platform: { os: 'linux', architecture: 'amd64' } },
      { ...descriptor(buildx.manifest), platform: { os: 'unknown', architecture: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': images.p256.digest } },
    ] };
    const indexBytes = Buffer.from(JSON.stringify(index));
    await pushManifest(url, REPO, 'multi', { bytes: indexBytes, digest: '', mediaType: index.mediaType });
    // hostile text in what is displayed: an ESC sequence and a bidi override in the predicate type
    images.hostile = await pushImage(url, REPO, 'hostile', 'hostile');
    const hostileType = 'https://evil.example/\u001b]0;pwned\u0007\u202egnp.exe';
    const hostileAtt = statement(hostileType, images.hostile.digest, {});
    await pushArtifact(url, REPO, `sha256-${images.hostile.digest.slice(7)}.att`, cosignAttestationManifest(dsseEnvelope(hostileAtt, keys.p256.privateKey), hostileType));

    // notation: a CA in a notation configuration folder, signatures as OCI 1.1 referrers.
    const ca = await makeCa();
    notationDir = join(home.dir, 'notation');
    mkdirSync(join(notationDir, 'truststore', 'x509', 'ca', 'test-ca'), { recursive: true });
    writeFileSync(join(notationDir, 'truststore', 'x509', 'ca', 'test-ca', 'ca.pem'), ca.pem);
    writeFileSync(join(notationDir, 'trustpolicy.json'), JSON.stringify({ version: '1.0', trustPolicies: [{ name: 'test', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:test-ca'], trustedIdentities: ['x509.subject: O=Example, C=US'] }] }));
    const leaf = await makeLeaf(ca);
    const expired = await makeLeaf(ca, { expired: true });
    const notarySigned = async (name: string, make: (img: Doc) => Promise<Buffer>): Promise<Doc> => {
      const img = await pushImage(url, REPO, name, name);
      const built = notationManifest(await make(img), descriptor(img));
      await pushArtifact(url, REPO, undefined, built);
      await pushManifest(url, REPO, `sha256-${img.digest.slice(7)}`, referrersIndex([{ manifest: built.manifest, artifactType: 'application/vnd.cncf.notary.signature' }]));
      return img;
    };
    // keyless (a Fulcio-like certificate) without a Rekor bundle: needs Rekor online
    images.keyless = await pushImage(url, REPO, 'keyless', 'keyless');
    const fulcioLeaf = await makeLeaf(ca, { subject: '', san: { type: 'email', value: 'dev@example.com' }, oidcIssuer: 'https://accounts.example.com' });
    const klPayload = simpleSigningPayload(ref, images.keyless.digest);
    await pushArtifact(url, REPO, sigTag(images.keyless), cosignSignatureManifest([{ payload: klPayload, signature: cosignSign(fulcioLeaf.privateKey, klPayload), annotations: { 'dev.sigstore.cosign/certificate': fulcioLeaf.pem } }]));
    // cosign v3: Sigstore bundles (v0.3) as OCI 1.1 referrers, found through the fallback tag
    const bundled = async (name: string, make: (img: Doc) => Promise<Buffer>): Promise<Doc> => {
      const img = await pushImage(url, REPO, name, name);
      const built = sigstoreBundleManifest(await make(img), descriptor(img));
      await pushArtifact(url, REPO, undefined, built);
      await pushManifest(url, REPO, `sha256-${img.digest.slice(7)}`, referrersIndex([{ manifest: built.manifest, artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json' }]));
      return img;
    };
    const signStatement = (digest: string) => statement('https://sigstore.dev/cosign/sign/v1', digest, {});
    images.bundleKey = await bundled('bundle-key', (img) => sigstoreBundle(signStatement(img.digest), keys.p256));
    images.bundleOther = await bundled('bundle-other', () => sigstoreBundle(signStatement(images.p256.digest), keys.p256));
    images.bundleKeyless = await bundled('bundle-keyless', (img) => sigstoreBundle(signStatement(img.digest), { privateKey: fulcioLeaf.privateKey, certificatePem: fulcioLeaf.pem }));
    images.notary = await notarySigned('notary', (img) => notationJws(leaf, [], descriptor(img)));
    images.notaryCose = await notarySigned('notary-cose', async (img) => notationCose(leaf, [], descriptor(img)));
    images.notaryExpired = await notarySigned('notary-expired', (img) => notationJws(expired, [], descriptor(img)));
    images.notaryCrit = await notarySigned('notary-crit', (img) => notationJws(leaf, [], descriptor(img), { extraCrit: 'io.example.unknown' }));
    images.notaryOther = await notarySigned('notary-other', () => notationJws(leaf, [], descriptor(images.notary)));
  });
  after(async () => {
    await registry?.stop();
    home?.cleanup();
  });

  const verify = (tag: string, ...args: string[]) => runCli(['verify', ...args, `${registry.host}/${REPO}:${tag}`], { env: home.env });

  it('a P-256 key signature and its DSSE attestation: "signature valid, no transparency-log proof", exit 0', async () => {
    const r = await verify('key-p256', '--key', keyFile.p256!);
    const out = r.stdout.toString();
    assert.equal(r.code, 0, out + r.stderr);
    assert.match(out, /^cosign signature {2}tag sha256-[0-9a-f]{64}\.sig layer 0$/m);
    assert.match(out, /verdict: signature valid, no transparency-log proof \(by key .*p256\.pub SHA256:[0-9a-f]{64}\)/);
    assert.match(out, /^cosign attestation \(DSSE\) {2}tag sha256-[0-9a-f]{64}\.att layer 0$/m);
    assert.match(out, /predicate: https:\/\/slsa\.dev\/provenance\/v0\.2 — SLSA provenance: builder https:\/\/github\.com\/docker\/buildx@v0\.12\.0/);
    assert.match(out, /2 of 2 signatures verify against the trust given/);
  });

  it('P-384, RSA and Ed25519 keys verify their signatures (exit 0), and the JSON says so', async () => {
    for (const k of ['p384', 'rsa', 'ed25519'] as const) {
      const r = await verify(`key-${k}`, '--key', keyFile[k]!, '--format', 'json');
      assert.equal(r.code, 0, `${k}: ${r.stdout}${r.stderr}`);
      const j = JSON.parse(r.stdout.toString());
      assert.equal(j.verified, true);
      assert.equal(j.subject.digest, images[k].digest);
      assert.equal(j.signatures[0].verdict.kind, 'valid-no-tlog', k);
    }
  });

  it('the wrong key: invalid, "wrong key", exit 1', async () => {
    const r = await verify('key-p256', '--key', keyFile.other!);
    assert.equal(r.code, 1, r.stdout.toString());
    assert.match(r.stdout.toString(), /verdict: invalid — wrong key or altered bytes: the signature does not verify with the given key/);
    assert.match(r.stdout.toString(), /none of 2 signatures verifies/);
  });

  it('a payload naming another digest: invalid, exit 1, never valid', async () => {
    const r = await verify('names-other', '--key', keyFile.p256!);
    assert.equal(r.code, 1);
    assert.match(r.stdout.toString(), new RegExp(`verdict: invalid — the payload names another digest: ${images.p384.digest} \\(this image is ${images.otherDigest.digest}\\)`));
  });

  it('a flipped byte in the signed payload: invalid, exit 1', async () => {
    const r = await verify('tampered', '--key', keyFile.p256!);
    assert.equal(r.code, 1);
    assert.match(r.stdout.toString(), /verdict: invalid — wrong key or altered bytes/);
  });

  it('no trust given: "not verified: no trust configured", exit 1', async () => {
    const r = await verify('key-p256');
    assert.equal(r.code, 1);
    assert.match(r.stdout.toString(), /verdict: not verified: no trust configured/);
    assert.doesNotMatch(r.stdout.toString(), /verdict: (verified|signature valid)/);
  });

  it('unsigned: "no signatures", exit 1', async () => {
    const r = await verify('unsigned', '--key', keyFile.p256!);
    assert.equal(r.code, 1);
    assert.match(r.stdout.toString(), /no signatures: nothing attached signs sha256:[0-9a-f]{64}/);
    assert.match(r.stdout.toString(), /referrers via the fallback tag/);
  });

  it('notation JWS under the configured CA: verified, "revocation not checked", exit 0', async () => {
    const r = await verify('notary', '--notation-config', notationDir);
    const out = r.stdout.toString();
    assert.equal(r.code, 0, out + r.stderr);
    assert.match(out, /^notation signature {2}referrer sha256:[0-9a-f]{64} layer 0$/m);
    assert.match(out, /signer: certificate "CN=signer\.example, O=Example, C=US"/);
    assert.match(out, /signed: .* \(the signer's claim\)/);
    assert.match(out, /verdict: verified \(by trust store ca:test-ca/);
    assert.match(out, /note: revocation not checked/);
  });

  it('notation COSE_Sign1 (layer application/cose): verified, "revocation not checked", exit 0', async () => {
    const r = await verify('notary-cose', '--notation-config', notationDir);
    const out = r.stdout.toString();
    assert.equal(r.code, 0, out + r.stderr);
    assert.match(out, /signer: certificate "CN=signer\.example, O=Example, C=US"/);
    assert.match(out, /verdict: verified \(by trust store ca:test-ca/);
    assert.match(out, /note: revocation not checked/);
  });

  it('notation negatives: expired certificate, unknown crit header, another digest; each invalid with why, exit 1', async () => {
    const cases: [string, RegExp][] = [
      ['notary-expired', /verdict: invalid — untrusted certificate: certificate "CN=signer\.example, O=Example, C=US" expired on /],
      ['notary-crit', /verdict: invalid — unknown critical header "io\.example\.unknown"/],
      ['notary-other', /verdict: invalid — the payload names another digest: sha256:/],
    ];
    for (const [tag, re] of cases) {
      const r = await verify(tag, '--notation-config', notationDir);
      assert.equal(r.code, 1, `${tag}: ${r.stdout}`);
      assert.match(r.stdout.toString(), re, tag);
    }
    // the notation trust does not verify a cosign key signature
    const c = await verify('key-p256', '--notation-config', notationDir);
    assert.equal(c.code, 1);
    assert.match(c.stdout.toString(), /not verified: no trust configured — a key signature: give --key FILE/);
  });

  it('--platform verifies the matching child of an index; the unsigned index itself has no signatures', async () => {
    const child = await verify('multi', '--platform', 'linux/amd64', '--key', keyFile.p256!);
    assert.equal(child.code, 0, child.stdout.toString() + child.stderr);
    assert.match(child.stdout.toString(), new RegExp(`^[^\\n]*@${images.p256.digest}: ${images.p256.digest} `));
    assert.match(child.stdout.toString(), /^buildx attestation manifest {2}attestation manifest sha256:[0-9a-f]{64} layer 0 — SPDX: 3 packages, top-level example-app \(no signature of its own\)$/m);
    assert.match(child.stdout.toString(), /^buildx attestation manifest {2}attestation manifest sha256:[0-9a-f]{64} layer 1 — SLSA provenance: builder https:\/\/github\.com\/docker\/buildx@v0\.12\.0, source https:\/\/github\.com\/example\/app\.git@0123456789abcdef0123456789abcdef01234567 \(no signature of its own\)$/m);
    const top = await verify('multi', '--key', keyFile.p256!);
    assert.equal(top.code, 1);
    assert.match(top.stdout.toString(), /no signatures: nothing attached signs/);
    assert.match(top.stdout.toString(), /an index: the signatures of its platforms' manifests are verified with --platform/);
  });

  it('a keyless signature without a Rekor bundle: "cannot verify offline", with or without --key', async () => {
    for (const args of [['--key', keyFile.p256!], ['--notation-config', notationDir]]) {
      const r = await verify('keyless', ...args);
      assert.equal(r.code, 1);
      const out = r.stdout.toString();
      assert.match(out, /signer: certificate \(no subject\), SAN email:dev@example\.com, OIDC issuer https:\/\/accounts\.example\.com/);
      assert.match(out, /verdict: cannot verify offline — a keyless signature \(Fulcio certificate\) without a Rekor bundle: cosign would ask Rekor online/);
    }
  });

  it('registry text is escaped in the text output (ESC, BEL, bidi override); JSON keeps it exact', async () => {
    const r = await verify('hostile', '--key', keyFile.p256!);
    const out = r.stdout.toString();
    assert.equal(r.code, 0, out);
    assert.doesNotMatch(out, /[\u001b\u0007\u202e]/);
    assert.match(out, /predicate: https:\/\/evil\.example\/\\x1b\]0;pwned\\x07\\u202egnp\.exe/);
    const j = await verify('hostile', '--key', keyFile.p256!, '--format', 'json');
    assert.equal(JSON.parse(j.stdout.toString()).signatures[0].predicateType, 'https://evil.example/\u001b]0;pwned\u0007\u202egnp.exe');
  });

  it('Sigstore bundles (cosign v3 referrers) with @sigstore/verify: a key bundle valid without log proof (exit 0); wrong key, another digest: invalid; keyless without log proof: cannot verify offline', async () => {
    const ok = await verify('bundle-key', '--key', keyFile.p256!);
    assert.equal(ok.code, 0, ok.stdout.toString() + ok.stderr);
    assert.match(ok.stdout.toString(), /^Sigstore bundle {2}referrer sha256:[0-9a-f]{64} layer 0$/m);
    assert.match(ok.stdout.toString(), /predicate: https:\/\/sigstore\.dev\/cosign\/sign\/v1/);
    assert.match(ok.stdout.toString(), /verdict: signature valid, no transparency-log proof \(by key /);
    const wrong = await verify('bundle-key', '--key', keyFile.other!);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stdout.toString(), /verdict: invalid — wrong key or altered bytes: the bundle's signature does not verify/);
    const other = await verify('bundle-other', '--key', keyFile.p256!);
    assert.equal(other.code, 1);
    assert.match(other.stdout.toString(), new RegExp(`verdict: invalid — the statement's subjects name other digests \\(${images.p256.digest}; this image is ${images.bundleOther.digest}\\)`));
    const keyless = await verify('bundle-keyless', '--key', keyFile.p256!);
    assert.equal(keyless.code, 1);
    assert.match(keyless.stdout.toString(), /signer: certificate \(no subject\), SAN email:dev@example\.com/);
    assert.match(keyless.stdout.toString(), /verdict: cannot verify offline — a keyless bundle without an inclusion promise or proof/);
  });

  it('a key signature with its Rekor entry: "verified" when the SET checks against --trusted-root, invalid against another log, "no transparency-log proof" without a root', async () => {
    const ok = await verify('rekor', '--key', keyFile.p256!, '--trusted-root', rootFile);
    assert.equal(ok.code, 0, ok.stdout.toString() + ok.stderr);
    assert.match(ok.stdout.toString(), /verdict: verified \(by key .*p256\.pub SHA256:[0-9a-f]{64}, Rekor log index 4242 \(its signed entry timestamp checked against the trusted root\)\)/);
    assert.match(ok.stderr, /trusted root .*trusted_root\.json \(written 0 days ago/);
    const bad = await verify('rekor', '--key', keyFile.p256!, '--trusted-root', otherRootFile);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout.toString(), /verdict: invalid — the Rekor entry does not verify against the trusted root: inclusion promise could not be verified/);
    const none = await verify('rekor', '--key', keyFile.p256!);
    assert.equal(none.code, 0);
    assert.match(none.stdout.toString(), /verdict: signature valid, no transparency-log proof/);
    assert.match(none.stdout.toString(), /note: a Rekor entry is attached \(log index 4242\) but was not checked: no --trusted-root/);
  });

  it('a signature manifest of 100 layers: 64 checked, the rest said to be left out', async () => {
    const r = await verify('many', '--key', keyFile.p256!);
    const out = r.stdout.toString();
    assert.equal(r.code, 0);
    assert.equal(out.match(/^ {2}verdict: /gm)?.length, 64);
    assert.match(out, /^problem: tag sha256-[0-9a-f]{64}\.sig: 100 layers; the first 64 were checked$/m);
  });

  it('usage errors exit 2, a registry that cannot serve exits 3', async () => {
    assert.equal((await verify('key-p256', '--certificate-identity', 'a@b.c')).code, 2);
    const missing = await verify('key-p256', '--key', join(home.dir, 'nope.pub'));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--key .*nope\.pub: no such file/);
    const notKey = await verify('key-p256', '--key', join(notationDir, 'trustpolicy.json'));
    assert.equal(notKey.code, 2);
    const down = await runCli(['verify', '--timeout', '2', '127.0.0.1:1/sc/app:x'], { env: home.env });
    assert.equal(down.code, 3, down.stderr);
  });
});
