/**
 * Reading what a registry answered: headers, the distribution-spec error body, `Warning: 299`,
 * Retry-After, and a non-success status turned into a RegistryError a person can act on (which
 * host, what status, what to try). Registry text put into messages is short and printable; the
 * session masked secrets in it on arrival.
 */
import { STATUS_CODES } from 'node:http';
import { RegistryError, type RegistryErrorEntry } from './errors';
import type { ImageReference } from './reference';
import { askedWait, DEFAULT_WAIT_S, MAX_WAIT_S, parseRetryAfter } from './rateGate';
import type { HttpHeaders, HttpResponse } from './transport';

/** A header as one string (the first value). */
export function header(headers: HttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** `repo@digest` or `repo:tag`, for messages. */
export function describeTarget(ref: ImageReference): string {
  return ref.digest ? `${ref.repository}@${ref.digest}` : `${ref.repository}:${ref.tag ?? 'latest'}`;
}

/** The login command to suggest for a registry. */
export function loginCommand(registry: string): string {
  return registry === 'docker.io' ? 'docker login' : `docker login ${registry}`;
}

/** '404 Not Found'. */
export function statusLine(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? ''}`.trim();
}

/**
 * Registry text fit for a message: short and printable (C0 and C1 control characters, which a
 * terminal may act on, become spaces). Secrets were masked on arrival.
 */
export function clean(text: string, max = 200): string {
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The distribution-spec error entries of a response body, if it has any. */
export function registryErrorsOf(body: Uint8Array): RegistryErrorEntry[] {
  if (body.length === 0 || body.length > 64 * 1024) return [];
  try {
    const doc = JSON.parse(Buffer.from(body).toString('utf8')) as { errors?: unknown; details?: unknown };
    if (!Array.isArray(doc.errors)) return [];
    return doc.errors
      .filter((e): e is { code?: unknown; message?: unknown } => typeof e === 'object' && e !== null)
      .map((e) => ({ code: clean(String(e.code ?? 'UNKNOWN'), 60), message: clean(String(e.message ?? '')) }));
  } catch {
    return [];
  }
}

/** " (CODE: message; …)" for a message, or ''. */
export function errorSummary(entries: readonly RegistryErrorEntry[]): string {
  if (entries.length === 0) return '';
  const shown = entries.slice(0, 2).map((e) => (e.message ? `${e.code}: ${e.message}` : e.code));
  return ` (${shown.join('; ')}${entries.length > 2 ? `; +${entries.length - 2} more` : ''})`;
}

/**
 * The registry's rate-limit headers in words, when it sends them: Docker Hub's
 * `RateLimit-Limit: 100;w=21600`, `RateLimit-Remaining: 76;w=21600` and
 * `Docker-RateLimit-Source` (the address or account counted), or the `X-RateLimit-*` forms.
 * "76 of 100 requests left per 6 h (counted for 203.0.113.7)".
 */
export function rateLimitOf(headers: HttpHeaders): string | undefined {
  const remaining = header(headers, 'ratelimit-remaining') ?? header(headers, 'x-ratelimit-remaining');
  if (!remaining) return undefined;
  const limit = header(headers, 'ratelimit-limit') ?? header(headers, 'x-ratelimit-limit');
  const source = header(headers, 'docker-ratelimit-source');
  const value = (v: string): string => clean(v.split(';')[0]!, 20);
  const seconds = /;\s*w=(\d+)/.exec(limit ?? remaining)?.[1];
  const window = seconds ? ` per ${Number(seconds) % 3600 === 0 ? `${Number(seconds) / 3600} h` : `${seconds} s`}` : '';
  return `${value(remaining)} of ${limit ? value(limit) : '?'} requests left${window}${source ? ` (counted for ${clean(source, 60)})` : ''}`;
}

/** Retry-After as seconds: delta-seconds or an HTTP date. */
function retryAfterSeconds(value: string | undefined): number | undefined {
  return parseRetryAfter(value, Date.now());
}

/** The texts of `Warning: 299` headers, deduplicated. */
export function warningsOf(headers: HttpHeaders): string[] {
  const raw = headers['warning'];
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const out: string[] = [];
  const re = /(\d{3})\s+\S+\s+"((?:[^"\\]|\\.)*)"/g;
  for (const v of values) {
    for (const m of v.matchAll(re)) {
      if (m[1] !== '299') continue;
      const text = clean(m[2]!.replace(/\\(.)/g, '$1'), 4096);
      if (text && !out.includes(text)) out.push(text);
    }
  }
  return out;
}

export interface StatusContext {
  /** host:port as contacted. */
  readonly host: string;
  /** What was asked for: 'the manifest library/x:tag'. */
  readonly subject: string;
  readonly registry: string;
  readonly kindOfThing?: 'manifest' | 'blob';
  readonly unauthorizedHint?: string;
}

/** Maps a non-success status to an actionable RegistryError. */
export function statusError(res: HttpResponse, ctx: StatusContext): RegistryError {
  const status = res.status;
  const entries = registryErrorsOf(res.body);
  const summary = errorSummary(entries);
  const details = { host: ctx.host, status, registryErrors: entries };
  const line = statusLine(status);
  if (status === 401) {
    return new RegistryError('unauthorized', `${ctx.host} answered ${line} for ${ctx.subject}${summary}. ${ctx.unauthorizedHint ?? `Log in with \`${loginCommand(ctx.registry)}\`.`}`, details);
  }
  if (status === 403) {
    return new RegistryError(
      'forbidden',
      `${ctx.host} answered ${line} for ${ctx.subject}${summary}. Your account may not be allowed to pull it; check the repository name and your permissions.`,
      details,
    );
  }
  if (status === 404) {
    const codes = entries.map((e) => e.code);
    const advice = codes.includes('NAME_UNKNOWN')
      ? 'The repository does not exist there (or is private); check the repository name.'
      : codes.includes('MANIFEST_UNKNOWN') || codes.includes('BLOB_UNKNOWN')
        ? ctx.kindOfThing === 'blob'
          ? 'Check the digest.'
          : 'Check the tag or digest.'
        : 'Check the repository name and the tag or digest.';
    return new RegistryError('not-found', `${ctx.host} has no ${ctx.subject.replace(/^the /, '')}: it answered ${line}${summary}. ${advice}`, details);
  }
  if (status === 429) {
    // The session holds the host back for the wait asked, at most MAX_WAIT_S (rateGate.ts): the
    // message says that wait, not the registry's number, which may be absurd.
    const asked = retryAfterSeconds(header(res.headers, 'retry-after'));
    const retry = asked === undefined ? undefined : Math.min(asked, MAX_WAIT_S);
    const limit = header(res.headers, 'ratelimit-limit');
    const remaining = header(res.headers, 'ratelimit-remaining');
    const quota = limit || remaining ? ` RateLimit-Limit ${clean(limit ?? '?', 60)}, RateLimit-Remaining ${clean(remaining ?? '?', 60)}.` : '';
    const when =
      asked === undefined
        ? `It named no time; nothing more is asked of it for ${DEFAULT_WAIT_S} s.`
        : asked > MAX_WAIT_S
          ? `It asked for ${askedWait(asked)}; Manifest Lens waits at most ${MAX_WAIT_S} s, so retry after ${retry} s.`
          : `Retry after ${retry} s.`;
    const hub = ctx.registry === 'docker.io' ? ' Logging in with `docker login` raises Docker Hub\'s pull limit.' : '';
    return new RegistryError('rate-limited', `${ctx.host} is rate-limiting requests: ${line} for ${ctx.subject}${summary}.${quota} ${when}${hub}`, {
      ...details,
      ...(retry !== undefined ? { retryAfterSeconds: retry } : {}),
    });
  }
  if (status >= 500) {
    const asked = retryAfterSeconds(header(res.headers, 'retry-after'));
    const retry = asked === undefined ? undefined : Math.min(asked, MAX_WAIT_S);
    const when = retry !== undefined ? `try again in ${retry} s` : 'try again later';
    return new RegistryError('server-error', `${ctx.host} answered ${line} for ${ctx.subject}${summary}. The registry is having trouble; ${when}.`, {
      ...details,
      ...(retry !== undefined ? { retryAfterSeconds: retry } : {}),
    });
  }
  const hint =
    status === 406 || (status === 400 && entries.some((e) => e.code === 'MANIFEST_INVALID'))
      ? ' The registry may not support any of the requested manifest media types.'
      : '';
  return new RegistryError('protocol', `${ctx.host} answered ${line} for ${ctx.subject}${summary}.${hint}`, details);
}
