/**
 * Sigstore bundles (v0.1-0.3, what cosign v3 attaches as OCI 1.1 referrers), verified offline
 * with @sigstore/verify 3.x (the last line that runs on Node 20): key bundles against --key,
 * keyless bundles against a trusted_root.json and an identity + OIDC issuer. What was signed
 * must name the image: a DSSE statement's subjects, or a message signature over its manifest.
 */
import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier, type SignedEntity } from '@sigstore/verify';
import type { TrustedKey } from './cosignKey';
import { parseJson, summarizeStatement } from './decode';
import { verdict, type Verdict } from './verdict';

/** An empty trust root: signature checks only, nothing from a log or a CA. */
const EMPTY_ROOT = TrustedRoot.fromJSON({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] });

/** Reads a trusted_root.json; a string is why it cannot be used. */
export function parseTrustedRoot(json: unknown): TrustedRoot | string {
  try {
    const root = TrustedRoot.fromJSON(json);
    if (root.tlogs.length === 0 && root.certificateAuthorities.length === 0) return 'it names no transparency log and no certificate authority';
    return root;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

export interface BundleTrust {
  readonly keys: readonly TrustedKey[];
  readonly trustedRoot?: TrustedRoot;
  /** --certificate-identity: the SAN, matched exactly. */
  readonly identity?: string;
  readonly issuer?: string;
}

export interface BundleSubject {
  readonly digest: string;
  /** The manifest's bytes, for a message-signature bundle (its signature is over them). */
  readonly bytes?: Uint8Array;
}

function message(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  // @sigstore/verify says what failed in `message` and why in `cause` ("Failed to verify
  // certificate chain" because "certificate is not valid or expired at the specified date").
  const cause = (e as { cause?: unknown }).cause;
  return cause instanceof Error && cause.message && !e.message.includes(cause.message) ? `${e.message}: ${cause.message}` : e.message;
}

const LOG_PROOF_FIELD = /^verificationMaterial\.tlogEntries\[\d+\]\.inclusion(Promise|Proof)(\.|$)/;

/**
 * A bundle @sigstore/bundle refuses only because its log entries carry no inclusion promise and
 * no proof (v0.2+ require a proof): a keyless one is "cannot verify offline" (Rekor would be
 * asked online), not a malformed file. Undefined when the refusal is for anything else.
 */
function missingLogProof(json: unknown, e: unknown): Verdict | undefined {
  const fields = (e as { fields?: unknown }).fields;
  if (!Array.isArray(fields) || fields.length === 0 || !fields.every((f) => typeof f === 'string' && LOG_PROOF_FIELD.test(f))) return undefined;
  const material = (json as { verificationMaterial?: { tlogEntries?: unknown; certificate?: unknown; x509CertificateChain?: unknown } }).verificationMaterial;
  const entries = Array.isArray(material?.tlogEntries) ? (material.tlogEntries as { inclusionPromise?: unknown; inclusionProof?: unknown }[]) : [];
  if (!material || (!material.certificate && !material.x509CertificateChain) || entries.some((x) => x && (x.inclusionPromise || x.inclusionProof))) return undefined;
  return verdict('cannot-verify-offline', { reason: 'a keyless bundle without an inclusion promise or proof: cosign would ask Rekor online' });
}

/** @sigstore/verify's refusals of a keyless bundle in words a user can act on (its own words kept in brackets). */
function keylessRefusal(e: unknown): string {
  const said = message(e);
  const code = e instanceof Error ? (e as { code?: string }).code : undefined;
  if (code === 'TLOG_BODY_ERROR') return `the bundle's signature or payload differs from what its log entry records (${said}): altered bytes, or an entry for another signature`;
  if (code === 'TIMESTAMP_ERROR' && /got 0$/.test(said)) return `no trusted time to check the certificate at: the log entry has no inclusion promise (SET) and the bundle no RFC 3161 timestamp (${said})`;
  if (code === 'TLOG_INCLUSION_PROMISE_ERROR') return `the log entry's promise does not verify with a log of the trusted root (${said})`;
  if (code === 'CERTIFICATE_ERROR' && /^SCT verification failed/.test(said)) return `the certificate's SCT is not signed by a CT log of the trusted root (${said})`;
  return said;
}

/** @sigstore/verify's identity refusal, in plain words (its message shows the anchored pattern). */
function identityRefusal(e: unknown, identity: string): string | undefined {
  const m = e instanceof Error && (e as { code?: string }).code === 'UNTRUSTED_SIGNER_ERROR' ? /^certificate identity error - expected .*, got (.*)$/s.exec(e.message) : null;
  return m ? `the certificate is for ${m[1]}, not ${identity} (certificate identity error)` : undefined;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether the bundle's signed content names the image (DSSE statement subject, or message digest). */
function namesImage(bundle: Bundle, subject: BundleSubject): string | undefined {
  if (bundle.content.$case === 'dsseEnvelope') {
    const summary = summarizeStatement(parseJson(bundle.content.dsseEnvelope.payload));
    if (!summary) return 'the signed DSSE payload is not an in-toto statement';
    if (!summary.subjects.some((s) => s.digest === subject.digest)) return `the statement's subjects name other digests (${summary.subjects.map((s) => s.digest ?? '?').join(', ') || 'none'}; this image is ${subject.digest})`;
    return undefined;
  }
  const d = bundle.content.messageSignature.messageDigest;
  if (d && `sha256:${Buffer.from(d.digest).toString('hex')}` !== subject.digest) return `the message signature is over another digest: sha256:${Buffer.from(d.digest).toString('hex')} (this image is ${subject.digest})`;
  return undefined;
}

/** The verdict on one Sigstore bundle layer. */
export function verifySigstoreBundle(bytes: Uint8Array, subject: BundleSubject, trust: BundleTrust): Verdict {
  let bundle: Bundle;
  const json = parseJson(bytes);
  try {
    bundle = bundleFromJSON(json);
  } catch (e) {
    const fields = (e as { fields?: unknown }).fields;
    return missingLogProof(json, e) ?? verdict('invalid', { reason: `not a valid Sigstore bundle (${message(e)}${Array.isArray(fields) && fields.length ? `: ${fields.slice(0, 4).join(', ')}` : ''})` });
  }
  let entity: SignedEntity;
  try {
    entity = toSignedEntity(bundle, bundle.content.$case === 'messageSignature' && subject.bytes ? Buffer.from(subject.bytes) : undefined);
  } catch (e) {
    return verdict('invalid', { reason: `the bundle cannot be checked (${message(e)})` });
  }
  const entries = bundle.verificationMaterial.tlogEntries;
  const logProof = entries.some((e) => e.inclusionPromise || e.inclusionProof);
  const content = bundle.verificationMaterial.content;
  if (content.$case === 'publicKey') {
    if (trust.keys.length === 0) return verdict('not-verified', { reason: 'a key bundle: give --key FILE' });
    const root = trust.trustedRoot;
    const useLog = !!root && root.tlogs.length > 0 && entries.length > 0;
    // Without a trusted root, the log entries cannot be checked: the signature alone is.
    const checked: SignedEntity = useLog ? entity : { ...entity, tlogEntries: [], timestamps: [] };
    const failures: string[] = [];
    for (const key of trust.keys) {
      const material = toTrustMaterial(root ?? EMPTY_ROOT, () => ({ publicKey: key.key, validFor: () => true }));
      try {
        new Verifier(material, { tlogThreshold: useLog ? 1 : 0, ctlogThreshold: 0, timestampThreshold: useLog ? 1 : 0 }).verify(checked);
      } catch (e) {
        failures.push(message(e));
        continue;
      }
      const other = namesImage(bundle, subject);
      if (other) return verdict('invalid', { reason: other, by: `${key.label} ${key.fingerprint}` });
      if (useLog) return verdict('verified', { by: `key ${key.label} ${key.fingerprint}, log entry checked against the trusted root` });
      return verdict('valid-no-tlog', { by: `key ${key.label} ${key.fingerprint}`, notes: ['accepted for --key as `cosign verify --insecure-ignore-tlog` does', ...(entries.length ? ['a log entry is attached but was not checked: no --trusted-root'] : [])] });
    }
    const tlogFailure = failures.find((f) => /tlog|inclusion|checkpoint|SET/i.test(f));
    return verdict('invalid', { reason: tlogFailure ? `the log entry does not verify against the trusted root (${tlogFailure})` : `wrong key or altered bytes: the bundle's signature does not verify with ${trust.keys.map((k) => `${k.label} ${k.fingerprint}`).join(', ')} (${failures[0] ?? ''})` });
  }
  // Keyless: a certificate, its chain to a CA in the trusted root, a log entry for the time.
  if (!logProof) return verdict('cannot-verify-offline', { reason: 'a keyless bundle without an inclusion promise or proof: cosign would ask Rekor online' });
  if (!trust.trustedRoot || !trust.identity || !trust.issuer) return verdict('not-verified', { reason: 'a keyless bundle: give --trusted-root with --certificate-identity and --certificate-oidc-issuer' });
  if (trust.trustedRoot.certificateAuthorities.length === 0) return verdict('invalid', { reason: 'the trusted root names no certificate authority: the certificate cannot chain to one' });
  try {
    new Verifier(toTrustMaterial(trust.trustedRoot), { tlogThreshold: 1, ctlogThreshold: 1, timestampThreshold: 1 }).verify(entity, { subjectAlternativeName: `^${escapeRegExp(trust.identity)}$`, extensions: { issuer: trust.issuer } });
  } catch (e) {
    return verdict('invalid', { reason: identityRefusal(e, trust.identity) ?? keylessRefusal(e) });
  }
  const other = namesImage(bundle, subject);
  if (other) return verdict('invalid', { reason: other });
  const logged = entries.find((e) => e.inclusionPromise || e.inclusionProof);
  return verdict('verified', { by: `certificate for ${trust.identity} (issuer ${trust.issuer}) under the trusted root, Rekor log index ${logged?.logIndex ?? '?'}` });
}
