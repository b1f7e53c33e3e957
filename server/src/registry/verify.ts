// Digest computation and verification over the exact bytes a registry served.
import { createHash } from 'node:crypto';

const NODE_ALGORITHMS: Readonly<Record<string, string>> = { sha256: 'sha256', sha384: 'sha384', sha512: 'sha512' };

/** `algorithm:hex` of `bytes`, or undefined for an algorithm this build cannot compute. */
export function digestOf(bytes: Uint8Array, algorithm = 'sha256'): string | undefined {
  const nodeName = NODE_ALGORITHMS[algorithm];
  if (!nodeName) return undefined;
  return `${algorithm}:${createHash(nodeName).update(bytes).digest('hex')}`;
}

/** The algorithm part of `algorithm:hex`. */
export function digestAlgorithm(digest: string): string {
  const colon = digest.indexOf(':');
  return colon < 0 ? '' : digest.slice(0, colon);
}

/**
 * For a signed schema1 manifest (JWS, `application/vnd.docker.distribution.manifest.v1+prettyjws`)
 * the registry's digest covers the payload without the signatures: the first `formatLength`
 * bytes followed by the base64url-decoded `formatTail` of the first signature's protected
 * header (libtrust). Returns those payload bytes, or undefined if the document is not shaped so.
 */
export function schema1SignedPayload(bytes: Uint8Array): Uint8Array | undefined {
  try {
    const doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as { signatures?: { protected?: unknown }[] };
    const protectedHeader = doc.signatures?.[0]?.protected;
    if (typeof protectedHeader !== 'string') return undefined;
    const header = JSON.parse(Buffer.from(protectedHeader, 'base64url').toString('utf8')) as {
      formatLength?: unknown;
      formatTail?: unknown;
    };
    if (typeof header.formatLength !== 'number' || typeof header.formatTail !== 'string') return undefined;
    if (header.formatLength < 0 || header.formatLength > bytes.length) return undefined;
    const tail = Buffer.from(header.formatTail, 'base64url');
    const out = new Uint8Array(header.formatLength + tail.length);
    out.set(bytes.subarray(0, header.formatLength), 0);
    out.set(tail, header.formatLength);
    return out;
  } catch {
    return undefined;
  }
}
