/**
 * `manifest-lens audit REGISTRY[/PREFIX]`: every repository (the catalog, or --repos) and every
 * tag of a registry checked (server/src/graph/audit.ts): each distinct digest fetched and linted
 * once, its children to the bottom, every tag pointing at it given its findings. With --state a
 * journal (graph/auditState.ts) makes the run resumable after a kill; --shard I/N takes the
 * repositories whose name hashes to I of N; `audit --merge A.json B.json …` merges shard reports.
 *
 *   audit [--repos FILE|-] [--concurrency N] [--state FILE] [--shard I/N] [--format text|json|sarif]
 *         [--fail-on SEVERITY] [--max-tags N] [--page-size N] [--insecure HOST]… [--no-creds] [--timeout SECONDS] REGISTRY[/PREFIX]
 *   audit --merge [--format json|text|sarif] [--fail-on SEVERITY] REPORT.json…
 *
 * Exit codes: 0 no finding at --fail-on (default error) or worse, 1 one is, 2 usage (a bad state
 * file too), 3 the registry could not be reached at all (no repository list, or every repository failed).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { SEVERITY_ORDER, type Severity } from '../engine/types';
import { sarifOfAudit } from '../graph/auditSarif';
import { auditRegistry, auditReport, mergeAuditReports, type AuditReport, type RepositoryAudit } from '../graph/audit';
import { openJournal, type Journal } from '../graph/auditState';
import { isRegistryError, parseReference } from '../registry';
import { parseFailOn, type FailOn } from './failOn';
import { parseWholeNumber } from './graphArgs';
import { applyRegistryOption, type RegistryOptions } from './inspectCommand';
import { programName } from './program';
import { oneLine, openSession } from './registrySession';
import { echoed, safeWriter, terminalSafe } from './terminalText';

declare const MANIFEST_LENS_VERSION: string | undefined;
const VERSION = typeof MANIFEST_LENS_VERSION === 'string' ? MANIFEST_LENS_VERSION : 'dev';

const USAGE = (): string => `usage: ${programName()} audit [--repos FILE|-] [--concurrency N] [--state FILE] [--shard I/N] [--format text|json|sarif] [--fail-on error|warning|info|hint|never] [--max-tags N] [--page-size N] [--insecure HOST]… [--no-creds] [--timeout SECONDS] REGISTRY[/PREFIX]
       ${programName()} audit --merge [--format json|text|sarif] [--fail-on SEVERITY] REPORT.json…
`;

export interface AuditCliOptions extends RegistryOptions {
  readonly positional: string[];
  format: 'text' | 'json' | 'sarif';
  failOn: FailOn;
  merge: boolean;
  repos?: string;
  state?: string;
  shard?: { index: number; count: number };
  concurrency?: number;
  maxTags?: number;
  pageSize?: number;
}

/** Parses the arguments; a string is the usage error. */
export function parseAuditArgs(args: readonly string[]): AuditCliOptions | string {
  const o: AuditCliOptions = { positional: [], format: 'text', failOn: 'error', merge: false, noCreds: false, insecureHosts: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string | undefined => (eq > 0 ? arg.slice(eq + 1) : args[++i]);
    if (name === '--platform') return `unknown option ${arg}`;
    const applied = applyRegistryOption(name, value, o);
    if (typeof applied === 'string') return applied;
    if (applied) continue;
    const number = (min: number, max: number): number | string => parseWholeNumber(name, value(), min, max);
    switch (name) {
      case '--merge':
        o.merge = true;
        break;
      case '--format': {
        const v = value();
        if (v !== 'text' && v !== 'json' && v !== 'sarif') return `--format must be text, json or sarif, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`;
        o.format = v;
        break;
      }
      case '--fail-on': {
        const p = parseFailOn(value());
        if ('error' in p) return p.error;
        o.failOn = p.failOn;
        break;
      }
      case '--repos': {
        const v = value();
        if (!v) return '--repos expects a file of repository names (one a line), or - for standard input';
        o.repos = v;
        break;
      }
      case '--state': {
        const v = value();
        if (!v) return '--state expects a file (the journal of the audit)';
        o.state = v;
        break;
      }
      case '--shard': {
        const v = value();
        const m = v === undefined ? null : /^([0-9]{1,6})\/([0-9]{1,6})$/.exec(v);
        const index = m ? Number(m[1]) : NaN;
        const count = m ? Number(m[2]) : NaN;
        if (!m || count < 1 || index >= count) return `--shard expects I/N with 0 <= I < N (e.g. 0/3, as JOB_COMPLETION_INDEX), got ${v === undefined ? 'nothing' : JSON.stringify(v)}`;
        o.shard = { index, count };
        break;
      }
      case '--concurrency':
      case '--max-tags':
      case '--page-size': {
        const n = name === '--concurrency' ? number(1, 64) : number(1, name === '--page-size' ? 10_000 : 1_000_000);
        if (typeof n === 'string') return n;
        if (name === '--concurrency') o.concurrency = n;
        else if (name === '--max-tags') o.maxTags = n;
        else o.pageSize = n;
        break;
      }
      case '--':
        o.positional.push(...args.slice(i + 1));
        i = args.length;
        break;
      default:
        if (arg.startsWith('-') && arg !== '-') return `unknown option ${arg}`;
        o.positional.push(arg);
    }
  }
  return o;
}

/** REGISTRY[/PREFIX]: the registry (a host: a dot, a port or localhost) and the prefix; a string is the usage error. */
export function parseTarget(target: string): { registry: string; prefix?: string } | string {
  const slash = target.indexOf('/');
  const registry = slash < 0 ? target : target.slice(0, slash);
  const prefix = slash < 0 ? '' : target.slice(slash + 1).replace(/\/+$/, '');
  if (!/[.:]/.test(registry) && registry !== 'localhost') return `audit: ${terminalSafe(registry.slice(0, 100))} is not a registry host (write it with a dot or a port, e.g. registry.example.com or 127.0.0.1:5000)`;
  try {
    parseReference(`${registry}/${prefix || 'x'}`);
  } catch (e) {
    return `audit: ${oneLine(e instanceof Error ? e.message : String(e))}`;
  }
  return { registry, ...(prefix ? { prefix } : {}) };
}

/** The most bytes read of a --repos list and of a report to merge: /dev/zero or an endless pipe stops there. */
export const MAX_REPOS_BYTES = 64 * 1024 * 1024;
export const MAX_REPORT_BYTES = 128 * 1024 * 1024;

/** A file's text (`-`: standard input), read to at most `max` bytes; throws past that (or on an I/O error). */
function readText(file: string, max: number): string {
  const fd = file === '-' ? 0 : openSync(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1024 * 1024, max + 1 - total));
      let n: number;
      try {
        n = readSync(fd, chunk, 0, chunk.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10); // a non-blocking stdin with nothing yet
        continue;
      }
      if (n === 0) return Buffer.concat(chunks, total).toString('utf8');
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > max) throw new Error(`larger than ${max / (1024 * 1024)} MiB (stopped reading there)`);
    }
  } finally {
    if (fd !== 0) closeSync(fd);
  }
}

// A repository name (distribution-spec), as registry/listing.ts checks the catalog's.
const REPOSITORY = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;

/** Names of a --repos list: one a line, blanks and `#` comments skipped; a string is the first line that is not a repository name. */
export function readRepos(file: string): string[] | string {
  const text = readText(file, MAX_REPOS_BYTES);
  const names: string[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i].trim();
    if (!l || l.startsWith('#')) continue;
    if (l.length > 255 || !REPOSITORY.test(l)) return `line ${i + 1} is not a repository name (lower-case path components, no tag or digest): ${echoed(l, 100)}`;
    names.push(l);
  }
  return names;
}

/** The report as SARIF 2.1.0 (graph/auditSarif.ts), with this program's version. */
export function auditSarif(report: AuditReport): object {
  return sarifOfAudit(report, VERSION);
}

/** The report as text, grouped by repository: each finding on a line with its tags, digest and place. Every registry value escaped. */
export function auditText(report: AuditReport): string {
  const lines: string[] = [];
  const byRepo = new Map<string, typeof report.findings[number][]>();
  for (const f of report.findings) byRepo.set(f.repository, [...(byRepo.get(f.repository) ?? []), f]);
  for (const r of report.repositories) {
    const findings = byRepo.get(r.repository) ?? [];
    const failedTags = r.tags.filter((t) => t.error !== undefined);
    if (findings.length === 0 && !r.error && failedTags.length === 0 && !r.notes?.length) continue;
    lines.push(`${terminalSafe(`${report.registry}/${r.repository}`)}  (${r.tags.length} tag${r.tags.length === 1 ? '' : 's'})`);
    if (r.error) lines.push(`  ✖ the repository could not be audited: ${terminalSafe(oneLine(r.error))}`);
    for (const n of r.notes ?? []) lines.push(`  note: ${terminalSafe(oneLine(n))}`);
    for (const t of failedTags) lines.push(`  ${terminalSafe(t.tag)}: not resolved: ${terminalSafe(oneLine(t.error!))}`);
    for (const f of findings) {
      // A journal or a report to merge is a file: its digests are text like any other.
      const where = [f.tags.length ? f.tags.map((t) => terminalSafe(t)).join(',') : '(untagged)', terminalSafe(f.digest), f.path ? terminalSafe(f.path) : ''].filter(Boolean).join('  ');
      const place = f.line !== undefined ? ` (${f.line}:${f.column ?? 1})` : '';
      lines.push(`  ${where}: ${f.severity} ${terminalSafe(f.ruleId)}${place} ${terminalSafe(oneLine(f.message))}`);
    }
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

function summary(report: AuditReport): string {
  const t = report.totals;
  const r = report.run;
  const sev = (['error', 'warning', 'info', 'hint'] as const).map((s) => `${t.bySeverity[s]} ${s}`).join(', ');
  const parts = [
    `audit of ${terminalSafe(report.registry)}${report.prefix ? `/${terminalSafe(report.prefix)}` : ''}${report.shards?.length ? ` (shard ${report.shards.join(', ')})` : ''}: ${t.repositories} repositor${t.repositories === 1 ? 'y' : 'ies'}` +
      `${t.failedRepositories ? ` (${t.failedRepositories} failed)` : ''}, ${t.tags} tag${t.tags === 1 ? '' : 's'}${t.failedTags ? ` (${t.failedTags} not resolved)` : ''}, ${t.manifests} distinct manifest${t.manifests === 1 ? '' : 's'}; findings: ${sev}`,
    `  ${r.requests} request${r.requests === 1 ? '' : 's'}${r.notSent ? ` (${r.notSent} held back after a 429)` : ''}, ${(r.bytes / 1024).toFixed(1)} KiB, ${r.seconds.toFixed(1)} s` +
      `${r.resumed ? `; ${r.resumed} repositor${r.resumed === 1 ? 'y' : 'ies'} from the journal` : ''}${r.rateWaits ? `; waited ${r.rateWaits} time${r.rateWaits === 1 ? '' : 's'} (${r.rateWaitSeconds} s) for the registry's rate limit` : ''}`,
  ];
  if (r.rateLimit) parts.push(`  registry rate limit: ${terminalSafe(r.rateLimit)}`);
  for (const n of r.notes ?? []) parts.push(`  note: ${terminalSafe(oneLine(n))}`);
  return parts.join('\n') + '\n';
}

function exitCode(report: AuditReport, failOn: FailOn): 0 | 1 {
  if (failOn === 'never') return 0;
  return (Object.keys(report.totals.bySeverity) as Severity[]).some((s) => report.totals.bySeverity[s] > 0 && SEVERITY_ORDER[s] <= SEVERITY_ORDER[failOn]) ? 1 : 0;
}

function write(report: AuditReport, options: AuditCliOptions, out: NodeJS.WritableStream, err: NodeJS.WritableStream): 0 | 1 {
  if (options.format === 'json') out.write(JSON.stringify(report, null, 2) + '\n');
  else if (options.format === 'sarif') out.write(JSON.stringify(auditSarif(report), null, 2) + '\n');
  else safeWriter(out).write(auditText(report));
  err.write(summary(report));
  return exitCode(report, options.failOn);
}

function runMerge(options: AuditCliOptions, out: NodeJS.WritableStream, err: NodeJS.WritableStream): number {
  if (options.positional.length === 0) {
    err.write(`audit --merge: no report given\n${USAGE()}`);
    return 2;
  }
  const reports: AuditReport[] = [];
  for (const file of options.positional) {
    try {
      const r = JSON.parse(readText(file, MAX_REPORT_BYTES)) as AuditReport;
      if (!r || typeof r.registry !== 'string' || !Array.isArray(r.repositories) || !r.run) throw new Error('not a report of `audit --format json`');
      reports.push(r);
    } catch (e) {
      err.write(`audit --merge: ${terminalSafe(file)}: ${oneLine(e instanceof Error ? e.message : String(e))}\n`);
      return 2;
    }
  }
  try {
    return write(mergeAuditReports(reports), options, out, err);
  } catch (e) {
    err.write(`audit --merge: ${oneLine(e instanceof Error ? e.message : String(e))}\n`);
    return 2;
  }
}

/** A progress line on a terminal's stderr, rewritten in place; nothing in a pipe. */
function progressLine(err: NodeJS.WritableStream): { update(text: string): void; clear(): void } {
  let tty = false;
  try {
    tty = (err as { isTTY?: boolean }).isTTY === true && !process.env.CI;
  } catch {
    tty = false;
  }
  let shown = false;
  let last = 0;
  return {
    update(text) {
      if (!tty) return;
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      shown = true;
      err.write(`\r\x1b[2K${text}`);
    },
    clear() {
      if (tty && shown) err.write('\r\x1b[2K');
    },
  };
}

/** Runs `audit` with its arguments; never throws; resolves to the exit code. */
export async function runAudit(args: string[], out: NodeJS.WritableStream, rawErr: NodeJS.WritableStream): Promise<number> {
  const err = safeWriter(rawErr);
  const options = parseAuditArgs(args);
  if (typeof options === 'string') {
    err.write(`audit: ${options}\n${USAGE()}`);
    return 2;
  }
  if (options.merge) return runMerge(options, out, err);
  if (options.positional.length !== 1) {
    err.write(`audit: ${options.positional.length === 0 ? 'no registry given' : `one registry at a time, got ${options.positional.length}`}\n${USAGE()}`);
    return 2;
  }
  const target = parseTarget(options.positional[0]);
  if (typeof target === 'string') {
    err.write(`${target}\n${USAGE()}`);
    return 2;
  }
  let repositories: string[] | undefined;
  if (options.repos) {
    try {
      const read = readRepos(options.repos);
      if (typeof read === 'string') {
        err.write(`audit: --repos ${terminalSafe(options.repos)}: ${read}\n`);
        return 2;
      }
      repositories = read;
    } catch (e) {
      err.write(`audit: --repos ${terminalSafe(options.repos)}: ${(e as NodeJS.ErrnoException).code ?? oneLine((e as Error).message)}\n`);
      return 2;
    }
  }
  const shardText = options.shard ? `${options.shard.index}/${options.shard.count}` : undefined;
  let journal: Journal | undefined;
  if (options.state) {
    const j = openJournal(options.state, {
      registry: target.registry,
      ...(target.prefix ? { prefix: target.prefix } : {}),
      ...(shardText ? { shard: shardText } : {}),
      ...(options.maxTags !== undefined ? { maxTags: options.maxTags } : {}),
    });
    if (typeof j === 'string') {
      err.write(`audit: --state: ${oneLine(j)}\n`);
      return 2;
    }
    journal = j;
  }
  const session = openSession('audit', { ...options, reference: `${target.registry}/${target.prefix || 'x'}` }, err);
  if (session === 2) {
    journal?.close();
    return 2;
  }
  const { ref, client } = session;
  const started = performance.now();
  const progress = progressLine(rawErr);
  const fromJournal = journal ? [...journal.done.values()] : [];
  try {
    const run = await auditRegistry(client, {
      registry: ref,
      prefix: target.prefix,
      repositories,
      concurrency: options.concurrency,
      maxTags: options.maxTags,
      pageSize: options.pageSize,
      shard: options.shard,
      done: journal ? new Set(journal.done.keys()) : undefined,
      onRepository: journal ? (r) => journal!.append(r) : undefined,
      onProgress: (p) => {
        const s = (performance.now() - started) / 1000;
        const requests = client.stats.requests;
        progress.update(`audit: ${p.repositoriesDone}/${p.repositoriesTotal} repositories, ${requests} requests, ${p.findings} findings, ${s > 0 ? (requests / s).toFixed(0) : 0} req/s`);
      },
      onRateWait: (seconds) => progress.update(`audit: the registry answered 429; waiting ${seconds} s`),
    });
    progress.clear();
    // The journal's results of the repositories this run covers, with this run's.
    const covered = new Set(run.names);
    const earlier = fromJournal.filter((r) => covered.has(r.repository));
    const all: RepositoryAudit[] = [...earlier, ...run.repositories];
    const report = auditReport({ registry: ref.registry, prefix: target.prefix, shards: shardText ? [shardText] : undefined }, all, {
      requests: client.stats.requests,
      notSent: client.stats.refused,
      bytes: run.bytes,
      seconds: Math.round((performance.now() - started) / 100) / 10,
      resumed: earlier.length,
      ...(run.rateLimit ? { rateLimit: run.rateLimit } : {}),
      rateWaits: run.rateWaits,
      rateWaitSeconds: run.rateWaitSeconds,
      ...(run.notes.length ? { notes: run.notes } : {}),
    });
    const code = write(report, options, out, err);
    // Not reached at all: every repository of this run failed (none was journalled as done before).
    if (run.repositories.length > 0 && earlier.length === 0 && run.repositories.every((r) => r.error !== undefined)) {
      err.write(`audit: no repository of ${terminalSafe(ref.registry)} could be audited\n`);
      return 3;
    }
    return code;
  } catch (e) {
    progress.clear();
    const listing = repositories ? '' : ' (its catalog lists the repositories; for a registry without one, give them with --repos)';
    err.write(`audit: ${terminalSafe(ref.registry)} could not be audited${listing}: ${oneLine(e instanceof Error ? e.message : String(e))}\n`);
    return isRegistryError(e) && e.kind === 'invalid-reference' ? 2 : 3;
  } finally {
    journal?.close();
    await client.close().catch(() => undefined);
  }
}
