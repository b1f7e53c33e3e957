/**
 * The CBOR subset COSE_Sign1 needs (RFC 8949): definite-length items only, bounded depth and
 * count. Decoding keeps byte strings as the exact bytes served, so a COSE signature is checked
 * over the original protected header (re-encoding it, as cose-js does, can change the bytes).
 */

export type CborValue = number | bigint | string | Uint8Array | boolean | null | undefined | CborValue[] | Map<CborValue, CborValue> | CborTag;

export class CborTag {
  constructor(readonly tag: number, readonly value: CborValue) {}
}

const MAX_DEPTH = 32;
const MAX_ITEMS = 100_000;

/** Decodes one CBOR item that fills `bytes`; throws on anything else (indefinite lengths included). */
export function decodeCbor(bytes: Uint8Array): CborValue {
  let pos = 0;
  let items = 0;
  const need = (n: number): void => {
    if (pos + n > bytes.length) throw new Error('CBOR: truncated');
  };
  const arg = (info: number): number | bigint => {
    if (info < 24) return info;
    const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
    if (!size) throw new Error(`CBOR: unsupported additional information ${info}`);
    need(size);
    let v = 0n;
    for (let i = 0; i < size; i++) v = (v << 8n) | BigInt(bytes[pos + i]);
    pos += size;
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const length = (info: number): number => {
    const n = arg(info);
    if (typeof n !== 'number' || n > bytes.length) throw new Error('CBOR: length beyond the input');
    return n;
  };
  const item = (depth: number): CborValue => {
    if (depth > MAX_DEPTH) throw new Error('CBOR: nested too deep');
    if (++items > MAX_ITEMS) throw new Error('CBOR: too many items');
    need(1);
    const first = bytes[pos++];
    const major = first >> 5;
    const info = first & 31;
    switch (major) {
      case 0:
        return arg(info);
      case 1: {
        const n = arg(info);
        return typeof n === 'number' ? -1 - n : -1n - n;
      }
      case 2:
      case 3: {
        const n = length(info);
        need(n);
        const b = bytes.subarray(pos, pos + n);
        pos += n;
        return major === 2 ? b : Buffer.from(b).toString('utf8');
      }
      case 4: {
        const n = length(info);
        const out: CborValue[] = [];
        for (let i = 0; i < n; i++) out.push(item(depth + 1));
        return out;
      }
      case 5: {
        const n = length(info);
        const out = new Map<CborValue, CborValue>();
        for (let i = 0; i < n; i++) {
          const k = item(depth + 1);
          // COSE (RFC 9052 §3): a header label twice is an error, not "the last one wins".
          if (out.has(k)) throw new Error('CBOR: a map key appears twice');
          out.set(k, item(depth + 1));
        }
        return out;
      }
      case 6: {
        const t = arg(info);
        return new CborTag(Number(t), item(depth + 1));
      }
      default:
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 22) return null;
        if (info === 23) return undefined;
        if (info === 25 || info === 26 || info === 27) {
          const size = info === 25 ? 2 : info === 26 ? 4 : 8;
          need(size);
          const view = new DataView(bytes.buffer, bytes.byteOffset + pos, size);
          pos += size;
          if (size === 2) {
            const h = view.getUint16(0);
            const exp = (h >> 10) & 31;
            const mant = h & 1023;
            const v = exp === 0 ? mant * 2 ** -24 : exp === 31 ? (mant ? NaN : Infinity) : (mant + 1024) * 2 ** (exp - 25);
            return h & 0x8000 ? -v : v;
          }
          return size === 4 ? view.getFloat32(0) : view.getFloat64(0);
        }
        throw new Error(`CBOR: unsupported item (major ${major}, info ${info})`);
    }
  };
  const v = item(0);
  if (pos !== bytes.length) throw new Error('CBOR: trailing bytes');
  return v;
}

function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 256) return Buffer.from([(major << 5) | 24, n]);
  if (n < 65536) return Buffer.from([(major << 5) | 25, n >> 8, n & 255]);
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(n, 1);
  return b;
}

/** Encodes the COSE Sig_structure's parts: arrays, text and byte strings only. */
export function encodeSigStructure(parts: readonly (string | Uint8Array)[]): Buffer {
  return Buffer.concat([
    head(4, parts.length),
    ...parts.flatMap((p) => (typeof p === 'string' ? [head(3, Buffer.byteLength(p)), Buffer.from(p, 'utf8')] : [head(2, p.length), Buffer.from(p)])),
  ]);
}
