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
  readonly names: readonly string[];
  /** The `/v2/…` path (with query) of the next page, from the Link header. */
  readonly next?: string;
  /** The rate-limit headers in words, when the registry sends them (responses.ts rateLimitOf). */
  readonly rateLimit?: string;
  readonly requests: number;
}

/** The default page size asked for (registries may answer with fewer). */
export const PAGE_SIZE = 100;

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

function namesOf(body: Uint8Array, key: 'tags' | 'repositories', where: string, host: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(body));
  } catch {
    throw new RegistryError('protocol', `${host} answered the ${where} with something that is not JSON.`, { host });
  }
  const list = (parsed as Record<string, unknown> | null)?.[key];
  if (list === null || list === undefined) return []; // distribution answers {"tags":null} for a repository without tags
  if (!Array.isArray(list)) throw new RegistryError('protocol', `${host} answered the ${where} without a "${key}" list.`, { host });
  return list.filter((n): n is string => typeof n === 'string');
}

/** One page of a repository's tags; `page` is a `next` path from the previous page. */
export async function listTags(client: RegistryClient, ref: ImageReference, opts: { signal?: AbortSignal; page?: string; pageSize?: number } = {}): Promise<ListingPage> {
  const first = `/v2/${ref.repository}/tags/list?n=${opts.pageSize ?? PAGE_SIZE}`;
  const path = opts.page && opts.page.startsWith(`/v2/${ref.repository}/tags/list`) ? opts.page : first;
  const r = await client.getApi(ref, path, { signal: opts.signal, what: `tag list of ${ref.repository}` });
  return { names: namesOf(r.body, 'tags', `tag list of ${ref.repository}`, ref.apiHost), next: nextPageOf(r.link, ref.apiHost), rateLimit: rateLimitOf(r.headers), requests: r.requests };
}

/**
 * One page of a registry's repositories (`/v2/_catalog`). Many registries refuse it (Docker
 * Hub, GHCR: 401/403/404): that is a RegistryError the caller turns into "add repositories
 * yourself".
 */
export async function listRepositories(client: RegistryClient, registry: ImageReference, opts: { signal?: AbortSignal; page?: string; pageSize?: number } = {}): Promise<ListingPage> {
  const path = opts.page && opts.page.startsWith('/v2/_catalog') ? opts.page : `/v2/_catalog?n=${opts.pageSize ?? PAGE_SIZE}`;
  const r = await client.getApi(registry, path, { signal: opts.signal, what: 'catalog' });
  return { names: namesOf(r.body, 'repositories', 'catalog', registry.apiHost), next: nextPageOf(r.link, registry.apiHost), rateLimit: rateLimitOf(r.headers), requests: r.requests };
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
