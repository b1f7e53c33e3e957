/**
 * Decoding of what classify.ts found, over bytes already fetched: the statement inside (predicate
 * type, SLSA builder and source, SBOM package count and name), who signed (key id, or the
 * certificate's subject/SAN and OIDC issuer), when (and on whose word), and the log index.
 * Nothing here checks a signature: verification is in cosignKey.ts and notation.ts.
 */
import { ANNOTATION, PREDICATE } from './mediaTypes';
import { certificateInfo, parseCertificate, type CertificateInfo } from './certificates';
import type { ClassifiedLayer } from './classify';
import { CborTag, decodeCbor, type CborValue } from './cbor';

type Json = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** JSON.parse of UTF-8 bytes or text; undefined when it is not JSON. */
export function parseJson(input: Uint8Array | string): unknown {
  try {
    return JSON.parse(typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Standard or URL-safe base64 to bytes; undefined when it is not base64. */
export function fromBase64(text: unknown): Buffer | undefined {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(text.trim())) return undefined;
  return Buffer.from(text.trim().replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

/** A short account of an in-toto statement or SBOM. */
export interface StatementSummary {
  readonly predicateType?: string;
  /** The statement's subjects: name and sha256 digest. */
  readonly subjects: readonly { readonly name?: string; readonly digest?: string }[];
  readonly builderId?: string;
  readonly sourceRepository?: string;
  readonly sourceCommit?: string;
  readonly packageCount?: number;
  readonly topLevelName?: string;
  /** One line: "SLSA v1 provenance: builder …, source …@…" / "SPDX: 12 packages, top-level …". */
  readonly text: string;
}

function slsaSummary(predicateType: string, p: Json): Pick<StatementSummary, 'builderId' | 'sourceRepository' | 'sourceCommit'> {
  let builderId: string | undefined;
  let repo: string | undefined;
  let commit: string | undefined;
  if (predicateType.startsWith(PREDICATE.slsaV1)) {
    builderId = str(obj(obj(p.runDetails)?.builder)?.id);
    const deps = arr(obj(p.buildDefinition)?.resolvedDependencies).map(obj);
    const ext = obj(obj(p.buildDefinition)?.externalParameters);
    const wf = obj(ext?.workflow);
    repo = str(wf?.repository) ?? str(obj(ext?.source)?.uri) ?? str(deps[0]?.uri);
    const d = obj(deps[0]?.digest);
    commit = str(d?.gitCommit) ?? str(d?.sha1);
  } else {
    builderId = str(obj(p.builder)?.id);
    const cs = obj(obj(p.invocation)?.configSource);
    repo = str(cs?.uri);
    commit = str(obj(cs?.digest)?.sha1) ?? str(obj(cs?.digest)?.gitCommit);
    // BuildKit's provenance keeps the VCS in its metadata.
    const vcs = obj(obj(obj(p.metadata)?.['https://mobyproject.org/buildkit@v1#metadata'])?.vcs);
    repo = repo ?? str(vcs?.source);
    commit = commit ?? str(vcs?.revision);
    if (!repo) {
      const m = arr(p.materials).map(obj).find((x) => /^git\+|\.git(@|$)|^https:\/\/github\.com\//.test(str(x?.uri) ?? ''));
      repo = str(m?.uri);
      commit = commit ?? str(obj(m?.digest)?.sha1);
    }
  }
  return { ...(builderId ? { builderId } : {}), ...(repo ? { sourceRepository: repo } : {}), ...(commit ? { sourceCommit: commit } : {}) };
}

function spdxSummary(doc: Json): Pick<StatementSummary, 'packageCount' | 'topLevelName'> {
  const packages = arr(doc.packages).map(obj);
  const described = arr(doc.documentDescribes).map(str).filter(Boolean);
  const top = packages.find((p) => described.includes(str(p?.SPDXID))) ?? undefined;
  const name = str(top?.name) ?? str(doc.name);
  return { packageCount: packages.length, ...(name ? { topLevelName: name } : {}) };
}

function cyclonedxSummary(doc: Json): Pick<StatementSummary, 'packageCount' | 'topLevelName'> {
  const name = str(obj(obj(doc.metadata)?.component)?.name);
  return { packageCount: arr(doc.components).length, ...(name ? { topLevelName: name } : {}) };
}

function summaryText(s: Omit<StatementSummary, 'text' | 'subjects'>, format?: string): string {
  if (s.builderId || s.sourceRepository) {
    const src = s.sourceRepository ? `, source ${s.sourceRepository}${s.sourceCommit ? `@${s.sourceCommit}` : ''}` : '';
    return `SLSA provenance: builder ${s.builderId ?? '(none named)'}${src}`;
  }
  if (s.packageCount !== undefined) return `${format ?? 'SBOM'}: ${s.packageCount} package${s.packageCount === 1 ? '' : 's'}${s.topLevelName ? `, top-level ${s.topLevelName}` : ''}`;
  return s.predicateType ? `predicate ${s.predicateType}` : 'no predicate type';
}

/** Summarises a bare SBOM document (SPDX or CycloneDX JSON). */
export function summarizeSbom(doc: unknown): StatementSummary | undefined {
  const d = obj(doc);
  if (!d) return undefined;
  if (typeof d.spdxVersion === 'string') {
    const s = spdxSummary(d);
    return { subjects: [], ...s, text: summaryText(s, 'SPDX') };
  }
  if (d.bomFormat === 'CycloneDX') {
    const s = cyclonedxSummary(d);
    return { subjects: [], ...s, text: summaryText(s, 'CycloneDX') };
  }
  return undefined;
}

/** Summarises an in-toto statement (any version): predicate type, subjects and the predicate's gist. */
export function summarizeStatement(statement: unknown): StatementSummary | undefined {
  const st = obj(statement);
  if (!st || (typeof st._type !== 'string' && typeof st.predicateType !== 'string')) return undefined;
  const predicateType = str(st.predicateType);
  const subjects = arr(st.subject).map(obj).map((s) => ({ name: str(s?.name), digest: str(obj(s?.digest)?.sha256) ? `sha256:${str(obj(s?.digest)?.sha256)}` : undefined }));
  const predicate = obj(st.predicate) ?? {};
  let gist: Omit<StatementSummary, 'text' | 'subjects' | 'predicateType'> = {};
  let format: string | undefined;
  if (predicateType && /^https:\/\/slsa\.dev\/provenance\//.test(predicateType)) gist = slsaSummary(predicateType, predicate);
  else if (predicateType?.startsWith(PREDICATE.spdx) || typeof predicate.spdxVersion === 'string') {
    gist = spdxSummary(predicate);
    format = 'SPDX';
  } else if (predicateType?.startsWith(PREDICATE.cyclonedx) || predicate.bomFormat === 'CycloneDX') {
    gist = cyclonedxSummary(predicate);
    format = 'CycloneDX';
  }
  const base = { ...(predicateType ? { predicateType } : {}), subjects, ...gist };
  return { ...base, text: summaryText(base, format) };
}

/** cosign's "simple signing" payload: what was signed. */
export interface SimpleSigning {
  readonly dockerManifestDigest?: string;
  readonly dockerReference?: string;
  readonly type?: string;
  readonly optional?: Readonly<Record<string, unknown>>;
}

export function decodeSimpleSigning(payload: Uint8Array): SimpleSigning | undefined {
  const doc = obj(parseJson(payload));
  const critical = obj(doc?.critical);
  if (!critical) return undefined;
  return {
    dockerManifestDigest: str(obj(critical.image)?.['docker-manifest-digest']),
    dockerReference: str(obj(critical.identity)?.['docker-reference']),
    type: str(critical.type),
    ...(obj(doc?.optional) ? { optional: obj(doc?.optional) } : {}),
  };
}

/** A DSSE envelope, its payload decoded. */
export interface DsseEnvelope {
  readonly payloadType: string;
  readonly payload: Buffer;
  readonly signatures: readonly { readonly keyid?: string; readonly sig: Buffer }[];
}

export function decodeDsse(input: Uint8Array | unknown): DsseEnvelope | undefined {
  const doc = obj(input instanceof Uint8Array ? parseJson(input) : input);
  const payload = fromBase64(doc?.payload);
  if (!doc || typeof doc.payloadType !== 'string' || !payload) return undefined;
  const signatures = arr(doc.signatures).map(obj).flatMap((s) => {
    const sig = fromBase64(s?.sig);
    return sig ? [{ ...(str(s?.keyid) ? { keyid: str(s?.keyid) } : {}), sig }] : [];
  });
  return { payloadType: doc.payloadType, payload, signatures };
}

/** DSSE's pre-authentication encoding: what a DSSE signature is over. */
export function dssePae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

/** cosign's `dev.sigstore.cosign/bundle` annotation: a Rekor entry with its SET. */
export interface RekorBundle {
  readonly signedEntryTimestamp?: string;
  readonly body?: string;
  readonly integratedTime?: number;
  readonly logIndex?: number;
  readonly logId?: string;
}

export function decodeRekorBundle(text: string | undefined): RekorBundle | undefined {
  if (!text) return undefined;
  const doc = obj(parseJson(text));
  const p = obj(doc?.Payload);
  if (!doc || !p) return undefined;
  const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined);
  return { signedEntryTimestamp: str(doc.SignedEntryTimestamp), body: str(p.body), integratedTime: num(p.integratedTime), logIndex: num(p.logIndex), logId: str(p.logID) };
}

/** A Sigstore bundle (v0.1-0.3), as far as listing and key verification need it. */
export interface SigstoreBundleInfo {
  readonly mediaType?: string;
  readonly keyHint?: string;
  readonly certificate?: CertificateInfo;
  readonly tlogEntries: readonly { readonly logIndex?: string; readonly integratedTime?: string; readonly inclusionPromise: boolean; readonly inclusionProof: boolean }[];
  readonly rfc3161Timestamps: number;
  readonly content: 'message-signature' | 'dsse' | 'none';
  readonly dsse?: DsseEnvelope;
}

export function decodeSigstoreBundle(input: Uint8Array | unknown): SigstoreBundleInfo | undefined {
  const doc = obj(input instanceof Uint8Array ? parseJson(input) : input);
  const vm = obj(doc?.verificationMaterial);
  if (!doc || !vm) return undefined;
  const rawCert = str(obj(vm.certificate)?.rawBytes) ?? str(obj(arr(obj(vm.x509CertificateChain)?.certificates)[0])?.rawBytes);
  const der = rawCert ? fromBase64(rawCert) : undefined;
  const cert = der ? parseCertificate(new Uint8Array(der)) : undefined;
  const tlogEntries = arr(vm.tlogEntries).map(obj).map((e) => ({
    logIndex: str(e?.logIndex) ?? (typeof e?.logIndex === 'number' ? String(e.logIndex) : undefined),
    integratedTime: str(e?.integratedTime) ?? (typeof e?.integratedTime === 'number' ? String(e.integratedTime) : undefined),
    inclusionPromise: !!obj(e?.inclusionPromise),
    inclusionProof: !!obj(e?.inclusionProof),
  }));
  const dsse = doc.dsseEnvelope ? decodeDsse(doc.dsseEnvelope) : undefined;
  return {
    mediaType: str(doc.mediaType),
    keyHint: str(obj(vm.publicKey)?.hint),
    ...(cert ? { certificate: certificateInfo(cert) } : {}),
    tlogEntries,
    rfc3161Timestamps: arr(obj(vm.timestampVerificationData)?.rfc3161Timestamps).length,
    content: doc.messageSignature ? 'message-signature' : doc.dsseEnvelope ? 'dsse' : 'none',
    ...(dsse ? { dsse } : {}),
  };
}

/** A notation JWS envelope (flattened JSON serialization), decoded, not verified. */
export interface NotationJws {
  readonly protectedHeader: Json;
  readonly crit: readonly string[];
  readonly signingScheme?: string;
  readonly signingTime?: string;
  readonly expiry?: string;
  /** x5c: leaf first, base64 DER. */
  readonly x5c: readonly Buffer[];
  readonly targetArtifact?: { readonly mediaType?: string; readonly digest?: string; readonly size?: number };
  /** The envelope as parsed (for jose's flattenedVerify). */
  readonly envelope: { readonly protected: string; readonly payload: string; readonly signature: string; readonly header?: Json };
}

export function decodeNotationJws(bytes: Uint8Array): NotationJws | undefined {
  const doc = obj(parseJson(bytes));
  if (!doc || typeof doc.protected !== 'string' || typeof doc.payload !== 'string' || typeof doc.signature !== 'string') return undefined;
  const protectedHeader = obj(parseJson(fromBase64(doc.protected) ?? '')) ?? {};
  const payload = obj(parseJson(fromBase64(doc.payload) ?? ''));
  const target = obj(payload?.targetArtifact);
  const header = obj(doc.header);
  return {
    protectedHeader,
    crit: arr(protectedHeader.crit).filter((c): c is string => typeof c === 'string'),
    signingScheme: str(protectedHeader['io.cncf.notary.signingScheme']),
    signingTime: str(protectedHeader['io.cncf.notary.signingTime']),
    expiry: str(protectedHeader['io.cncf.notary.expiry']),
    x5c: arr(header?.x5c).flatMap((c) => {
      const b = fromBase64(c);
      return b ? [b] : [];
    }),
    ...(target ? { targetArtifact: { mediaType: str(target.mediaType), digest: str(target.digest), size: typeof target.size === 'number' ? target.size : undefined } } : {}),
    envelope: { protected: doc.protected, payload: doc.payload, signature: doc.signature, ...(header ? { header } : {}) },
  };
}

/** Who signed, as far as the signature itself says (not verified). */
export interface SignerHint {
  readonly keyId?: string;
  readonly certificate?: CertificateInfo;
}

/** When it was signed, and on whose word. */
export interface SigningTime {
  readonly time: string;
  /** rekor: the log's integrated time; tsa: an RFC 3161 timestamp; signer-claim: the signer's own clock. */
  readonly source: 'rekor' | 'tsa' | 'signer-claim';
}

/** Everything decode knows about one attached layer. */
export interface DecodedLayer {
  readonly predicateType?: string;
  readonly signer?: SignerHint;
  readonly signedAt?: SigningTime;
  readonly logIndex?: string;
  readonly summary?: StatementSummary;
  /** cosign: the digest the simple-signing payload names; notation: the target's. */
  readonly signedDigest?: string;
  /** The decoded payload, readable (base64 and DSSE unwrapped), for display. */
  readonly payload?: unknown;
  /** Why decoding stopped short. */
  readonly problem?: string;
}

function isoFromUnix(seconds: number | string | undefined): string | undefined {
  const n = typeof seconds === 'string' ? Number(seconds) : seconds;
  if (n === undefined || !Number.isSafeInteger(n) || n < 0) return undefined;
  return new Date(n * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Decodes one classified layer: its annotations, and its bytes where the content matters (all
 * kinds but a cosign signature, whose payload is its bytes and whose signature is an annotation).
 */
export function decodeLayer(layer: ClassifiedLayer, bytes: Uint8Array | undefined): DecodedLayer {
  const a = layer.annotations;
  switch (layer.kind) {
    case 'cosign-signature': {
      const certPem = a[ANNOTATION.cosignCertificate] ?? a[ANNOTATION.cosignCertificateSpec];
      const cert = certPem ? parseCertificate(certPem) : undefined;
      const rekor = decodeRekorBundle(a[ANNOTATION.cosignBundle]);
      const ss = bytes ? decodeSimpleSigning(bytes) : undefined;
      const time = isoFromUnix(rekor?.integratedTime);
      return {
        ...(cert ? { signer: { certificate: certificateInfo(cert) } } : {}),
        ...(time ? { signedAt: { time, source: 'rekor' as const } } : a[ANNOTATION.cosignTimestamp] ? { signedAt: { time: '(in the RFC 3161 timestamp, not read)', source: 'tsa' as const } } : {}),
        ...(rekor?.logIndex !== undefined ? { logIndex: String(rekor.logIndex) } : {}),
        ...(ss?.dockerManifestDigest ? { signedDigest: ss.dockerManifestDigest } : {}),
        ...(bytes ? { payload: parseJson(bytes) } : {}),
        ...(bytes && !ss ? { problem: 'the payload is not a simple-signing document' } : {}),
      };
    }
    case 'cosign-attestation':
    case 'in-toto-attestation':
    case 'buildx-attestation-manifest': {
      if (!bytes) return { predicateType: layer.predicateType };
      const dsse = layer.kind === 'cosign-attestation' ? decodeDsse(bytes) : undefined;
      const statement = dsse ? parseJson(dsse.payload) : parseJson(bytes);
      const summary = summarizeStatement(statement);
      const rekor = decodeRekorBundle(a[ANNOTATION.cosignBundle]);
      const time = isoFromUnix(rekor?.integratedTime);
      const certPem = a[ANNOTATION.cosignCertificate];
      const cert = certPem ? parseCertificate(certPem) : undefined;
      const keyId = dsse?.signatures[0]?.keyid;
      return {
        predicateType: summary?.predicateType ?? layer.predicateType,
        ...(cert || keyId ? { signer: { ...(keyId ? { keyId } : {}), ...(cert ? { certificate: certificateInfo(cert) } : {}) } } : {}),
        ...(time ? { signedAt: { time, source: 'rekor' as const } } : {}),
        ...(rekor?.logIndex !== undefined ? { logIndex: String(rekor.logIndex) } : {}),
        ...(summary ? { summary } : {}),
        payload: dsse ? { payloadType: dsse.payloadType, payload: statement, signatures: dsse.signatures.length } : statement,
        ...(summary ? {} : { problem: layer.kind === 'cosign-attestation' && !dsse ? 'not a DSSE envelope' : 'not an in-toto statement' }),
      };
    }
    case 'sigstore-bundle': {
      if (!bytes) return { predicateType: layer.predicateType };
      const b = decodeSigstoreBundle(bytes);
      if (!b) return { predicateType: layer.predicateType, problem: 'not a Sigstore bundle' };
      const statement = b.dsse ? parseJson(b.dsse.payload) : undefined;
      const summary = statement ? summarizeStatement(statement) : undefined;
      const entry = b.tlogEntries[0];
      const time = isoFromUnix(entry?.integratedTime);
      return {
        predicateType: summary?.predicateType ?? layer.predicateType,
        signer: { ...(b.keyHint ? { keyId: b.keyHint } : {}), ...(b.certificate ? { certificate: b.certificate } : {}) },
        ...(time && time !== '1970-01-01T00:00:00Z' ? { signedAt: { time, source: 'rekor' as const } } : b.rfc3161Timestamps ? { signedAt: { time: '(in the RFC 3161 timestamp, not read)', source: 'tsa' as const } } : {}),
        ...(entry?.logIndex !== undefined ? { logIndex: entry.logIndex } : {}),
        ...(summary ? { summary } : {}),
        payload: { content: b.content, ...(statement ? { statement } : {}), tlogEntries: b.tlogEntries },
      };
    }
    case 'notation-signature': {
      if (!bytes) return {};
      if (layer.envelope === 'cose') return decodeNotationCose(bytes);
      const jws = decodeNotationJws(bytes);
      if (!jws) return { problem: 'not a JWS in flattened JSON serialization' };
      const leaf = jws.x5c[0] ? parseCertificate(new Uint8Array(jws.x5c[0])) : undefined;
      return {
        ...(leaf ? { signer: { certificate: certificateInfo(leaf) } } : {}),
        ...(jws.signingTime ? { signedAt: { time: jws.signingTime, source: 'signer-claim' as const } } : {}),
        ...(jws.targetArtifact?.digest ? { signedDigest: jws.targetArtifact.digest } : {}),
        payload: { protectedHeader: jws.protectedHeader, payload: parseJson(fromBase64(jws.envelope.payload) ?? '') },
      };
    }
    case 'sbom': {
      if (!bytes) return {};
      const doc = parseJson(bytes);
      const summary = summarizeSbom(doc);
      return { ...(summary ? { summary } : { problem: 'not an SPDX or CycloneDX JSON document' }), payload: doc };
    }
    default:
      return {};
  }
}

/** A notation COSE_Sign1 envelope's signer, signing time and target, decoded (not verified). */
function decodeNotationCose(bytes: Uint8Array): DecodedLayer {
  let top: CborValue;
  try {
    top = decodeCbor(bytes);
  } catch (e) {
    return { problem: `not CBOR (${e instanceof Error ? e.message : String(e)})` };
  }
  if (top instanceof CborTag) top = top.value;
  if (!Array.isArray(top) || top.length !== 4 || !(top[0] instanceof Uint8Array) || !(top[1] instanceof Map) || !(top[2] instanceof Uint8Array)) return { problem: 'not a COSE_Sign1 envelope' };
  let header: CborValue;
  try {
    header = decodeCbor(top[0]);
  } catch {
    header = undefined;
  }
  const h = header instanceof Map ? header : new Map<CborValue, CborValue>();
  const chain = top[1].get(33);
  const leafBytes = chain instanceof Uint8Array ? chain : Array.isArray(chain) && chain[0] instanceof Uint8Array ? chain[0] : undefined;
  const leaf = leafBytes ? parseCertificate(leafBytes) : undefined;
  const t = h.get('io.cncf.notary.signingTime');
  const seconds = t instanceof CborTag ? t.value : t;
  const time = typeof seconds === 'number' ? isoFromUnix(Math.floor(seconds)) : undefined;
  const payload = parseJson(top[2]);
  const digest = str(obj(obj(payload)?.targetArtifact)?.digest);
  return {
    ...(leaf ? { signer: { certificate: certificateInfo(leaf) } } : {}),
    ...(time ? { signedAt: { time, source: 'signer-claim' as const } } : {}),
    ...(digest ? { signedDigest: digest } : {}),
    payload: { protectedHeader: Object.fromEntries([...h].map(([k, v]) => [String(k), v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v instanceof CborTag ? v.value : v])), payload },
  };
}
