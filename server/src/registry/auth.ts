/**
 * Registry authentication: from a 401's challenges to the Authorization header that answers
 * them (distribution docs/spec/auth/token.md, RFC 7235). Bearer tokens are fetched from the
 * realm (a refresh token by POST, else GET with HTTP Basic or anonymously), cached until shortly
 * before they expire, and shared between concurrent requests for the same scopes; HTTP Basic is
 * sent when the registry asks for it. Each host's scheme and each repository's scopes are
 * remembered so later requests authenticate up front. Credentials are looked up once per
 * registry, held as secrets by the session (masked everywhere), and never sent over plain http
 * except to loopback.
 */
import { parseChallenges, splitScopes, type AuthChallenge } from './challenge';
import { RegistryError } from './errors';
import { isLoopbackHost } from './hosts';
import type { ImageReference } from './reference';
import { errorSummary, loginCommand, registryErrorsOf, statusError, statusLine } from './responses';
import type { Call, Session } from './session';
import { checkUrlAllowed, type HttpResponse } from './transport';

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

export interface AuthOptions {
  /** Default: none (anonymous). */
  readonly credentials?: CredentialLookup;
  /** Clock for token expiry, in ms since the epoch. Default Date.now. */
  readonly now?: () => number;
}

/** What a registry request needs besides its URL. */
export interface RegistryRequestInit {
  readonly method: 'GET' | 'HEAD' | 'PUT';
  readonly accept?: string;
  /** A write's exact bytes (PUT) and their Content-Type. */
  readonly body?: Uint8Array;
  readonly contentType?: string;
  /** Ask for push rights: tokens for `repository:NAME:pull,push` instead of `:pull`. */
  readonly push?: boolean;
  readonly maxBytes: number;
  /** Words for messages: 'manifest', 'config blob'. */
  readonly what: string;
}

export interface Auth {
  /**
   * One registry request with the auth dance: authorization up front when the host's scheme is
   * known, then at most two 401s answered, then a clear 'unauthorized'. Any other status is
   * returned as is (the caller maps it). `ref` names the registry and the repository (scopes).
   */
  request(call: Call, ref: ImageReference, url: URL, init: RegistryRequestInit): Promise<HttpResponse>;
}

const MiB = 1024 * 1024;
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

/** What a bearer token is asked for: the realm and service of the challenge, the scopes, who asks. */
interface TokenRequest {
  readonly ref: ImageReference;
  readonly realm: URL;
  readonly service: string | undefined;
  readonly scopes: readonly string[];
  readonly creds: Credentials | undefined;
}

interface Authorization {
  readonly header: string;
  readonly carriesCredentials: boolean;
  /** Token cache key, so a rejected cached token can be evicted. */
  readonly cacheKey?: string;
}

/** Authentication state for one client: token cache, in-flight tokens, host schemes, scopes, credentials. */
export function createAuth(session: Session, options: AuthOptions = {}): Auth {
  const now = options.now ?? Date.now;
  const { stats, log, insecureHosts } = session;
  const tokenCache = new Map<string, CachedToken>();
  const inflightTokens = new Map<string, SharedFetch<CachedToken>>();
  const hostAuth = new Map<string, HostAuth>();
  const repoScopes = new Map<string, readonly string[]>();
  const credentialCache = new Map<string, Promise<Credentials | undefined>>();

  const lookupCredentials = (registry: string): Promise<Credentials | undefined> => {
    let pending = credentialCache.get(registry);
    if (!pending) {
      pending = (async () => {
        if (!options.credentials) return undefined;
        try {
          const creds = await options.credentials(registry);
          if (creds?.problem) log?.(`no credentials for ${registry}: ${creds.problem}`);
          else if (creds) {
            session.remember(creds.identityToken, creds.registryToken);
            if (creds.password) session.rememberBasic(creds.username ?? '', creds.password);
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
  const bearerToken = async (ctx: Call, want: TokenRequest): Promise<{ token: CachedToken; key: string; fromCache: boolean }> => {
    const { realm, service, scopes, creds } = want;
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
        promise: fetchToken(ctx, want, controller.signal).finally(() => inflightTokens.delete(key)),
      };
      entry.promise.catch(() => undefined);
      inflightTokens.set(key, entry);
      shared = entry;
    }
    const token = await waitShared(shared, ctx.signal, realm.host);
    tokenCache.set(key, token);
    return { token, key, fromCache: false };
  };

  const fetchToken = async (ctx: Call, { ref, realm, service, scopes, creds }: TokenRequest, signal: AbortSignal): Promise<CachedToken> => {
    checkUrlAllowed(realm, insecureHosts, 'to fetch a registry token from');
    const counted = (): void => {
      stats.tokenRequests++;
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
      res = await session.send(ctx, realm, { method: 'POST', body: form.toString(), signal, maxBytes: TOKEN_RESPONSE_CAP, what: 'token response' }, counted);
      if (res.status === 404) res = undefined; // token.md: fall back to GET when POST is not supported
    }
    if (!res) {
      const url = new URL(realm.href);
      if (service) url.searchParams.set('service', service);
      for (const s of scopes) url.searchParams.append('scope', s);
      if (creds?.username) url.searchParams.set('account', creds.username);
      const authorization =
        creds?.username && creds.password ? { header: basic(creds.username, creds.password), carriesCredentials: true } : undefined;
      res = await session.send(ctx, url, { method: 'GET', authorization, signal, maxBytes: TOKEN_RESPONSE_CAP, what: 'token response' }, counted);
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
    session.remember(token);
    const seconds = typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : DEFAULT_TOKEN_SECONDS;
    return {
      token,
      expiresAt: now() + Math.max(0, seconds - TOKEN_MARGIN_SECONDS) * 1000,
      carriesCredentials: withCredentials,
    };
  };

  const defaultScopes = (ref: ImageReference, push = false): string[] => [`repository:${ref.repository}:${push ? 'pull,push' : 'pull'}`];
  /** Where the scopes a repository's challenges asked for are kept; reads and writes apart. */
  const scopeKey = (ref: ImageReference, push: boolean): string => `${ref.apiHost}\n${ref.repository}${push ? '\npush' : ''}`;

  /** Authorization to send before any challenge, from what earlier requests to this host learned. */
  const preemptive = async (ctx: Call, ref: ImageReference, tried: string[], push = false): Promise<Authorization | undefined> => {
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
    const scopes = repoScopes.get(scopeKey(ref, push)) ?? defaultScopes(ref, push);
    const { token, key, fromCache } = await bearerToken(ctx, { ref, realm, service: known.service, scopes, creds });

    tried.push(describeToken(token, creds, realm, fromCache));
    return { header: `Bearer ${token.token}`, carriesCredentials: token.carriesCredentials, cacheKey: key };
  };

  const describeToken = (token: CachedToken, creds: Credentials | undefined, realm: URL, fromCache: boolean): string =>
    `${fromCache ? 'a cached' : 'a fresh'} ${token.carriesCredentials ? `token obtained with ${credentialsLabel(creds)}` : 'anonymous token'} from ${realm.host}`;

  /** Answers a 401: picks a challenge, obtains what it asks for, or explains why it cannot. */
  const answerChallenge = async (
    ctx: Call,
    ref: ImageReference,
    res: HttpResponse,
    previous: Authorization | undefined,
    tried: string[],
    push = false,
    catalog = false,
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
      const scopes = mergeScopes(defaultScopes(ref, push), bearer);
      repoScopes.set(scopeKey(ref, push), scopes);
      const { token, key, fromCache } = await bearerToken(ctx, { ref, realm, service, scopes, creds });
      tried.push(describeToken(token, creds, realm, fromCache));
      return { header: `Bearer ${token.token}`, carriesCredentials: token.carriesCredentials, cacheKey: key };
    }
    if (basicChallenge) {
      hostAuth.set(ref.apiHost, { scheme: 'basic' });
      if (creds?.username && creds.password && !previous?.header.startsWith('Basic ')) {
        tried.push(`HTTP Basic with ${credentialsLabel(creds)}`);
        return { header: basic(creds.username, creds.password), carriesCredentials: true };
      }
      throw unauthorized(ref, res, tried, creds, creds?.username ? undefined : 'it asks for a username and password (HTTP Basic) and none were found', false, catalog);
    }
    const schemes = challenges.map((c) => c.scheme).join(', ');
    throw unauthorized(
      ref,
      res,
      tried,
      creds,
      schemes ? `it asks for an authentication scheme this client does not support (${schemes})` : 'it sent no WWW-Authenticate challenge',
      false,
      catalog,
    );
  };

  const request = async (ctx: Call, ref: ImageReference, url: URL, init: RegistryRequestInit): Promise<HttpResponse> => {
    checkUrlAllowed(url, insecureHosts, 'to request');
    const tried: string[] = [];
    const push = init.push === true;
    const catalog = url.pathname === '/v2/_catalog';
    let auth = await preemptive(ctx, ref, tried, push);
    for (let unauthorizedCount = 1; ; unauthorizedCount++) {
      const headers: Record<string, string> = {};
      if (init.accept) headers['accept'] = init.accept;
      const res = await session.send(ctx, url, {
        method: init.method,
        headers,
        authorization: auth,
        signal: ctx.signal,
        maxBytes: init.maxBytes,
        what: init.what,
        ...(init.body !== undefined ? { body: init.body, contentType: init.contentType } : {}),
      });
      session.refuseEchoedSecrets(res, ref.apiHost, init.what);
      if (res.status !== 401) return res;
      if (unauthorizedCount >= MAX_UNAUTHORIZED) {
        const creds = await raceAbort(lookupCredentials(ref.registry), ctx.signal, ref.apiHost);
        credentialCache.delete(ref.registry); // a later attempt re-reads them (the user may log in meanwhile)
        const insufficient = parseChallenges(res.headers['www-authenticate']).find((c) => c.params['error'] === 'insufficient_scope');
        throw unauthorized(ref, res, tried, creds, insufficient ? 'the token lacks the scope it needs (insufficient_scope)' : undefined, push, catalog);
      }
      auth = await answerChallenge(ctx, ref, res, auth, tried, push, catalog);
    }
  };

  return { request };
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

/** Our scopes and the ones the challenge asks for, each once. */
function mergeScopes(own: string[], challenge: AuthChallenge): string[] {
  const out = [...own];
  for (const s of splitScopes(challenge.params['scope'])) if (!out.includes(s)) out.push(s);
  return out;
}

/** A 401 that could not be answered, in words: what was tried, whether credentials were found, what to do. */
function unauthorized(
  ref: ImageReference,
  res: HttpResponse,
  tried: readonly string[],
  creds: Credentials | undefined,
  reason: string | undefined,
  push = false,
  catalog = false,
): RegistryError {
  const entries = registryErrorsOf(res.body);
  const attempts =
    tried.length === 0 ? 'without credentials' : `after trying ${[...new Set(tried)].join(', then ')}`;
  const noCreds = !creds || !(creds.username || creds.identityToken || creds.registryToken);
  const credNote = noCreds ? (creds?.problem ? ` No credentials were used: ${creds.problem}.` : ' No credentials were found for it.') : '';
  // The catalog is the registry's, not a repository's (the reference it is asked with names a placeholder).
  const subject = catalog ? `the catalog (/v2/_catalog)` : `repository ${ref.repository}`;
  const advice = catalog
    ? `${noCreds ? `Log in with \`${loginCommand(ref.registry)}\`` : `The credentials${creds?.source ? ` from ${creds.source}` : ''} may not be allowed to list it`}; many registries list their repositories to administrators only.`
    : noCreds
    ? `Log in with \`${loginCommand(ref.registry)}\` or check the repository name.`
    : `Check that the credentials${creds?.source ? ` from ${creds.source}` : ''} are current (\`${loginCommand(ref.registry)}\`) and allowed to ${push ? 'push to' : 'pull'} ${ref.repository}.`;
  // A write asks for more than a read: say which scope was missing, and that pulling is not the question.
  const scope = push ? ` Pushing needs the scope repository:${ref.repository}:pull,push; the account may lack push rights there.` : '';
  return new RegistryError(
    'unauthorized',
    `${ref.registry} answered ${statusLine(401)} for ${subject} ${attempts}${reason ? `; ${reason}` : ''}${errorSummary(entries)}.${credNote}${scope} ${advice}`,
    { host: ref.apiHost, status: 401, registryErrors: entries },
  );
}
