// The only module that talks HTTP (through undici): one request at a time with a byte cap,
// an inactivity timeout, real cancellation, manual redirects, and network errors mapped to
// RegistryError. Authorization is decided by the caller; this module only makes sure it never
// leaves the origin it was meant for.
import { Agent, ProxyAgent, request, type Dispatcher } from 'undici';
import { RegistryError, type RegistryErrorKind } from './errors';
import { hostListed, isLoopbackHost, noProxyMatches } from './hosts';

export type { Dispatcher };

export type HttpHeaders = Record<string, string | string[] | undefined>;

/** The methods sent: reads, token requests (POST) and writes (PUT of a manifest). */
export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT';

export interface HttpResponse {
  readonly status: number;
  readonly headers: HttpHeaders;
  /** The body, at most the cap for 2xx; error bodies are truncated to a few KB. */
  readonly body: Uint8Array;
  /** The URL that produced this response (after redirects). */
  readonly url: URL;
  /** The URL first requested (before redirects). */
  readonly requestedUrl: URL;
}

export interface TransportConfig {
  readonly timeoutMs: number;
  readonly userAgent: string;
  readonly insecureHosts: readonly string[];
  readonly log?: (line: string) => void;
  readonly dispatcherFor: (url: URL) => Dispatcher | undefined;
  /** The proxy a request for this URL goes through, if any (for error messages; never logged with credentials). */
  readonly proxyFor?: (url: URL) => string | undefined;
  /** Called once per HTTP request actually started (redirect hops included). */
  readonly onRequest: () => void;
}

export interface SendOptions {
  readonly method: HttpMethod;
  readonly headers?: Record<string, string>;
  /** Sent only to the origin of the first URL, never to a redirect target elsewhere. */
  readonly authorization?: { readonly header: string; readonly carriesCredentials: boolean };
  /** A token request's form (a string), or the exact bytes of a write (a manifest PUT). */
  readonly body?: string | Uint8Array;
  /** Content-Type of `body`; default application/x-www-form-urlencoded (token requests). */
  readonly contentType?: string;
  readonly signal?: AbortSignal;
  /** Cap for successful bodies; more is a 'too-large' error. */
  readonly maxBytes: number;
  /** Words for messages: 'manifest', 'config blob', 'token response'. */
  readonly what: string;
}

const MAX_REDIRECTS = 5;
/** Errors raised before any response byte on a connection that may have been a stale pooled one. */
const staleConnection = new WeakSet<object>();
const ERROR_BODY_CAP = 64 * 1024;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const SAFE_QUERY_KEYS = new Set(['service', 'scope', 'n', 'last', 'artifactType', 'grant_type', 'client_id']);

/** Human size: '512 B', '1.2 KB', '3.4 MB'. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

/**
 * A URL fit for logs and messages: user-info dropped and any query parameter outside a short
 * allowlist hidden (redirects to blob storage carry signatures in the query).
 */
export function redactUrl(url: URL): string {
  const copy = new URL(url.href);
  // Only http(s) URLs have an origin; `file:`, `ftp:` and the like say their scheme instead of "null".
  const origin = copy.protocol === 'http:' || copy.protocol === 'https:' ? copy.origin : `${copy.protocol}//${copy.host}`;
  copy.username = '';
  copy.password = '';
  const params = [...copy.searchParams.entries()];
  if (params.length > 0) {
    const kept = params.map(([k, v]) => `${encodeURIComponent(k)}=${SAFE_QUERY_KEYS.has(k) ? encodeURIComponent(v) : '…'}`);
    return `${origin}${copy.pathname}?${kept.join('&')}`;
  }
  return `${origin}${copy.pathname}`;
}

/** May this URL be contacted at all? Plain http only for loopback and listed insecure hosts. */
export function checkUrlAllowed(url: URL, insecureHosts: readonly string[], purpose: string): void {
  if (url.protocol === 'https:') return;
  if (url.protocol !== 'http:') {
    throw new RegistryError('protocol', `Refusing ${purpose} ${redactUrl(url)}: only https and http URLs are followed.`, {
      host: url.host,
    });
  }
  if (isLoopbackHost(url.host) || hostListed(url.host, insecureHosts)) return;
  throw new RegistryError(
    'insecure',
    `Refusing ${purpose} ${redactUrl(url)} over plain http: ${url.host} is not a loopback host and not in the insecure hosts list. ` +
      `Use https, or add ${url.host} to the insecure hosts setting if you trust the network path.`,
    { host: url.host },
  );
}

function headerString(headers: HttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export interface DispatcherOptions {
  readonly timeoutMs: number;
  /** e.g. http://proxy:3128; '' disables; default from the environment's proxy variables. */
  readonly proxy?: string;
  /** Environment for the proxy variables. */
  readonly env: NodeJS.ProcessEnv;
  /** Injected by tests: carries every request (no proxy logic). */
  readonly dispatcher?: Dispatcher;
}

/** The connection pools of one client: a direct agent and one agent per proxy, made on first use. */
export interface Dispatchers {
  readonly dispatcherFor: (url: URL) => Dispatcher;
  /** The proxy a request for `url` goes through (undefined with an injected dispatcher). */
  readonly proxyFor: (url: URL) => string | undefined;
  close(): Promise<void>;
}

/**
 * Chooses how each URL is reached: loopback never through a proxy; otherwise the configured
 * proxy, or HTTPS_PROXY / HTTP_PROXY (lower case too) unless NO_PROXY matches the host.
 */
export function createDispatchers(options: DispatcherOptions): Dispatchers {
  const env = options.env;
  let directAgent: Agent | undefined;
  const proxyAgents = new Map<string, ProxyAgent>();
  const proxyFor = (url: URL): string | undefined => {
    if (isLoopbackHost(url.host)) return undefined;
    const configured =
      options.proxy ??
      (url.protocol === 'https:'
        ? env.HTTPS_PROXY ?? env.https_proxy ?? env.HTTP_PROXY ?? env.http_proxy
        : env.HTTP_PROXY ?? env.http_proxy);
    if (!configured) return undefined;
    if (noProxyMatches(url.host, env.NO_PROXY ?? env.no_proxy)) return undefined;
    return configured;
  };
  return {
    dispatcherFor(url) {
      if (options.dispatcher) return options.dispatcher;
      const proxy = proxyFor(url);
      if (proxy) {
        let agent = proxyAgents.get(proxy);
        if (!agent) {
          agent = new ProxyAgent({ uri: proxy, connect: { timeout: options.timeoutMs } });
          proxyAgents.set(proxy, agent);
        }
        return agent;
      }
      directAgent ??= new Agent({ connect: { timeout: options.timeoutMs } });
      return directAgent;
    },
    proxyFor: (url) => (options.dispatcher ? undefined : proxyFor(url)),
    async close() {
      const closing: Promise<void>[] = [];
      if (directAgent) closing.push(directAgent.close());
      for (const a of proxyAgents.values()) closing.push(a.close());
      directAgent = undefined;
      proxyAgents.clear();
      await Promise.all(closing);
    },
  };
}

/** Sends one logical request, following up to five redirects by hand. */
export async function send(config: TransportConfig, initialUrl: URL, options: SendOptions): Promise<HttpResponse> {
  let url = initialUrl;
  let method = options.method;
  let body = options.body;
  const origin = initialUrl.origin;
  // The whole exchange (redirects included) ends by this time, however steadily bytes drip in.
  const deadline = Date.now() + config.timeoutMs;
  for (let hops = 0; ; hops++) {
    checkUrlAllowed(url, config.insecureHosts, hops === 0 ? `to request` : `to follow a redirect to`);
    const headers: Record<string, string> = { 'user-agent': config.userAgent, ...options.headers };
    if (options.authorization && url.origin === origin) {
      if (options.authorization.carriesCredentials && url.protocol === 'http:' && !isLoopbackHost(url.host)) {
        throw new RegistryError(
          'insecure',
          `${url.host} is reached over plain http, so credentials will not be sent to it. Serve the registry over https to use credentials with it.`,
          { host: url.host },
        );
      }
      headers['authorization'] = options.authorization.header;
    }
    if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/x-www-form-urlencoded';
    let response: Omit<HttpResponse, 'requestedUrl'>;
    try {
      response = await once(config, url, method, headers, body, options, deadline);
    } catch (e) {
      // A pooled keep-alive connection the server had already closed: safe to retry an idempotent request once.
      if (!staleConnection.has(e as object) || method === 'POST') throw e;
      response = await once(config, url, method, headers, body, options, deadline);
    }
    if (!REDIRECT_STATUSES.has(response.status)) return { ...response, requestedUrl: initialUrl };

    const location = headerString(response.headers, 'location');
    if (!location) {
      throw new RegistryError('redirect', `${url.host} answered ${response.status} without a Location header for ${redactUrl(url)}.`, {
        host: url.host,
        status: response.status,
      });
    }
    if (hops + 1 > MAX_REDIRECTS) {
      throw new RegistryError(
        'redirect',
        `Gave up after ${MAX_REDIRECTS} redirects starting at ${redactUrl(initialUrl)}; the registry or a proxy is redirecting in a loop.`,
        { host: initialUrl.host, status: response.status },
      );
    }
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new RegistryError('redirect', `${url.host} redirected to an invalid URL.`, { host: url.host, status: response.status });
    }
    if (url.protocol === 'https:' && next.protocol === 'http:' && !isLoopbackHost(next.host)) {
      throw new RegistryError(
        'insecure',
        `${url.host} redirected from https to plain http (${redactUrl(next)}); refusing the downgrade. Report this to the registry operator.`,
        { host: url.host, status: response.status },
      );
    }
    // A write is never turned into a GET: a 200 from the redirect target would look like success.
    if (method === 'PUT' && response.status === 303) {
      throw new RegistryError(
        'redirect',
        `${url.host} answered the ${options.what} upload with 303 See Other (to ${redactUrl(next)}); nothing was written there. Report this to the registry operator.`,
        { host: url.host, status: response.status },
      );
    }
    if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
      method = 'GET';
      body = undefined;
    }
    // A 307/308 repeats the request with its body. A token request's body is the refresh token:
    // like Authorization, it never goes to another origin; nor does a write (a manifest PUT).
    if (body !== undefined && next.origin !== origin && method === 'PUT') {
      throw new RegistryError(
        'redirect',
        `${url.host} redirected the ${options.what} upload (${response.status}) to another host, ${next.host}; writes are sent only to the registry asked. Report this to the registry operator.`,
        { host: url.host, status: response.status },
      );
    }
    if (body !== undefined && next.origin !== origin) {
      throw new RegistryError(
        'redirect',
        `${url.host} redirected the ${options.what === 'token response' ? 'token request' : 'request'} (${response.status}) to another host, ${next.host}; ` +
          `its body carries credentials, so it was not sent there. Report this to the registry operator.`,
        { host: url.host, status: response.status },
      );
    }
    url = next;
  }
}

async function once(
  config: TransportConfig,
  url: URL,
  method: HttpMethod,
  headers: Record<string, string>,
  body: string | Uint8Array | undefined,
  options: SendOptions,
  deadline: number,
): Promise<Omit<HttpResponse, 'requestedUrl'>> {
  const started = Date.now();
  const outer = options.signal;
  if (outer?.aborted) throw cancelled(url);
  const controller = new AbortController();
  let cause: 'cancelled' | 'timeout' | 'deadline' | undefined;
  const onAbort = (): void => {
    cause ??= 'cancelled';
    controller.abort();
  };
  outer?.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  // An inactivity timer: re-armed whenever bytes arrive, so a stalled body times out too.
  const arm = (): void => {
    lastActivity = Date.now();
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      cause ??= 'timeout';
      controller.abort();
    }, config.timeoutMs);
  };
  // The overall deadline, beside the inactivity timer: a registry that drips a byte a second
  // never lets the inactivity timer fire.
  const overall = setTimeout(() => {
    // Nothing arrived for most of the time either: that is a stall, and is said so.
    cause ??= Date.now() - lastActivity >= config.timeoutMs / 2 ? 'timeout' : 'deadline';
    controller.abort();
  }, Math.max(0, deadline - Date.now()));
  let lastActivity = Date.now();
  let received = 0;
  let phase: 'connect' | 'body' = 'connect';
  const logLine = (outcome: string): void => {
    config.log?.(`${method} ${redactUrl(url)} → ${outcome} (${formatBytes(received)}, ${Date.now() - started} ms)`);
  };
  config.onRequest();
  arm();
  try {
    const dispatcher = config.dispatcherFor(url);
    const res = await request(url, {
      method,
      headers,
      body,
      signal: controller.signal,
      headersTimeout: config.timeoutMs,
      bodyTimeout: config.timeoutMs,
      // undici closes the connection after every HEAD (undici#258: servers that send a body with
      // one), so an audit's HEAD per tag was a TCP connect per tag: 1,500 of 2,140 requests. The
      // pool is per origin, so a registry that does send a body with a HEAD garbles only its own
      // next answer on that connection.
      ...(method === 'HEAD' ? { reset: false } : {}),
      ...(dispatcher ? { dispatcher } : {}),
    });
    phase = 'body';
    arm();
    const status = res.statusCode;
    const ok = status >= 200 && status < 300;
    const cap = ok ? options.maxBytes : ERROR_BODY_CAP;
    const declared = Number(headerString(res.headers, 'content-length'));
    if (ok && method !== 'HEAD' && Number.isFinite(declared) && declared > options.maxBytes) {
      discard(res.body);
      logLine(`${status}, refused: Content-Length ${formatBytes(declared)}`);
      throw tooLarge(url, options, declared);
    }
    const chunks: Uint8Array[] = [];
    let truncated = false;
    if (method !== 'HEAD') {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        arm();
        received += chunk.length;
        if (received > cap) {
          discard(res.body);
          if (ok) {
            logLine(`${status}, aborted after ${formatBytes(received)}`);
            throw tooLarge(url, options, undefined);
          }
          chunks.push(chunk.subarray(0, chunk.length - (received - cap)));
          truncated = true;
          break;
        }
        chunks.push(chunk);
      }
    } else {
      await res.body.dump();
    }
    const bytes = new Uint8Array(truncated ? cap : received);
    let offset = 0;
    for (const c of chunks) {
      bytes.set(c, offset);
      offset += c.length;
    }
    logLine(String(status));
    return { status, headers: res.headers as HttpHeaders, body: bytes, url };
  } catch (e) {
    if (e instanceof RegistryError) throw e;
    if (cause === 'cancelled') {
      logLine('cancelled');
      throw cancelled(url);
    }
    if (cause === 'timeout') {
      logLine('timed out');
      throw timedOut(url, config.timeoutMs, phase, received, options.what);
    }
    if (cause === 'deadline') {
      logLine('deadline passed');
      throw pastDeadline(url, config.timeoutMs, phase, received, options.what);
    }
    const mapped = mapNetworkError(e, url, config.timeoutMs, phase, received, options.what, config.proxyFor?.(url));
    const code = errorCode(e);
    if (phase === 'connect' && (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET')) staleConnection.add(mapped);
    logLine(`failed: ${mapped.kind}`);
    throw mapped;
  } finally {
    if (timer) clearTimeout(timer);
    clearTimeout(overall);
    outer?.removeEventListener('abort', onAbort);
  }
}

/** Stops reading a body: the connection is dropped rather than drained. */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => undefined);
  body.destroy();
}

function tooLarge(url: URL, options: SendOptions, declared: number | undefined): RegistryError {
  // Sizes just over the limit round to the same "4.0 MB": then the exact byte counts say it.
  const exact = declared !== undefined && formatBytes(declared) === formatBytes(options.maxBytes);
  const bytes = (n: number): string => `${n.toLocaleString('en-US')} bytes`;
  const size = declared === undefined ? 'grew past the limit' : exact ? `is ${bytes(declared)}` : `is ${formatBytes(declared)}`;
  const limit = exact || declared === undefined ? `${bytes(options.maxBytes)} (${formatBytes(options.maxBytes)})` : formatBytes(options.maxBytes);
  return new RegistryError(
    'too-large',
    `The ${options.what} at ${redactUrl(url)} ${size}, over the ${limit} limit; stopped reading it. ` +
      `Raise the size limit only if you expect documents this big.`,
    { host: url.host },
  );
}

function pastDeadline(url: URL, timeoutMs: number, phase: 'connect' | 'body', received: number, what: string): RegistryError {
  const where = phase === 'body' ? `had sent only ${formatBytes(received)} of the ${what}` : 'had not answered';
  return new RegistryError(
    'timeout',
    `${url.host} ${where} after ${seconds(timeoutMs)}, the longest a request may take; gave up (${redactUrl(url)}). Check the network or proxy, or raise the timeout.`,
    { host: url.host },
  );
}

function seconds(timeoutMs: number): string {
  return timeoutMs >= 1000 ? `${Math.round(timeoutMs / 100) / 10} s` : `${timeoutMs} ms`;
}

function cancelled(url: URL): RegistryError {
  return new RegistryError('cancelled', `Cancelled the request to ${url.host}.`, { host: url.host });
}

function timedOut(url: URL, timeoutMs: number, phase: 'connect' | 'body', received: number, what: string): RegistryError {
  const message =
    phase === 'body'
      ? `${url.host} stopped sending the ${what} after ${formatBytes(received)}; gave up after ${seconds(timeoutMs)} without data. Try again, or check the network or proxy.`
      : `${url.host} did not answer within ${seconds(timeoutMs)} (${redactUrl(url)}). Check the network or proxy, or raise the timeout.`;
  return new RegistryError('timeout', message, { host: url.host });
}

function errorCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let depth = 0; depth < 4 && cur && typeof cur === 'object'; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    const errors = (cur as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      cur = errors[0];
      continue;
    }
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

const TLS_CODES = new Set([
  'EPROTO',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'HOSTNAME_MISMATCH',
]);

const PROXY_SETTINGS = 'HTTPS_PROXY / HTTP_PROXY / NO_PROXY, or VS Code\'s http.proxy';

/**
 * Failures that are the proxy's, not the registry's: the proxy cannot be reached (through a
 * proxy, the only connection this process opens is to it), or it answers the tunnel request
 * (CONNECT) with something else than 200 — undici reports that as an aborted request.
 */
function proxyError(e: unknown, code: string, host: string, proxy: string): RegistryError | undefined {
  // Not an http(s) URL with a host: keep what follows the last @ (anything before it may be credentials).
  let proxyHost = proxy.slice(proxy.lastIndexOf('@') + 1);
  try {
    const u = new URL(proxy);
    if ((u.protocol === 'http:' || u.protocol === 'https:') && u.host) proxyHost = u.host;
  } catch {
    // keep the stripped text
  }
  const make = (message: string, status?: number): RegistryError => new RegistryError('proxy', message, { host, status });
  const m = /Proxy response \((\d{3})\)/.exec(e instanceof Error ? e.message : '');
  if (m) {
    const status = Number(m[1]);
    if (status === 407) {
      return make(`The proxy ${proxyHost} wants credentials to connect to ${host} (407 Proxy Authentication Required). Put them in the proxy URL (http://user:password@${proxyHost}) in ${PROXY_SETTINGS}.`, status);
    }
    return make(`The proxy ${proxyHost} answered ${status} when asked to connect to ${host}; it may not reach the registry, or refuse it. Check ${PROXY_SETTINGS} (or add ${host} to NO_PROXY).`, status);
  }
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    return make(`Could not reach the proxy ${proxyHost} (${code}) to connect to ${host}. Check ${PROXY_SETTINGS}.`);
  }
  if (code === 'ERR_INVALID_URL' || code === 'UND_ERR_INVALID_ARG') {
    return make(`The proxy setting "${proxyHost}" is not a usable URL (${code}); write it as http://host:port (credentials, if any, as http://user:password@host:port) in ${PROXY_SETTINGS}.`);
  }
  return undefined;
}

/** Maps what undici / node:net / node:tls throw to a RegistryError with an actionable message. */
export function mapNetworkError(
  e: unknown,
  url: URL,
  timeoutMs: number,
  phase: 'connect' | 'body',
  received: number,
  what: string,
  proxy?: string,
): RegistryError {
  const code = errorCode(e) ?? '';
  const host = url.host;
  const make = (kind: RegistryErrorKind, message: string): RegistryError => new RegistryError(kind, message, { host });
  if (proxy) {
    const viaProxy = proxyError(e, code, host, proxy);
    if (viaProxy) return viaProxy;
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME' || code === 'EAI_FAIL') {
    return make(
      'unknown-host',
      `Could not resolve the host ${url.hostname} (${code}). Check the registry name in the reference, your DNS, or the proxy settings.`,
    );
  }
  if (code === 'ECONNREFUSED') {
    return make('connection-refused', `${host} refused the connection (${code}). Check that the registry is running and listening on that port.`);
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL') {
    return make('connection-refused', `${host} is unreachable from this machine (${code}). Check the network, VPN or proxy settings.`);
  }
  if (
    code === 'ETIMEDOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT'
  ) {
    return timedOut(url, timeoutMs, phase, received, what);
  }
  if (TLS_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || code.startsWith('CERT_')) {
    const hint = isLoopbackHost(host)
      ? `If this is a local test registry that serves plain http, add ${host} to the insecure hosts setting.`
      : `If the registry uses a private certificate authority, point NODE_EXTRA_CA_CERTS at its certificate; a corporate proxy that intercepts TLS needs the same.`;
    return make('tls', `The TLS connection to ${host} failed (${code}). ${hint}`);
  }
  if (code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR') {
    return make('cancelled', `Cancelled the request to ${host}.`);
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET' || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') {
    const where = phase === 'body' ? `after ${formatBytes(received)} of the ${what}` : `before it answered`;
    return make(
      'protocol',
      `The connection to ${host} was closed ${where} (${code}). Try again; if it keeps happening, check any proxy between you and the registry.`,
    );
  }
  const proxyHint = /proxy/i.test(e instanceof Error ? e.message : '') ? ' The proxy refused or failed the connection; check the proxy settings.' : '';
  return make('protocol', `The request to ${host} failed${code ? ` (${code})` : ''}.${proxyHint} Try again, or check the network.`);
}
