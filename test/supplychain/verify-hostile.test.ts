/**
 * `manifest-lens verify` against a registry in this process that serves hostile attachments
 * (test/harness/fakeRegistry.ts), and hostile trust files: each must end quickly with a clear
 * verdict or message, and nothing past a limit may say "verified".
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeCbor } from '../../server/src/supplychain/cbor';
import { assertCliBuilt, isolatedEnv, runCli, type IsolatedEnv } from '../harness/cli';
import { startFakeRegistry, type FakeRegistry } from '../harness/fakeRegistry';
import { makeCa, makeKey, makeLeaf, notationJws, referrersIndex, statement, type TestCa, type TestLeaf } from './fixtures';

const REPO = 'h/app';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const NOTATION = 'application/vnd.cncf.notary.signature';

describe('verify: hostile attachments and trust files end fast, never "verified"', () => {
  let reg: FakeRegistry;
  let home: IsolatedEnv;
  let keyFile = '';
  let emptyDigest = '';
  let ca: TestCa;
  let leaf: TestLeaf;
  let n = 0;

  before(async () => {
    assertCliBuilt();
    home = isolatedEnv();
    reg = await startFakeRegistry();
    const key = makeKey('p256');
    keyFile = join(home.dir, 'k.pub');
    writeFileSync(keyFile, key.publicPem);
    emptyDigest = reg.putBlob(Buffer.from('{}'));
    ca = await makeCa();
    leaf = await makeLeaf(ca);
  });
  after(async () => {
    await reg?.close();
    home?.cleanup();
  });

  /** A fresh image (its own tag and digest). */
  const image = (): { ref: string; digest: string; hex: string; target: { mediaType: string; digest: string; size: number } } => {
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, n: n++ }));
    const cfg = reg.putBlob(config);
    const tag = `t${n}`;
    const m = reg.putManifest(REPO, tag, { schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: cfg, size: config.length }, layers: [] });
    return { ref: `${reg.host}/${REPO}:${tag}`, digest: m.digest, hex: m.digest.slice(7), target: { mediaType: OCI_MANIFEST, digest: m.digest, size: m.bytes.length } };
  };
  /** A `.att` manifest of `layers` DSSE layers all naming one envelope. */
  const attest = (img: ReturnType<typeof image>, envelope: Buffer, layers: number): void => {
    const d = reg.putBlob(envelope);
    reg.putManifest(REPO, `sha256-${img.hex}.att`, {
      schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: emptyDigest, size: 2 },
      layers: Array.from({ length: layers }, () => ({ mediaType: 'application/vnd.dsse.envelope.v1+json', digest: d, size: envelope.length, annotations: { predicateType: 'https://slsa.dev/provenance/v0.2' } })),
    });
  };
  /** A notation signature referrer (through the fallback tag) around `jws`. */
  const notationSigned = async (img: ReturnType<typeof image>, chainLength: number): Promise<void> => {
    const jws = await notationJws(leaf, Array.from({ length: chainLength }, () => ca.cert), img.target);
    const d = reg.putBlob(jws);
    const sig = reg.putManifest(REPO, undefined, { schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: NOTATION, config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: emptyDigest, size: 2 }, layers: [{ mediaType: 'application/jose+json', digest: d, size: jws.length }], subject: img.target });
    const index = referrersIndex([{ manifest: sig, artifactType: NOTATION }]);
    reg.putManifest(REPO, `sha256-${img.hex}`, index.bytes, 'application/vnd.oci.image.index.v1+json');
  };
  const notationDir = (policy: unknown): string => {
    const dir = join(home.dir, `notation-${n++}`);
    mkdirSync(join(dir, 'truststore', 'x509', 'ca', 't'), { recursive: true });
    writeFileSync(join(dir, 'truststore', 'x509', 'ca', 't', 'ca.pem'), ca.pem);
    writeFileSync(join(dir, 'trustpolicy.json'), JSON.stringify({ version: '1.0', trustPolicies: policy }));
    return dir;
  };
  const STRICT = { name: 'p', registryScopes: ['*'], signatureVerification: { level: 'strict' }, trustStores: ['ca:t'], trustedIdentities: ['*'] };
  const verify = (args: string[], timeoutMs = 15_000) => runCli(['verify', '--insecure', reg.host, '--format', 'json', ...args], { env: home.env, timeoutMs });

  it('a key or trusted root that is a FIFO or /dev/zero is a usage error, not a wait for ever or a read without end', async () => {
    const fifo = join(home.dir, 'key.fifo');
    execFileSync('mkfifo', [fifo]);
    const img = image();
    for (const args of [['--key', fifo], ['--key', '/dev/zero'], ['--trusted-root', fifo], ['--trusted-root', '/dev/zero']]) {
      const r = await verify([...args, img.ref], 10_000);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.signal ?? ''} ${r.stderr}`);
      assert.match(r.stderr, /not a regular file \((a FIFO|a device)\)/, args.join(' '));
    }
  });

  it('a DSSE envelope of 2,000 signatures over a 1 MB statement is invalid at once, not checked 2,000 times per layer', async () => {
    const img = image();
    const st = statement('https://slsa.dev/provenance/v0.2', img.digest, { pad: 'x'.repeat(1_000_000) });
    const sigs = Array.from({ length: 2000 }, () => ({ keyid: '', sig: Buffer.alloc(70, 1).toString('base64') }));
    attest(img, Buffer.from(JSON.stringify({ payloadType: 'application/vnd.in-toto+json', payload: st.toString('base64'), signatures: sigs })), 8);
    const r = await verify(['--key', keyFile, img.ref]);
    assert.equal(r.code, 1, `${r.signal ?? ''} ${r.stderr}`);
    const out = JSON.parse(r.stdout.toString()) as { verified: boolean; signatures: { verdict: { kind: string; reason?: string } }[] };
    assert.equal(out.verified, false);
    assert.equal(out.signatures.length, 8);
    for (const s of out.signatures) assert.match(s.verdict.reason ?? '', /holds 2000 signatures; at most 16 are checked/);
  });

  it('one 3 MB envelope named by 40 layers is checked until 64 MiB were checked, then each layer left is a problem', async () => {
    const img = image();
    const st = statement('https://slsa.dev/provenance/v0.2', img.digest, { pad: 'y'.repeat(2_200_000) });
    attest(img, Buffer.from(JSON.stringify({ payloadType: 'application/vnd.in-toto+json', payload: st.toString('base64'), signatures: [{ keyid: '', sig: Buffer.alloc(70, 2).toString('base64') }] })), 40);
    const r = await verify(['--key', keyFile, img.ref]);
    assert.equal(r.code, 1, `${r.signal ?? ''} ${r.stderr}`);
    const out = JSON.parse(r.stdout.toString()) as { verified: boolean; problems: string[] };
    const skipped = out.problems.filter((p) => /not checked: 67108864 bytes of attachments were checked already/.test(p));
    assert.ok(skipped.length > 10 && skipped.length < 40, `${skipped.length} layers left unchecked: ${out.problems.slice(0, 3).join(' | ')}`);
  });

  it('a notation signature with a chain of 1,000 certificates is invalid (at most 16 are read), not verified', async () => {
    const img = image();
    await notationSigned(img, 999);
    const r = await verify(['--notation-config', notationDir([STRICT]), img.ref]);
    assert.equal(r.code, 1, `${r.signal ?? ''} ${r.stderr}`);
    const out = JSON.parse(r.stdout.toString()) as { verified: boolean; signatures: { verdict: { kind: string; reason?: string } }[] };
    assert.equal(out.signatures[0]?.verdict.kind, 'invalid');
    assert.match(out.signatures[0]?.verdict.reason ?? '', /holds 1000 certificates; at most 16 are read/);
    // The same signature with its CA alone verifies (the limit, not the signature, refused it).
    const ok = image();
    await notationSigned(ok, 0);
    const good = await verify(['--notation-config', notationDir([STRICT]), ok.ref]);
    assert.equal(good.code, 0, good.stdout.toString() + good.stderr);
  });

  it('a trust policy notation would refuse (unknown level, a scope in two policies, a field of the wrong type) is a usage error, not "verified"', async () => {
    const img = image();
    await notationSigned(img, 0);
    const cases: [unknown, RegExp][] = [
      [[{ ...STRICT, signatureVerification: { level: 'bogus' } }], /signatureVerification\.level must be one of strict, permissive, audit, skip, got "bogus"/],
      [[{ ...STRICT, signatureVerification: undefined }], /signatureVerification\.level must be one of/],
      [[STRICT, { ...STRICT, name: 'q', trustedIdentities: ['x509.subject: CN=nobody'] }], /the registry scope "\*" is in more than one trust policy/],
      [[{ ...STRICT, trustedIdentities: '*' }], /trustedIdentities must be an array of strings/],
      [[{ ...STRICT, registryScopes: ['*', 'r.example/app'] }], /registryScopes must name repositories, or be \["\*"\] alone/],
    ];
    for (const [policy, message] of cases) {
      const r = await verify(['--notation-config', notationDir(policy), img.ref]);
      assert.equal(r.code, 2, `${JSON.stringify(policy)}: ${r.stdout.toString()} ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  });

  it('a COSE header map with a label twice is not CBOR this reads (RFC 9052: not "the last one wins")', () => {
    assert.throws(() => decodeCbor(Buffer.from([0xa2, 0x01, 0x26, 0x01, 0x20])), /a map key appears twice/);
    assert.deepEqual([...(decodeCbor(Buffer.from([0xa2, 0x01, 0x26, 0x02, 0x20])) as Map<unknown, unknown>)], [[1, -7], [2, -1]]);
  });
});
