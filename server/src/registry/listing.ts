/**
 * Listings for the registry explorer: the registries a user has configured (the keys of the
 * docker and containers auth files, never their secrets), a registry's repositories
 * (`/v2/_catalog`, where the registry allows it) and a repository's tags (`/tags/list`), one
 * page at a time, following the `Link: <…>; rel="next"` header (distribution-spec "Listing
 * Tags"; the catalog paginates the same way).
 */
import { readFile as readFileCallback } from 'node:fs';
import { promisify } from 'node:util';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ImageReference } from './reference';
import type { RegistryClient } from './client';
import { normaliseRegistryKey } from './credentials';
import { RegistryError } from './errors';
import { rateLimitOf } from './responses';

// fs.readFile, not node:fs/promises: loading that module (and the readline code it brings) is a
// measurable part of every registry command's cold start, for one small file read (issue 13).
const readFile = promisify(readFileCallback);

/** One page of a listing: its names, and the path of the next page when there is one. */
export interface ListingPage {
  /** At most MAX_PAGE_NAMES, each a valid tag (or repository name), in the order served. */
  readonly names: readonly string[];
  /**
   * The `/v2/…` path (with query) of the next page, from the Link header; absent when the Link
   * leads back (to this page, the first one, or a `last` not past this page's: see nextAdvances).
   */
  readonly next?: string;
  /** Names served but not kept: past MAX_PAGE_NAMES, or not a tag (repository name) at all. */
  readonly omitted?: number;
  /** What was left out or stopped, in words (omitted names, a Link that loops), for a log or a note. */
  readonly note?: string;
  /** The rate-limit headers in words, when the registry sends them (responses.ts rateLimitOf). */
  readonly rateLimit?: string;
  readonly requests: number;
}

/** The default page size asked for (registries may answer with fewer). */
export const PAGE_SIZE = 100;
/**
 * The most names one page keeps, whatever the registry sends: distribution 2.8 answers a
 * repository's tags whole, ignoring `n`, so the page size asked for is no bound, but a page of
 * 500,000 names is a hostile one (and a tree of as many items in the explorer).
 */
export const MAX_PAGE_NAMES = 10_000;
/** The most bytes of one listing response read (a larger one is a 'too-large' error, not read to the end). */
export const MAX_PAGE_BYTES = 4 * 1024 * 1024;

// A tag (distribution-spec) and a repository name (path components of lower-case letters and digits
// joined by separators). A listed name that is neither cannot be referenced and is not shown.
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const REPOSITORY = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const MAX_REPOSITORY_LENGTH = 255;

/**
 * The `rel="next"` target of a Link header as a `/v2/…` path, when it stays on this registry
 * (an absolute URL to another host is not followed).
 */
export function nextPageOf(link: string | undefined, apiHost: string): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const m = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (!m || !/\brel\s*=\s*"?next"?/i.test(m[2])) continue;
    let target: URL;
    try {
      target = new URL(m[1], `http://${apiHost}`);
    } catch {
      return undefined;
    }
    if (target.host !== apiHost || !target.pathname.startsWith('/v2/')) return undefined;
    return target.pathname + target.search;
  }
  return undefined;
}

/**
 * Whether the `next` path moves on from `current` (the path of the page just read, or undefined
 * for the first page, `first`): a Link back to this page or to the first one, or one whose `last`
 * is not after this page's `last`, would have "Load more" ask for pages already seen, for ever.
 * Registries page in lexical order of names, `last` being the last name of the page before
 * (distribution-spec "Listing Tags"); a cursor that is not `last` is followed while it changes.
 * Without state this cannot catch every cycle (one that alternates between byte order and
 * case-insensitive order), but each page is asked for by a person ("Load more"), one at a time.
 */
export function nextAdvances(next: string, current: string | undefined, first: string): boolean {
  const here = current ?? first;
  if (samePage(next, here) || samePage(next, first)) return false;
  const lastOf = (path: string): string | null => new URLSearchParams(path.slice(path.indexOf('?') + 1 || path.length)).get('last');
  const from = lastOf(here);
  const to = lastOf(next);
  if (from === null) return true;
  if (to === null) return false; // from a page after `last` to one without: a first page again
  // Byte order (distribution sorts so), or without case for registries that sort that way.
  return to > from || to.toLowerCase() > from.toLowerCase();
}

/** The same page: the same path and the same query parameters, in any order. */
function samePage(a: string, b: string): boolean {
  const split = (p: string): [string, string] => {
    const q = p.indexOf('?');
    if (q < 0) return [p, ''];
    const params = new URLSearchParams(p.slice(q + 1));
    params.sort();
    return [p.slice(0, q), params.toString()];
  };
  const [pa, qa] = split(a);
  const [pb, qb] = split(b);
  return pa === pb && qa === qb;
}

/** The names of a listing page, at most MAX_PAGE_NAMES valid ones, and how many were left out. */
function namesOf(body: Uint8Array, key: 'tags' | 'repositories', where: string, host: string): { names: string[]; omitted: number } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(body));
  } catch {
    throw new RegistryError('protocol', `${host} answered the ${where} with something that is not JSON.`, { host });
  }
  const list = (parsed as Record<string, unknown> | null)?.[key];
  if (list === null || list === undefined) return { names: [], omitted: 0 }; // distribution answers {"tags":null} for a repository without tags
  if (!Array.isArray(list)) throw new RegistryError('protocol', `${host} answered the ${where} without a "${key}" list.`, { host });
  const valid = key === 'tags' ? (n: string): boolean => TAG.test(n) : (n: string): boolean => n.length <= MAX_REPOSITORY_LENGTH && REPOSITORY.test(n);
  const names: string[] = [];
  for (const n of list) {
    if (names.length === MAX_PAGE_NAMES) break;
    if (typeof n === 'string' && valid(n)) names.push(n);
  }
  // Everything not kept: invalid names, and all past the ceiling (counted, not checked).
  return { names, omitted: list.length - names.length };
}

/** The page from what was read: names, a `next` that moves on, and a note of what was left out. */
function pageOf(
  r: { body: Uint8Array; link?: string; headers: Readonly<Record<string, string>>; requests: number },
  key: 'tags' | 'repositories',
  where: string,
  host: string,
  current: string | undefined,
  first: string,
): ListingPage {
  const { names, omitted } = namesOf(r.body, key, where, host);
  const linked = nextPageOf(r.link, host);
  const loops = linked !== undefined && !nextAdvances(linked, current, first);
  const notes: string[] = [];
  if (omitted > 0) {
    notes.push(
      `${host} answered the ${where} with ${names.length + omitted} names; ${omitted} ${omitted === 1 ? 'is' : 'are'} not shown (${key === 'tags' ? 'not a tag' : 'not a repository name'}, or past the first ${MAX_PAGE_NAMES} of a page)`,
    );
  }
  if (loops) notes.push(`${host} named a page already read as the next page of the ${where}; the listing stops here`);
  const rateLimit = rateLimitOf(r.headers);
  return {
    names,
    ...(linked !== undefined && !loops ? { next: linked } : {}),
    ...(omitted > 0 ? { omitted } : {}),
    ...(notes.length > 0 ? { note: notes.join('. ') + '.' } : {}),
    ...(rateLimit ? { rateLimit } : {}),
    requests: r.requests,
  };
}

/** One page of a repository's tags; `page` is a `next` path from the previous page. */
export async function listTags(client: RegistryClient, ref: ImageReference, opts: { signal?: AbortSignal; page?: string; pageSize?: number } = {}): Promise<ListingPage> {
  const first = `/v2/${ref.repository}/tags/list?n=${opts.pageSize ?? PAGE_SIZE}`;
  const page = opts.page && opts.page.startsWith(`/v2/${ref.repository}/tags/list`) ? opts.page : undefined;
  const where = `tag list of ${ref.repository}`;
  const r = await client.getApi(ref, page ?? first, { signal: opts.signal, what: where, maxBytes: MAX_PAGE_BYTES });
  return pageOf(r, 'tags', where, ref.apiHost, page, first);
}

/**
 * One page of a registry's repositories (`/v2/_catalog`). Many registries refuse it (Docker
 * Hub, GHCR: 401/403/404): that is a RegistryError the caller turns into "add repositories
 * yourself".
 */
export async function listRepositories(client: RegistryClient, registry: ImageReference, opts: { signal?: AbortSignal; page?: string; pageSize?: number } = {}): Promise<ListingPage> {
  const first = `/v2/_catalog?n=${opts.pageSize ?? PAGE_SIZE}`;
  const page = opts.page && opts.page.startsWith('/v2/_catalog') ? opts.page : undefined;
  const r = await client.getApi(registry, page ?? first, { signal: opts.signal, what: 'catalog', maxBytes: MAX_PAGE_BYTES });
  return pageOf(r, 'repositories', 'catalog', registry.apiHost, page, first);
}

/**
 * The registries named in the docker and containers auth files (their `auths` and
 * `credHelpers` keys, normalised: `https://index.docker.io/v1/` → docker.io). Only keys are
 * read; credentials stay where they are.
 */
export async function configuredRegistries(opts: { env?: NodeJS.ProcessEnv; homeDir?: string } = {}): Promise<{ registry: string; source: string }[]> {
  const env = opts.env ?? process.env;
  const home = opts.homeDir ?? homedir();
  const files = [
    join(env.DOCKER_CONFIG || join(home, '.docker'), 'config.json'),
    ...(env.REGISTRY_AUTH_FILE ? [env.REGISTRY_AUTH_FILE] : []),
    ...(env.XDG_RUNTIME_DIR ? [join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json')] : []),
    join(env.XDG_CONFIG_HOME || join(home, '.config'), 'containers', 'auth.json'),
  ];
  const out: { registry: string; source: string }[] = [];
  const seen = new Set<string>();
  for (const file of [...new Set(files)]) {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    } catch {
      continue; // missing or not JSON: the credential lookup says why when it matters
    }
    for (const section of ['auths', 'credHelpers']) {
      const keys = parsed && typeof parsed[section] === 'object' && parsed[section] ? Object.keys(parsed[section] as object) : [];
      for (const key of keys) {
        const registry = normaliseRegistryKey(key);
        if (!registry || seen.has(registry)) continue;
        seen.add(registry);
        out.push({ registry, source: file.startsWith(home + '/') ? `~/${file.slice(home.length + 1)}` : file });
      }
    }
  }
  return out;
}
