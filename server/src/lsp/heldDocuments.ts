/**
 * Manifests and blobs fetched by digest, held for the language server's lifetime (the last few
 * hundred): a digest names its bytes forever, so what the explorer and deep inspection fetched
 * once is never fetched again, across levels, documents and refreshes. Tags are never held.
 */
import { isRegistryError, RegistryError, type FetchedBlob, type FetchedManifest, type RegistryClient } from '../registry';

/** How many manifests (and, apart, blobs) are held. */
const HELD_MAX = 256;
/** Bigger documents are not held (an index of thousands of entries is fetched again when asked for again). */
const HELD_MAX_BYTES = 1024 * 1024;
const heldManifests = new Map<string, FetchedManifest>();
const heldBlobs = new Map<string, FetchedBlob>();

function hold<T extends { bytes: Uint8Array }>(map: Map<string, T>, key: string, value: T): void {
  if (value.bytes.length > HELD_MAX_BYTES) return;
  map.delete(key);
  map.set(key, value);
  while (map.size > HELD_MAX) map.delete(map.keys().next().value!);
}

function held<T>(map: Map<string, T>, key: string): T | undefined {
  const v = map.get(key);
  if (v !== undefined) {
    map.delete(key); // most recently used last
    map.set(key, v);
  }
  return v;
}

/** Forgets everything held (tests). */
export function forgetHeldDocuments(): void {
  heldManifests.clear();
  heldBlobs.clear();
}

export interface HoldingOptions {
  /** Receives the rate limit of each fresh manifest fetch, by digest. */
  readonly rateLimits?: Map<string, string>;
  /**
   * After the registry answers 429, fetch nothing more through this client: the later calls
   * fail at once with a 'rate-limited' error that says so, and `onRateLimited` is told once.
   */
  readonly stopWhenRateLimited?: boolean;
  readonly onRateLimited?: (message: string) => void;
  /** Told of each digest not fetched because of that stop. */
  readonly onSkipped?: (digest: string) => void;
}

/** `client` with manifests by digest and blobs served from what is held (see the module comment). */
export function holdingClient(client: RegistryClient, options: HoldingOptions = {}): RegistryClient {
  let stopped: string | undefined;
  const guard = async <T>(digest: string | undefined, fetch: () => Promise<T>): Promise<T> => {
    if (stopped) {
      if (digest) options.onSkipped?.(digest);
      throw new RegistryError('rate-limited', `Not fetched: the registry rate-limited an earlier request (${stopped}).`);
    }
    try {
      return await fetch();
    } catch (e) {
      if (options.stopWhenRateLimited && isRegistryError(e) && e.kind === 'rate-limited' && !stopped) {
        stopped = e.message;
        options.onRateLimited?.(e.message);
      }
      throw e;
    }
  };
  return {
    ...client,
    async getManifest(ref, opts) {
      const key = ref.digest ? `${ref.registry}/${ref.repository}@${ref.digest}` : undefined;
      const have = key ? held(heldManifests, key) : undefined;
      if (have) return { ...have, requests: 0 };
      const m = await guard(ref.digest, () => client.getManifest(ref, opts));
      if (m.rateLimit) options.rateLimits?.set(m.digest, m.rateLimit);
      if (key && m.verified === 'requested-digest') hold(heldManifests, key, m);
      return m;
    },
    async getBlob(ref, digest, opts) {
      const key = `${ref.registry}/${ref.repository}@${digest}`;
      const have = held(heldBlobs, key);
      if (have) return { ...have, requests: 0 };
      const b = await guard(digest, () => client.getBlob(ref, digest, opts));
      hold(heldBlobs, key, b);
      return b;
    },
  };
}
