import { STATUS_CODES } from 'node:http';
import { Agent, ProxyAgent, type Dispatcher } from 'undici';
import { parseChallenges, splitScopes, type AuthChallenge } from './challenge';
import { RegistryError, type RegistryErrorEntry } from './errors';
import { createSecretMask } from './secrets';
import { hostListed, isLoopbackHost, noProxyMatches } from './hosts';
import { digestProblem, referrersFallbackTag, type ImageReference } from './reference';
import { checkUrlAllowed, redactUrl, send, type HttpHeaders, type HttpResponse, type TransportConfig } from './transport';
import { digestAlgorithm, digestOf, schema1SignedPayload } from './verify';

/** What a credential source knows for one registry. */
export interface Credentials {
  readonly username?: string;
  readonly password?: string;
  /** OAuth2 refresh token (`identitytoken` in config.json, `<token>` user from a helper). */
  readonly identityToken?: string;
  /** A bearer token sent to the registry as is (`registrytoken`). */
  readonly registryToken?: string;
  /** Where these came from, for messages: '~/.docker/config.json', 'docker-credential-pass'. Never secret. */
  readonly source?: string;
  /** Why there are none although the configuration names some (a rejected or failing helper): for messages. */
  readonly problem?: string;
}

/** Finds credentials for a canonical registry name ('docker.io', 'localhost:5000'). */
export interface CredentialLookup {
  (registry: string): Promise<Credentials | undefined>;
}

export interface RegistryClientOptions {
  /** Manifest media types for `Accept` (the caller passes them; this layer does not import the engine). */
  readonly accept: readonly string[];
  /** host or host:port reached over plain http. Loopback hosts always are. */
  readonly insecureHosts?: readonly string[];
  /** Default: none (anonymous). */
  readonly credentials?: CredentialLookup;
  /** Per request, default 30000; also the longest pause tolerated inside a body. */
  readonly timeoutMs?: number;
  /** Default 4 MiB (rules.md §12); bigger is a 'too-large' error and is not read to the end. */
  readonly maxManifestBytes?: number;
  /** Config blobs, default 4 MiB. */
  readonly maxBlobBytes?: number;
  /** e.g. http://proxy:3128. Default from HTTPS_PROXY/https_proxy/HTTP_PROXY unless NO_PROXY matches; loopback never proxied. '' disables. */
  readonly proxy?: string;
  readonly userAgent?: string;
  /** Receives request lines like "GET https://host/v2/x/manifests/tag → 200 (1.2 KB, 35 ms)"; never secrets. */
  readonly log?: (line: string) => void;
  /** Tests may inject a dispatcher; it then carries every request (no proxy logic). */
  readonly dispatcher?: Dispatcher;
  /** Clock for token expiry, in ms since the epoch. Default Date.now. */
  readonly now?: () => number;
  /** Environment for proxy variables. Default process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

/** A manifest exactly as served, with its computed digest and how far it was verified. */
export interface FetchedManifest {
  readonly reference: ImageReference;
  readonly url: string;
  /** Exactly as served. */
  readonly bytes: Uint8Array;
  /** Content-Type as served ('' when absent). */
  readonly contentType: string;
  /** contentType without parameters. */
  readonly mediaType: string;
  /**
   * The digest the manifest goes by: 'sha256:' + hex of the bytes, except for a signed schema 1
   * manifest, whose digest (for registries, docker, skopeo and crane alike) covers its payload
   * without the signatures (libtrust); `bytesDigest` then differs.
   */
  readonly digest: string;
  /** 'sha256:' + hex of the bytes as served (`inspect REF | sha256sum`). */
  readonly bytesDigest: string;
  readonly verified: 'requested-digest' | 'docker-content-digest' | 'computed-only';
  readonly dockerContentDigest?: string;
  /** `Warning: 299` texts, deduplicated. */
  readonly warnings: readonly string[];
  /** HTTP requests this call made, token requests and redirects included. */
  readonly requests: number;
}

export interface FetchedBlob {
  readonly reference: ImageReference;
  readonly digest: string;
  readonly bytes: Uint8Array;
  readonly contentType?: string;
  readonly requests: number;
}

export interface RegistryClient {
  /** GET a manifest by digest (preferred) or tag; verifies the bytes against the digests it knows. */
  getManifest(ref: ImageReference, opts?: { signal?: AbortSignal }): Promise<FetchedManifest>;
  /** HEAD a manifest: digest, media type and size as the registry reports them. */
  headManifest(
    ref: ImageReference,
    opts?: { signal?: AbortSignal },
  ): Promise<{ digest?: string; mediaType?: string; size?: number; requests: number; unusableDigest?: string }>;
  /** GET a (config) blob and verify it against `digest`. */
  getBlob(ref: ImageReference, digest: string, opts?: { signal?: AbortSignal; maxBytes?: number }): Promise<FetchedBlob>;
  /**
   * Referrers of `digest`: the Referrers API, else the `sha256-<hex>` fallback tag, else an
   * empty OCI index (`fallback` says which path produced it).
   */
  getReferrers(
    ref: ImageReference,
    digest: string,
    opts?: { signal?: AbortSignal; artifactType?: string },
  ): Promise<FetchedManifest & { fallback: boolean }>;
  /**
   * GET a JSON path of the registry API (`/v2/…`, e.g. tags/list or _catalog) with the same
   * auth, limits and errors as the other calls; a non-2xx status is a RegistryError. For the
   * listings in registry/listing.ts. `link` is the Link header (pagination).
   */
  getApi(
    ref: ImageReference,
    path: string,
    opts?: { signal?: AbortSignal; what?: string; maxBytes?: number },
  ): Promise<{ body: Uint8Array; link?: string; headers: Readonly<Record<string, string>>; requests: number }>;
  /** Totals since creation: every HTTP request, token requests among them, and token cache hits. */
  readonly stats: { requests: number; tokenRequests: number; tokenCacheHits: number };
  /** Releases pooled connections (optional; idle sockets do not keep the process alive). */
  close(): Promise<void>;
}

const MiB = 1024 * 1024;
const MAX_TIMER_MS = 2 ** 31 - 1;
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const SCHEMA1_SIGNED = 'application/vnd.docker.distribution.manifest.v1+prettyjws';
const EMPTY_REFERRERS = '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}';
const TOKEN_RESPONSE_CAP = MiB;
const DEFAULT_TOKEN_SECONDS = 60;
const TOKEN_MARGIN_SECONDS = 5;
const MAX_UNAUTHORIZED = 2;
const CLIENT_ID = 'manifest-lens';

interface CachedToken {
  readonly token: string;
  readonly expiresAt: number;
  readonly carriesCredentials: boolean;
}

/** The scheme and token service a host asked for last time, so later requests authenticate up front. */
interface HostAuth {
  readonly scheme: 'bearer' | 'basic';
  readonly realm?: string;
  readonly service?: string;
}

interface Authorization {
  readonly header: string;
  readonly carriesCredentials: boolean;
  /** Token cache key, so a rejected cached token can be evicted. */
  readonly cacheKey?: string;
}

/** Per-call bookkeeping. */
interface CallContext {
  requests: number;
  readonly signal?: AbortSignal;
}

/** Creates a client; it keeps a token cache and remembers each host's auth scheme. */
export function createRegistryClient(options: RegistryClientOptions): RegistryClient {
  // Node timers hold at most 2^31-1 ms; a larger value fires after 1 ms (TimeoutOverflowWarning).
  const timeoutMs = Math.min(MAX_TIMER_MS, Math.max(1, Math.round(options.timeoutMs ?? 30_000) || 30_000));
  const maxManifestBytes = options.maxManifestBytes ?? 4 * MiB;
  const maxBlobBytes = options.maxBlobBytes ?? 4 * MiB;
  const insecureHosts = options.insecureHosts ?? [];
  const userAgent = options.userAgent ?? 'manifest-lens/0.1.0';
  const now = options.now ?? Date.now;
  const env = options.env ?? process.env;
  const acceptHeader = options.accept.join(', ');

  const stats = { requests: 0, tokenRequests: 0, tokenCacheHits: 0 };
  const tokenCache = new Map<string, CachedToken>();
  const inflightTokens = new Map<string, SharedFetch<CachedToken>>();
  const hostAuth = new Map<string, HostAuth>();
  const repoScopes = new Map<string, readonly string[]>();
  const credentialCache = new Map<string, Promise<Credentials | undefined>>();
  const secrets = createSecretMask();

  // Belt and braces: anything we know to be secret (in any of its encodings) is masked in every
  // line and message; registry text is also masked as it arrives (maskResponse).
  const scrub = (text: string): string => secrets.mask(text);
  const log = options.log ? (line: string): void => options.log!(scrub(line)) : undefined;
  const remember = (...values: (string | undefined)[]): void => {
    for (const v of values) secrets.add(v);
  };

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
  const dispatcherFor = (url: URL): Dispatcher => {
    if (options.dispatcher) return options.dispatcher;
    const proxy = proxyFor(url);
    if (proxy) {
      let agent = proxyAgents.get(proxy);
      if (!agent) {
        agent = new ProxyAgent({ uri: proxy, connect: { timeout: timeoutMs } });
        proxyAgents.set(proxy, agent);
      }
      return agent;
    }
    directAgent ??= new Agent({ connect: { timeout: timeoutMs } });
    return directAgent;
  };

  const transportFor = (ctx: CallContext): TransportConfig => ({
    timeoutMs,
    userAgent,
    insecureHosts,
    log,
    dispatcherFor,
    proxyFor: (url) => (options.dispatcher ? undefined : proxyFor(url)),
    onRequest: () => {
      ctx.requests++;
      stats.requests++;
    },
  });

  const baseUrl = (ref: ImageReference): string => {
    const plain = isLoopbackHost(ref.apiHost) || hostListed(ref.apiHost, insecureHosts);
    return `${plain ? 'http' : 'https'}://${ref.apiHost}`;
  };

  const lookupCredentials = (registry: string): Promise<Credentials | undefined> => {
    let pending = credentialCache.get(registry);
    if (!pending) {
      pending = (async () => {
        if (!options.credentials) return undefined;
        try {
          const creds = await options.credentials(registry);
          if (creds?.problem) log?.(`no credentials for ${registry}: ${creds.problem}`);
          else if (creds) {
            remember(creds.identityToken, creds.registryToken);
            if (creds.password) secrets.addBasic(creds.username ?? '', creds.password);
            log?.(`using credentials for ${registry}${creds.source ? ` from ${creds.source}` : ''}`);
          }
          return creds;
        } catch (e) {
          log?.(`credential lookup for ${registry} failed (${e instanceof Error ? e.name : 'error'}); continuing without credentials`);
          return undefined;
        }
      })();
      credentialCache.set(registry, pending);
    }
    return pending;
  };

  const credentialsLabel = (creds: Credentials | undefined): string =>
    creds?.source ? `the credentials from ${creds.source}` : 'the configured credentials';

  /** Fetches (or reuses) a bearer token for `scopes` from `realm`. */
  const bearerToken = async (
    ctx: CallContext,
    ref: ImageReference,
    realm: URL,
    service: string | undefined,
    scopes: readonly string[],
    creds: Credentials | undefined,
  ): Promise<{ token: CachedToken; key: string; fromCache: boolean }> => {
    const identity = creds?.identityToken ? `id:${creds.username ?? ''}` : creds?.username && creds.password ? `user:${creds.username}` : 'anonymous';
    const key = [realm.href, service ?? '', [...scopes].sort().join(' '), identity].join('\n');
    const cached = tokenCache.get(key);
    if (cached && cached.expiresAt > now()) {
      stats.tokenCacheHits++;
      return { token: cached, key, fromCache: true };
    }
    // Concurrent callers share one token request; it is aborted only when every waiter has gone.
    let shared = inflightTokens.get(key);
    if (!shared) {
      const controller = new AbortController();
      const entry: SharedFetch<CachedToken> = {
        controller,
        waiters: 0,
        promise: fetchToken(ctx, ref, realm, service, scopes, creds, controller.signal).finally(() => inflightTokens.delete(key)),
      };
      entry.promise.catch(() => undefined);
      inflightTokens.set(key, entry);
      shared = entry;
    }
    const token = await waitShared(shared, ctx.signal, realm.host);
    tokenCache.set(key, token);
    return { token, key, fromCache: false };
  };

  const fetchToken = async (
    ctx: CallContext,
    ref: ImageReference,
    realm: URL,
    service: string | undefined,
    scopes: readonly string[],
    creds: Credentials | undefined,
    signal: AbortSignal,
  ): Promise<CachedToken> => {
    checkUrlAllowed(realm, insecureHosts, 'to fetch a registry token from');
    const transport = transportFor(ctx);
    const counted: TransportConfig = {
      ...transport,
      onRequest: () => {
        transport.onRequest();
        stats.tokenRequests++;
      },
    };
    const withCredentials = !!(creds?.identityToken || (creds?.username && creds.password));
    if (withCredentials && realm.protocol === 'http:' && !isLoopbackHost(realm.host)) {
      throw new RegistryError(
        'insecure',
        `The token service ${realm.host} for ${ref.registry} is plain http, so credentials will not be sent to it. Ask the registry operator for an https token endpoint.`,
        { host: realm.host },
      );
    }
    let res: HttpResponse | undefined;
    if (creds?.identityToken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: CLIENT_ID });
      if (service) form.set('service', service);
      if (scopes.length) form.set('scope', scopes.join(' '));
      res = maskResponse(await send(counted, realm, { method: 'POST', body: form.toString(), signal, maxBytes: TOKEN_RESPONSE_CAP, what: 'token response' }));
      if (res.status === 404) res = undefined; // token.md: fall back to GET when POST is not supported
    }
    if (!res) {
      const url = new URL(realm.href);
      if (service) url.searchParams.set('service', service);
      for (const s of scopes) url.searchParams.append('scope', s);
      if (creds?.username) url.searchParams.set('account', creds.username);
      const authorization =
        creds?.username && creds.password ? { header: basic(creds.username, creds.password), carriesCredentials: true } : undefined;
      res = maskResponse(await send(counted, url, { method: 'GET', authorization, signal, maxBytes: TOKEN_RESPONSE_CAP, what: 'token response' }));
    }
    if (res.status !== 200) {
      const who = withCredentials ? credentialsLabel(creds) : 'an anonymous request';
      throw statusError(res, {
        host: realm.host,
        subject: `a token for repository ${ref.repository}`,
        registry: ref.registry,
        unauthorizedHint: withCredentials
          ? `The token service ${realm.host} rejected ${who}. Log in again with \`${loginCommand(ref.registry)}\`.`
          : `The token service ${realm.host} refused ${who}: repository ${ref.repository} may be private or not exist. Log in with \`${loginCommand(ref.registry)}\` or check the repository name.`,
      });
    }
    let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      parsed = JSON.parse(Buffer.from(res.body).toString('utf8')) as typeof parsed;
    } catch {
      throw new RegistryError('protocol', `The token service ${realm.host} answered 200 with a body that is not JSON.`, { host: realm.host, status: 200 });
    }
    const token = typeof parsed.token === 'string' && parsed.token ? parsed.token : typeof parsed.access_token === 'string' ? parsed.access_token : '';
    if (!token) {
      throw new RegistryError('protocol', `The token service ${realm.host} answered without a token or access_token field.`, {
        host: realm.host,
        status: 200,
      });
    }
    remember(token);
    const seconds = typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : DEFAULT_TOKEN_SECONDS;
    return {
      token,
      expiresAt: now() + Math.max(0, seconds - TOKEN_MARGIN_SECONDS) * 1000,
      carriesCredentials: withCredentials,
    };
  };

  const defaultScopes = (ref: ImageReference): string[] => [`repository:${ref.repository}:pull`];

  /** Authorization to send before any challenge, from what earlier requests to this host learned. */
  const preemptive = async (ctx: CallContext, ref: ImageReference, tried: string[]): Promise<Authorization | undefined> => {
    const known = hostAuth.get(ref.apiHost);
    if (!known) return undefined;
    const creds = await raceAbort(lookupCredentials(ref.registry), ctx.signal, ref.apiHost);
    if (known.scheme === 'basic') {
      if (!creds?.username || !creds.password) return undefined;
      tried.push(`HTTP Basic with ${credentialsLabel(creds)}`);
      return { header: basic(creds.username, creds.password), carriesCredentials: true };
    }
    if (creds?.registryToken) {
      tried.push(`the registry token from ${creds.source ?? 'the credential store'}`);
      return { header: `Bearer ${creds.registryToken}`, carriesCredentials: true };
    }
    const realm = new URL(known.realm!);
    const scopes = repoScopes.get(`${ref.apiHost}\n${ref.repository}`) ?? defaultScopes(ref);
    const { token, key, fromCache } = await bearerToken(ctx, ref, realm, known.service, scopes, creds);
    tried.push(describeToken(token, creds, realm, fromCache));
    return { header: `Bearer ${token.token}`, carriesCredentials: token.carriesCredentials, cacheKey: key };
  };

  const describeToken = (token: CachedToken, creds: Credentials | undefined, realm: URL, fromCache: boolean): string =>
    `${fromCache ? 'a cached' : 'a fresh'} ${token.carriesCredentials ? `token obtained with ${credentialsLabel(creds)}` : 'anonymous token'} from ${realm.host}`;

  /** Answers a 401: picks a challenge, obtains what it asks for, or explains why it cannot. */
  const answerChallenge = async (
    ctx: CallContext,
    ref: ImageReference,
    res: HttpResponse,
    previous: Authorization | undefined,
    tried: string[],
  ): Promise<Authorization> => {
    const challenges = parseChallenges(res.headers['www-authenticate']);
    const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params['realm']);
    const basicChallenge = challenges.find((c) => c.scheme === 'basic');
    if (previous?.cacheKey) tokenCache.delete(previous.cacheKey);
    const creds = await raceAbort(lookupCredentials(ref.registry), ctx.signal, ref.apiHost);
    if (bearer) {
      let realm: URL;
      try {
        realm = new URL(bearer.params['realm']!);
      } catch {
        throw new RegistryError('protocol', `${ref.apiHost} sent a Bearer challenge whose realm is not a URL.`, { host: ref.apiHost, status: 401 });
      }
      checkUrlAllowed(realm, insecureHosts, 'to fetch a registry token from');
      const service = bearer.params['service'];
      hostAuth.set(ref.apiHost, { scheme: 'bearer', realm: realm.href, service });
      if (creds?.registryToken && !previous?.header.startsWith('Bearer ' + creds.registryToken)) {
        tried.push(`the registry token from ${creds.source ?? 'the credential store'}`);
        return { header: `Bearer ${creds.registryToken}`, carriesCredentials: true };
      }
      const scopes = mergeScopes(defaultScopes(ref), bearer);
      repoScopes.set(`${ref.apiHost}\n${ref.repository}`, scopes);
      const { token, key, fromCache } = await bearerToken(ctx, ref, realm, service, scopes, creds);
      tried.push(describeToken(token, creds, realm, fromCache));
      return { header: `Bearer ${token.token}`, carriesCredentials: token.carriesCredentials, cacheKey: key };
    }
    if (basicChallenge) {
      hostAuth.set(ref.apiHost, { scheme: 'basic' });
      if (creds?.username && creds.password && !previous?.header.startsWith('Basic ')) {
        tried.push(`HTTP Basic with ${credentialsLabel(creds)}`);
        return { header: basic(creds.username, creds.password), carriesCredentials: true };
      }
      throw unauthorized(ref, res, tried, creds, creds?.username ? undefined : 'it asks for a username and password (HTTP Basic) and none were found');
    }
    const schemes = challenges.map((c) => c.scheme).join(', ');
    throw unauthorized(
      ref,
      res,
      tried,
      creds,
      schemes ? `it asks for an authentication scheme this client does not support (${schemes})` : 'it sent no WWW-Authenticate challenge',
    );
  };

  /** One registry request with the auth dance: at most two 401s, then a clear 'unauthorized'. */
  const registryRequest = async (
    ctx: CallContext,
    ref: ImageReference,
    path: string,
    init: { method: 'GET' | 'HEAD'; accept?: string; maxBytes: number; what: string },
  ): Promise<HttpResponse> => {
    const url = new URL(`${baseUrl(ref)}${path}`);
    checkUrlAllowed(url, insecureHosts, 'to request');
    const tried: string[] = [];
    let auth = await preemptive(ctx, ref, tried);
    for (let unauthorizedCount = 1; ; unauthorizedCount++) {
      const headers: Record<string, string> = {};
      if (init.accept) headers['accept'] = init.accept;
      const res = maskResponse(
        await send(transportFor(ctx), url, {
          method: init.method,
          headers,
          authorization: auth,
          signal: ctx.signal,
          maxBytes: init.maxBytes,
          what: init.what,
        }),
      );
      // A registry that serves back the credentials or tokens it was sent is hostile: what it
      // served is not shown (it would carry them to the screen, a log or a pipeline's output).
      if (res.status >= 200 && res.status < 300 && secrets.containsLongSecret(res.body)) {
        throw new RegistryError(
          'protocol',
          `${ref.apiHost} answered with a ${init.what} that contains the credentials or token sent to it; it is not shown. Report this to the registry operator, and change the password or token if the registry is not yours.`,
          { host: ref.apiHost, status: res.status },
        );
      }
      if (res.status !== 401) return res;
      if (unauthorizedCount >= MAX_UNAUTHORIZED) {
        const creds = await raceAbort(lookupCredentials(ref.registry), ctx.signal, ref.apiHost);
        credentialCache.delete(ref.registry); // a later attempt re-reads them (the user may log in meanwhile)
        const insufficient = parseChallenges(res.headers['www-authenticate']).find((c) => c.params['error'] === 'insufficient_scope');
        throw unauthorized(ref, res, tried, creds, insufficient ? 'the token lacks the scope it needs (insufficient_scope)' : undefined);
      }
      auth = await answerChallenge(ctx, ref, res, auth, tried);
    }
  };

  /** Wraps a public call: per-call context, cancellation up front, secrets scrubbed from errors. */
  const run = async <T>(signal: AbortSignal | undefined, body: (ctx: CallContext) => Promise<T>): Promise<T> => {
    const ctx: CallContext = { requests: 0, signal };
    try {
      if (signal?.aborted) throw new RegistryError('cancelled', 'Cancelled before the request was sent.');
      return await body(ctx);
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
  };

  const manifestPath = (ref: ImageReference): string => `/v2/${ref.repository}/manifests/${ref.digest ?? ref.tag ?? 'latest'}`;

  const toManifest = (ref: ImageReference, res: HttpResponse, ctx: CallContext, verifyDigests: boolean): FetchedManifest => {
    const bytes = res.body;
    const contentType = header(res.headers, 'content-type') ?? '';
    const mediaType = contentType.split(';')[0]!.trim();
    const bytesDigest = digestOf(bytes)!;
    // Signed schema1: registries digest the payload without signatures (libtrust).
    const signedPayload = mediaType === SCHEMA1_SIGNED ? schema1SignedPayload(bytes) : undefined;
    const digest = signedPayload ? digestOf(signedPayload)! : bytesDigest;
    const dockerContentDigest = header(res.headers, 'docker-content-digest')?.trim() || undefined;
    let verified: FetchedManifest['verified'] = 'computed-only';
    if (verifyDigests) {
      // For signed schema1 either form is accepted: registries digest the payload, tools may digest the raw bytes.
      const matches = (expected: string): { ok: boolean; actual: string | undefined } => {
        const algorithm = digestAlgorithm(expected);
        const raw = digestOf(bytes, algorithm);
        if (raw === expected) return { ok: true, actual: raw };
        const payload = signedPayload ? digestOf(signedPayload, algorithm) : undefined;
        return { ok: payload === expected, actual: payload ?? raw };
      };
      if (ref.digest) {
        const { ok, actual } = matches(ref.digest);
        if (!ok) {
          throw new RegistryError(
            'digest-mismatch',
            `${ref.registry} served a manifest for ${ref.repository}@${ref.digest} that does not match the requested digest: ` +
              `expected ${ref.digest}, actual ${actual ?? digest}. Do not trust this content; report it to the registry operator.`,
            { host: ref.apiHost, status: res.status },
          );
        }
        verified = 'requested-digest';
      }
      if (dockerContentDigest) {
        const algorithm = digestAlgorithm(dockerContentDigest);
        const check = digestProblem(dockerContentDigest) || !digestOf(bytes, algorithm) ? undefined : matches(dockerContentDigest);
        const actual = check?.actual;
        if (check === undefined) {
          log?.(`ignoring unusable Docker-Content-Digest header from ${ref.apiHost}`);
        } else if (!check.ok) {
          throw new RegistryError(
            'digest-mismatch',
            `${ref.registry}'s Docker-Content-Digest header (${dockerContentDigest}) disagrees with the bytes it served for ${ref.repository}:${ref.tag ?? ref.digest} ` +
              `(they hash to ${actual}). Do not trust this content; report it to the registry operator.`,
            { host: ref.apiHost, status: res.status },
          );
        } else if (verified === 'computed-only') {
          verified = 'docker-content-digest';
        }
      }
    }
    const result: {
      -readonly [K in keyof FetchedManifest]: FetchedManifest[K];
    } = {
      reference: ref,
      url: redactUrl(res.requestedUrl),
      bytes,
      contentType,
      mediaType,
      digest,
      bytesDigest,
      verified,
      warnings: warningsOf(res.headers),
      requests: ctx.requests,
    };
    if (dockerContentDigest) result.dockerContentDigest = clean(dockerContentDigest, 200);
    return result;
  };

  const fetchManifest = async (ctx: CallContext, ref: ImageReference, accept: string): Promise<FetchedManifest> => {
    const res = await registryRequest(ctx, ref, manifestPath(ref), { method: 'GET', accept, maxBytes: maxManifestBytes, what: 'manifest' });
    if (res.status < 200 || res.status >= 300) {
      throw statusError(res, { host: ref.apiHost, subject: `the manifest ${describeTarget(ref)}`, registry: ref.registry, kindOfThing: 'manifest' });
    }
    return toManifest(ref, res, ctx, true);
  };

  const requireDigest = (digest: string): void => {
    const problem = digestProblem(digest);
    if (problem) throw new RegistryError('invalid-reference', problem);
  };

  const client: RegistryClient = {
    stats,

    getManifest(ref, opts) {
      return run(opts?.signal, (ctx) => fetchManifest(ctx, ref, acceptHeader));
    },

    headManifest(ref, opts) {
      return run(opts?.signal, async (ctx) => {
        const res = await registryRequest(ctx, ref, manifestPath(ref), { method: 'HEAD', accept: acceptHeader, maxBytes: 0, what: 'manifest' });
        if (res.status < 200 || res.status >= 300) {
          throw statusError(res, { host: ref.apiHost, subject: `the manifest ${describeTarget(ref)}`, registry: ref.registry, kindOfThing: 'manifest' });
        }
        const out: { digest?: string; mediaType?: string; size?: number; requests: number; unusableDigest?: string } = { requests: ctx.requests };
        const digest = header(res.headers, 'docker-content-digest')?.trim();
        // A value that is not a digest is no answer (the GET path ignores it the same way), but
        // the caller says it was there and unusable, not that it was missing.
        if (digest && !digestProblem(digest)) out.digest = digest;
        else if (digest) {
          out.unusableDigest = clean(digest, 100);
          log?.(`ignoring unusable Docker-Content-Digest header from ${ref.apiHost}`);
        }
        const contentType = header(res.headers, 'content-type');
        if (contentType) out.mediaType = contentType.split(';')[0]!.trim();
        const size = Number(header(res.headers, 'content-length'));
        if (header(res.headers, 'content-length') !== undefined && Number.isSafeInteger(size) && size >= 0) out.size = size;
        return out;
      });
    },

    getBlob(ref, digest, opts) {
      return run(opts?.signal, async (ctx) => {
        requireDigest(digest);
        const limit = opts?.maxBytes ?? maxBlobBytes;
        const res = await registryRequest(ctx, ref, `/v2/${ref.repository}/blobs/${digest}`, { method: 'GET', maxBytes: limit, what: 'config blob' });
        if (res.status < 200 || res.status >= 300) {
          throw statusError(res, { host: ref.apiHost, subject: `the blob ${ref.repository}@${digest}`, registry: ref.registry, kindOfThing: 'blob' });
        }
        const actual = digestOf(res.body, digestAlgorithm(digest));
        if (actual !== digest) {
          throw new RegistryError(
            'digest-mismatch',
            `${ref.registry} served a blob for ${ref.repository}@${digest} that does not match its digest: expected ${digest}, actual ${actual}. Do not trust this content; report it to the registry operator.`,
            { host: ref.apiHost, status: res.status },
          );
        }
        const out: { -readonly [K in keyof FetchedBlob]: FetchedBlob[K] } = {
          reference: { ...ref, digest },
          digest,
          bytes: res.body,
          requests: ctx.requests,
        };
        const contentType = header(res.headers, 'content-type');
        if (contentType) out.contentType = contentType;
        return out;
      });
    },

    getApi(ref, path, opts) {
      return run(opts?.signal, async (ctx) => {
        if (!path.startsWith('/v2/')) throw new RegistryError('invalid-reference', `not a registry API path: ${path.slice(0, 80)}`);
        const what = opts?.what ?? 'listing';
        const res = await registryRequest(ctx, ref, path, { method: 'GET', accept: 'application/json', maxBytes: opts?.maxBytes ?? maxManifestBytes, what });
        if (res.status < 200 || res.status >= 300) throw statusError(res, { host: ref.apiHost, subject: `the ${what} of ${ref.registry}`, registry: ref.registry });
        const headers: Record<string, string> = {};
        for (const name of ['link', 'content-type', 'ratelimit-limit', 'ratelimit-remaining', 'x-ratelimit-limit', 'x-ratelimit-remaining']) {
          const v = header(res.headers, name);
          if (v !== undefined) headers[name] = v;
        }
        return { body: res.body, ...(headers.link ? { link: headers.link } : {}), headers, requests: ctx.requests };
      });
    },

    getReferrers(ref, digest, opts) {
      return run(opts?.signal, async (ctx) => {
        requireDigest(digest);
        const subject: ImageReference = { registry: ref.registry, apiHost: ref.apiHost, repository: ref.repository, digest };
        const query = opts?.artifactType ? `?artifactType=${encodeURIComponent(opts.artifactType)}` : '';
        const res = await registryRequest(ctx, ref, `/v2/${ref.repository}/referrers/${digest}${query}`, {
          method: 'GET',
          accept: OCI_INDEX,
          maxBytes: maxManifestBytes,
          what: 'referrers list',
        });
        if (res.status >= 200 && res.status < 300) {
          const fetched = toManifest(subject, res, ctx, false);
          if (fetched.mediaType === OCI_INDEX) return { ...fetched, requests: ctx.requests, fallback: false };
          log?.(`${ref.apiHost} answered the Referrers API with ${fetched.mediaType || 'no content type'}; using the fallback tag`);
        } else if (![404, 400, 405, 406].includes(res.status)) {
          throw statusError(res, { host: ref.apiHost, subject: `the referrers of ${ref.repository}@${digest}`, registry: ref.registry });
        }
        // Referrers API unsupported: the fallback tag, else no referrers (distribution-spec 1.1.1).
        const tagRef: ImageReference = { registry: ref.registry, apiHost: ref.apiHost, repository: ref.repository, tag: referrersFallbackTag(digest) };
        try {
          const fetched = await fetchManifest(ctx, tagRef, OCI_INDEX);
          if (fetched.mediaType === OCI_INDEX) return { ...fetched, requests: ctx.requests, fallback: true };
          log?.(`fallback tag ${tagRef.tag} on ${ref.apiHost} is ${fetched.mediaType || 'untyped'}, not an OCI index; assuming no referrers`);
        } catch (e) {
          if (!(e instanceof RegistryError) || e.kind !== 'not-found') throw e;
        }
        const bytes = new Uint8Array(Buffer.from(EMPTY_REFERRERS, 'utf8'));
        return {
          reference: tagRef,
          url: `${baseUrl(ref)}${manifestPath(tagRef)}`,
          bytes,
          contentType: OCI_INDEX,
          mediaType: OCI_INDEX,
          digest: digestOf(bytes)!,
          bytesDigest: digestOf(bytes)!,
          verified: 'computed-only' as const,
          warnings: [],
          requests: ctx.requests,
          fallback: true,
        };
      });
    },

    async close() {
      const closing: Promise<void>[] = [];
      if (directAgent) closing.push(directAgent.close());
      for (const a of proxyAgents.values()) closing.push(a.close());
      directAgent = undefined;
      proxyAgents.clear();
      await Promise.all(closing);
    },
  };
  return client;
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

interface SharedFetch<T> {
  readonly promise: Promise<T>;
  readonly controller: AbortController;
  waiters: number;
}

function cancelledError(host: string): RegistryError {
  return new RegistryError('cancelled', `Cancelled the request to ${host}.`, { host });
}

/** Awaits `promise` but gives up as soon as `signal` aborts (the work itself is not stopped). */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined, host: string): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(cancelledError(host));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(cancelledError(host));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** Waits for a shared fetch; when the last waiter cancels, the fetch itself is aborted. */
async function waitShared<T>(shared: SharedFetch<T>, signal: AbortSignal | undefined, host: string): Promise<T> {
  shared.waiters++;
  try {
    return await raceAbort(shared.promise, signal, host);
  } catch (e) {
    if (signal?.aborted && shared.waiters === 1) shared.controller.abort();
    throw e;
  } finally {
    shared.waiters--;
  }
}

function header(headers: HttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function mergeScopes(own: string[], challenge: AuthChallenge): string[] {
  const out = [...own];
  for (const s of splitScopes(challenge.params['scope'])) if (!out.includes(s)) out.push(s);
  return out;
}

function describeTarget(ref: ImageReference): string {
  return ref.digest ? `${ref.repository}@${ref.digest}` : `${ref.repository}:${ref.tag ?? 'latest'}`;
}

function loginCommand(registry: string): string {
  return registry === 'docker.io' ? 'docker login' : `docker login ${registry}`;
}

function statusLine(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? ''}`.trim();
}

// Registry-provided text goes into messages: keep it short and printable (C0 and C1 control
// characters, which a terminal may act on, become spaces). Secrets were masked on arrival.
function clean(text: string, max = 200): string {
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

function errorSummary(entries: readonly RegistryErrorEntry[]): string {
  if (entries.length === 0) return '';
  const shown = entries.slice(0, 2).map((e) => (e.message ? `${e.code}: ${e.message}` : e.code));
  return ` (${shown.join('; ')}${entries.length > 2 ? `; +${entries.length - 2} more` : ''})`;
}

/** Retry-After as seconds: delta-seconds or an HTTP date. */
function retryAfterSeconds(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

function warningsOf(headers: HttpHeaders): string[] {
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

interface StatusContext {
  /** host:port as contacted. */
  readonly host: string;
  /** What was asked for: 'the manifest library/x:tag'. */
  readonly subject: string;
  readonly registry: string;
  readonly kindOfThing?: 'manifest' | 'blob';
  readonly unauthorizedHint?: string;
}

/** Maps a non-success status to an actionable RegistryError. */
function statusError(res: HttpResponse, ctx: StatusContext): RegistryError {
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
    const retry = retryAfterSeconds(header(res.headers, 'retry-after'));
    const limit = header(res.headers, 'ratelimit-limit');
    const remaining = header(res.headers, 'ratelimit-remaining');
    const quota = limit || remaining ? ` RateLimit-Limit ${clean(limit ?? '?', 60)}, RateLimit-Remaining ${clean(remaining ?? '?', 60)}.` : '';
    const when = retry !== undefined ? `Retry after ${retry} s.` : 'Wait a while before retrying.';
    const hub = ctx.registry === 'docker.io' ? ' Logging in with `docker login` raises Docker Hub\'s pull limit.' : '';
    return new RegistryError('rate-limited', `${ctx.host} is rate-limiting requests: ${line} for ${ctx.subject}${summary}.${quota} ${when}${hub}`, {
      ...details,
      ...(retry !== undefined ? { retryAfterSeconds: retry } : {}),
    });
  }
  if (status >= 500) {
    const retry = retryAfterSeconds(header(res.headers, 'retry-after'));
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

function unauthorized(
  ref: ImageReference,
  res: HttpResponse,
  tried: readonly string[],
  creds: Credentials | undefined,
  reason: string | undefined,
): RegistryError {
  const entries = registryErrorsOf(res.body);
  const attempts =
    tried.length === 0 ? 'without credentials' : `after trying ${[...new Set(tried)].join(', then ')}`;
  const noCreds = !creds || !(creds.username || creds.identityToken || creds.registryToken);
  const credNote = noCreds ? (creds?.problem ? ` No credentials were used: ${creds.problem}.` : ' No credentials were found for it.') : '';
  const advice = noCreds
    ? `Log in with \`${loginCommand(ref.registry)}\` or check the repository name.`
    : `Check that the credentials${creds?.source ? ` from ${creds.source}` : ''} are current (\`${loginCommand(ref.registry)}\`) and allowed to pull ${ref.repository}.`;
  return new RegistryError(
    'unauthorized',
    `${ref.registry} answered ${statusLine(401)} for repository ${ref.repository} ${attempts}${reason ? `; ${reason}` : ''}${errorSummary(entries)}.${credNote} ${advice}`,
    { host: ref.apiHost, status: 401, registryErrors: entries },
  );
}
