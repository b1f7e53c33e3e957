/**
 * One manifest's signatures and attestations as plain data (common/protocol.ts SupplyChainReport)
 * for `tree`, the explorer, the lenses and hovers: found (attachments.ts), decoded and given their
 * verdicts against the trust given (verifyAttachments), in words that need no further lookup.
 */
import type { SupplyChainItem, SupplyChainReport } from '../../../common/protocol';
import type { ImageReference, RegistryClient } from '../registry';
import { findAttachments, hasTrust, verifyAttachments, type OtherAttachment, type SignatureResult, type SubjectDescriptor, type Trust } from './attachments';
import type { DecodedLayer } from './decode';

export type { SupplyChainItem, SupplyChainReport };

/** The signer in words: the certificate's subject, SANs and OIDC issuer, or the key id. */
export function signerWords(d: DecodedLayer | undefined): string | undefined {
  const c = d?.signer?.certificate;
  if (c) return `certificate ${c.subject ? `"${c.subject}"` : '(no subject)'}${c.sans.length ? `, SAN ${c.sans.join(', ')}` : ''}${c.oidcIssuer ? `, OIDC issuer ${c.oidcIssuer}` : ''}`;
  if (d?.signer?.keyId) return `key id ${d.signer.keyId}`;
  return undefined;
}

/** Where a signing time comes from, in words. */
export function signedAtSource(source: 'rekor' | 'tsa' | 'signer-claim'): string {
  return source === 'rekor' ? "Rekor's integrated time" : source === 'tsa' ? 'an RFC 3161 timestamp' : "the signer's claim";
}

function item(a: SignatureResult | OtherAttachment): SupplyChainItem {
  const d = a.decoded;
  const v = 'verdict' in a ? a.verdict : undefined;
  const signer = signerWords(d) ?? (v?.by && (v.kind === 'verified' || v.kind === 'valid-no-tlog') ? v.by : undefined);
  return {
    kind: a.kind,
    label: a.label,
    where: a.where,
    ...(d?.predicateType ? { predicateType: d.predicateType } : {}),
    ...(signer ? { signer } : {}),
    ...(d?.signedAt ? { signedAt: { time: d.signedAt.time, source: d.signedAt.source } } : {}),
    ...(d?.logIndex ? { logIndex: d.logIndex } : {}),
    ...(d?.summary ? { summary: d.summary.text } : {}),
    ...(v ? { verdict: { kind: v.kind, text: v.text, ...(v.reason ? { reason: v.reason } : {}), ...(v.by ? { by: v.by } : {}), notes: [...v.notes] } } : {}),
    ...(a.manifest ? { manifest: a.manifest } : {}),
    ...(a.layer !== undefined ? { layer: a.layer } : {}),
  };
}

/** The trust in words, for a report's `trust`. */
export function trustWords(trust: Trust): string {
  if (!hasTrust(trust)) return 'no trust configured';
  const parts = [
    ...trust.keys.map((k) => `key ${k.label}`),
    ...(trust.trustedRoot ? [`trusted root${trust.identity ? ` for ${trust.identity} (${trust.issuer})` : ''}`] : []),
    ...(trust.notation ? [`notation ${trust.notation.dir}`] : []),
  ];
  return parts.join(', ');
}

/**
 * What is attached to `subject` (in `ref`'s repository; with the index that lists it, its
 * BuildKit attestation manifests too), each signature with its verdict against `trust`. A
 * registry failure of the referrers list throws.
 */
export async function supplyChainReport(client: RegistryClient, ref: ImageReference, subject: SubjectDescriptor, trust: Trust, parentIndex?: { readonly digest: string; readonly bytes: Uint8Array }, trustText?: string): Promise<SupplyChainReport> {
  const found = await findAttachments(client, ref, subject.digest, parentIndex);
  const r = await verifyAttachments(client, ref, subject, found, trust);
  return { subject: subject.digest, items: [...r.signatures.map(item), ...r.others.map(item)], problems: r.problems, trust: trustText ?? trustWords(trust) };
}

/** An item's verdict, or what an unsigned one is, in words: `verified (by key a.pub …)`, `no signature of its own`. */
export function verdictWords(i: SupplyChainItem): string {
  if (!i.verdict) return 'no signature of its own';
  return `${i.verdict.text}${i.verdict.reason ? ` — ${i.verdict.reason}` : ''}`;
}
