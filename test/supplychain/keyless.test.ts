/**
 * `manifest-lens verify --trusted-root --certificate-identity --certificate-oidc-issuer` on keyless
 * Sigstore bundles (v0.3, cosign v3's OCI 1.1 referrers, found through the fallback tag of a real
 * docker-registry 2.8 on 127.0.0.1), made offline from @sigstore/mock's Fulcio CA and Rekor log
 * (keylessFixtures.ts): verified only for the identity and issuer given, under the CA of the
 * trusted root, with the log entry's promise; every other case invalid, or "cannot verify
 * offline" without a log proof.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertCliBuilt, isolatedEnv, runCli, type IsolatedEnv } from '../harness/cli';
import { startRegistry, type RunningRegistry } from '../harness/registry';
import { pushArtifact, pushImage, pushManifest, referrersIndex, sigstoreBundleManifest, statement, type Doc } from './fixtures';
import { makeKeylessSigner } from './keylessFixtures';

const REPO = 'sc/keyless';
const IDENTITY = 'https://github.com/example/app/.github/workflows/release.yml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';

describe('verify: keyless Sigstore bundles against a trusted root, an identity and an issuer', () => {
  let registry: RunningRegistry;
  let home: IsolatedEnv;
  let rootFile = '';
  let noCaRootFile = '';
  const images: Record<string, Doc> = {};
  const logIndex: Record<string, string> = {};

  before(async () => {
    assertCliBuilt();
    home = isolatedEnv();
    registry = await startRegistry({ auth: 'none' });
    const signer = await makeKeylessSigner();
    rootFile = join(home.dir, 'trusted_root.json');
    writeFileSync(rootFile, signer.trustedRoot());
    noCaRootFile = join(home.dir, 'no-ca.json');
    writeFileSync(noCaRootFile, signer.trustedRoot({ omit: 'ca' }));
    const signStatement = (digest: string) => statement('https://sigstore.dev/cosign/sign/v1', digest, {});
    const bundled = async (name: string, make: (img: Doc) => Promise<{ json: Buffer; logIndex: string }>): Promise<void> => {
      const img = await pushImage(registry.url, REPO, name, name);
      const made = await make(img);
      const built = sigstoreBundleManifest(made.json, { mediaType: img.mediaType, digest: img.digest, size: img.bytes.length });
      await pushArtifact(registry.url, REPO, undefined, built);
      await pushManifest(registry.url, REPO, `sha256-${img.digest.slice(7)}`, referrersIndex([{ manifest: built.manifest, artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json' }]));
      images[name] = img;
      logIndex[name] = made.logIndex;
    };
    await bundled('good', (img) => signer.bundle(signStatement(img.digest)));
    await bundled('other-digest', () => signer.bundle(signStatement(images.good.digest)));
    await bundled('flipped', (img) => signer.bundle(signStatement(img.digest), { flipSignature: true }));
    await bundled('expired', (img) => signer.bundle(signStatement(img.digest), { certificateExpired: true }));
    await bundled('no-log', (img) => signer.bundle(signStatement(img.digest), { logProof: false }));
    await bundled('no-entry', (img) => signer.bundle(signStatement(img.digest), { logProof: 'none' }));
  });
  after(async () => {
    await registry?.stop();
    home?.cleanup();
  });

  const verify = (tag: string, ...args: string[]) => runCli(['verify', ...args, `${registry.host}/${REPO}:${tag}`], { env: home.env });
  const keyless = (tag: string, o: { root?: string; identity?: string; issuer?: string } = {}) =>
    verify(tag, '--trusted-root', o.root ?? rootFile, '--certificate-identity', o.identity ?? IDENTITY, '--certificate-oidc-issuer', o.issuer ?? ISSUER);

  it('the identity and issuer of the certificate, under the trusted root\'s CA, with its log entry: verified (exit 0), saying by what', async () => {
    const r = await keyless('good');
    const out = r.stdout.toString();
    assert.equal(r.code, 0, out + r.stderr);
    assert.match(out, /^Sigstore bundle {2}referrer sha256:[0-9a-f]{64} layer 0$/m);
    assert.match(out, new RegExp(`verdict: verified \\(by certificate for ${IDENTITY.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(issuer ${ISSUER.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\) under the trusted root, Rekor log index ${logIndex.good}\\b`));
    assert.match(out, new RegExp(`^  log index: ${logIndex.good}$`, 'm'));
  });

  it('another identity, another issuer: invalid (exit 1), saying which was expected and which was found', async () => {
    const id = await keyless('good', { identity: 'https://github.com/example/app/.github/workflows/other.yml@refs/heads/main' });
    assert.equal(id.code, 1);
    assert.match(id.stdout.toString(), /verdict: invalid — the certificate is for https:\/\/github\.com\/example\/app\/\.github\/workflows\/release\.yml@refs\/heads\/main, not https:\/\/github\.com\/example\/app\/\.github\/workflows\/other\.yml@refs\/heads\/main \(certificate identity error\)/);
    // a prefix of the identity is not the identity
    const prefix = await keyless('good', { identity: 'https://github.com/example/app' });
    assert.equal(prefix.code, 1);
    assert.match(prefix.stdout.toString(), /verdict: invalid — the certificate is for /);
    const iss = await keyless('good', { issuer: 'https://accounts.example.com' });
    assert.equal(iss.code, 1);
    assert.match(iss.stdout.toString(), /verdict: invalid — invalid certificate extension - expected issuer=https:\/\/accounts\.example\.com, got issuer=https:\/\/token\.actions\.githubusercontent\.com/);
  });

  it('a bundle whose statement names another digest: invalid', async () => {
    const r = await keyless('other-digest');
    assert.equal(r.code, 1);
    assert.match(r.stdout.toString(), new RegExp(`verdict: invalid — the statement's subjects name other digests \\(${images.good.digest}; this image is ${images['other-digest'].digest}\\)`));
  });

  it('a flipped bit in the DSSE signature: invalid', async () => {
    const r = await keyless('flipped');
    assert.equal(r.code, 1);
    assert.match(r.stdout.toString(), /verdict: invalid — the bundle's signature or payload differs from what its log entry records \(tlog entry signature mismatch\): altered bytes/);
    assert.doesNotMatch(r.stdout.toString(), /verdict: verified/);
  });

  it('a trusted root without the CA: invalid, saying the root names no certificate authority', async () => {
    const r = await keyless('good', { root: noCaRootFile });
    assert.equal(r.code, 1);
    assert.match(r.stdout.toString(), /verdict: invalid — the trusted root names no certificate authority: the certificate cannot chain to one/);
  });

  it('a certificate expired when the log entry was made: invalid, saying so', async () => {
    const r = await keyless('expired');
    assert.equal(r.code, 1);
    assert.match(r.stdout.toString(), /verdict: invalid — Failed to verify certificate chain: certificate is not valid or expired at the specified date/);
  });

  it('a bundle whose log entry has no inclusion promise or proof, or with no log entry: "cannot verify offline", never verified', async () => {
    for (const tag of ['no-log', 'no-entry']) {
      const r = await keyless(tag);
      assert.equal(r.code, 1, tag);
      assert.match(r.stdout.toString(), /verdict: cannot verify offline — a keyless bundle without an inclusion promise or proof: cosign would ask Rekor online/, tag);
    }
  });
});
