/**
 * A token server for the registry's `auth: token` mode (distribution docs/spec/auth/token.md),
 * started in-process by the tests. It signs ES256 JWTs with a key whose self-signed certificate
 * the registry trusts (`rootcertbundle`); the certificate rides in the JWT header's `x5c`, which
 * distribution 2.8 verifies against that bundle. Tokens carry the iss/sub/aud/exp/nbf/iat/jti
 * claims and an `access` list.
 *
 * Anonymous requests get `pull` only (or nothing, with `anonymousPull: false`); HTTP Basic with a
 * known user gets every action asked for; wrong credentials get 401. Every request is counted so
 * tests can assert how many tokens a client fetched.
 */
import { execFile } from 'node:child_process';
import { createPrivateKey, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A key pair for signing tokens, with the self-signed certificate the registry trusts. */
export interface SigningCert {
  readonly keyPath: string;
  readonly certPath: string;
  readonly keyPem: string;
  readonly certPem: string;
}

/**
 * Creates a P-256 key and a self-signed certificate in `dir` with openssl (node:crypto can make
 * keys but not certificates). The certificate is valid from an hour ago for two days.
 */
export async function generateSigningCert(dir: string, commonName = 'manifest-lens-test-token-signer'): Promise<SigningCert> {
  const keyPath = join(dir, 'token-signer.key');
  const certPath = join(dir, 'token-signer.crt');
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', `/CN=${commonName}`,
  ], { timeout: 20_000 });
  return { keyPath, certPath, keyPem: await readFile(keyPath, 'utf8'), certPem: await readFile(certPath, 'utf8') };
}

export interface TokenServerOptions {
  /** The `service` the registry is configured with; it becomes the token's `aud`. */
  readonly service: string;
  /** The `issuer` the registry is configured with. */
  readonly issuer: string;
  readonly cert: SigningCert;
  /** user → password for HTTP Basic on the token endpoint. */
  readonly users?: Readonly<Record<string, string>>;
  /** Whether anonymous requests get `pull` (default true). */
  readonly anonymousPull?: boolean;
  /** `expires_in` of the tokens, in seconds (default 300). */
  readonly ttlSeconds?: number;
  /** Listen on this port (default: any free port). */
  readonly port?: number;
}

/** One request to the token endpoint, as the tests see it. */
export interface TokenRequestRecord {
  readonly method: string;
  /** The authenticated user, or undefined for anonymous requests. */
  readonly user: string | undefined;
  readonly account: string | undefined;
  readonly service: string | undefined;
  readonly scopes: readonly string[];
  /** The HTTP status answered. */
  readonly status: number;
  /** `type:name:actions` of what was granted. */
  readonly granted: readonly string[];
}

export interface TokenServerStats {
  /** Every request that reached the server, whatever its outcome. */
  requests: number;
  /** Tokens issued to anonymous requests. */
  anonymous: number;
  /** Tokens issued to authenticated requests. */
  authenticated: number;
  /** Requests answered with an error (bad credentials, bad service, POST). */
  rejected: number;
  readonly log: TokenRequestRecord[];
}

export interface TokenServer {
  /** `http://127.0.0.1:PORT/token`, the realm to configure. */
  readonly realm: string;
  readonly port: number;
  readonly service: string;
  readonly issuer: string;
  readonly stats: TokenServerStats;
  /** Zeroes the counters and the log. */
  resetStats(): void;
  close(): Promise<void>;
}

interface Access {
  type: string;
  name: string;
  actions: string[];
}

/** `repository:samples/app:pull,push` → its parts; the name may contain `:` (a port), so split at both ends. */
function parseScope(scope: string): Access | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first <= 0 || last <= first) return undefined;
  const actions = scope.slice(last + 1).split(',').filter(Boolean);
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions };
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** A compact JWS: ES256 over `header.claims`, signature as r‖s (JOSE, not DER). */
function signJwt(key: KeyObject, x5c: string, claims: object): string {
  const header = { typ: 'JWT', alg: 'ES256', x5c: [x5c] };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64url(signature)}`;
}

function parseBasic(header: string | undefined): { user: string; password: string } | undefined | 'malformed' {
  if (!header) return undefined;
  const m = /^Basic\s+(\S+)$/i.exec(header);
  if (!m) return 'malformed';
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return 'malformed';
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Starts the token server on 127.0.0.1. The registry's `auth.token.realm` must point at the
 * returned `realm`, `service`/`issuer` must match, and `rootcertbundle` must be `cert.certPath`.
 */
export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const key = createPrivateKey(options.cert.keyPem);
  const x5c = new X509Certificate(options.cert.certPem).raw.toString('base64');
  const users = options.users ?? {};
  const anonymousPull = options.anonymousPull ?? true;
  const ttl = options.ttlSeconds ?? 300;
  const stats: TokenServerStats = { requests: 0, anonymous: 0, authenticated: 0, rejected: 0, log: [] };

  const answer = (res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...extra });
    res.end(text);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    stats.requests++;
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
    const service = url.searchParams.get('service') ?? undefined;
    const account = url.searchParams.get('account') ?? undefined;
    const record = (status: number, user: string | undefined, granted: string[]): void => {
      stats.log.push({ method: req.method ?? '', user, account, service, scopes, status, granted });
    };
    const reject = (status: number, code: string, message: string, user?: string): void => {
      stats.rejected++;
      record(status, user, []);
      const extra: Record<string, string> = status === 401 ? { 'WWW-Authenticate': 'Basic realm="manifest-lens-test"' } : {};
      answer(res, status, { errors: [{ code, message }] }, extra);
    };

    if (url.pathname !== '/token') return reject(404, 'NOT_FOUND', `no such endpoint ${url.pathname}`);
    // The OAuth2 POST form is optional; clients must fall back to GET on 404 (token.md / oauth.md).
    if (req.method !== 'GET') return reject(404, 'UNSUPPORTED', 'only GET is supported by this token server');
    if (service !== undefined && service !== options.service) {
      return reject(400, 'INVALID_SERVICE', `unknown service ${JSON.stringify(service)}, expected ${JSON.stringify(options.service)}`);
    }
    const basic = parseBasic(req.headers.authorization);
    if (basic === 'malformed') return reject(401, 'UNAUTHORIZED', 'malformed Authorization header');
    if (basic && users[basic.user] !== basic.password) return reject(401, 'UNAUTHORIZED', 'invalid username or password', basic.user);

    const access: Access[] = [];
    for (const s of scopes) {
      const parsed = parseScope(s);
      if (!parsed) continue;
      const actions = basic ? parsed.actions : anonymousPull ? parsed.actions.filter((a) => a === 'pull') : [];
      if (actions.length > 0) access.push({ ...parsed, actions });
    }
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: options.issuer,
      sub: basic?.user ?? '',
      aud: options.service,
      exp: now + ttl,
      nbf: now - 5,
      iat: now,
      jti: randomBytes(12).toString('hex'),
      access,
    };
    const token = signJwt(key, x5c, claims);
    if (basic) stats.authenticated++;
    else stats.anonymous++;
    record(200, basic?.user, access.map((a) => `${a.type}:${a.name}:${a.actions.join(',')}`));
    answer(res, 200, { token, access_token: token, expires_in: ttl, issued_at: new Date(now * 1000).toISOString() });
  };

  const server = createServer((req, res) => {
    // Drain the body (if any) before answering.
    req.resume();
    req.on('end', () => {
      try {
        handle(req, res);
      } catch (err) {
        answer(res, 500, { errors: [{ code: 'INTERNAL', message: String(err) }] });
      }
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    port,
    service: options.service,
    issuer: options.issuer,
    stats,
    resetStats() {
      stats.requests = stats.anonymous = stats.authenticated = stats.rejected = 0;
      stats.log.length = 0;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
