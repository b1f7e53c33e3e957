/**
 * A cosign tag-scheme signature with its Rekor bundle annotation (`dev.sigstore.cosign/bundle`:
 * SignedEntryTimestamp + the entry's body, time, index and log id) is the same evidence as a
 * v0.1 Sigstore bundle with a message signature and an inclusion promise: cosign itself reads it
 * so. Rewritten as one, it is verified by @sigstore/verify (SET against the trusted root's log
 * key, entry body against the signature and payload digest, certificate chain and identity)
 * instead of by code of our own.
 */
import { createHash } from 'node:crypto';
import { bundleFromJSON } from '@sigstore/bundle';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { MAX_CHAIN_CERTIFICATES, parseCertificates } from './certificates';
import { ANNOTATION } from './mediaTypes';
import { decodeRekorBundle, fromBase64, parseJson } from './decode';
import type { TrustedKey } from './cosignKey';

/** The serialized v0.1 bundle equivalent to a tag-scheme signature layer, or why there is none. */
export function tagSignatureAsBundle(payload: Uint8Array, annotations: Readonly<Record<string, string>>): unknown | string {
  const rekor = decodeRekorBundle(annotations[ANNOTATION.cosignBundle]);
  if (!rekor?.body || !rekor.signedEntryTimestamp || rekor.integratedTime === undefined || rekor.logIndex === undefined || !rekor.logId) return 'no complete Rekor bundle annotation';
  const body = parseJson(fromBase64(rekor.body) ?? '') as { kind?: unknown; apiVersion?: unknown } | undefined;
  if (typeof body?.kind !== 'string' || typeof body.apiVersion !== 'string') return 'the Rekor entry body is not a Rekor entry';
  if (!/^[0-9a-f]+$/i.test(rekor.logId)) return 'the Rekor log id is not hex';
  const certPem = annotations[ANNOTATION.cosignCertificate] ?? annotations[ANNOTATION.cosignCertificateSpec];
  const chain = [...(certPem ? parseCertificates(certPem, MAX_CHAIN_CERTIFICATES + 1) : []), ...parseCertificates(annotations[ANNOTATION.cosignChain] ?? '', MAX_CHAIN_CERTIFICATES + 1)];
  if (chain.length > MAX_CHAIN_CERTIFICATES) return `the certificate chain annotation holds more than ${MAX_CHAIN_CERTIFICATES} certificates`;
  if (certPem && chain.length === 0) return 'the certificate annotation holds no certificate';
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.1',
    verificationMaterial: {
      ...(chain.length ? { x509CertificateChain: { certificates: chain.map((c) => ({ rawBytes: Buffer.from(c.rawData).toString('base64') })) } } : { publicKey: { hint: '' } }),
      tlogEntries: [{
        logIndex: String(rekor.logIndex),
        logId: { keyId: Buffer.from(rekor.logId, 'hex').toString('base64') },
        kindVersion: { kind: body.kind, version: body.apiVersion },
        integratedTime: String(rekor.integratedTime),
        inclusionPromise: { signedEntryTimestamp: rekor.signedEntryTimestamp },
        canonicalizedBody: rekor.body,
      }],
      timestampVerificationData: { rfc3161Timestamps: [] },
    },
    messageSignature: { messageDigest: { algorithm: 'SHA2_256', digest: createHash('sha256').update(payload).digest('base64') }, signature: annotations[ANNOTATION.cosignSignature] ?? '' },
  };
}

export type RekorCheck = { readonly ok: true; readonly logIndex: string } | { readonly ok: false; readonly reason: string };

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Verifies the tag-scheme signature with its Rekor entry against the trusted root: with `key`
 * for a key signature, else keyless (certificate chain to the root's CAs, SCT, exact identity and
 * issuer).
 */
export function verifyTagSignatureWithLog(payload: Uint8Array, annotations: Readonly<Record<string, string>>, root: TrustedRoot, signer: { key: TrustedKey } | { identity: string; issuer: string }): RekorCheck {
  const serialized = tagSignatureAsBundle(payload, annotations);
  if (typeof serialized === 'string') return { ok: false, reason: serialized };
  try {
    const bundle = bundleFromJSON(serialized);
    const entity = toSignedEntity(bundle, Buffer.from(payload));
    if ('key' in signer) {
      const material = toTrustMaterial(root, () => ({ publicKey: signer.key.key, validFor: () => true }));
      new Verifier(material, { tlogThreshold: 1, ctlogThreshold: 0, timestampThreshold: 1 }).verify(entity);
    } else {
      new Verifier(toTrustMaterial(root), { tlogThreshold: 1, ctlogThreshold: 1, timestampThreshold: 1 }).verify(entity, { subjectAlternativeName: `^${escapeRegExp(signer.identity)}$`, extensions: { issuer: signer.issuer } });
    }
    return { ok: true, logIndex: bundle.verificationMaterial.tlogEntries[0]?.logIndex ?? '?' };
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
}
