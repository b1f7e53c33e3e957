/**
 * The registry API (distribution-spec): manifests by GET and HEAD, blobs, the Referrers API with
 * the `sha256-<hex>` tag fallback, and raw `/v2/…` JSON paths for the listings (listing.ts:
 * tags and catalog with Link pagination). Each operation is composed from a session (session.ts:
 * one request with redirects, limits, deadlines, cancellation, masking) and the auth flow
 * (auth.ts: challenges, tokens, credentials); this module adds the paths, the Accept headers,
 * digest verification and the status → RegistryError mapping (responses.ts).
 */
import { createAuth, type CredentialLookup, type RegistryRequestInit } from './auth';
import { RegistryError } from './errors';
import { hostListed, isLoopbackHost } from './hosts';
import { digestProblem, referrersFallbackTag, type ImageReference } from './reference';
import { clean, describeTarget, header, rateLimitOf, statusError, warningsOf } from './responses';
import { createSession, type Call } from './session';
import { redactUrl, type Dispatcher, type HttpResponse } from './transport';
import { digestAlgorithm, digestOf, schema1SignedPayload } from './verify';
import { checkWrittenDigest, manifestWriteError } from './writes';

export type { Credentials, CredentialLookup } from './auth';
export { registryErrorsOf } from './responses';

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
  /** The registry's rate-limit headers in words, when it sent them (Docker Hub counts manifest GETs). */
  readonly rateLimit?: string;
}

/** What a HEAD of a manifest tells: digest, media type and size as the registry reports them. */
export interface ManifestHead {
  readonly digest?: string;
  readonly mediaType?: string;
  readonly size?: number;
  readonly requests: number;
  /** A Docker-Content-Digest header that is not a digest (shown as such, cut short). */
  readonly unusableDigest?: string;
  /** The rate-limit headers in words, when the registry sent them. */
  readonly rateLimit?: string;
}

/** What a manifest PUT wrote: the digest of the bytes sent, which the registry confirmed when it said one. */
export interface PutManifestResult {
  /** 'sha256:' + hex of the bytes sent. */
  readonly digest: string;
  /** Where it was written: the tag, or the digest. */
  readonly reference: string;
  /** The registry's Docker-Content-Digest (equal to `digest`), when it sent one. */
  readonly confirmedDigest?: string;
  readonly requests: number;
}

/** Whether a blob is in a repository (HEAD /v2/NAME/blobs/DIGEST), and its size as the registry reports it. */
export interface BlobHead {
  readonly exists: boolean;
  readonly size?: number;
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
  headManifest(ref: ImageReference, opts?: { signal?: AbortSignal }): Promise<ManifestHead>;
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
  /**
   * PUT a manifest: the exact bytes, Content-Type `mediaType`, under `ref.tag` or, when `byDigest`,
   * under the digest of the bytes (`ref.digest`, when set, must be that digest). Asks for push
   * scope. A refusal is a RegistryError naming the registry's code (MANIFEST_BLOB_UNKNOWN, DENIED,
   * UNAUTHORIZED…); a Docker-Content-Digest other than the bytes' digest is a 'digest-mismatch'.
   */
  putManifest(
    ref: ImageReference,
    bytes: Uint8Array,
    mediaType: string,
    opts?: { signal?: AbortSignal; byDigest?: boolean },
  ): Promise<PutManifestResult>;
  /** HEAD a blob: whether the repository has it (404 → exists false; other failures throw). */
  headBlob(ref: ImageReference, digest: string, opts?: { signal?: AbortSignal }): Promise<BlobHead>;
  /**
   * Totals since creation: every HTTP request sent (token requests and redirects included, and
   * those of calls that failed), token requests among them, token cache hits, and the requests
   * not sent because their host was held back after a 429 (not among `requests`).
   */
  readonly stats: { readonly requests: number; readonly refused: number; readonly tokenRequests: number; readonly tokenCacheHits: number };
  /** Releases pooled connections (optional; idle sockets do not keep the process alive). */
  close(): Promise<void>;
}

const MiB = 1024 * 1024;
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const SCHEMA1_SIGNED = 'application/vnd.docker.distribution.manifest.v1+prettyjws';
const EMPTY_REFERRERS = '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}';

/** Creates a client; it keeps a token cache and remembers each host's auth scheme. */
export function createRegistryClient(options: RegistryClientOptions): RegistryClient {
  const maxManifestBytes = options.maxManifestBytes ?? 4 * MiB;
  const maxBlobBytes = options.maxBlobBytes ?? 4 * MiB;
  const acceptHeader = options.accept.join(', ');
  const session = createSession(options);
  const auth = createAuth(session, { credentials: options.credentials, now: options.now });
  const { log, insecureHosts, stats } = session;
  const run = session.run;

  const baseUrl = (ref: ImageReference): string => {
    const plain = isLoopbackHost(ref.apiHost) || hostListed(ref.apiHost, insecureHosts);
    return `${plain ? 'http' : 'https'}://${ref.apiHost}`;
  };

  /** A request to a path of `ref`'s registry, authenticated (auth.ts). */
  const registryRequest = (ctx: Call, ref: ImageReference, path: string, init: RegistryRequestInit): Promise<HttpResponse> =>
    auth.request(ctx, ref, new URL(`${baseUrl(ref)}${path}`), init);

  const manifestPath = (ref: ImageReference): string => `/v2/${ref.repository}/manifests/${ref.digest ?? ref.tag ?? 'latest'}`;

  const toManifest = (ref: ImageReference, res: HttpResponse, ctx: Call, verifyDigests: boolean): FetchedManifest => {
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
    const rateLimit = rateLimitOf(res.headers);
    if (rateLimit) result.rateLimit = rateLimit;
    return result;
  };

  const fetchManifest = async (ctx: Call, ref: ImageReference, accept: string): Promise<FetchedManifest> => {
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
        const out: { -readonly [K in keyof ManifestHead]: ManifestHead[K] } = { requests: ctx.requests };
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
        const rateLimit = rateLimitOf(res.headers);
        if (rateLimit) out.rateLimit = rateLimit;
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
        // A tag list names its repository ("tag list of team/app"); the catalog and a bare listing are the registry's.
        if (res.status < 200 || res.status >= 300) throw statusError(res, { host: ref.apiHost, subject: what === 'catalog' || what === 'listing' ? `the ${what} of ${ref.registry}` : `the ${what}`, registry: ref.registry });
        const headers: Record<string, string> = {};
        for (const name of ['link', 'content-type', 'ratelimit-limit', 'ratelimit-remaining', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'docker-ratelimit-source']) {
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

    putManifest(ref, bytes, mediaType, opts) {
      return run(opts?.signal, async (ctx) => {
        const digest = digestOf(bytes)!;
        if (ref.digest && ref.digest !== digest) {
          throw new RegistryError('invalid-reference', `The manifest to write hashes to ${digest}, not to ${ref.digest}; nothing was sent.`);
        }
        const reference = opts?.byDigest || !ref.tag ? digest : ref.tag;
        if (!opts?.byDigest && !ref.tag && !ref.digest) throw new RegistryError('invalid-reference', 'A manifest write needs a tag or a digest.');
        const res = await registryRequest(ctx, ref, `/v2/${ref.repository}/manifests/${reference}`, {
          method: 'PUT',
          body: bytes,
          contentType: mediaType,
          push: true,
          maxBytes: 64 * 1024,
          what: 'manifest',
        });
        if (res.status < 200 || res.status >= 300) throw manifestWriteError(res, ref, reference);
        checkWrittenDigest(res, ref, reference, digest, log);
        const confirmed = header(res.headers, 'docker-content-digest')?.trim();
        return { digest, reference, ...(confirmed ? { confirmedDigest: confirmed } : {}), requests: ctx.requests };
      });
    },

    headBlob(ref, digest, opts) {
      return run(opts?.signal, async (ctx) => {
        requireDigest(digest);
        const res = await registryRequest(ctx, ref, `/v2/${ref.repository}/blobs/${digest}`, { method: 'HEAD', maxBytes: 0, what: 'blob' });
        if (res.status === 404) return { exists: false, requests: ctx.requests };
        if (res.status < 200 || res.status >= 300) {
          throw statusError(res, { host: ref.apiHost, subject: `the blob ${ref.repository}@${digest}`, registry: ref.registry, kindOfThing: 'blob' });
        }
        const size = Number(header(res.headers, 'content-length'));
        return { exists: true, ...(Number.isSafeInteger(size) && size >= 0 ? { size } : {}), requests: ctx.requests };
      });
    },

    close: () => session.close(),
  };
  return client;
}
