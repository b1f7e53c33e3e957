/**
 * The CLI's cold start, as a user or a CI step feels it: wall time of whole processes, spawned
 * one after the other and interleaved (node -e 0, lint, inspect, skopeo, then again), against a
 * real docker-registry on 127.0.0.1 seeded with the sample images (test/harness). Peak RSS
 * comes from GNU time's %M when /usr/bin/time is installed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isolatedEnv } from '../test/harness/cli';
import { startRegistry } from '../test/harness/registry';
import { seedSamples } from '../test/harness/seed';
import { skopeoBinary } from '../test/harness/tools';

const RUNS = 21;

/** The median of some numbers. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

interface Command {
  readonly name: string;
  readonly file: string;
  readonly args: readonly string[];
  /** Exit codes that mean it worked (lint exits 1 when it finds something). */
  readonly ok: readonly number[];
}

export async function cliSection(root: string): Promise<{ table: string; summary: string[] }> {
  const registry = await startRegistry({ auth: 'none' });
  const home = isolatedEnv();
  try {
    const seeds = await seedSamples(registry.url);
    const small = seeds.podman22196.amd64;
    const cli = join(root, 'dist', 'cli.js');
    const skopeo = skopeoBinary();
    const commands: Command[] = [
      { name: '`node -e 0`', file: process.execPath, args: ['-e', '0'], ok: [0] },
      { name: '`lint` samples/podman-22196-child.json', file: process.execPath, args: [cli, 'lint', join(root, 'samples', 'podman-22196-child.json')], ok: [0, 1] },
      { name: `\`inspect\` of a ${small.size}-byte manifest`, file: process.execPath, args: [cli, 'inspect', '--no-creds', small.byDigest], ok: [0] },
      // The floor under `inspect`: the same GET and digest check with undici alone (bench/undiciFloor.ts).
      { name: 'undici alone: the same GET, hashed and checked (no Manifest Lens code)', file: process.execPath, args: [join(root, 'dist', 'bench-undici-floor.js'), small.byDigest], ok: [0] },
      ...(skopeo ? [{ name: '`skopeo inspect --raw` of the same manifest', file: skopeo, args: ['inspect', '--raw', '--tls-verify=false', `docker://${small.byDigest}`], ok: [0] }] : []),
    ];
    // Rows of `commands`, by what they are.
    const [NODE, LINT, INSPECT, FLOOR, SKOPEO] = [0, 1, 2, 3, 4];
    const times = commands.map(() => [] as number[]);
    const run = (c: Command, wrapper?: string[]): ReturnType<typeof spawnSync> => {
      const [file, args] = wrapper ? [wrapper[0], [...wrapper.slice(1), c.file, ...c.args]] : [c.file, c.args];
      const r = spawnSync(file, args, { env: home.env, encoding: 'utf8', timeout: 30_000 });
      if (!c.ok.includes(r.status ?? -1)) throw new Error(`${c.name} failed (${r.status ?? r.signal}): ${r.stderr}`);
      return r;
    };
    for (let r = 0; r <= RUNS; r++) {
      commands.forEach((c, i) => {
        const t0 = performance.now();
        run(c);
        if (r > 0) times[i].push(performance.now() - t0); // run 0 warms the page cache
      });
    }
    const rss = commands.map((c) => {
      if (!existsSync('/usr/bin/time')) return NaN;
      const kb = [1, 2, 3].map(() => Number(/(\d+)\s*$/.exec(String(run(c, ['/usr/bin/time', '-f', '%M']).stderr).trim())?.[1]));
      return median(kb) / 1024;
    });
    const base = median(times[NODE]);
    const rows = commands.map((c, i) => {
      const m = median(times[i]);
      return `| ${c.name} | ${m.toFixed(1)} | ${(m / base).toFixed(2)}× | ${Number.isNaN(rss[i]) ? 'n/a' : rss[i].toFixed(1)} |`;
    });
    const table = [
      `| command (${RUNS} interleaved runs) | wall time (ms) | × \`node -e 0\` | peak RSS (MiB) |`,
      '| --- | --- | --- | --- |',
      ...rows,
    ].join('\n');
    const ratio = (i: number): number => median(times[i]) / base;
    const verdict = (ok: boolean): string => (ok ? 'met' : '**NOT met**');
    const summary = [
      `- CLI \`inspect\` cold start: ${ratio(INSPECT).toFixed(2)}× \`node -e 0\` (target ≤ 1.5×: ${verdict(ratio(INSPECT) <= 1.5)}); ` +
        `undici alone, making the same request: ${ratio(FLOOR).toFixed(2)}× (the floor of the required HTTP client); peak RSS ${rss[INSPECT].toFixed(1)} MiB` +
        (skopeo ? ` against skopeo's ${rss[SKOPEO].toFixed(1)} MiB (skopeo: ${median(times[SKOPEO]).toFixed(1)} ms)` : ' (skopeo not installed)'),
      `- CLI \`lint\` cold start: ${ratio(LINT).toFixed(2)}× \`node -e 0\` (target ≤ 1.3×: ${verdict(ratio(LINT) <= 1.3)})`,
    ];
    return { table, summary };
  } finally {
    await registry.stop();
    home.cleanup();
  }
}
