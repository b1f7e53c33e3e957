/** Digest grammar and registered algorithms (rules.md §5). */

/** image-spec descriptor.md digest grammar. */
export const DIGEST_GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export interface AlgorithmInfo {
  readonly name: string;
  readonly encoded: RegExp;
  readonly hexLength: number;
  readonly note: string;
}

/** Algorithms image-spec registers; go-digest registers sha256 and sha512 by default. */
export const REGISTERED_ALGORITHMS: ReadonlyMap<string, AlgorithmInfo> = new Map([
  ['sha256', { name: 'sha256', encoded: /^[a-f0-9]{64}$/, hexLength: 64, note: 'SHA-256, the algorithm every implementation supports.' }],
  ['sha512', { name: 'sha512', encoded: /^[a-f0-9]{128}$/, hexLength: 128, note: 'SHA-512, registered by image-spec; supported by go-digest.' }],
  ['blake3', { name: 'blake3', encoded: /^[a-f0-9]{64}$/, hexLength: 64, note: 'BLAKE3, registered on image-spec main (unreleased); not in go-digest by default.' }],
]);

export interface ParsedDigest {
  readonly algorithm: string;
  readonly encoded: string;
}

export function parseDigest(digest: string): ParsedDigest | undefined {
  if (!DIGEST_GRAMMAR.test(digest)) return undefined;
  const i = digest.indexOf(':');
  return { algorithm: digest.slice(0, i), encoded: digest.slice(i + 1) };
}

export type DigestProblem =
  | { kind: 'grammar'; fixed?: string }
  | { kind: 'encoding'; algorithm: string; fixed?: string; detail: string }
  | { kind: 'unregistered'; algorithm: string };

/** The first problem with a descriptor digest, or undefined when it is fine. */
export function digestProblem(digest: string): DigestProblem | undefined {
  const parsed = parseDigest(digest);
  if (!parsed) {
    const lower = digest.toLowerCase();
    const algo = lower.slice(0, lower.indexOf(':'));
    const fixable = lower !== digest && parseDigest(lower) && REGISTERED_ALGORITHMS.get(algo)?.encoded.test(lower.slice(algo.length + 1));
    return { kind: 'grammar', fixed: fixable ? lower : undefined };
  }
  const info = REGISTERED_ALGORITHMS.get(parsed.algorithm);
  if (!info) return { kind: 'unregistered', algorithm: parsed.algorithm };
  if (info.encoded.test(parsed.encoded)) return undefined;
  const lower = parsed.encoded.toLowerCase();
  if (info.encoded.test(lower)) {
    return { kind: 'encoding', algorithm: info.name, fixed: `${parsed.algorithm}:${lower}`, detail: 'uses uppercase hex; [A-F] MUST NOT be used' };
  }
  const detail = /^[a-fA-F0-9]*$/.test(parsed.encoded)
    ? `has ${parsed.encoded.length} hex characters, ${info.name} needs ${info.hexLength}`
    : `is not lowercase hex`;
  return { kind: 'encoding', algorithm: info.name, detail };
}
