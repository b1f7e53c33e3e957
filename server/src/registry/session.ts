/**
 * A registry session: what every request of one client shares, below authentication and above
 * the single HTTP exchange of transport.ts (redirects that never carry credentials to another
 * origin, the stale-connection retry, size limits, the inactivity timeout and the overall
 * deadline, cancellation). The session adds the connection pools and proxies, the request
 * counts, the secrets the client holds (registry text is masked as it arrives, and every
 * log line and error message leaves masked), and the rate gate: after a 429 nothing more goes to
 * that host until the time it asked for (rateGate.ts).
 *
 * It knows nothing of challenges or tokens (auth.ts) nor of the registry API (client.ts).
 */
import { RegistryError } from './errors';
import { processRateGate, type RateGate } from './rateGate';
import { createSecretMask } from './secrets';
import { createDispatchers, redactUrl, send, type Dispatcher, type HttpHeaders, type HttpResponse, type SendOptions, type TransportConfig } from './transport';

export interface SessionOptions {
  /** Per request, default 30000; also the longest pause tolerated inside a body. */
  readonly timeoutMs?: number;
  /** host or host:port reached over plain http. Loopback hosts always are. */
  readonly insecureHosts?: readonly string[];
  /** e.g. http://proxy:3128. Default from HTTPS_PROXY/https_proxy/HTTP_PROXY unless NO_PROXY matches; loopback never proxied. '' disables. */
  readonly proxy?: string;
  readonly userAgent?: string;
  /** Receives request lines; the session masks them first. */
  readonly log?: (line: string) => void;
  /** Tests may inject a dispatcher; it then carries every request (no proxy logic). */
  readonly dispatcher?: Dispatcher;
  /** Environment for proxy variables. Default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Hosts that answered 429 and when they may be asked again. Default: the one this process shares. */
  readonly rateGate?: RateGate;
}

/** The bookkeeping of one public call (getManifest, getBlob…): its requests and its signal. */
export interface Call {
  requests: number;
  readonly signal?: AbortSignal;
}

/**
 * Totals since the session began: every HTTP request sent, token requests among them, token cache
 * hits, and the requests not sent because their host was held back after a 429 (`refused`, not
 * among `requests`).
 */
export interface SessionStats {
  requests: number;
  refused: number;
  tokenRequests: number;
  tokenCacheHits: number;
}

export interface Session {
  readonly timeoutMs: number;
  readonly insecureHosts: readonly string[];
  readonly stats: SessionStats;
  /** Masked log, or undefined when nobody listens. */
  readonly log?: (line: string) => void;
  /** Holds secrets (tokens, refresh and registry tokens) so they are masked everywhere from now on. */
  remember(...values: (string | undefined)[]): void;
  /** Holds a password and the HTTP Basic forms of the pair. */
  rememberBasic(username: string, password: string): void;
  /** `text` with every held secret masked. */
  scrub(text: string): string;
  /**
   * One request (redirects included) counted against `call` and the session; the response's
   * headers and error body come back masked. `onRequest` is told of each HTTP request too.
   */
  send(call: Call, url: URL, options: SendOptions, onRequest?: () => void): Promise<HttpResponse>;
  /**
   * Refuses a successful body that carries back a credential or token sent: shown, it would
   * carry them to the screen, a log or a pipeline's output.
   */
  refuseEchoedSecrets(res: HttpResponse, host: string, what: string): void;
  /** Runs a public call: its own Call, cancellation up front, secrets scrubbed from its errors. */
  run<T>(signal: AbortSignal | undefined, body: (call: Call) => Promise<T>): Promise<T>;
  /** Releases pooled connections. */
  close(): Promise<void>;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

export function createSession(options: SessionOptions): Session {
  // Node timers hold at most 2^31-1 ms; a larger value fires after 1 ms (TimeoutOverflowWarning).
  const timeoutMs = Math.min(MAX_TIMER_MS, Math.max(1, Math.round(options.timeoutMs ?? 30_000) || 30_000));
  const insecureHosts = options.insecureHosts ?? [];
  const userAgent = options.userAgent ?? 'manifest-lens/0.1.0';
  const stats: SessionStats = { requests: 0, refused: 0, tokenRequests: 0, tokenCacheHits: 0 };
  const secrets = createSecretMask();
  const dispatchers = createDispatchers({ timeoutMs, proxy: options.proxy, env: options.env ?? process.env, dispatcher: options.dispatcher });
  const rateGate = options.rateGate ?? processRateGate;

  // Belt and braces: anything we know to be secret (in any of its encodings) is masked in every
  // line and message; registry text is also masked as it arrives (maskResponse).
  const scrub = (text: string): string => secrets.mask(text);
  const log = options.log ? (line: string): void => options.log!(scrub(line)) : undefined;

  /**
   * Registry text masked at the door: every header value, and the body of an error answer
   * (which goes into messages, cut to a few hundred characters: masking after the cut would
   * miss a secret cut in half). A successful body is content and is left exact.
   */
  const maskResponse = (res: HttpResponse): HttpResponse => {
    const headers: HttpHeaders = {};
    for (const [k, v] of Object.entries(res.headers)) headers[k] = Array.isArray(v) ? v.map(scrub) : v === undefined ? v : scrub(v);
    const ok = res.status >= 200 && res.status < 300;
    const body = ok || res.body.length === 0 ? res.body : new Uint8Array(Buffer.from(scrub(Buffer.from(res.body).toString('utf8')), 'utf8'));
    return { ...res, headers, body };
  };

  const transportFor = (call: Call, onRequest?: () => void): TransportConfig => ({
    timeoutMs,
    userAgent,
    insecureHosts,
    log,
    dispatcherFor: dispatchers.dispatcherFor,
    proxyFor: dispatchers.proxyFor,
    onRequest: () => {
      call.requests++;
      stats.requests++;
      onRequest?.();
    },
  });

  return {
    timeoutMs,
    insecureHosts,
    stats,
    log,
    remember(...values) {
      for (const v of values) secrets.add(v);
    },
    rememberBasic(username, password) {
      secrets.addBasic(username, password);
    },
    scrub,
    async send(call, url, sendOptions, onRequest) {
      const refused = rateGate.refusal(url.host);
      if (refused) {
        stats.refused++;
        log?.(`${sendOptions.method} ${redactUrl(url)} → not sent: ${url.host} is held back after a 429 (${refused.retryAfterSeconds} s left)`);
        throw refused;
      }
      const res = maskResponse(await send(transportFor(call, onRequest), url, sendOptions));
      if (res.status === 429) {
        const retryAfter = res.headers['retry-after'];
        rateGate.record(res.url.host, Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
      }
      return res;
    },
    refuseEchoedSecrets(res, host, what) {
      if (res.status >= 200 && res.status < 300 && secrets.containsLongSecret(res.body)) {
        throw new RegistryError(
          'protocol',
          `${host} answered with a ${what} that contains the credentials or token sent to it; it is not shown. Report this to the registry operator, and change the password or token if the registry is not yours.`,
          { host, status: res.status },
        );
      }
    },
    async run(signal, body) {
      const call: Call = { requests: 0, signal };
      try {
        if (signal?.aborted) throw new RegistryError('cancelled', 'Cancelled before the request was sent.');
        return await body(call);
      } catch (e) {
        if (e instanceof RegistryError) {
          const message = scrub(e.message);
          const registryErrors = e.registryErrors?.map((x) => ({ code: scrub(x.code), message: scrub(x.message) }));
          const dirty = message !== e.message || registryErrors?.some((x, i) => x.message !== e.registryErrors![i]!.message || x.code !== e.registryErrors![i]!.code);
          if (!dirty) throw e;
          throw new RegistryError(e.kind, message, { ...e, registryErrors });
        }
        throw new RegistryError('protocol', `Unexpected failure talking to the registry (${e instanceof Error ? e.name : 'error'}).`);
      }
    },
    close: () => dispatchers.close(),
  };
}
