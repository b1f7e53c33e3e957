/**
 * dist/bench-audit-floor.js: the floor under `audit` (issue 21) for the bench's audit section. The
 * same requests the audit makes, with undici alone and no Manifest Lens code, at the same number
 * in flight: the catalog and each repository's tag list (pages of 100, followed through `Link`),
 * a HEAD of every tag, then one GET of each distinct tagged manifest, of each distinct child of an
 * index, and of each distinct config of a child an entry names a platform for (what the audit's
 * platform check reads). Every body is hashed and compared with its digest, and parsed. No lint,
 * no report: one line of JSON (requests, seconds) on stdout. A HEAD keeps its connection
 * (`reset: false`), as the CLI's transport does: undici's default closes it after each one.
 *
 * Repositories are taken a few at a time (REPOSITORIES, the audit's default 4), as the audit takes
 * them; a loop over every repository at once was slower than the audit itself on 3,000 of them.
 *
 * Usage: node dist/bench-audit-floor.js HOST [CONCURRENCY] [REPOSITORIES]   (plain HTTP: a loopback registry)
 */
import { createHash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { Agent, request } from 'undici';

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

async function main(): Promise<void> {
  setFlagsFromString('--liftoff-only'); // as cliStart.ts does, before undici compiles its WebAssembly parser
  const host = process.argv[2];
  const concurrency = Math.max(1, Number(process.argv[3] ?? 8));
  const repositoryConcurrency = Math.max(1, Number(process.argv[4] ?? 4));
  if (!host) throw new Error('usage: bench-audit-floor HOST [CONCURRENCY]');
  const t0 = performance.now();
  const agent = new Agent(); // as the CLI's transport: one pool, no limit of its own
  let requests = 0;
  // At most `concurrency` requests in flight.
  let active = 0;
  const waiting: (() => void)[] = [];
  let head = 0;
  const limited = async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= concurrency) await new Promise<void>((r) => waiting.push(r));
    active++;
    try {
      requests++;
      return await fn();
    } finally {
      active--;
      if (head < waiting.length) waiting[head++]();
    }
  };
  const get = (path: string, method: 'GET' | 'HEAD' = 'GET', accept = ACCEPT): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> =>
    limited(async () => {
      const res = await request(`http://${host}${path}`, { dispatcher: agent, method, headers: { accept }, ...(method === 'HEAD' ? { reset: false } : {}) });
      const body = method === 'HEAD' ? Buffer.alloc(0) : Buffer.from(await res.body.arrayBuffer());
      if (method === 'HEAD') await res.body.dump();
      if (res.statusCode !== 200) throw new Error(`${method} ${path}: HTTP ${res.statusCode}`);
      return { status: res.statusCode, headers: res.headers, body };
    });
  const listAll = async (first: string, key: 'repositories' | 'tags'): Promise<string[]> => {
    const names: string[] = [];
    for (let path: string | undefined = first; path; ) {
      const r = await get(path, 'GET', 'application/json');
      names.push(...((JSON.parse(r.body.toString('utf8')) as Record<string, string[] | null>)[key] ?? []));
      const link = r.headers.link;
      path = typeof link === 'string' ? /<([^>]+)>/.exec(link)?.[1] : undefined;
    }
    return names;
  };
  const verified = (body: Buffer, digest: string): Buffer => {
    if (`sha256:${createHash('sha256').update(body).digest('hex')}` !== digest) throw new Error(`digest mismatch: ${digest}`);
    return body;
  };
  type Doc = { manifests?: { digest: string; platform?: unknown }[]; config?: { digest: string } };
  const once = new Map<string, Promise<Doc>>();
  const manifest = (repo: string, digest: string): Promise<Doc> => {
    let p = once.get(digest);
    if (!p) {
      p = get(`/v2/${repo}/manifests/${digest}`).then((r) => JSON.parse(verified(r.body, digest).toString('utf8')) as Doc);
      once.set(digest, p);
    }
    return p;
  };
  const configs = new Map<string, Promise<unknown>>();
  const config = (repo: string, digest: string): Promise<unknown> => {
    let p = configs.get(digest);
    if (!p) {
      p = get(`/v2/${repo}/blobs/${digest}`, 'GET', '*/*').then((r) => JSON.parse(verified(r.body, digest).toString('utf8')));
      configs.set(digest, p);
    }
    return p;
  };
  const tagged = async (repo: string, digest: string): Promise<void> => {
    const doc = await manifest(repo, digest);
    await Promise.all((doc.manifests ?? []).map(async (e) => {
      const child = await manifest(repo, e.digest);
      if (e.platform && child.config) await config(repo, child.config.digest);
    }));
  };
  try {
    const repositories = await listAll('/v2/_catalog?n=100', 'repositories');
    let tags = 0;
    // As the audit works: a few repositories at a time, each listed, its tags resolved, then its digests fetched.
    let next = 0;
    await Promise.all(Array.from({ length: repositoryConcurrency }, async () => {
      while (next < repositories.length) {
        const repo = repositories[next++];
        const names = await listAll(`/v2/${repo}/tags/list?n=100`, 'tags');
        tags += names.length;
        const digests = await Promise.all(names.map(async (t) => String((await get(`/v2/${repo}/manifests/${t}`, 'HEAD')).headers['docker-content-digest'])));
        await Promise.all([...new Set(digests)].map((d) => tagged(repo, d).catch(() => undefined)));
      }
    }));
    const seconds = (performance.now() - t0) / 1000;
    process.stdout.write(`${JSON.stringify({ repositories: repositories.length, tags, manifests: once.size, configs: configs.size, requests, seconds })}\n`);
  } finally {
    await agent.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
