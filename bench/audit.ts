/**
 * The audit section (issue 21): `manifest-lens audit` of a Debian docker-registry on 127.0.0.1
 * against its floor, the same requests made by a bare undici loop at the same concurrency
 * (bench/auditFloor.ts), both whole processes, interleaved, in one run. The registry is seeded
 * over the HTTP API by test/harness/auditSeed.ts (300 clean repositories of 5 tags sharing
 * digests, and the planted broken images); the 3,000-repository registry is the same storage
 * with its repositories copied on disk nine more times under other names (distribution reads
 * repositories, tags and links from its filesystem; the blobs are shared), so seeding it takes
 * seconds instead of minutes. Peak RSS is GNU time's %M, CPU time its %U + %S. The storage is on
 * /dev/shm where there is one.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isolatedEnv } from '../test/harness/cli';
import { seedAuditRegistry } from '../test/harness/auditSeed';
import { startRegistry } from '../test/harness/registry';
import { DEFAULT_REPOSITORY_CONCURRENCY } from '../server/src/graph/audit';
import { median } from './cli';

const CONCURRENCY = 8;
const RUNS = 3;
/** Copies of the seeded repositories for the large registry: 1 + COPIES times as many. */
const COPIES = 9;

interface Timed {
  readonly ms: number;
  readonly rssMiB: number;
  /** CPU time of the process (user + system), s: what the client costs, whatever else the machine runs. */
  readonly cpu: number;
  readonly requests: number;
  readonly tags: number;
  readonly repositories: number;
  readonly findings?: number;
}

function timed(file: string, args: readonly string[], env: NodeJS.ProcessEnv, parse: (stdout: string) => Omit<Timed, 'ms' | 'rssMiB' | 'cpu'>): Timed {
  const wrap = existsSync('/usr/bin/time');
  const [f, a] = wrap ? ['/usr/bin/time', ['-f', '%M %U %S', file, ...args]] : [file, args];
  const t0 = performance.now();
  const r = spawnSync(f, a, { env, encoding: 'utf8', timeout: 600_000, maxBuffer: 1 << 30 });
  const ms = performance.now() - t0;
  if (r.status !== 0 && r.status !== 1) throw new Error(`${file} ${args.join(' ')} failed (${r.status ?? r.signal}): ${String(r.stderr).slice(-2000)}`);
  const m = wrap ? /(\d+) ([\d.]+) ([\d.]+)\s*$/.exec(String(r.stderr).trim()) : null;
  return { ms, rssMiB: m ? Number(m[1]) / 1024 : NaN, cpu: m ? Number(m[2]) + Number(m[3]) : NaN, ...parse(r.stdout) };
}

export async function auditSection(root: string, options: { large: boolean }): Promise<{ table: string; summary: string[] }> {
  // The registry's storage in memory where there is a tmpfs: on this VM's disk, removing the
  // copied repositories' tens of thousands of files took minutes (ext4 discards each one).
  const tmp = process.env.TMPDIR;
  if (existsSync('/dev/shm')) process.env.TMPDIR = '/dev/shm';
  const registry = await startRegistry({ auth: 'none' }).finally(() => {
    if (tmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = tmp;
  });
  const home = isolatedEnv();
  try {
    let t0 = performance.now();
    const seed = await seedAuditRegistry(registry.url, { cleanRepositories: 300 });
    const seedSeconds = (performance.now() - t0) / 1000;
    console.error(`audit bench: seeded ${seed.repositories.length} repositories, ${seed.tags} tags in ${seedSeconds.toFixed(1)} s`);
    const cli = join(root, 'dist', 'cli.js');
    const floor = join(root, 'dist', 'bench-audit-floor.js');
    const audit = (): Timed =>
      timed(process.execPath, [cli, 'audit', registry.host, '--no-creds', '--concurrency', String(CONCURRENCY), '--format', 'json'], home.env, (out) => {
        const j = JSON.parse(out) as { totals: { repositories: number; tags: number; findings: number }; run: { requests: number } };
        return { requests: j.run.requests, tags: j.totals.tags, repositories: j.totals.repositories, findings: j.totals.findings };
      });
    const bare = (): Timed =>
      timed(process.execPath, [floor, registry.host, String(CONCURRENCY), String(DEFAULT_REPOSITORY_CONCURRENCY)], home.env, (out) => {
        const j = JSON.parse(out) as { repositories: number; tags: number; requests: number };
        return { requests: j.requests, tags: j.tags, repositories: j.repositories };
      });
    // Run 0 warms the registry's and the OS's caches; then interleaved.
    const small = { audit: [] as Timed[], floor: [] as Timed[] };
    for (let r = 0; r <= RUNS; r++) {
      const a = audit();
      const f = bare();
      console.error(`audit bench: run ${r}: audit ${(a.ms / 1000).toFixed(2)} s, floor ${(f.ms / 1000).toFixed(2)} s`);
      if (r > 0) {
        small.audit.push(a);
        small.floor.push(f);
      }
    }
    let large: { audit: Timed; floor: Timed; seedSeconds: number } | undefined;
    if (options.large) {
      // The repositories' folders copied under other names: the same links, no new blobs.
      t0 = performance.now();
      const repos = join(registry.dir, 'storage', 'docker', 'registry', 'v2', 'repositories');
      const tops = readdirSync(repos);
      for (let c = 1; c <= COPIES; c++) {
        for (const top of tops) {
          // cp(1): Node's cpSync takes minutes for these tens of thousands of small files.
          const r = spawnSync('cp', ['-a', join(repos, top), join(repos, `copy${c}-${top}`)], { encoding: 'utf8' });
          if (r.status !== 0) throw new Error(`cp failed: ${r.stderr}`);
        }
      }
      console.error(`audit bench: ${tops.length * (COPIES + 1)} top-level folders of repositories`);
      const copySeconds = (performance.now() - t0) / 1000;
      const f = bare();
      const a = audit();
      console.error(`audit bench: large: audit ${(a.ms / 1000).toFixed(2)} s, floor ${(f.ms / 1000).toFixed(2)} s`);
      large = { audit: a, floor: f, seedSeconds: copySeconds };
    }
    const row = (what: string, t: Timed[] | Timed, base: number): string => {
      const list = Array.isArray(t) ? t : [t];
      const ms = median(list.map((x) => x.ms));
      const x = list[0];
      return `| ${what} | ${x.repositories} | ${x.tags} | ${x.requests} | ${(ms / 1000).toFixed(2)} | ${(ms / base).toFixed(2)}× | ${median(list.map((y) => y.cpu)).toFixed(2)} | ${median(list.map((y) => y.rssMiB)).toFixed(0)} |`;
    };
    const floorMs = median(small.floor.map((x) => x.ms));
    const auditMs = median(small.audit.map((x) => x.ms));
    const ratio = auditMs / floorMs;
    const rows = [
      row(`\`audit --concurrency ${CONCURRENCY} --format json\` (${seed.digests} distinct tagged manifests, ${small.audit[0].findings} findings)`, small.audit, floorMs),
      row(`undici alone, the same requests, ${CONCURRENCY} in flight, ${DEFAULT_REPOSITORY_CONCURRENCY} repositories at a time`, small.floor, floorMs),
    ];
    if (large) {
      rows.push(row(`\`audit\`, the registry ×${COPIES + 1} (${large.audit.findings} findings)`, large.audit, large.floor.ms));
      rows.push(row('undici alone, the same requests', large.floor, large.floor.ms));
    }
    const table = [
      `| ${RUNS} interleaved runs (the large registry: one) | repositories | tags | requests | wall time (s) | × floor | CPU time (s) | peak RSS (MiB) |`,
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      ...rows,
      '',
      `Seeded over the HTTP API in ${seedSeconds.toFixed(1)} s${large ? `; the ×${COPIES + 1} registry by copying its repositories' folders on disk in ${large.seedSeconds.toFixed(1)} s` : ' (the ×10 registry left out: `--no-audit-large`)'}.`,
    ].join('\n');
    const verdict = ratio <= 1.3 ? 'met' : '**NOT met**';
    const summary = [
      `- \`audit\` of ${small.audit[0].repositories} repositories, ${small.audit[0].tags} tags: ${(auditMs / 1000).toFixed(2)} s = ${ratio.toFixed(2)}× the floor's ${(floorMs / 1000).toFixed(2)} s (target ≤ 1.3×: ${verdict}); peak RSS ${median(small.audit.map((x) => x.rssMiB)).toFixed(0)} MiB` +
        (large ? `, ${large.audit.rssMiB.toFixed(0)} MiB at ${large.audit.repositories} repositories and ${large.audit.tags} tags (${(large.audit.ms / large.floor.ms).toFixed(2)}× its floor)` : ''),
    ];
    return { table, summary };
  } finally {
    await registry.stop();
    home.cleanup();
  }
}
