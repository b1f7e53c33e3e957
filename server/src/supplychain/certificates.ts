/**
 * X.509 certificates of signers (cosign/Fulcio certificates, notation x5c chains), read with
 * @peculiar/x509: who (subject, SANs, the Fulcio OIDC issuer), when valid, and chains checked
 * against trust anchors the user gave.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { BasicConstraintsExtension, ExtendedKeyUsageExtension, KeyUsageFlags, KeyUsagesExtension, SubjectAlternativeNameExtension, X509Certificate } from '@peculiar/x509';

/** Whether a certificate may sign others (basicConstraints cA). */
function isCa(cert: X509Certificate): boolean {
  try {
    return cert.getExtension(BasicConstraintsExtension)?.ca === true;
  } catch {
    return false;
  }
}

const CODE_SIGNING = '1.3.6.1.5.5.7.3.3';

/**
 * Why a certificate cannot sign an artifact (notation's signing certificate requirements): a CA
 * (basicConstraints cA), a key usage without digitalSignature, an extended key usage without
 * codeSigning (a TLS server certificate from the same CA is not a code-signing one).
 */
export function signingCertificateProblem(cert: X509Certificate): string | undefined {
  try {
    if (cert.getExtension(BasicConstraintsExtension)?.ca === true) return `certificate "${cert.subject}" is a CA (basicConstraints cA), not a signing certificate`;
    const ku = cert.getExtension(KeyUsagesExtension);
    if (ku && (ku.usages & KeyUsageFlags.digitalSignature) === 0) return `certificate "${cert.subject}" may not sign (its key usage lacks digitalSignature)`;
    const eku = cert.getExtension(ExtendedKeyUsageExtension);
    if (eku && !eku.usages.map(String).includes(CODE_SIGNING)) return `certificate "${cert.subject}" is not for code signing (its extended key usage lacks codeSigning)`;
  } catch {
    return `certificate "${cert.subject}" has extensions that cannot be read`;
  }
  return undefined;
}

/** Fulcio's OIDC issuer extensions: .1.1 (raw string, deprecated) and .1.8 (DER UTF8String). */
const FULCIO_ISSUER_V1 = '1.3.6.1.4.1.57264.1.1';
const FULCIO_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';

export interface CertificateInfo {
  readonly subject: string;
  readonly issuer: string;
  /** Subject alternative names as `type:value` (email:…, url:…, dns:…). */
  readonly sans: readonly string[];
  /** The OIDC issuer Fulcio wrote into the certificate, when it is one of its certificates. */
  readonly oidcIssuer?: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** sha256 of the DER bytes, hex. */
  readonly fingerprint: string;
}

/**
 * The most certificates of one chain read (x5c, x5chain, cosign's chain annotation): a chain is
 * checked 10 deep at most, and each certificate parsed costs; thousands of them are refused.
 */
export const MAX_CHAIN_CERTIFICATES = 16;

/** Parses a PEM (first certificate) or DER certificate; undefined when it is not one. */
export function parseCertificate(input: string | Uint8Array): X509Certificate | undefined {
  try {
    if (typeof input === 'string') {
      const m = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(input);
      if (!m) return undefined;
      return new X509Certificate(m[0]);
    }
    return new X509Certificate(input);
  } catch {
    return undefined;
  }
}

/** The certificates in a PEM text, in order (unparsable blocks skipped), the first `max` blocks only. */
export function parseCertificates(pem: string, max = Infinity): X509Certificate[] {
  const blocks: RegExpMatchArray[] = [];
  for (const m of pem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)) {
    if (blocks.length >= max) break;
    blocks.push(m);
  }
  return blocks.flatMap((m) => {
    const c = parseCertificate(m[0]);
    return c ? [c] : [];
  });
}

/** A DER UTF8String/IA5String/PrintableString's text (short form or long form length). */
function derString(bytes: Uint8Array): string | undefined {
  if (bytes.length < 2 || ![0x0c, 0x16, 0x13].includes(bytes[0])) return undefined;
  let len = bytes[1];
  let off = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n < 1 || n > 3 || bytes.length < 2 + n) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + bytes[2 + i];
    off = 2 + n;
  }
  if (off + len !== bytes.length) return undefined;
  return Buffer.from(bytes.subarray(off)).toString('utf8');
}

export function certificateInfo(cert: X509Certificate): CertificateInfo {
  let sans: string[] = [];
  try {
    const san = cert.getExtension(SubjectAlternativeNameExtension);
    if (san) sans = san.names.items.map((n) => `${n.type}:${n.value}`);
  } catch {
    sans = [];
  }
  let oidcIssuer: string | undefined;
  const v2 = cert.getExtension(FULCIO_ISSUER_V2);
  if (v2) oidcIssuer = derString(new Uint8Array(v2.value));
  if (!oidcIssuer) {
    const v1 = cert.getExtension(FULCIO_ISSUER_V1);
    if (v1) oidcIssuer = Buffer.from(v1.value).toString('utf8');
  }
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    sans,
    ...(oidcIssuer ? { oidcIssuer } : {}),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    fingerprint: createHash('sha256').update(new Uint8Array(cert.rawData)).digest('hex'),
  };
}

/** The certificate's public key as a node:crypto KeyObject (for jose and node:crypto verify). */
export function certificateKey(cert: X509Certificate): KeyObject {
  return createPublicKey({ key: Buffer.from(cert.publicKey.rawData), format: 'der', type: 'spki' });
}

/** `SHA256:<hex>` of a public key's SPKI DER: how a key is named in verdicts. */
export function keyFingerprint(key: KeyObject): string {
  return 'SHA256:' + createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex');
}

export type ChainResult =
  | { readonly ok: true; readonly anchor: X509Certificate; readonly chain: readonly X509Certificate[] }
  | { readonly ok: false; readonly reason: string };

function describeDate(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Checks that `leaf`, through `intermediates` (in any order), chains to one of `anchors`: each
 * certificate signed by the next, each valid at `at`. The anchor itself must be valid at `at` too.
 * The reason names the first failure in words a user can act on.
 */
export async function verifyChain(leaf: X509Certificate, intermediates: readonly X509Certificate[], anchors: readonly X509Certificate[], at: Date): Promise<ChainResult> {
  const chain: X509Certificate[] = [leaf];
  const validity = (c: X509Certificate): string | undefined =>
    at < c.notBefore ? `certificate "${c.subject}" is not valid before ${describeDate(c.notBefore)}` : at > c.notAfter ? `certificate "${c.subject}" expired on ${describeDate(c.notAfter)}` : undefined;
  let current = leaf;
  for (let depth = 0; depth < 10; depth++) {
    const bad = validity(current);
    if (bad) return { ok: false, reason: bad };
    for (const anchor of anchors) {
      const same: boolean = Buffer.from(anchor.rawData).equals(Buffer.from(current.rawData));
      if (anchor.subject !== current.issuer && !same) continue;
      if (same || (await current.verify({ publicKey: anchor.publicKey, signatureOnly: true }).catch(() => false))) {
        if (!same && !isCa(anchor)) return { ok: false, reason: `trusted certificate "${anchor.subject}" is not a CA (basicConstraints) and cannot sign "${current.subject}"` };
        const badAnchor = validity(anchor);
        if (badAnchor) return { ok: false, reason: badAnchor };
        return { ok: true, anchor, chain };
      }
    }
    const next = intermediates.find((c) => c.subject === current.issuer && !chain.some((x) => Buffer.from(x.rawData).equals(Buffer.from(c.rawData))));
    if (!next) return { ok: false, reason: `certificate "${current.subject}" (issuer "${current.issuer}") does not chain to a trusted certificate` };
    if (!(await current.verify({ publicKey: next.publicKey, signatureOnly: true }).catch(() => false))) {
      return { ok: false, reason: `certificate "${current.subject}" is not signed by "${next.subject}"` };
    }
    if (!isCa(next)) return { ok: false, reason: `certificate "${next.subject}" is not a CA (basicConstraints) and cannot sign "${current.subject}"` };
    chain.push(next);
    current = next;
  }
  return { ok: false, reason: 'certificate chain longer than 10' };
}
