// An in-process fake distribution registry on a loopback address, with a token service, for the
// unit and fault tests of the registry client. It behaves like a healthy registry unless a test
// installs `intercept` to do what a healthy registry never does.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  /** Path and query as received. */
  readonly url: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export interface FakeRegistryOptions {
  /** Address to bind; default 127.0.0.1. Any 127.x.y.z works on Linux. */
  readonly host?: string;
  /** How the registry asks for authentication. Default 'none'. */
  readonly auth?: 'none' | 'bearer' | 'basic';
  /** username → password. Bearer: the token service checks them; Basic: the registry does. */
  readonly users?: Readonly<Record<string, string>>;
  /** Bearer: may anonymous callers get a pull token? Default true. */
  readonly anonymousPull?: boolean;
  /** identity (refresh) token → username, accepted by POST /token. */
  readonly identityTokens?: Readonly<Record<string, string>>;
  /** Bearer: answer POST /token with 404 (old token services). */
  readonly tokenPostUnsupported?: boolean;
  /** Realm sent in the challenge; default `<url>/token`. */
  readonly realm?: string;
  readonly service?: string;
  /** expires_in of issued tokens; omitted from the response when undefined. */
  readonly tokenExpiresIn?: number;
  /** Does GET /v2/<name>/referrers/<digest> exist? Default true. */
  readonly referrersApi?: boolean;
  /** Runs first for every request; return true when it answered. */
  readonly intercept?: (req: IncomingMessage, res: ServerResponse, rec: RecordedRequest, reg: FakeRegistry) => boolean | Promise<boolean>;
}

interface StoredManifest {
  readonly bytes: Buffer;
  readonly mediaType: string;
  readonly digest: string;
}

export interface FakeRegistry {
  /** http://host:port */
  readonly url: string;
  /** host:port as a reference would name it. */
  readonly hostPort: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  /** Tokens issued so far (to assert they never leak). */
  readonly issuedTokens: string[];
  /** Sockets that closed, counted. */
  readonly closedSockets: () => number;
  putManifest(repository: string, tag: string | undefined, body: string | Buffer, mediaType: string): string;
  putBlob(repository: string, body: string | Buffer): string;
  /** Adds a referrer descriptor for `subject` (served by the Referrers API). */
  addReferrer(repository: string, subject: string, descriptor: object): void;
  close(): Promise<void>;
}

export function sha256(bytes: string | Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * A signed schema 1 manifest as libtrust writes it: the payload, then the signatures, with the
 * protected header saying how to cut them off again. Registries digest the payload.
 */
export function signedSchema1(): { signed: string; payload: string; payloadDigest: string; bytesDigest: string } {
  const payload = '{\n   "schemaVersion": 1,\n   "name": "app",\n   "tag": "old",\n   "architecture": "amd64",\n   "fsLayers": [],\n   "history": []\n}';
  const formatLength = payload.length - 2;
  const protectedHeader = Buffer.from(JSON.stringify({ formatLength, formatTail: Buffer.from('\n}').toString('base64url'), time: '2020-01-01T00:00:00Z' })).toString('base64url');
  const signed = payload.slice(0, formatLength) + `,\n   "signatures": [{"header": {"alg": "ES256"}, "signature": "x", "protected": "${protectedHeader}"}]\n}`;
  return { signed, payload, payloadDigest: sha256(payload), bytesDigest: sha256(signed) };
}

export function errorBody(code: string, message: string): string {
  return JSON.stringify({ errors: [{ code, message, detail: null }] });
}

/** Starts a fake registry; close it in an `after` hook. */
export async function startFakeRegistry(options: FakeRegistryOptions = {}): Promise<FakeRegistry> {
  const bind = options.host ?? '127.0.0.1';
  const requests: RecordedRequest[] = [];
  const issuedTokens: string[] = [];
  const validTokens = new Map<string, { scopes: string[]; expires: number }>();
  const manifests = new Map<string, StoredManifest>(); // `${repo}@${digest}` and `${repo}:${tag}`
  const blobs = new Map<string, Buffer>();
  const referrers = new Map<string, object[]>();
  const sockets = new Set<Socket>();
  let closed = 0;
  const service = options.service ?? 'fake-registry';

  const server: Server = createServer();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      closed++;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, bind, resolve));
  const port = (server.address() as AddressInfo).port;
  const hostPort = `${bind}:${port}`;
  const url = `http://${hostPort}`;
  const realm = options.realm ?? `${url}/token`;

  const basicUser = (header: string | undefined): string | undefined => {
    if (!header?.startsWith('Basic ')) return undefined;
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = decoded.slice(0, colon);
    return options.users?.[user] !== undefined && options.users[user] === decoded.slice(colon + 1) ? user : undefined;
  };

  const issue = (scopes: string[]): string => {
    const token = `tok-${issuedTokens.length + 1}-${randomBytes(6).toString('hex')}`;
    issuedTokens.push(token);
    validTokens.set(token, { scopes, expires: Date.now() + 3600_000 });
    return token;
  };

  const sendJson = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
    res.end(body);
  };

  const tokenEndpoint = (req: IncomingMessage, res: ServerResponse, rec: RecordedRequest): void => {
    let user: string | undefined;
    let scopes: string[];
    if (req.method === 'POST') {
      if (options.tokenPostUnsupported) return sendJson(res, 404, '{"error":"not found"}');
      const form = new URLSearchParams(rec.body);
      if (form.get('grant_type') !== 'refresh_token') return sendJson(res, 400, '{"error":"unsupported_grant_type"}');
      user = options.identityTokens?.[form.get('refresh_token') ?? ''];
      if (!user) return sendJson(res, 401, '{"error":"invalid_grant"}');
      scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
    } else {
      scopes = rec.query.getAll('scope');
      if (req.headers.authorization) {
        user = basicUser(req.headers.authorization);
        if (!user) return sendJson(res, 401, errorBody('UNAUTHORIZED', 'bad credentials'));
      } else if (options.anonymousPull === false) {
        return sendJson(res, 401, errorBody('UNAUTHORIZED', 'authentication required'));
      }
    }
    const token = issue(scopes);
    const payload: Record<string, unknown> = req.method === 'POST' ? { access_token: token } : { token };
    if (options.tokenExpiresIn !== undefined) payload['expires_in'] = options.tokenExpiresIn;
    sendJson(res, 200, JSON.stringify(payload));
  };

  const authorized = (req: IncomingMessage, repo: string): boolean => {
    if ((options.auth ?? 'none') === 'none') return true;
    const header = req.headers.authorization;
    if (options.auth === 'basic') return basicUser(header) !== undefined;
    if (!header?.startsWith('Bearer ')) return false;
    const t = validTokens.get(header.slice(7));
    return !!t && t.expires > Date.now() && t.scopes.some((s) => s === `repository:${repo}:pull` || s.startsWith(`repository:${repo}:pull,`));
  };

  const challenge = (res: ServerResponse, repo: string): void => {
    const header =
      options.auth === 'basic'
        ? 'Basic realm="fake-registry"'
        : `Bearer realm="${realm}",service="${service}",scope="repository:${repo}:pull"`;
    sendJson(res, 401, errorBody('UNAUTHORIZED', 'authentication required'), { 'www-authenticate': header });
  };

  const serveManifest = (req: IncomingMessage, res: ServerResponse, m: StoredManifest): void => {
    res.writeHead(200, { 'content-type': m.mediaType, 'content-length': m.bytes.length, 'docker-content-digest': m.digest });
    res.end(req.method === 'HEAD' ? undefined : m.bytes);
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const parsed = new URL(req.url ?? '/', url);
        const rec: RecordedRequest = {
          method: req.method ?? 'GET',
          url: req.url ?? '/',
          path: parsed.pathname,
          query: parsed.searchParams,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        requests.push(rec);
        if (options.intercept && (await options.intercept(req, res, rec, registry))) return;
        if (parsed.pathname === '/token') return tokenEndpoint(req, res, rec);
        if (parsed.pathname === '/v2/' || parsed.pathname === '/v2') {
          if (!authorized(req, '')) return challenge(res, '');
          return sendJson(res, 200, '{}');
        }
        const m = /^\/v2\/(.+)\/(manifests|blobs|referrers)\/([^/]+)$/.exec(parsed.pathname);
        if (!m) return sendJson(res, 404, errorBody('NOT_FOUND', 'no route'));
        const [, repo, kind, ref] = m as unknown as [string, string, string, string];
        if (!authorized(req, repo)) return challenge(res, repo);
        if (kind === 'manifests') {
          const found = manifests.get(ref.includes(':') ? `${repo}@${ref}` : `${repo}:${ref}`);
          if (!found) {
            const known = [...manifests.keys()].some((k) => k.startsWith(`${repo}@`) || k.startsWith(`${repo}:`));
            return known
              ? sendJson(res, 404, errorBody('MANIFEST_UNKNOWN', 'manifest unknown'))
              : sendJson(res, 404, errorBody('NAME_UNKNOWN', 'repository name not known to registry'));
          }
          return serveManifest(req, res, found);
        }
        if (kind === 'blobs') {
          const blob = blobs.get(`${repo}@${ref}`);
          if (!blob) return sendJson(res, 404, errorBody('BLOB_UNKNOWN', 'blob unknown to registry'));
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': blob.length, 'docker-content-digest': ref });
          return res.end(blob);
        }
        if (options.referrersApi === false) return sendJson(res, 404, errorBody('NOT_FOUND', 'no route'));
        const artifactType = parsed.searchParams.get('artifactType');
        let list = referrers.get(`${repo}@${ref}`) ?? [];
        const headers: Record<string, string> = { 'content-type': 'application/vnd.oci.image.index.v1+json' };
        if (artifactType) {
          list = list.filter((d) => (d as { artifactType?: string }).artifactType === artifactType);
          headers['oci-filters-applied'] = 'artifactType';
        }
        const body = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: list });
        return sendJson(res, 200, body, headers);
      })().catch((e: unknown) => {
        if (!res.headersSent) sendJson(res, 500, errorBody('FAKE_FAILURE', String(e)));
        else res.destroy();
      });
    });
  });

  const registry: FakeRegistry = {
    url,
    hostPort,
    port,
    requests,
    issuedTokens,
    closedSockets: () => closed,
    putManifest(repository, tag, body, mediaType) {
      const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
      const digest = sha256(bytes);
      const stored = { bytes, mediaType, digest };
      manifests.set(`${repository}@${digest}`, stored);
      if (tag !== undefined) manifests.set(`${repository}:${tag}`, stored);
      return digest;
    },
    putBlob(repository, body) {
      const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
      const digest = sha256(bytes);
      blobs.set(`${repository}@${digest}`, bytes);
      return digest;
    },
    addReferrer(repository, subject, descriptor) {
      const key = `${repository}@${subject}`;
      referrers.set(key, [...(referrers.get(key) ?? []), descriptor]);
    },
    async close() {
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return registry;
}
