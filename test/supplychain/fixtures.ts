/**
 * Signatures, attestations and SBOMs made by the tests, offline, in the exact layouts the tools
 * write them: cosign's tag scheme (pkg/oci/static, pkg/cosign/payload), notation's JWS envelope
 * (notaryproject specifications signature-envelope-jws.md), BuildKit's attestation manifests.
 * Keys from node:crypto, certificates from @peculiar/x509, JWS from jose.
 */
import { createHash, generateKeyPairSync, sign as cryptoSign, webcrypto, type KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { FlattenedSign } from 'jose';
import { headerValue, httpCall } from '../harness/http';

x509.cryptoProvider.set(webcrypto as never);

export const sha256 = (b: Uint8Array | string): string => 'sha256:' + createHash('sha256').update(b).digest('hex');

export type KeyKind = 'p256' | 'p384' | 'rsa' | 'ed25519';

export function makeKey(kind: KeyKind): { privateKey: KeyObject; publicKey: KeyObject; publicPem: string } {
  const pair =
    kind === 'p256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : kind === 'p384' ? generateKeyPairSync('ec', { namedCurve: 'P-384' })
    : kind === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ed25519');
  return { ...pair, publicPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** cosign's signing: ECDSA with the curve's hash (DER), RSA PKCS#1 v1.5 SHA-256, Ed25519 pure. */
export function cosignSign(privateKey: KeyObject, payload: Uint8Array): string {
  const curve = privateKey.asymmetricKeyDetails?.namedCurve;
  const hash = privateKey.asymmetricKeyType === 'ed25519' ? null : curve === 'secp384r1' ? 'sha384' : 'sha256';
  return cryptoSign(hash, payload, privateKey).toString('base64');
}

/** The simple-signing payload cosign signs (pkg/cosign/payload SimpleContainerImage). */
export function simpleSigningPayload(dockerReference: string, digest: string): Buffer {
  return Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': dockerReference }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' }, optional: null }));
}

export interface Doc {
  readonly bytes: Buffer;
  readonly digest: string;
  readonly mediaType: string;
}

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const doc = (value: unknown, mediaType = OCI_MANIFEST): Doc => {
  const bytes = Buffer.from(JSON.stringify(value));
  return { bytes, digest: sha256(bytes), mediaType };
};

export interface BuiltArtifact {
  readonly manifest: Doc;
  /** Blobs to push before the manifest. */
  readonly blobs: readonly Buffer[];
}

/**
 * A cosign `.sig` manifest as cosign writes it: an OCI manifest whose config is the synthetic
 * image config over the layers, one simple-signing layer per signature with its signature in an
 * annotation (and certificate/bundle annotations when given).
 */
export function cosignSignatureManifest(signatures: readonly { payload: Buffer; signature: string; annotations?: Record<string, string> }[]): BuiltArtifact {
  const config = Buffer.from(JSON.stringify({ architecture: '', created: '0001-01-01T00:00:00Z', history: [{ created: '0001-01-01T00:00:00Z' }], os: '', rootfs: { type: 'layers', diff_ids: signatures.map((s) => sha256(s.payload)) }, config: {} }));
  const manifest = doc({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: config.length, digest: sha256(config) },
    layers: signatures.map((s) => ({ mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', size: s.payload.length, digest: sha256(s.payload), annotations: { 'dev.cosignproject.cosign/signature': s.signature, ...s.annotations } })),
  });
  return { manifest, blobs: [config, ...signatures.map((s) => s.payload)] };
}

/** An in-toto statement about `digest`. */
export function statement(predicateType: string, digest: string, predicate: unknown, name = 'image'): Buffer {
  return Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v0.1', predicateType, subject: [{ name, digest: { sha256: digest.replace(/^sha256:/, '') } }], predicate }));
}

export const SLSA_V02_PREDICATE = {
  builder: { id: 'https://github.com/docker/buildx@v0.12.0' },
  buildType: 'https://mobyproject.org/buildkit@v1',
  invocation: { configSource: { uri: 'https://github.com/example/app.git', digest: { sha1: '0123456789abcdef0123456789abcdef01234567' } } },
};

export const SPDX_PREDICATE = {
  spdxVersion: 'SPDX-2.3',
  SPDXID: 'SPDXRef-DOCUMENT',
  name: 'sbom-doc',
  documentDescribes: ['SPDXRef-app'],
  packages: [
    { SPDXID: 'SPDXRef-app', name: 'example-app' },
    { SPDXID: 'SPDXRef-musl', name: 'musl' },
    { SPDXID: 'SPDXRef-busybox', name: 'busybox' },
  ],
};

/** A cosign `.att` manifest: DSSE envelope layers with a predicateType annotation. */
export function cosignAttestationManifest(envelope: Buffer, predicateType: string): BuiltArtifact {
  const config = Buffer.from('{}');
  const manifest = doc({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: config.length, digest: sha256(config) },
    layers: [{ mediaType: 'application/vnd.dsse.envelope.v1+json', size: envelope.length, digest: sha256(envelope), annotations: { predicateType } }],
  });
  return { manifest, blobs: [config, envelope] };
}

export function dsseEnvelope(payload: Buffer, privateKey: KeyObject): Buffer {
  const type = 'application/vnd.in-toto+json';
  const pae = Buffer.concat([Buffer.from(`DSSEv1 ${type.length} ${type} ${payload.length} `), payload]);
  return Buffer.from(JSON.stringify({ payloadType: type, payload: payload.toString('base64'), signatures: [{ keyid: '', sig: cosignSign(privateKey, pae) }] }));
}

/** A BuildKit attestation manifest: in-toto layers with in-toto.io/predicate-type. */
export function buildxAttestationManifest(statements: readonly { predicateType: string; bytes: Buffer }[]): BuiltArtifact {
  const config = Buffer.from('{"architecture":"unknown","os":"unknown","config":{},"rootfs":{"type":"layers","diff_ids":[]}}');
  const manifest = doc({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: config.length, digest: sha256(config) },
    layers: statements.map((s) => ({ mediaType: 'application/vnd.in-toto+json', size: s.bytes.length, digest: sha256(s.bytes), annotations: { 'in-toto.io/predicate-type': s.predicateType } })),
  });
  return { manifest, blobs: [config, ...statements.map((s) => s.bytes)] };
}

// ---- certificates (notation CA, Fulcio-like leaves) ----

export interface TestCa {
  readonly cert: x509.X509Certificate;
  readonly keys: webcrypto.CryptoKeyPair;
  readonly pem: string;
}

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

async function ecKeys(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
}

export async function makeCa(name = 'CN=Manifest Lens Test CA,O=Test'): Promise<TestCa> {
  const keys = await ecKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 365 * DAY),
    keys,
    signingAlgorithm: EC,
    extensions: [new x509.BasicConstraintsExtension(true, 1, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
  });
  return { cert, keys, pem: cert.toString('pem') };
}

export interface TestLeaf {
  readonly cert: x509.X509Certificate;
  readonly privateKey: KeyObject;
  readonly pem: string;
}

/** A leaf signed by `ca`; `expired` makes one whose validity ended yesterday. */
export async function makeLeaf(ca: TestCa, options: { subject?: string; expired?: boolean; san?: { type: 'email' | 'url'; value: string }; oidcIssuer?: string } = {}): Promise<TestLeaf> {
  const keys = await ecKeys();
  const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(false, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)];
  if (options.san) extensions.push(new x509.SubjectAlternativeNameExtension([options.san], true));
  if (options.oidcIssuer) {
    const v = Buffer.from(options.oidcIssuer, 'utf8');
    extensions.push(new x509.Extension('1.3.6.1.4.1.57264.1.8', false, Buffer.concat([Buffer.from([0x0c, v.length]), v])));
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: String(Date.now() % 1e9).padStart(10, '0').replace(/^0/, '1'),
    subject: options.subject ?? 'CN=signer.example,O=Example,C=US',
    issuer: ca.cert.subject,
    notBefore: new Date(Date.now() - (options.expired ? 30 : 1) * DAY),
    notAfter: new Date(Date.now() + (options.expired ? -1 : 30) * DAY),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: EC,
    extensions,
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const { createPrivateKey } = await import('node:crypto');
  return { cert, privateKey: createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }), pem: cert.toString('pem') };
}

/** A notation JWS signature envelope over `target` (a descriptor), signed by `leaf`. */
export async function notationJws(leaf: TestLeaf, chain: readonly x509.X509Certificate[], target: { mediaType: string; digest: string; size: number }, options: { extraCrit?: string; signingTime?: string } = {}): Promise<Buffer> {
  const payload = Buffer.from(JSON.stringify({ targetArtifact: target }));
  const crit = ['io.cncf.notary.signingScheme', ...(options.extraCrit ? [options.extraCrit] : [])];
  const header: Record<string, unknown> = {
    alg: 'ES256',
    crit,
    cty: 'application/vnd.cncf.notary.payload.v1+json',
    'io.cncf.notary.signingScheme': 'notary.x509',
    'io.cncf.notary.signingTime': options.signingTime ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
  if (options.extraCrit) header[options.extraCrit] = 'x';
  const jws = await new FlattenedSign(payload)
    .setProtectedHeader(header as never)
    .setUnprotectedHeader({ x5c: [leaf.cert, ...chain].map((c) => Buffer.from(c.rawData).toString('base64')), 'io.cncf.notary.signingAgent': 'manifest-lens-test/1' } as never)
    .sign(leaf.privateKey, { crit: Object.fromEntries(crit.map((c) => [c, true])) });
  return Buffer.from(JSON.stringify(jws));
}

/** A notation signature manifest (OCI 1.1 artifact with subject) around one JWS layer. */
export function notationManifest(jws: Buffer, subject: { mediaType: string; digest: string; size: number }): BuiltArtifact {
  const layerType = jws[0] === 0x7b ? 'application/jose+json' : 'application/cose';
  const empty = Buffer.from('{}');
  const manifest = doc({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: 'application/vnd.cncf.notary.signature',
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(empty), size: 2 },
    layers: [{ mediaType: layerType, digest: sha256(jws), size: jws.length }],
    subject,
    annotations: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' },
  });
  return { manifest, blobs: [empty, jws] };
}

/** The referrers fallback index (`sha256-<hex>` tag) listing artifacts. */
export function referrersIndex(entries: readonly { manifest: Doc; artifactType?: string }[]): Doc {
  return doc({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries.map((e) => ({ mediaType: e.manifest.mediaType, digest: e.manifest.digest, size: e.manifest.bytes.length, ...(e.artifactType ? { artifactType: e.artifactType } : {}) })) }, OCI_INDEX);
}

// ---- pushing to a registry over its HTTP API ----

export async function pushBlob(registryUrl: string, repository: string, bytes: Uint8Array): Promise<void> {
  const digest = sha256(bytes);
  const start = await httpCall(new URL(`/v2/${repository}/blobs/uploads/`, registryUrl), { method: 'POST' });
  if (start.status !== 202) throw new Error(`push blob: POST → ${start.status}`);
  const put = new URL(headerValue(start, 'location')!, registryUrl);
  put.searchParams.set('digest', digest);
  const res = await httpCall(put, { method: 'PUT', body: bytes, headers: { 'Content-Type': 'application/octet-stream' } });
  if (res.status !== 201) throw new Error(`push blob ${digest}: PUT → ${res.status} ${res.body.toString()}`);
}

export async function pushManifest(registryUrl: string, repository: string, reference: string, d: Doc): Promise<void> {
  const res = await httpCall(new URL(`/v2/${repository}/manifests/${reference}`, registryUrl), { method: 'PUT', body: d.bytes, headers: { 'Content-Type': d.mediaType } });
  if (res.status !== 201) throw new Error(`push manifest ${repository}:${reference}: ${res.status} ${res.body.toString()}`);
}

export async function pushArtifact(registryUrl: string, repository: string, reference: string | undefined, a: BuiltArtifact): Promise<void> {
  for (const b of a.blobs) await pushBlob(registryUrl, repository, b);
  await pushManifest(registryUrl, repository, reference ?? a.manifest.digest, a.manifest);
}

/** A small single-platform image: returns its manifest. */
export async function pushImage(registryUrl: string, repository: string, tag: string, label: string, architecture = 'amd64'): Promise<Doc> {
  const layer = Buffer.from(`layer ${label}`);
  const config = Buffer.from(JSON.stringify({ architecture, os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] }, config: { Labels: { label } } }));
  await pushBlob(registryUrl, repository, layer);
  await pushBlob(registryUrl, repository, config);
  const m = doc({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }] });
  await pushManifest(registryUrl, repository, tag, m);
  return m;
}

// ---- Sigstore bundles (cosign v3 layout) from @sigstore/sign with a local signer ----

/** A DSSE Sigstore bundle (v0.3) over an in-toto statement, signed by a key or a certificate's key, no log entry. */
export async function sigstoreBundle(statementBytes: Buffer, signer: { privateKey: KeyObject; publicPem?: string; certificatePem?: string }): Promise<Buffer> {
  const { DSSEBundleBuilder } = await import('@sigstore/sign');
  const { bundleToJSON } = await import('@sigstore/bundle');
  const builder = new DSSEBundleBuilder({
    witnesses: [],
    signer: {
      sign: async (data: Buffer) => ({
        signature: Buffer.from(cosignSign(signer.privateKey, data), 'base64'),
        key: signer.certificatePem ? { $case: 'x509Certificate' as const, certificate: signer.certificatePem } : { $case: 'publicKey' as const, publicKey: signer.publicPem!, hint: 'test-key' },
      }),
    },
  });
  const bundle = await builder.create({ data: statementBytes, type: 'application/vnd.in-toto+json' });
  return Buffer.from(JSON.stringify(bundleToJSON(bundle)));
}

/** cosign v3's referrer: artifactType and layer the bundle media type, empty config, subject. */
export function sigstoreBundleManifest(bundle: Buffer, subject: { mediaType: string; digest: string; size: number }, predicateType = 'https://sigstore.dev/cosign/sign/v1'): BuiltArtifact {
  const empty = Buffer.from('{}');
  const type = 'application/vnd.dev.sigstore.bundle.v0.3+json';
  const manifest = doc({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: type,
    config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(empty), size: 2 },
    layers: [{ mediaType: type, digest: sha256(bundle), size: bundle.length, annotations: { 'dev.sigstore.bundle.predicateType': predicateType } }],
    subject,
    annotations: { 'dev.sigstore.bundle.content': 'dsse-envelope', 'dev.sigstore.bundle.predicateType': predicateType },
  });
  return { manifest, blobs: [empty, bundle] };
}

// ---- a Rekor log of our own: its key in a trusted_root.json, SETs over entries ----

export interface TestLog {
  readonly key: ReturnType<typeof makeKey>;
  /** hex sha256 of the log key's SPKI DER. */
  readonly logId: string;
  /** A trusted_root.json naming this log (and `cas`, PEM, as certificate authorities). */
  trustedRoot(cas?: readonly string[]): string;
  /** cosign's `dev.sigstore.cosign/bundle` annotation for a hashedrekord entry of `signature` over `payload`. */
  bundleAnnotation(payload: Buffer, signatureB64: string, publicPem: string, logIndex?: number): string;
}

const canonical = (v: unknown): string => (v && typeof v === 'object' && !Array.isArray(v)
  ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`
  : Array.isArray(v) ? `[${v.map(canonical).join(',')}]` : JSON.stringify(v));

export function makeLog(): TestLog {
  const key = makeKey('p256');
  const spki = key.publicKey.export({ type: 'spki', format: 'der' });
  const logId = createHash('sha256').update(spki).digest('hex');
  return {
    key,
    logId,
    trustedRoot: (cas = []) => JSON.stringify({
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [{ baseUrl: 'https://rekor.test', hashAlgorithm: 'SHA2_256', publicKey: { rawBytes: spki.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: '2020-01-01T00:00:00Z' } }, logId: { keyId: Buffer.from(logId, 'hex').toString('base64') } }],
      certificateAuthorities: cas.map((pem) => ({ subject: { organization: 'test', commonName: 'test' }, uri: 'https://fulcio.test', certChain: { certificates: [{ rawBytes: new x509.X509Certificate(pem).toString('base64') }] }, validFor: { start: '2020-01-01T00:00:00Z' } })),
      ctlogs: [],
      timestampAuthorities: [],
    }),
    bundleAnnotation: (payload, signatureB64, publicPem, logIndex = 4242) => {
      const entry = { apiVersion: '0.0.1', kind: 'hashedrekord', spec: { data: { hash: { algorithm: 'sha256', value: createHash('sha256').update(payload).digest('hex') } }, signature: { content: signatureB64, publicKey: { content: Buffer.from(publicPem).toString('base64') } } } };
      const body = Buffer.from(canonical(entry)).toString('base64');
      const integratedTime = Math.floor(Date.now() / 1000) - 60;
      const set = cryptoSign('sha256', Buffer.from(canonical({ body, integratedTime, logID: logId, logIndex })), key.privateKey).toString('base64');
      return JSON.stringify({ SignedEntryTimestamp: set, Payload: { body, integratedTime, logIndex, logID: logId } });
    },
  };
}

// ---- notation COSE_Sign1 (signature-envelope-cose.md), with a CBOR encoder of our own ----

type Cbor = number | string | Uint8Array | Cbor[] | Map<Cbor, Cbor> | { tag: number; value: Cbor };

function cborHead(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 256) return Buffer.from([(major << 5) | 24, n]);
  if (n < 65536) return Buffer.from([(major << 5) | 25, n >> 8, n & 255]);
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(n, 1);
  return b;
}

export function cbor(v: Cbor): Buffer {
  if (typeof v === 'number') return v >= 0 ? cborHead(0, v) : cborHead(1, -1 - v);
  if (typeof v === 'string') return Buffer.concat([cborHead(3, Buffer.byteLength(v)), Buffer.from(v)]);
  if (v instanceof Uint8Array) return Buffer.concat([cborHead(2, v.length), v]);
  if (Array.isArray(v)) return Buffer.concat([cborHead(4, v.length), ...v.map(cbor)]);
  if (v instanceof Map) return Buffer.concat([cborHead(5, v.size), ...[...v].flatMap(([k, x]) => [cbor(k), cbor(x)])]);
  return Buffer.concat([cborHead(6, v.tag), cbor(v.value)]);
}

/** A notation COSE_Sign1 envelope (tag 18) over `target`, ES256 by `leaf`, x5chain in the unprotected header. */
export function notationCose(leaf: TestLeaf, chain: readonly x509.X509Certificate[], target: { mediaType: string; digest: string; size: number }, options: { extraCrit?: string } = {}): Buffer {
  const payload = Buffer.from(JSON.stringify({ targetArtifact: target }));
  const protectedHeader = new Map<Cbor, Cbor>([
    [1, -7],
    [2, ['io.cncf.notary.signingScheme', ...(options.extraCrit ? [options.extraCrit] : [])]],
    [3, 'application/vnd.cncf.notary.payload.v1+json'],
    ['io.cncf.notary.signingScheme', 'notary.x509'],
    ['io.cncf.notary.signingTime', { tag: 1, value: Math.floor(Date.now() / 1000) }],
  ]);
  if (options.extraCrit) protectedHeader.set(options.extraCrit, 'x');
  const protectedBytes = cbor(protectedHeader);
  const toBeSigned = cbor(['Signature1', protectedBytes, new Uint8Array(0), payload]);
  const signature = cryptoSign('sha256', toBeSigned, { key: leaf.privateKey, dsaEncoding: 'ieee-p1363' });
  const unprotected = new Map<Cbor, Cbor>([[33, [leaf.cert, ...chain].map((c) => new Uint8Array(c.rawData))], ['io.cncf.notary.signingAgent', 'manifest-lens-test/1']]);
  return cbor({ tag: 18, value: [protectedBytes, unprotected, payload, signature] });
}

// ---- a signed and attested multi-platform image (tree, the explorer, the lenses) ----

export interface SignedMultiPlatform {
  readonly index: Doc;
  readonly amd64: Doc;
  readonly arm64: Doc;
  readonly attestation: Doc;
}

/**
 * An index (linux/amd64 + linux/arm64) pushed as `tag`: the index and linux/amd64 signed by
 * `privateKey` in cosign's tag scheme, and BuildKit's attestation manifest for linux/amd64 (SLSA
 * v0.2 provenance + SPDX, bare in-toto statements) listed by the index as buildx lists it.
 */
export async function pushSignedMultiPlatform(registryUrl: string, registryHost: string, repository: string, tag: string, privateKey: KeyObject): Promise<SignedMultiPlatform> {
  const amd64 = await pushImage(registryUrl, repository, `${tag}-amd64`, `${tag} amd64`);
  const arm64 = await pushImage(registryUrl, repository, `${tag}-arm64`, `${tag} arm64`, 'arm64');
  const buildx = buildxAttestationManifest([
    { predicateType: 'https://slsa.dev/provenance/v0.2', bytes: statement('https://slsa.dev/provenance/v0.2', amd64.digest, SLSA_V02_PREDICATE) },
    { predicateType: 'https://spdx.dev/Document', bytes: statement('https://spdx.dev/Document', amd64.digest, SPDX_PREDICATE) },
  ]);
  await pushArtifact(registryUrl, repository, undefined, buildx);
  const d = (m: Doc) => ({ mediaType: m.mediaType, digest: m.digest, size: m.bytes.length });
  const index = doc({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [
    { ...d(amd64), platform: { os: 'linux', architecture: 'amd64' } },
    { ...d(arm64), platform: { os: 'linux', architecture: 'arm64' } },
    { ...d(buildx.manifest), platform: { os: 'unknown', architecture: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': amd64.digest } },
  ] }, OCI_INDEX);
  await pushManifest(registryUrl, repository, tag, index);
  for (const m of [index, amd64]) {
    const payload = simpleSigningPayload(`${registryHost}/${repository}`, m.digest);
    await pushArtifact(registryUrl, repository, `sha256-${m.digest.slice(7)}.sig`, cosignSignatureManifest([{ payload, signature: cosignSign(privateKey, payload) }]));
  }
  return { index, amd64, arm64, attestation: buildx.manifest };
}
