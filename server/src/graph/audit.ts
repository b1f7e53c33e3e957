/**
 * A whole registry audited (issue 21): repositories (the catalog, paginated, or a given list) →
 * their tags (paginated) → each tag resolved with HEAD (GET where HEAD is refused or names no
 * digest) → each distinct digest fetched once and checked once with the image graph (linted,
 * its children to the bottom, every entry cross-checked against what it names), and every tag
 * that points at it given its findings.
 *
 * Bounds: at most `concurrency` requests in flight on the one client (its one connection pool),
 * and at most `repositoryConcurrency` repositories worked on at once, so that a run killed at any
 * point loses at most those (the caller journals each repository when it is done: auditState.ts).
 * After a 429 the process-wide rate gate holds the host; every call here then waits for the time
 * the gate names and tries again (MAX_RATE_WAITS times at most), so nothing is sent to a held
 * host and the audit goes on when it may; a 5xx or a timeout is tried again twice. A repository
 * that still fails is reported with its error (and not journalled: a resumed run asks again) and
 * the audit goes on.
 *
 * Findings of a digest whose check fetched everything it asked for are the same whichever
 * repository served it (they depend only on the bytes, named by digest), so they are kept by
 * digest for the whole run: a digest tagged in many repositories is fetched and linted once. A
 * check that met a fetch failure (child-unavailable) is repository-specific and is done again
 * in each repository. Not fetched in a second repository, a missing child there goes unseen.
 */
import { SEVERITY_ORDER, type Severity } from '../engine/types';
import { isRegistryError, listRepositories, listTags, RegistryError, type ImageReference, type RegistryClient } from '../registry';
import { DEFAULT_WAIT_S, MAX_WAIT_S } from '../registry/rateGate';
import { AUDIT_CHECKS } from './checks';
import { inspectGraph, limiter, type GraphNode, type GraphSource } from './imageGraph';
import { createHash } from 'node:crypto';

/** One finding of an audited document: where it is below the tagged digest, and what. */
export interface AuditProblem {
  /** The document the finding is in: the tagged digest, or a child of it. */
  readonly document: string;
  /** The path from the tagged document (`linux/amd64`, `linux/amd64 › config`); '' for the tagged document itself. */
  readonly path: string;
  /** The platform of the nearest entry above (or at) the document, when one names it. */
  readonly platform?: string;
  readonly ruleId: string;
  readonly severity: Severity;
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
}

/** A tag as resolved: its digest, or why it could not be. */
export interface AuditTag {
  readonly tag: string;
  readonly digest?: string;
  readonly mediaType?: string;
  readonly error?: string;
}

/** What the audit found in one repository: the unit of the journal and of the report. */
export interface RepositoryAudit {
  readonly repository: string;
  /** Sorted by tag. */
  readonly tags: readonly AuditTag[];
  /** Each distinct digest's findings, sorted by digest; digests without findings are left out. */
  readonly digests: readonly { readonly digest: string; readonly mediaType?: string; readonly problems: readonly AuditProblem[] }[];
  /** The repository could not be audited (its tag list failed): why. */
  readonly error?: string;
  /** What was left out (tags past --max-tags, names the registry listed that are not tags, a listing that loops). */
  readonly notes?: readonly string[];
}

export interface AuditProgress {
  readonly repositoriesDone: number;
  readonly repositoriesTotal: number;
  readonly findings: number;
}

export interface AuditOptions {
  /** The registry (its repository field is not used). */
  readonly registry: ImageReference;
  /** Only repositories whose name starts with `prefix/` (or is `prefix`). */
  readonly prefix?: string;
  /** The repositories, instead of the catalog (registries without one). */
  readonly repositories?: readonly string[];
  /** Requests in flight at once (default DEFAULT_AUDIT_CONCURRENCY). */
  readonly concurrency?: number;
  /** Repositories worked on at once (default DEFAULT_REPOSITORY_CONCURRENCY). */
  readonly repositoryConcurrency?: number;
  /** Tags of each repository audited: the first N listed. */
  readonly maxTags?: number;
  /** The page size asked of the catalog and tag listings. */
  readonly pageSize?: number;
  /** This process's part: I of N (0-based). */
  readonly shard?: { readonly index: number; readonly count: number };
  /** Repositories already audited (a journal): not asked about at all. */
  readonly done?: ReadonlySet<string>;
  /** Called as each repository is done (not one whose tag list failed), in the order they finish; awaited before the next one starts. */
  readonly onRepository?: (result: RepositoryAudit) => void | Promise<void>;
  /** Called after the repository list is known and after each repository. */
  readonly onProgress?: (p: AuditProgress) => void;
  /** The client got a 429 and waits: how long (seconds). */
  readonly onRateWait?: (seconds: number) => void;
  readonly signal?: AbortSignal;
  /** MAX_CATALOG_NAMES and DEFAULT_MAX_TAGS, lowered (tests). */
  readonly maxCatalogNames?: number;
  readonly defaultMaxTags?: number;
  /** Injected sleep (tests). */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface AuditRun {
  /** The repositories of this run, sorted (done ones from the journal not among them). */
  readonly repositories: readonly RepositoryAudit[];
  /** Every repository this shard covers (the journal's included), sorted. */
  readonly names: readonly string[];
  /** Notes of the catalog listing. */
  readonly notes: readonly string[];
  /** Bytes of manifests, blobs and listings read. */
  readonly bytes: number;
  /** The registry's rate-limit headers in words, the latest seen. */
  readonly rateLimit?: string;
  /** How many times the audit waited for the rate gate (calls held by one 429 count once), and how long in all (s). */
  readonly rateWaits: number;
  readonly rateWaitSeconds: number;
}

/** The findings of the audit itself (graph/checks.ts, documented in docs/rules.md). */
export { AUDIT_CHECKS };

/**
 * The most repository names the catalog is read for, and the most tags of one repository audited
 * without --max-tags: a registry whose listing pages on for ever with new names would otherwise
 * be read until the memory ran out (each page is new, so the loop check never stops it).
 */
export const MAX_CATALOG_NAMES = 1_000_000;
export const DEFAULT_MAX_TAGS = 100_000;

export const DEFAULT_AUDIT_CONCURRENCY = 8;
export const DEFAULT_REPOSITORY_CONCURRENCY = 4;
/** The most times one call waits for the rate gate before its failure is reported. */
export const MAX_RATE_WAITS = 20;
/** The most times one call is tried again after a 5xx or a timeout. */
export const MAX_TRANSIENT_RETRIES = 2;

/** The shard (0-based) a repository belongs to of `count`: the first 4 bytes of sha256(name), big-endian, modulo count. */
export function shardOf(repository: string, count: number): number {
  return createHash('sha256').update(repository, 'utf8').digest().readUInt32BE(0) % count;
}

function messageOf(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Problems of a checked graph, each with the path from the root and the nearest platform. */
export function problemsOfGraph(root: GraphNode, rootDigest: string): AuditProblem[] {
  const out: AuditProblem[] = [];
  const walk = (n: GraphNode, path: string, platform: string | undefined, depth: number): void => {
    const here = n.platform ?? platform;
    for (const p of n.problems) {
      out.push({
        document: n.digest || rootDigest,
        path,
        ...(here ? { platform: here } : {}),
        ruleId: p.ruleId,
        severity: p.severity,
        message: p.message,
        ...(p.line !== undefined ? { line: p.line } : {}),
        ...(p.column !== undefined ? { column: p.column } : {}),
      });
    }
    if (depth > 64) return;
    for (const c of n.children) walk(c, path ? `${path} › ${c.label}` : c.label, here, depth + 1);
  };
  walk({ ...root, digest: rootDigest }, '', undefined, 0);
  return out;
}

/** Problems in a stable order: path, severity, rule, message, place. */
export function sortProblems(list: AuditProblem[]): AuditProblem[] {
  return list.sort(
    (a, b) =>
      byString(a.path, b.path) || SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || byString(a.ruleId, b.ruleId) ||
      byString(a.message, b.message) || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0),
  );
}

/** A repository name under the prefix (`prefix` itself or below `prefix/`). */
export function underPrefix(repository: string, prefix: string | undefined): boolean {
  if (!prefix) return true;
  const p = prefix.replace(/\/+$/, '');
  return repository === p || repository.startsWith(`${p}/`);
}

/**
 * Audits the registry: see the module comment. Throws a RegistryError only when the repository
 * list cannot be had (the catalog refused or unreachable); a repository that fails is a result
 * with its `error`.
 */
export async function auditRegistry(client: RegistryClient, options: AuditOptions): Promise<AuditRun> {
  const request = limiter(Math.max(1, options.concurrency ?? DEFAULT_AUDIT_CONCURRENCY));
  const maxCatalogNames = options.maxCatalogNames ?? MAX_CATALOG_NAMES;
  const defaultMaxTags = options.defaultMaxTags ?? DEFAULT_MAX_TAGS;
  const signal = options.signal;
  // A wait (a 429's Retry-After, up to MAX_WAIT_S) ends when the audit is cancelled: the next call then stops it.
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  }));
  let bytes = 0;
  let rateLimit: string | undefined;
  let rateWaits = 0;
  let rateWaitSeconds = 0;
  let heldUntil = 0;

  /**
   * One registry call, at most `concurrency` at once; after a 429 it waits for the gate and tries
   * again; a 5xx or a timeout is tried again twice, after 1 and 2 s (a registry under load).
   */
  const call = async <T>(fn: () => Promise<T>): Promise<T> => {
    let transient = 0;
    for (let attempt = 0; ; attempt++) {
      try {
        return await request(fn);
      } catch (e) {
        if (isRegistryError(e) && (e.kind === 'server-error' || e.kind === 'timeout') && transient < MAX_TRANSIENT_RETRIES && !signal?.aborted) {
          transient++;
          await sleep(Math.min(MAX_WAIT_S, e.retryAfterSeconds ?? transient) * 1000);
          continue;
        }
        if (!isRegistryError(e) || e.kind !== 'rate-limited' || attempt >= MAX_RATE_WAITS || signal?.aborted) throw e;
        const seconds = Math.max(1, e.retryAfterSeconds ?? DEFAULT_WAIT_S);
        // Calls held by the same 429 wait together: one wait in the totals.
        const now = Date.now();
        if (now >= heldUntil) {
          rateWaits++;
          rateWaitSeconds += seconds;
          options.onRateWait?.(seconds);
        }
        heldUntil = Math.max(heldUntil, now + seconds * 1000);
        await sleep(seconds * 1000); // outside the limiter: a waiting call holds no slot
      }
    }
  };

  // The graph's source: every fetch through `call`. Children and configs are kept by digest
  // (bounded), so a child shared by two tagged indexes is fetched once.
  const cache = new Map<string, { bytes: Uint8Array; contentType?: string; digest: string }>();
  let cacheBytes = 0;
  const CACHE_MAX_BYTES = 32 * 1024 * 1024;
  const remember = (key: string, v: { bytes: Uint8Array; contentType?: string; digest: string }): void => {
    cache.set(key, v);
    cacheBytes += v.bytes.length;
    while (cacheBytes > CACHE_MAX_BYTES && cache.size > 0) {
      const [k, old] = cache.entries().next().value as [string, { bytes: Uint8Array }];
      cache.delete(k);
      cacheBytes -= old.bytes.length;
    }
  };
  // Fetches in flight by key: two graphs asking for the same child at once share one request.
  const inflight = new Map<string, Promise<{ bytes: Uint8Array; contentType?: string; digest: string; requests: number }>>();
  const once = (key: string, fetch: () => Promise<{ bytes: Uint8Array; contentType?: string; digest: string; requests: number }>): Promise<{ bytes: Uint8Array; contentType?: string; digest: string; requests: number }> => {
    const hit = cache.get(key);
    if (hit) return Promise.resolve({ ...hit, requests: 0 });
    let p = inflight.get(key);
    if (p) return p.then((v) => ({ ...v, requests: 0 }));
    p = fetch().then((v) => {
      remember(key, { bytes: v.bytes, contentType: v.contentType, digest: v.digest });
      return v;
    });
    inflight.set(key, p);
    const forget = (): void => void inflight.delete(key);
    p.then(forget, forget);
    return p;
  };
  const source: GraphSource = {
    async getManifest(ref, opts) {
      const fetch = async (): Promise<{ bytes: Uint8Array; contentType?: string; digest: string; requests: number }> => {
        const m = await call(() => client.getManifest(ref, opts));
        bytes += m.bytes.length;
        if (m.rateLimit) rateLimit = m.rateLimit;
        return { bytes: m.bytes, contentType: m.contentType, digest: m.digest, requests: m.requests };
      };
      return ref.digest ? once(`m ${ref.digest}`, fetch) : fetch();
    },
    async getBlob(ref, digest, opts) {
      const b = await once(`b ${digest}`, async () => {
        const got = await call(() => client.getBlob(ref, digest, opts));
        bytes += got.bytes.length;
        return { bytes: got.bytes, digest, requests: got.requests };
      });
      return { bytes: b.bytes, requests: b.requests };
    },
    getReferrers() {
      return Promise.reject(new RegistryError('invalid-reference', 'the audit does not ask for referrers'));
    },
  };

  type Checked = { mediaType?: string; problems: AuditProblem[] };
  // Findings by digest, for the whole run: only those of checks that fetched all they asked for.
  const checkedByDigest = new Map<string, Promise<Checked>>();

  /** Fetches (unless `served`) and checks one digest of `repo`. */
  const check = async (repo: ImageReference, digest: string, served?: { bytes: Uint8Array; contentType?: string; digest: string }): Promise<Checked> => {
    const doc = served ?? (await source.getManifest({ ...repo, digest, tag: undefined }, { signal }));
    const graph = await inspectGraph(source, { ...repo, digest, tag: undefined }, doc, { signal, referrers: false, lintRoot: true, concurrency: options.concurrency ?? DEFAULT_AUDIT_CONCURRENCY });
    const problems = problemsOfGraph(graph.root, digest);
    if (graph.leftOut) {
      problems.push({ document: digest, path: '', ruleId: 'graph-incomplete', severity: AUDIT_CHECKS['graph-incomplete'].severity, message: `the graph below this document is incomplete: ${graph.leftOut.nodes} nodes not built, ${graph.leftOut.problems} problems not kept` });
    }
    let mediaType: string | undefined;
    try {
      const j = JSON.parse(new TextDecoder().decode(doc.bytes)) as { mediaType?: unknown };
      mediaType = typeof j?.mediaType === 'string' ? j.mediaType : undefined;
    } catch {
      // json-invalid says it
    }
    return { mediaType: mediaType ?? doc.contentType, problems: sortProblems(problems) };
  };

  const repoSpecific = (c: Checked): boolean => c.problems.some((p) => p.ruleId === 'child-unavailable' || p.ruleId === 'child-digest-mismatch');

  const checkDigest = async (repo: ImageReference, digest: string, served?: { bytes: Uint8Array; contentType?: string; digest: string }): Promise<Checked> => {
    const known = checkedByDigest.get(digest);
    if (known) {
      const c = await known.catch(() => undefined);
      if (c) return c;
    }
    const p = check(repo, digest, served);
    checkedByDigest.set(digest, p);
    try {
      const c = await p;
      if (repoSpecific(c)) checkedByDigest.delete(digest);
      return c;
    } catch (e) {
      checkedByDigest.delete(digest);
      throw e;
    }
  };

  /** All pages of a listing, at most `limit` names (then `more` says there were more). */
  const listAll = async (page: (next: string | undefined) => Promise<{ names: readonly string[]; next?: string; note?: string; rateLimit?: string }>, limit = Infinity): Promise<{ names: string[]; notes: string[]; more: boolean }> => {
    const names: string[] = [];
    const notes: string[] = [];
    const seen = new Set<string>();
    let next: string | undefined;
    for (let pages = 0; ; pages++) {
      const p = await page(next);
      if (p.rateLimit) rateLimit = p.rateLimit;
      if (p.note) notes.push(p.note);
      let added = 0;
      for (const n of p.names) {
        if (seen.has(n)) continue;
        seen.add(n);
        names.push(n);
        added++;
      }
      if (names.length >= limit) return { names: names.slice(0, limit), notes, more: names.length > limit || p.next !== undefined };
      if (!p.next) return { names, notes, more: false };
      if (added === 0) {
        // A next page after a page of nothing new: a registry that pages in circles.
        notes.push('a page of the listing named nothing new; the listing stops there');
        return { names, notes, more: true };
      }
      if (pages >= 100_000) {
        notes.push('the listing was stopped after 100,000 pages');
        return { names, notes, more: true };
      }
      next = p.next;
    }
  };

  // The repositories.
  const registryRef: ImageReference = { ...options.registry, tag: undefined, digest: undefined };
  let all: string[];
  const notes: string[] = [];
  if (options.repositories) {
    all = [...new Set(options.repositories)];
  } else {
    const listed = await listAll((page) =>
      call(() => listRepositories(client, registryRef, { signal, page, pageSize: options.pageSize })).then((p) => {
        bytes += p.names.reduce((t, n) => t + n.length + 3, 0);
        return p;
      }),
    maxCatalogNames);
    all = listed.names;
    notes.push(...listed.notes);
    if (listed.more && listed.names.length >= maxCatalogNames) notes.push(`the catalog was read for its first ${maxCatalogNames.toLocaleString('en-US')} repositories only; give the others with --repos`);
  }
  const names = all
    .filter((n) => underPrefix(n, options.prefix))
    .filter((n) => !options.shard || shardOf(n, options.shard.count) === options.shard.index)
    .sort(byString);
  const todo = names.filter((n) => !options.done?.has(n));
  const total = names.length;
  let doneCount = names.length - todo.length;
  let findings = 0;
  options.onProgress?.({ repositoriesDone: doneCount, repositoriesTotal: total, findings });

  const auditRepository = async (name: string): Promise<RepositoryAudit> => {
    const repo: ImageReference = { ...registryRef, repository: name };
    let listed: { names: string[]; notes: string[]; more: boolean };
    try {
      listed = await listAll(
        (page) => call(() => listTags(client, repo, { signal, page, pageSize: options.pageSize })).then((p) => {
          bytes += p.names.reduce((t, n) => t + n.length + 3, 0);
          return p;
        }),
        options.maxTags ?? defaultMaxTags,
      );
    } catch (e) {
      if (signal?.aborted) throw e;
      return { repository: name, tags: [], digests: [], error: messageOf(e) };
    }
    const repoNotes = [...listed.notes];
    if (listed.more && options.maxTags !== undefined) repoNotes.push(`only the first ${options.maxTags} tags were audited (--max-tags)`);
    else if (listed.more && listed.names.length >= defaultMaxTags) repoNotes.push(`only the first ${defaultMaxTags.toLocaleString('en-US')} tags were audited (the most without --max-tags)`);
    // Each tag's digest: HEAD, else GET (whose bytes are then checked without a second fetch).
    const served = new Map<string, { bytes: Uint8Array; contentType?: string; digest: string }>();
    const tags: AuditTag[] = await Promise.all(
      listed.names.map(async (tag): Promise<AuditTag> => {
        const ref: ImageReference = { ...repo, tag };
        try {
          const head = await call(() => client.headManifest(ref, { signal })).catch((e: unknown) => {
            if (isRegistryError(e) && (e.kind === 'rate-limited' || e.kind === 'cancelled' || e.kind === 'not-found')) throw e;
            return undefined; // HEAD refused: GET below
          });
          if (head?.rateLimit) rateLimit = head.rateLimit;
          if (head?.digest) return { tag, digest: head.digest, ...(head.mediaType ? { mediaType: head.mediaType } : {}) };
          const m = await call(() => client.getManifest(ref, { signal }));
          bytes += m.bytes.length;
          if (m.rateLimit) rateLimit = m.rateLimit;
          if (!served.has(m.digest)) served.set(m.digest, { bytes: m.bytes, contentType: m.contentType, digest: m.digest });
          return { tag, digest: m.digest, ...(m.mediaType ? { mediaType: m.mediaType } : {}) };
        } catch (e) {
          if (signal?.aborted) throw e;
          return { tag, error: messageOf(e) };
        }
      }),
    );
    const distinct = [...new Set(tags.flatMap((t) => (t.digest ? [t.digest] : [])))].sort(byString);
    const digests: { digest: string; mediaType?: string; problems: AuditProblem[] }[] = [];
    await Promise.all(
      distinct.map(async (digest) => {
        try {
          const c = await checkDigest(repo, digest, served.get(digest));
          if (c.problems.length > 0) digests.push({ digest, ...(c.mediaType ? { mediaType: c.mediaType } : {}), problems: c.problems });
        } catch (e) {
          if (signal?.aborted) throw e;
          const ruleId = isRegistryError(e) && e.kind === 'digest-mismatch' ? 'child-digest-mismatch' : 'child-unavailable';
          digests.push({ digest, problems: [{ document: digest, path: '', ruleId, severity: 'error', message: `the manifest could not be fetched: ${messageOf(e)}` }] });
        }
      }),
    );
    served.clear();
    digests.sort((a, b) => byString(a.digest, b.digest));
    return {
      repository: name,
      tags: tags.sort((a, b) => byString(a.tag, b.tag)),
      digests,
      ...(repoNotes.length ? { notes: repoNotes } : {}),
    };
  };

  const results: RepositoryAudit[] = [];
  let nextIndex = 0;
  const worker = async (): Promise<void> => {
    while (nextIndex < todo.length) {
      if (signal?.aborted) throw new RegistryError('cancelled', 'the audit was cancelled');
      const name = todo[nextIndex++];
      const r = await auditRepository(name);
      // A repository whose tag list failed is not done: a resumed run asks again.
      if (!r.error) await options.onRepository?.(r);
      results.push(r);
      doneCount++;
      findings += r.digests.reduce((t, d) => t + d.problems.length, 0);
      options.onProgress?.({ repositoriesDone: doneCount, repositoriesTotal: total, findings });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.repositoryConcurrency ?? DEFAULT_REPOSITORY_CONCURRENCY) }, worker));
  results.sort((a, b) => byString(a.repository, b.repository));
  return { repositories: results, names, notes, bytes, ...(rateLimit ? { rateLimit } : {}), rateWaits, rateWaitSeconds };
}

/** One finding of the report: a document's problem, with the repository and every tag that points at it. */
export interface AuditFinding extends AuditProblem {
  readonly repository: string;
  /** The tags of the repository that resolve to `digest`, sorted. */
  readonly tags: readonly string[];
  /** The tagged digest (the finding is in it, or in `document` below it). */
  readonly digest: string;
}

/** The audit's report (`--format json`); `run` holds what differs between runs of the same audit. */
export interface AuditReport {
  readonly registry: string;
  readonly prefix?: string;
  /** The shards this report covers: `I/N` each (one for a shard's report, all N for a merged one). */
  readonly shards?: readonly string[];
  readonly repositories: readonly RepositoryAudit[];
  readonly findings: readonly AuditFinding[];
  readonly totals: {
    readonly repositories: number;
    /** Repositories whose tag list could not be had. */
    readonly failedRepositories: number;
    readonly tags: number;
    /** Tags whose digest could not be had. */
    readonly failedTags: number;
    /** Distinct tagged digests (registry-wide). */
    readonly manifests: number;
    readonly findings: number;
    readonly bySeverity: Readonly<Record<Severity, number>>;
  };
  readonly run: {
    /** HTTP requests sent by this run (token requests included), and those the rate gate kept back. */
    readonly requests: number;
    readonly notSent: number;
    readonly bytes: number;
    readonly seconds: number;
    /** Repositories taken from the journal (--state) instead of asked about again. */
    readonly resumed: number;
    readonly rateLimit?: string;
    readonly rateWaits: number;
    readonly rateWaitSeconds: number;
    readonly notes?: readonly string[];
  };
}

/** The findings of repositories, one per problem with the tags pointing at its digest, sorted by repository, first tag, digest, problem. */
export function findingsOf(repositories: readonly RepositoryAudit[]): AuditFinding[] {
  const out: AuditFinding[] = [];
  for (const r of [...repositories].sort((a, b) => byString(a.repository, b.repository))) {
    const tagsOf = new Map<string, string[]>();
    for (const t of r.tags) if (t.digest) tagsOf.set(t.digest, [...(tagsOf.get(t.digest) ?? []), t.tag]);
    const groups = r.digests.map((d) => ({ d, tags: (tagsOf.get(d.digest) ?? []).sort(byString) }));
    groups.sort((a, b) => byString(a.tags[0] ?? '', b.tags[0] ?? '') || byString(a.d.digest, b.d.digest));
    for (const { d, tags } of groups) for (const p of d.problems) out.push({ repository: r.repository, tags, digest: d.digest, ...p });
  }
  return out;
}

/** The report of repositories (this run's and the journal's); `run` as measured. */
export function auditReport(
  head: { registry: string; prefix?: string; shards?: readonly string[] },
  repositories: readonly RepositoryAudit[],
  run: AuditReport['run'],
): AuditReport {
  const sorted = [...repositories].sort((a, b) => byString(a.repository, b.repository));
  const findings = findingsOf(sorted);
  const bySeverity: Record<Severity, number> = { error: 0, warning: 0, info: 0, hint: 0 };
  for (const f of findings) bySeverity[f.severity]++;
  const digests = new Set<string>();
  let tags = 0;
  let failedTags = 0;
  for (const r of sorted) {
    for (const t of r.tags) {
      tags++;
      if (t.digest) digests.add(t.digest);
      else failedTags++;
    }
  }
  return {
    registry: head.registry,
    ...(head.prefix ? { prefix: head.prefix } : {}),
    ...(head.shards?.length ? { shards: [...head.shards].sort(byString) } : {}),
    repositories: sorted,
    findings,
    totals: {
      repositories: sorted.length,
      failedRepositories: sorted.filter((r) => r.error !== undefined).length,
      tags,
      failedTags,
      manifests: digests.size,
      findings: findings.length,
      bySeverity,
    },
    run,
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const optionalString = (v: unknown): boolean => v === undefined || typeof v === 'string';

/**
 * Whether a value read back (a journal line, a report to merge) is a RepositoryAudit all the way
 * down: what the report is built from must not throw on a `null` tag or a problem without a
 * severity, nor count a severity no table has.
 */
export function isRepositoryAudit(v: unknown): v is RepositoryAudit {
  if (!isObject(v) || typeof v.repository !== 'string' || !Array.isArray(v.tags) || !Array.isArray(v.digests)) return false;
  if (!optionalString(v.error) || !(v.notes === undefined || (Array.isArray(v.notes) && v.notes.every((n) => typeof n === 'string')))) return false;
  if (!v.tags.every((t) => isObject(t) && typeof t.tag === 'string' && optionalString(t.digest) && optionalString(t.mediaType) && optionalString(t.error))) return false;
  return v.digests.every((d) => isObject(d) && typeof d.digest === 'string' && optionalString(d.mediaType) && Array.isArray(d.problems) && d.problems.every((p) =>
    isObject(p) && typeof p.document === 'string' && typeof p.path === 'string' && typeof p.ruleId === 'string' && typeof p.message === 'string' &&
    typeof p.severity === 'string' && Object.prototype.hasOwnProperty.call(SEVERITY_ORDER, p.severity) && optionalString(p.platform) &&
    (p.line === undefined || Number.isSafeInteger(p.line)) && (p.column === undefined || Number.isSafeInteger(p.column))));
}

/** A shard as the CLI takes it (`I/N`, 0 <= I < N, six digits at most): its index and count, or undefined. */
export function parseShard(text: unknown): { index: number; count: number } | undefined {
  const m = typeof text === 'string' ? /^([0-9]{1,6})\/([0-9]{1,6})$/.exec(text) : null;
  if (!m) return undefined;
  const index = Number(m[1]);
  const count = Number(m[2]);
  return count >= 1 && index < count ? { index, count } : undefined;
}

/** The most missing shards named one by one in the merged report's note. */
const MAX_MISSING_SHARDS_NAMED = 20;

/**
 * Shard reports merged into one: the repositories of all (a repository in two reports is kept
 * once, from the first), findings and totals computed again as for one run, the runs' costs
 * summed (seconds: the longest). Throws with a message when they are not of one audit (another
 * registry or prefix).
 */
export function mergeAuditReports(reports: readonly AuditReport[]): AuditReport {
  if (reports.length === 0) throw new Error('nothing to merge');
  const first = reports[0];
  const byName = new Map<string, RepositoryAudit>();
  const shards = new Set<string>();
  const notes: string[] = [];
  reports.forEach((r, i) => {
    // Reports are files: each is checked before a field of it is used.
    const which = `report ${i + 1}`;
    if (!isObject(r) || typeof r.registry !== 'string' || !optionalString(r.prefix) || !Array.isArray(r.repositories) || !isObject(r.run)) throw new Error(`${which} is not a report of \`audit --format json\``);
    if (r.shards !== undefined && (!Array.isArray(r.shards) || !r.shards.every((x) => parseShard(x)))) {
      throw new Error(`${which}: its shards must each be I/N with 0 <= I < N (at most 6 digits), got ${JSON.stringify(r.shards).slice(0, 100)}`);
    }
    const bad = r.repositories.findIndex((x) => !isRepositoryAudit(x));
    if (bad >= 0) throw new Error(`${which}: repository #${bad + 1} is not a repository's result`);
    const run = r.run as unknown as Record<string, unknown>;
    for (const k of ['requests', 'notSent', 'bytes', 'seconds', 'resumed', 'rateWaits', 'rateWaitSeconds']) {
      if (typeof run[k] !== 'number' || !Number.isFinite(run[k] as number) || (run[k] as number) < 0) throw new Error(`${which}: run.${k} is not a number`);
    }
    if (!optionalString(run.rateLimit) || !(run.notes === undefined || (Array.isArray(run.notes) && run.notes.every((n) => typeof n === 'string')))) throw new Error(`${which}: run.notes or run.rateLimit is not text`);
  });
  for (const r of reports) {
    if (r.registry !== first.registry || (r.prefix ?? '') !== (first.prefix ?? '')) {
      throw new Error(`the reports are of different audits: ${first.registry}${first.prefix ? `/${first.prefix}` : ''} and ${r.registry}${r.prefix ? `/${r.prefix}` : ''}`);
    }
    for (const s of r.shards ?? []) {
      if (shards.has(s)) notes.push(`shard ${s} is in more than one report`);
      shards.add(s);
    }
    for (const repo of r.repositories) if (!byName.has(repo.repository)) byName.set(repo.repository, repo);
    notes.push(...(r.run.notes ?? []));
  }
  const counts = [...shards].map((s) => Number(s.split('/')[1]));
  const n = counts[0];
  if (n !== undefined && counts.every((c) => c === n)) {
    const missing: string[] = [];
    let count = 0;
    for (let i = 0; i < n; i++) {
      if (shards.has(`${i}/${n}`)) continue;
      count++;
      if (missing.length < MAX_MISSING_SHARDS_NAMED) missing.push(`${i}/${n}`);
    }
    if (count) notes.push(`shard${count === 1 ? '' : 's'} ${missing.join(', ')}${count > missing.length ? `, … (${count.toLocaleString('en-US')} in all)` : ''} missing: the report covers part of the registry`);
  }
  const sum = (f: (r: AuditReport['run']) => number): number => reports.reduce((t, r) => t + f(r.run), 0);
  const rateLimit = reports.map((r) => r.run.rateLimit).find((x) => x !== undefined);
  return auditReport({ registry: first.registry, prefix: first.prefix, shards: [...shards] }, [...byName.values()], {
    requests: sum((r) => r.requests),
    notSent: sum((r) => r.notSent),
    bytes: sum((r) => r.bytes),
    seconds: Math.max(...reports.map((r) => r.run.seconds)),
    resumed: sum((r) => r.resumed),
    ...(rateLimit ? { rateLimit } : {}),
    rateWaits: sum((r) => r.rateWaits),
    rateWaitSeconds: sum((r) => r.rateWaitSeconds),
    ...(notes.length ? { notes: [...new Set(notes)] } : {}),
  });
}
