/**
 * cosign key signatures in the tag scheme (`sha256-<hex>.sig`): the signature annotation of a
 * simple-signing layer, checked against public keys the user gave (PEM: ECDSA P-256/P-384, RSA,
 * Ed25519), and the payload's critical.image.docker-manifest-digest checked against the image.
 *
 * node:crypto verifies here: cosign's tag-scheme signature is a bare signature over the payload
 * bytes (sigstore/sigstore pkg/signature LoadDefaultVerifier: ECDSA ASN.1 DER with the curve's
 * hash, RSA PKCS#1 v1.5 SHA-256, Ed25519 over the message), a format no sigstore-js verifier
 * takes outside a bundle; @sigstore/verify checks bundles, not this.
 */
import { createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { ANNOTATION } from './mediaTypes';
import { keyFingerprint } from './certificates';
import { decodeRekorBundle, decodeSimpleSigning, dssePae, fromBase64, parseJson, summarizeStatement, type DsseEnvelope } from './decode';
import { verdict, type Verdict } from './verdict';
import { verifyTagSignatureWithLog } from './cosignRekor';
import type { TrustedRoot } from '@sigstore/protobuf-specs';

/** The most signatures of one DSSE envelope checked (cosign attaches one; a Sigstore bundle holds exactly one). */
export const MAX_DSSE_SIGNATURES = 16;

/** A public key the user trusts, with how verdicts name it. */
export interface TrustedKey {
  readonly label: string;
  readonly key: KeyObject;
  readonly fingerprint: string;
}

/** Reads a PEM public key (SPKI, or a certificate's key); a string is why it is not one. */
export function loadPublicKey(pem: string, label: string): TrustedKey | string {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (e) {
    return `${label}: not a PEM public key (${e instanceof Error ? e.message : String(e)})`;
  }
  const type = key.asymmetricKeyType;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (!(type === 'rsa' || type === 'ed25519' || (type === 'ec' && (curve === 'prime256v1' || curve === 'secp384r1' || curve === 'secp521r1')))) {
    return `${label}: a ${type}${curve ? ` ${curve}` : ''} key; cosign keys are ECDSA P-256/P-384/P-521, RSA or Ed25519`;
  }
  return { label, key, fingerprint: keyFingerprint(key) };
}

/** The hash cosign's default verifier uses with this key (null: Ed25519 signs the message itself). */
function hashFor(key: KeyObject): string | null {
  if (key.asymmetricKeyType === 'ed25519') return null;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return curve === 'secp384r1' ? 'sha384' : curve === 'secp521r1' ? 'sha512' : 'sha256';
}

/** The first key that verifies `signature` over `data`. */
export function keyThatVerifies(keys: readonly TrustedKey[], data: Uint8Array, signature: Uint8Array): TrustedKey | undefined {
  return keys.find((k) => {
    try {
      return cryptoVerify(hashFor(k.key), data, k.key, signature);
    } catch {
      return false;
    }
  });
}

const keyList = (keys: readonly TrustedKey[]): string => keys.map((k) => `${k.label} ${k.fingerprint}`).join(', ');

export interface CosignSignatureInput {
  /** The simple-signing payload: the layer's bytes (verified against its descriptor digest). */
  readonly payload: Uint8Array;
  readonly annotations: Readonly<Record<string, string>>;
  /** The digest of the image the signature was found for. */
  readonly imageDigest: string;
  readonly keys: readonly TrustedKey[];
  /** Sigstore's trusted_root.json: Rekor entries (and keyless certificates) are checked against it. */
  readonly trustedRoot?: TrustedRoot;
  readonly identity?: string;
  readonly issuer?: string;
}

function rekorNote(annotations: Readonly<Record<string, string>>, why = 'no --trusted-root'): string[] {
  const rekor = decodeRekorBundle(annotations[ANNOTATION.cosignBundle]);
  return rekor ? [`a Rekor entry is attached${rekor.logIndex !== undefined ? ` (log index ${rekor.logIndex})` : ''} but was not checked: ${why}`] : [];
}

/** The payload must name this image: else the verdict that says which digest it names. */
function digestProblem(payload: Uint8Array, imageDigest: string, by: string): Verdict | undefined {
  const ss = decodeSimpleSigning(payload);
  if (!ss?.dockerManifestDigest) return verdict('invalid', { reason: 'the signed payload is not a simple-signing document naming critical.image.docker-manifest-digest', by });
  if (ss.dockerManifestDigest !== imageDigest) return verdict('invalid', { reason: `the payload names another digest: ${ss.dockerManifestDigest} (this image is ${imageDigest})`, by });
  return undefined;
}

/** A keyless tag-scheme signature: its certificate and Rekor entry against the trusted root. */
function keylessVerdict(input: CosignSignatureInput): Verdict {
  const { annotations } = input;
  if (!annotations[ANNOTATION.cosignBundle]) return verdict('cannot-verify-offline', { reason: 'a keyless signature (Fulcio certificate) without a Rekor bundle: cosign would ask Rekor online' });
  if (!input.trustedRoot || !input.identity || !input.issuer) {
    return verdict('not-verified', { reason: 'a keyless signature (Fulcio certificate): give --trusted-root with --certificate-identity and --certificate-oidc-issuer' });
  }
  const checked = verifyTagSignatureWithLog(input.payload, annotations, input.trustedRoot, { identity: input.identity, issuer: input.issuer });
  if (!checked.ok) return verdict('invalid', { reason: checked.reason });
  const by = `certificate for ${input.identity} (issuer ${input.issuer}) under the trusted root, Rekor log index ${checked.logIndex}`;
  return digestProblem(input.payload, input.imageDigest, by) ?? verdict('verified', { by });
}

/** The verdict on one cosign tag-scheme signature layer. */
export function verifyCosignSignature(input: CosignSignatureInput): Verdict {
  const { annotations, keys } = input;
  const keyless = !!(annotations[ANNOTATION.cosignCertificate] ?? annotations[ANNOTATION.cosignCertificateSpec]);
  if (keys.length === 0) {
    if (keyless) return keylessVerdict(input);
    return verdict('not-verified', { reason: 'a key signature: give --key FILE' });
  }
  const sigText = annotations[ANNOTATION.cosignSignature];
  if (sigText === undefined) return verdict('invalid', { reason: `the layer has no ${ANNOTATION.cosignSignature} annotation` });
  const signature = fromBase64(sigText);
  if (!signature || signature.length === 0) return verdict('invalid', { reason: `the ${ANNOTATION.cosignSignature} annotation is not base64` });
  const key = keyThatVerifies(keys, input.payload, signature);
  // A keyless signature is checked against a certificate's chain, not --key: no key matching
  // it says nothing against it.
  if (!key && keyless) return keylessVerdict(input);
  if (!key) {
    return verdict('invalid', { reason: `wrong key or altered bytes: the signature does not verify with ${keys.length === 1 ? 'the given key' : `any of the ${keys.length} given keys`} (${keyList(keys)})` });
  }
  const by = `key ${key.label} ${key.fingerprint}`;
  const wrongDigest = digestProblem(input.payload, input.imageDigest, by);
  if (wrongDigest) return wrongDigest;
  if (input.trustedRoot && annotations[ANNOTATION.cosignBundle]) {
    const checked = verifyTagSignatureWithLog(input.payload, annotations, input.trustedRoot, { key });
    if (!checked.ok) return verdict('invalid', { reason: `the Rekor entry does not verify against the trusted root: ${checked.reason}`, by });
    return verdict('verified', { by: `${by}, Rekor log index ${checked.logIndex} (its signed entry timestamp checked against the trusted root)` });
  }
  return verdict('valid-no-tlog', { by, notes: ['accepted for --key as `cosign verify --insecure-ignore-tlog` does', ...rekorNote(annotations)] });
}

/**
 * The verdict on a cosign attestation (DSSE envelope) with the given keys: the DSSE signature
 * over its pre-authentication encoding, and the statement's subject naming this image.
 */
export function verifyCosignAttestation(envelope: DsseEnvelope | undefined, input: Pick<CosignSignatureInput, 'annotations' | 'imageDigest' | 'keys'>): Verdict {
  if (!envelope) return verdict('invalid', { reason: 'not a DSSE envelope' });
  if (input.keys.length === 0) return verdict('not-verified', { reason: 'give --key FILE' });
  // Each signature is checked with each key over the whole payload: thousands of them would
  // hash a 4 MiB payload thousands of times.
  if (envelope.signatures.length > MAX_DSSE_SIGNATURES) return verdict('invalid', { reason: `the DSSE envelope holds ${envelope.signatures.length} signatures; at most ${MAX_DSSE_SIGNATURES} are checked` });
  const pae = dssePae(envelope.payloadType, envelope.payload);
  let key: TrustedKey | undefined;
  for (const s of envelope.signatures) if ((key = keyThatVerifies(input.keys, pae, s.sig))) break;
  if (!key) return verdict('invalid', { reason: `wrong key or altered bytes: no DSSE signature verifies with ${keyList(input.keys)}` });
  const summary = summarizeStatement(parseJson(envelope.payload));
  if (!summary) return verdict('invalid', { reason: 'the signed payload is not an in-toto statement', by: `${key.label} ${key.fingerprint}` });
  if (!summary.subjects.some((s) => s.digest === input.imageDigest)) {
    return verdict('invalid', { reason: `the statement's subjects name other digests (${summary.subjects.map((s) => s.digest ?? '?').join(', ') || 'none'}; this image is ${input.imageDigest})`, by: `${key.label} ${key.fingerprint}` });
  }
  return verdict('valid-no-tlog', { by: `key ${key.label} ${key.fingerprint}`, notes: ['accepted for --key as `cosign verify-attestation --insecure-ignore-tlog` does', ...rekorNote(input.annotations, "attestations' log entries are not checked by this version")] });
}
