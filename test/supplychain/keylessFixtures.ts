/**
 * Keyless Sigstore bundles (v0.3) made offline, as cosign v3 attaches them: a Fulcio certificate
 * from @sigstore/mock's CA (URI SAN, OIDC issuer extension, an embedded SCT), a DSSE
 * signature over an in-toto statement naming the image digest (@sigstore/sign's DSSEBundleBuilder),
 * and a Rekor `dsse` 0.0.1 entry from the mock log with its inclusion promise (SET) and inclusion
 * proof (a signed checkpoint). The trusted_root.json names the mock CA, CT log and Rekor log keys.
 * Everything is called in-process: no nock, no network.
 */
import { createHash, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import type { TransparencyLogEntry } from '@sigstore/bundle';

export const OIDC_ISSUER_V1 = '1.3.6.1.4.1.57264.1.1';
export const OIDC_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';

export interface KeylessSigner {
  /** A trusted_root.json naming the mock CA, CT log and Rekor log (`omit` leaves one out). */
  trustedRoot(options?: { omit?: 'ca' | 'tlog' | 'ctlog' }): string;
  /**
   * A bundle (JSON bytes) over `statementBytes`, signed by a fresh key certified for `identity`
   * and `issuer`. `certificateExpired`: the certificate was issued an hour before the log entry
   * (Fulcio certificates live ten minutes). `logProof: false`: the tlog entry's promise and proof
   * are removed (what a bundle fetched without them looks like); `'none'`: no tlog entry at all. `flipSignature`: one bit of the
   * DSSE signature flipped after logging. `messageSignature`: a message-signature bundle over
   * `statementBytes` (then the bytes signed, e.g. a manifest) with a hashedrekord entry.
   */
  /**
   * A keyless cosign tag-scheme signature layer's annotations (signature, certificate, Rekor bundle
   * with a hashedrekord 0.0.1 entry from the mock log) over `payload`.
   */
  cosignTagSignature(payload: Buffer, options?: { identity?: string; issuer?: string; certificateExpired?: boolean }): Promise<Record<string, string>>;
  bundle(statementBytes: Buffer, options?: { identity?: string; issuer?: string; certificateExpired?: boolean; logProof?: false | 'none'; flipSignature?: boolean; messageSignature?: boolean }): Promise<{ json: Buffer; logIndex: string }>;
}

const p256 = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const spkiDer = (k: KeyObject): Buffer => k.export({ type: 'spki', format: 'der' });
const HOUR = 3_600_000;

/** The body Rekor stores for a `hashedrekord` 0.0.1 entry: the digest, the signature and the certificate. */
function hashedRekordBody(digestHex: string, signatureB64: string, certificatePem: string): object {
  return { apiVersion: '0.0.1', kind: 'hashedrekord', spec: { data: { hash: { algorithm: 'sha256', value: digestHex } }, signature: { content: signatureB64, publicKey: { content: Buffer.from(certificatePem).toString('base64') } } } };
}

/** The body Rekor stores for a `dsse` 0.0.1 entry (sigstore/rekor pkg/types/dsse/v0.0.1): hashes, signature and verifier. */
function dsseEntryBody(envelopeJson: string, payload: Buffer, signature: Buffer, certificatePem: string): object {
  return {
    apiVersion: '0.0.1',
    kind: 'dsse',
    spec: {
      envelopeHash: { algorithm: 'sha256', value: createHash('sha256').update(envelopeJson).digest('hex') },
      payloadHash: { algorithm: 'sha256', value: createHash('sha256').update(payload).digest('hex') },
      signatures: [{ signature: signature.toString('base64'), verifier: Buffer.from(certificatePem).toString('base64') }],
    },
  };
}

/** The DER bytes of a certificate's TBSCertificate (the first element of its outer SEQUENCE). */
function tbsOf(certificate: Buffer): Buffer {
  const header = (at: number): { start: number; end: number } => {
    const first = certificate[at + 1];
    if (first < 0x80) return { start: at + 2, end: at + 2 + first };
    const n = first & 0x7f;
    return { start: at + 2 + n, end: at + 2 + n + certificate.subarray(at + 2, at + 2 + n).reduce((a, b) => a * 256 + b, 0) };
  };
  const tbs = header(0).start;
  return certificate.subarray(tbs, header(tbs).end);
}

/**
 * A CT log for initializeCA: an RFC 6962 precertificate SCT over the precertificate's TBS, in
 * the serialized form (with its 2-byte length) the mock CA puts into its SCT list. The mock's own
 * CT log (0.11.0) is not used: with pkijs 3.x it writes a zero length and an empty signature (it
 * passes an asn1js object where pkijs 3 takes an ArrayBuffer), which @sigstore/verify rejects.
 */
function makeCtLog(keys: { privateKey: KeyObject; publicKey: KeyObject }, clock?: Date) {
  const publicKey = spkiDer(keys.publicKey);
  const logID = createHash('sha256').update(publicKey).digest();
  return {
    publicKey,
    logID,
    log: async (certificate: ArrayBuffer, issuerID: ArrayBuffer): Promise<ArrayBuffer> => {
      const tbs = tbsOf(Buffer.from(certificate));
      const time = Buffer.alloc(8);
      time.writeBigUInt64BE(BigInt((clock ?? new Date()).getTime()));
      const u = (n: number, bytes: number) => Buffer.from(n.toString(16).padStart(bytes * 2, '0'), 'hex');
      // digitally-signed struct: version v1, certificate_timestamp, timestamp, precert_entry, issuer_key_hash, tbs, no extensions
      const signed = Buffer.concat([Buffer.from([0, 0]), time, u(1, 2), Buffer.from(issuerID), u(tbs.length, 3), tbs, u(0, 2)]);
      const sig = cryptoSign('sha256', signed, keys.privateKey);
      const sct = Buffer.concat([Buffer.from([0]), logID, time, u(0, 2), Buffer.from([4, 3]), u(sig.length, 2), sig]);
      const serialized = Buffer.concat([u(sct.length, 2), sct]);
      return serialized.buffer.slice(serialized.byteOffset, serialized.byteOffset + serialized.length);
    },
  };
}

/** What the mock log answers for one entry (Rekor's LogEntry value). */
interface LoggedEntry {
  body: string;
  integratedTime: number;
  logID: string;
  logIndex: number;
  verification?: { signedEntryTimestamp?: string; inclusionProof?: { logIndex: number; treeSize: number; rootHash: string; hashes: string[]; checkpoint: string } };
}

export async function makeKeylessSigner(): Promise<KeylessSigner> {
  const { initializeCA, initializeTLog } = await import('@sigstore/mock');
  const { DSSEBundleBuilder, MessageSignatureBundleBuilder } = await import('@sigstore/sign');
  const { bundleToJSON, envelopeToJSON } = await import('@sigstore/bundle');
  const caKeys = p256();
  const ctKeys = p256();
  const tlogKeys = p256();
  const ctlog = makeCtLog(ctKeys);
  const ca = await initializeCA(caKeys, ctlog);
  const tlog = await initializeTLog('https://rekor.test', tlogKeys);
  // An earlier CA over the same key (same root certificate subject and key): issues certificates an hour ago.
  const pastCa = await initializeCA(caKeys, makeCtLog(ctKeys, new Date(Date.now() - HOUR)), new Date(Date.now() - HOUR));
  const tlogKey = spkiDer(tlogKeys.publicKey);
  const start = '2020-01-01T00:00:00Z';

  const trustedRoot = (options: { omit?: 'ca' | 'tlog' | 'ctlog' } = {}): string => JSON.stringify({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: options.omit === 'tlog' ? [] : [{ baseUrl: 'https://rekor.test', hashAlgorithm: 'SHA2_256', publicKey: { rawBytes: tlogKey.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } }, logId: { keyId: createHash('sha256').update(tlogKey).digest('base64') } }],
    certificateAuthorities: options.omit === 'ca' ? [] : [{ subject: { organization: 'sigstore.mock', commonName: 'sigstore' }, uri: 'https://fulcio.test', certChain: { certificates: [{ rawBytes: ca.rootCertificate.toString('base64') }] }, validFor: { start } }],
    ctlogs: options.omit === 'ctlog' ? [] : [{ baseUrl: 'https://ctfe.test', hashAlgorithm: 'SHA2_256', publicKey: { rawBytes: ctlog.publicKey.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } }, logId: { keyId: ctlog.logID.toString('base64') } }],
    timestampAuthorities: [],
  });

  /** A fresh key and its Fulcio certificate for `identity` and `issuer`. */
  const certified = async (o: { identity?: string; issuer?: string; certificateExpired?: boolean }) => {
    const identity = o.identity ?? 'https://github.com/example/app/.github/workflows/release.yml@refs/heads/main';
    const issuer = o.issuer ?? 'https://token.actions.githubusercontent.com';
    const key = p256();
    const der = await (o.certificateExpired ? pastCa : ca).issueCertificate({
      publicKey: spkiDer(key.publicKey),
      subjectAltName: identity,
      extensions: [{ oid: OIDC_ISSUER_V1, value: issuer, legacy: true }, { oid: OIDC_ISSUER_V2, value: issuer }],
    });
    return { key, certificatePem: `-----BEGIN CERTIFICATE-----\n${der.toString('base64')}\n-----END CERTIFICATE-----\n` };
  };

  const cosignTagSignature: KeylessSigner['cosignTagSignature'] = async (payload, o = {}) => {
    const { key, certificatePem } = await certified(o);
    const signature = cryptoSign('sha256', payload, key.privateKey).toString('base64');
    // The body Rekor stores for a hashedrekord 0.0.1 entry; cosign's bundle annotation around it.
    const body = hashedRekordBody(createHash('sha256').update(payload).digest('hex'), signature, certificatePem);
    const logged = Object.values(await tlog.log(body))[0] as LoggedEntry;
    return {
      'dev.cosignproject.cosign/signature': signature,
      'dev.sigstore.cosign/certificate': certificatePem,
      'dev.sigstore.cosign/bundle': JSON.stringify({ SignedEntryTimestamp: logged.verification!.signedEntryTimestamp, Payload: { body: logged.body, integratedTime: logged.integratedTime, logIndex: logged.logIndex, logID: logged.logID } }),
    };
  };

  const bundle: KeylessSigner['bundle'] = async (statementBytes, o = {}) => {
    const { key, certificatePem } = await certified(o);
    let logIndex = '';
    const options: ConstructorParameters<typeof DSSEBundleBuilder>[0] = {
      signer: { sign: async (data: Buffer) => ({ signature: cryptoSign('sha256', data, key.privateKey), key: { $case: 'x509Certificate' as const, certificate: certificatePem } }) },
      witnesses: [{
        // What RekorWitness does against Rekor, in-process against the mock log.
        testify: async (content) => {
          const body = content.$case === 'dsseEnvelope'
            ? dsseEntryBody(JSON.stringify(envelopeToJSON(content.dsseEnvelope)), content.dsseEnvelope.payload, content.dsseEnvelope.signatures[0].sig, certificatePem)
            : hashedRekordBody(content.messageSignature.messageDigest!.digest.toString('hex'), content.messageSignature.signature.toString('base64'), certificatePem);
          const logged = Object.values(await tlog.log(body))[0] as LoggedEntry;
          const proof = logged.verification!.inclusionProof!;
          logIndex = String(logged.logIndex);
          const entry: TransparencyLogEntry = {
            logIndex,
            logId: { keyId: Buffer.from(logged.logID, 'hex') },
            kindVersion: { kind: (body as { kind: string }).kind, version: '0.0.1' },
            integratedTime: String(logged.integratedTime),
            inclusionPromise: { signedEntryTimestamp: Buffer.from(logged.verification!.signedEntryTimestamp!, 'base64') },
            inclusionProof: { logIndex: String(proof.logIndex), treeSize: String(proof.treeSize), rootHash: Buffer.from(proof.rootHash, 'hex'), hashes: proof.hashes.map((h) => Buffer.from(h, 'hex')), checkpoint: { envelope: proof.checkpoint } },
            canonicalizedBody: Buffer.from(logged.body, 'base64'),
          };
          return { tlogEntries: [entry] };
        },
      }],
    };
    const b = o.messageSignature ? await new MessageSignatureBundleBuilder(options).create({ data: statementBytes }) : await new DSSEBundleBuilder(options).create({ data: statementBytes, type: 'application/vnd.in-toto+json' });
    const json = bundleToJSON(b) as { dsseEnvelope?: { signatures: { sig: string }[] }; verificationMaterial: { tlogEntries: Record<string, unknown>[] } };
    if (o.logProof === 'none') json.verificationMaterial.tlogEntries = [];
    if (o.logProof === false) for (const e of json.verificationMaterial.tlogEntries) { delete e.inclusionPromise; delete e.inclusionProof; }
    if (o.flipSignature) {
      const sig = Buffer.from(json.dsseEnvelope!.signatures[0].sig, 'base64');
      sig[sig.length - 5] ^= 0x01;
      json.dsseEnvelope!.signatures[0].sig = sig.toString('base64');
    }
    return { json: Buffer.from(JSON.stringify(json)), logIndex };
  };

  return { trustedRoot, bundle, cosignTagSignature };
}
