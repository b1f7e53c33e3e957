/**
 * One verdict per signature, in words a user can act on (issue 20): verified; signature valid,
 * no transparency-log proof; cannot verify offline; invalid (with why); not verified: no trust
 * configured. Only the first two count as "verifies against the trust given".
 */

export type VerdictKind = 'verified' | 'valid-no-tlog' | 'cannot-verify-offline' | 'invalid' | 'not-verified';

export const VERDICT_TEXT: Readonly<Record<VerdictKind, string>> = Object.freeze({
  verified: 'verified',
  'valid-no-tlog': 'signature valid, no transparency-log proof',
  'cannot-verify-offline': 'cannot verify offline',
  invalid: 'invalid',
  'not-verified': 'not verified: no trust configured',
});

export interface Verdict {
  readonly kind: VerdictKind;
  /** VERDICT_TEXT[kind]. */
  readonly text: string;
  /** Why (invalid, cannot verify offline, not verified). */
  readonly reason?: string;
  /** What it verified against: a key file and fingerprint, a trust store and subject. */
  readonly by?: string;
  /** Said alongside: "revocation not checked", "Rekor entry attached but not checked", … */
  readonly notes: readonly string[];
}

export function verdict(kind: VerdictKind, details: { reason?: string; by?: string; notes?: readonly string[] } = {}): Verdict {
  return { kind, text: VERDICT_TEXT[kind], ...(details.reason ? { reason: details.reason } : {}), ...(details.by ? { by: details.by } : {}), notes: details.notes ?? [] };
}

/** Whether this verdict means the signature verifies against the trust given (exit 0). */
export function verifies(v: Verdict): boolean {
  return v.kind === 'verified' || v.kind === 'valid-no-tlog';
}
