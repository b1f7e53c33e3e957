/** The settings the server reads, with their defaults. Mirrors package.json "contributes.configuration". */
import type { RuleSetting } from '../engine/analyze';

export interface DocumentSettings {
  readonly validateEnable: boolean;
  readonly rules: Readonly<Record<string, RuleSetting>>;
  /** Documents larger than this (in MiB) get one notice instead of a lint. */
  readonly maxFileSizeMB: number;
  readonly maxProblems: number;
  /** Fetch a fetched index's children and report their problems on its entries. */
  readonly deepInspection: boolean;
  /** Entries of each index deep inspection fetches. */
  readonly deepInspectionMaxEntries: number;
}

export interface RegistrySettings {
  readonly insecureHosts: readonly string[];
  readonly timeoutSeconds: number;
  readonly useCredentialHelpers: boolean;
  readonly proxy?: string;
  /** manifestLens.remote.allowPush: Repair in registry… and Push Manifest… may write (trusted workspaces only). */
  readonly allowPush: boolean;
}

export const DEFAULT_DOCUMENT_SETTINGS: DocumentSettings = Object.freeze({
  validateEnable: true,
  rules: Object.freeze({}),
  maxFileSizeMB: 32,
  maxProblems: 1000,
  deepInspection: true,
  // The graph's default (graph/imageGraph.ts DEFAULT_MAX_CHILDREN); package.json says the same.
  deepInspectionMaxEntries: 1024,
});

export const DEFAULT_REGISTRY_SETTINGS: RegistrySettings = Object.freeze({
  insecureHosts: Object.freeze([]),
  timeoutSeconds: 30,
  useCredentialHelpers: true,
  allowPush: true,
});

/** The range `manifestLens.registry.timeoutSeconds` is clamped to (package.json says the same). */
export const MIN_TIMEOUT_SECONDS = 1;
export const MAX_TIMEOUT_SECONDS = 86_400;

const SEVERITIES = new Set(['off', 'hint', 'info', 'warning', 'error']);

/** Reads the `manifestLens` section as the client sends it; anything malformed falls back to the default. */
export function toDocumentSettings(raw: unknown): DocumentSettings {
  const s = (raw ?? {}) as Record<string, any>;
  const rules: Record<string, RuleSetting> = {};
  if (s.rules && typeof s.rules === 'object') {
    for (const [k, v] of Object.entries(s.rules)) if (typeof v === 'string' && SEVERITIES.has(v)) rules[k] = v as RuleSetting;
  }
  return {
    validateEnable: s.validate?.enable !== false,
    rules,
    maxFileSizeMB: typeof s.validate?.maxFileSizeMB === 'number' && s.validate.maxFileSizeMB > 0 ? s.validate.maxFileSizeMB : DEFAULT_DOCUMENT_SETTINGS.maxFileSizeMB,
    maxProblems: typeof s.validate?.maxProblems === 'number' && s.validate.maxProblems > 0 ? Math.floor(s.validate.maxProblems) : DEFAULT_DOCUMENT_SETTINGS.maxProblems,
    deepInspection: s.remote?.deepInspection !== false,
    deepInspectionMaxEntries: Number.isInteger(s.remote?.deepInspectionMaxEntries) && s.remote.deepInspectionMaxEntries >= 1
      ? Math.min(s.remote.deepInspectionMaxEntries, 10_000) : DEFAULT_DOCUMENT_SETTINGS.deepInspectionMaxEntries,
  };
}

export function toRegistrySettings(raw: unknown, proxy?: string): RegistrySettings {
  const s = ((raw ?? {}) as Record<string, any>).registry ?? {};
  return {
    insecureHosts: Array.isArray(s.insecureHosts) ? s.insecureHosts.filter((h: unknown) => typeof h === 'string' && h.length > 0) : [],
    // Clamped to what a timer can wait (a larger value would fire at once) and to a real round trip.
    timeoutSeconds:
      typeof s.timeoutSeconds === 'number' && Number.isFinite(s.timeoutSeconds) && s.timeoutSeconds > 0
        ? Math.min(MAX_TIMEOUT_SECONDS, Math.max(MIN_TIMEOUT_SECONDS, s.timeoutSeconds))
        : DEFAULT_REGISTRY_SETTINGS.timeoutSeconds,
    useCredentialHelpers: s.useCredentialHelpers !== false,
    proxy: proxy || undefined,
    allowPush: ((raw ?? {}) as Record<string, any>).remote?.allowPush !== false,
  };
}

/** `manifestLens.trust.*`: the files and identities signatures are verified against (never guessed). */
export interface TrustSettings {
  /** PEM public key files (cosign keys). */
  readonly keys: readonly string[];
  /** A Sigstore trusted_root.json. */
  readonly trustedRoot?: string;
  /** Keyless signers accepted: certificate identity (SAN) and OIDC issuer. */
  readonly identities: readonly { readonly identity: string; readonly issuer: string }[];
  /** A notation configuration folder (trustpolicy.json, truststore/); no default in the editor. */
  readonly notationConfig?: string;
}

/** Reads `manifestLens.trust`; malformed entries are left out. */
export function toTrustSettings(raw: unknown): TrustSettings {
  const s = (((raw ?? {}) as Record<string, any>).trust ?? {}) as Record<string, any>;
  const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
  return {
    keys: Array.isArray(s.keys) ? s.keys.map(text).filter((k: string | undefined): k is string => !!k) : [],
    ...(text(s.trustedRoot) ? { trustedRoot: text(s.trustedRoot) } : {}),
    identities: Array.isArray(s.identities)
      ? s.identities.flatMap((i: any) => (text(i?.identity) && text(i?.issuer) ? [{ identity: text(i.identity)!, issuer: text(i.issuer)! }] : []))
      : [],
    ...(text(s.notationConfig) ? { notationConfig: text(s.notationConfig) } : {}),
  };
}
