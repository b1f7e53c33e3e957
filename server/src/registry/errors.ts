/** What went wrong talking to a registry, as a small closed set the UI and CLI can branch on. */
export type RegistryErrorKind =
  | 'invalid-reference'
  | 'unknown-host'
  | 'connection-refused'
  | 'tls'
  | 'timeout'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'rate-limited'
  | 'server-error'
  | 'digest-mismatch'
  | 'too-large'
  | 'insecure'
  | 'redirect'
  | 'cancelled'
  | 'proxy'
  | 'protocol';

/** One entry of a distribution-spec error body: `{"errors":[{"code","message","detail"}]}`. */
export interface RegistryErrorEntry {
  readonly code: string;
  readonly message: string;
}

/** Optional facts attached to a {@link RegistryError}. */
export interface RegistryErrorDetails {
  readonly host?: string;
  readonly status?: number;
  readonly registryErrors?: readonly RegistryErrorEntry[];
  readonly retryAfterSeconds?: number;
}

/**
 * A registry failure a person can act on. `message` names the host, the status and what to
 * try; it never carries a credential, token or Authorization header.
 */
export class RegistryError extends Error {
  readonly kind: RegistryErrorKind;
  readonly host?: string;
  readonly status?: number;
  readonly registryErrors?: { code: string; message: string }[];
  readonly retryAfterSeconds?: number;

  constructor(kind: RegistryErrorKind, message: string, details: RegistryErrorDetails = {}) {
    super(message);
    this.name = 'RegistryError';
    this.kind = kind;
    if (details.host !== undefined) this.host = details.host;
    if (details.status !== undefined) this.status = details.status;
    if (details.registryErrors !== undefined) {
      this.registryErrors = details.registryErrors.map((e) => ({ code: e.code, message: e.message }));
    }
    if (details.retryAfterSeconds !== undefined) this.retryAfterSeconds = details.retryAfterSeconds;
  }
}

/** Type guard usable across module copies (bundles may hold two). */
export function isRegistryError(value: unknown): value is RegistryError {
  return (
    value instanceof RegistryError ||
    (value instanceof Error && value.name === 'RegistryError' && typeof (value as { kind?: unknown }).kind === 'string')
  );
}
