/**
 * `audit` (issue 21) against a real docker-registry seeded with 28 repositories and 111 tags
 * sharing digests, planted broken images among clean ones (test/harness/auditSeed.ts) and clean
 * ones made by buildah, skopeo and podman. The CLI
 * reaches the registry through a counting proxy on 127.0.0.1 that records every request, and
 * can delay tag lists or answer 429 once: planted found and nothing on a clean repository, every
 * page of the catalog and tag lists read, resume after kill -9, shards and merge, a 429 waited out.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertCliBuilt, CLI_PATH, isolatedEnv, runCli, runProgram, type IsolatedEnv } from '../harness/cli';
import { startRegistry, type RunningRegistry } from '../harness/registry';
import { seedAuditRegistry, type AuditSeed } from '../harness/auditSeed';
import { shardOf } from '../../server/src/graph/audit';
import { httpCall } from '../harness/http';
import { buildImage, realToolBinaries, toolBox } from '../harness/realTools';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly at: number;
  readonly status: number;
}

/** A reverse proxy to the registry that records each request; `delayTagLists` (ms) slows tag lists; `tooMany` answers 429 to the Nth request. */
interface CountingProxy {
  readonly host: string;
  seen: Seen[];
  delayTagLists: number;
  /** Page tag lists by `n` and `last` with a Link header, as distribution 3 does (2.8 answers them whole). */
  pageTags: boolean;
  /** Answer HEAD of a manifest with 405 (registries and proxies that refuse HEAD). */
  refuseHead: boolean;
  /** Add Docker Hub's rate-limit headers to manifest responses. */
  rateLimitHeaders: boolean;
  /** Answer 429 with Retry-After: 1 to the request with this index (from now), once. */
  tooManyAt?: number;
  /** Answer 503 to the first tag list from the request with this index on, once. */
  unavailableAt?: number;
  close(): Promise<void>;
}

async function startCountingProxy(target: string): Promise<CountingProxy> {
  const proxy: CountingProxy = { host: '', seen: [], delayTagLists: 0, pageTags: false, refuseHead: false, rateLimitHeaders: false, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const at = Date.now();
    const record = (status: number): void => {
      proxy.seen.push({ method: req.method ?? '', url: req.url ?? '', at, status });
    };
    if (proxy.tooManyAt !== undefined && proxy.seen.length >= proxy.tooManyAt && /\/manifests\//.test(req.url ?? '')) {
      proxy.tooManyAt = undefined;
      record(429);
      res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}');
      return;
    }
    if (proxy.unavailableAt !== undefined && proxy.seen.length >= proxy.unavailableAt && /\/tags\/list/.test(req.url ?? '')) {
      proxy.unavailableAt = undefined;
      record(503);
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('busy');
      return;
    }
    if (proxy.refuseHead && req.method === 'HEAD' && /\/manifests\//.test(req.url ?? '')) {
      record(405);
      res.writeHead(405, { 'content-length': '0' });
      res.end();
      return;
    }
    const forward = (): void => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (proxy.pageTags && req.method === 'GET' && url.pathname.endsWith('/tags/list') && url.searchParams.has('n')) {
        const up = request(`http://${target}${url.pathname}`, { headers: req.headers }, (r) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => {
            record(r.statusCode ?? 0);
            const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { name: string; tags: string[] };
            const n = Number(url.searchParams.get('n'));
            const last = url.searchParams.get('last');
            const rest = [...body.tags].sort().filter((t) => last === null || t > last);
            const page = rest.slice(0, n);
            const headers: Record<string, string> = { 'content-type': 'application/json' };
            if (rest.length > n) headers.link = `<${url.pathname}?last=${encodeURIComponent(page[page.length - 1])}&n=${n}>; rel="next"`;
            res.writeHead(200, headers);
            res.end(JSON.stringify({ name: body.name, tags: page }));
          });
        });
        up.on('error', () => res.destroy());
        up.end();
        return;
      }
      const up = request(`http://${target}${req.url}`, { method: req.method, headers: req.headers }, (r) => {
        record(r.statusCode ?? 0);
        const limits = proxy.rateLimitHeaders && /\/manifests\//.test(req.url ?? '') ? { 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': `${100 - proxy.seen.length % 50};w=21600` } : {};
        res.writeHead(r.statusCode ?? 502, { ...r.headers, ...limits });
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    };
    if (proxy.delayTagLists > 0 && /\/tags\/list/.test(req.url ?? '')) setTimeout(forward, proxy.delayTagLists);
    else forward();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return Object.assign(proxy, {
    host: `127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  });
}

/**
 * Clean images made by the real tools, beside the seeded ones: buildah (OCI and Docker format),
 * a skopeo copy, a podman manifest list. Without the tools, a warning and the seeded ones only.
 */
async function withToolImages(seed: AuditSeed, registry: RunningRegistry): Promise<AuditSeed> {
  const tools = realToolBinaries();
  if (!tools) {
    process.stderr.write('WARNING: audit: buildah/podman/skopeo not installed: no tool-made clean images in this run\n');
    return seed;
  }
  const box = toolBox(tools, registry.host);
  const R = registry.host;
  const tls = ['--tls-verify=false'];
  try {
    await buildImage(box, { name: 'oci-amd64', format: 'oci', arch: 'amd64', content: 'audit amd64' }, `${process.pid}-${Date.now()}`);
    await buildImage(box, { name: 'docker-arm64', format: 'docker', arch: 'arm64', variant: 'v8', content: 'audit arm64' }, `${process.pid}-${Date.now()}`);
    await box.buildah(['push', ...tls, 'oci-amd64', `docker://${R}/tools/buildah:oci`]);
    await box.buildah(['push', ...tls, 'docker-arm64', `docker://${R}/tools/buildah:docker`]);
    await box.skopeo(['copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${R}/tools/buildah:docker`, `docker://${R}/tools/skopeo:copied`]);
    await box.podman(['manifest', 'create', 'list']);
    await box.podman(['manifest', 'add', ...tls, 'list', `docker://${R}/tools/buildah:oci`]);
    await box.podman(['manifest', 'add', ...tls, 'list', `docker://${R}/tools/buildah:docker`]);
    await box.podman(['manifest', 'push', ...tls, '--format', 'oci', 'list', `docker://${R}/tools/podman:list`]);
  } finally {
    box.cleanup();
  }
  const refs = [['tools/buildah', 'oci'], ['tools/buildah', 'docker'], ['tools/skopeo', 'copied'], ['tools/podman', 'list']];
  const digests = new Set<string>();
  for (const [repo, tag] of refs) {
    const r = await httpCall(`${registry.url}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { Accept: 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json' } });
    digests.add(String(r.headers['docker-content-digest']));
  }
  const toolRepos = [...new Set(refs.map(([repo]) => repo))];
  return {
    repositories: [...seed.repositories, ...toolRepos].sort(),
    clean: [...seed.clean, ...toolRepos],
    planted: seed.planted,
    tags: seed.tags + refs.length,
    digests: seed.digests + digests.size,
  };
}

type Report = {
  registry: string;
  shards?: string[];
  repositories: { repository: string; tags: { tag: string; digest?: string; error?: string }[]; error?: string }[];
  findings: { repository: string; tags: string[]; digest: string; ruleId: string; severity: string }[];
  totals: { repositories: number; tags: number; manifests: number; failedTags: number };
  run: { requests: number; resumed: number; rateWaits: number };
};

/** What must be equal between two runs of the same audit: all but the run's own costs (and the shard list). */
function comparable(r: Report): unknown {
  const { run: _run, shards: _shards, ...rest } = r;
  return rest;
}

describe('audit: a registry of ~30 repositories', { timeout: 90_000 }, () => {
  let registry: RunningRegistry;
  let seed: AuditSeed;
  let proxy: CountingProxy;
  let home: IsolatedEnv;
  let dir: string;
  let baseline: Report;

  const audit = async (args: string[]): Promise<{ code: number | null; report?: Report; stdout: string; stderr: string }> => {
    const r = await runCli(['audit', ...args], { env: home.env, timeoutMs: 50_000 });
    const stdout = r.stdout.toString('utf8');
    let report: Report | undefined;
    if (args.includes('json')) report = JSON.parse(stdout) as Report;
    return { code: r.code, report, stdout, stderr: r.stderr };
  };

  before(async () => {
    assertCliBuilt();
    home = isolatedEnv();
    dir = mkdtempSync(join(tmpdir(), 'manifest-lens-audit-'));
    registry = await startRegistry();
    seed = await withToolImages(await seedAuditRegistry(registry.url), registry);
    proxy = await startCountingProxy(registry.host);
  });
  after(async () => {
    await proxy?.close();
    await registry?.stop();
    home?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('finds every planted broken image and nothing in a clean repository; reads every page of the catalog and the tag lists', async () => {
    proxy.seen = [];
    proxy.pageTags = true;
    const r = await audit([proxy.host, '--format', 'json', '--page-size', '2']);
    proxy.pageTags = false;
    assert.equal(r.code, 1, r.stderr); // errors among the planted
    baseline = r.report!;
    assert.deepEqual(baseline.repositories.map((x) => x.repository), seed.repositories);
    assert.equal(baseline.totals.tags, seed.tags);
    assert.equal(baseline.totals.manifests, seed.digests);
    assert.equal(baseline.totals.failedTags, 0);
    for (const [repo, rules] of Object.entries(seed.planted)) {
      const found = new Set(baseline.findings.filter((f) => f.repository === repo).map((f) => f.ruleId));
      for (const rule of rules) assert.ok(found.has(rule), `${repo}: ${rule} not reported (got ${[...found].join(', ')})`);
    }
    for (const repo of seed.clean) assert.deepEqual(baseline.findings.filter((f) => f.repository === repo), [], `a finding on the clean ${repo}`);
    // Every tag pointing at a broken digest carries its findings.
    const mixed = baseline.findings.find((f) => f.ruleId === 'mixed-config-media-type')!;
    assert.deepEqual(mixed.tags, ['also-mixed', 'mixed']);
    // Pagination: the catalog in pages of 2 (as docker-registry pages it), a
    // tag list of 5 tags in 3 pages (docker-registry 2.8 answers tag lists whole: the proxy pages them).
    const catalog = proxy.seen.filter((s) => s.url.startsWith('/v2/_catalog'));
    assert.equal(catalog.length, Math.ceil(seed.repositories.length / 2), catalog.map((s) => s.url).join(' '));
    const tagPages = proxy.seen.filter((s) => s.url.startsWith('/v2/clean/app-03/tags/list'));
    assert.equal(tagPages.length, 3, tagPages.map((s) => s.url).join(' '));
    // Each distinct manifest fetched once: GETs by digest never repeat.
    const gets = proxy.seen.filter((s) => s.method === 'GET' && /\/manifests\/sha256:/.test(s.url)).map((s) => s.url.replace(/^\/v2\/.*\/manifests\//, ''));
    assert.equal(new Set(gets).size, gets.length, 'a digest fetched twice');
  });

  it('prints text grouped by repository and SARIF located at oci://REGISTRY/REPO@DIGEST', async () => {
    const text = await audit([proxy.host]);
    assert.equal(text.code, 1);
    assert.match(text.stdout, new RegExp(`^${proxy.host}/broken/mixed  \\(3 tags\\)$`, 'm'));
    assert.match(text.stdout, /^ {2}also-mixed,mixed {2}sha256:[0-9a-f]{64} {2}linux\/amd64: error mixed-config-media-type/m);
    assert.doesNotMatch(text.stdout, /clean\/app-/);
    assert.match(text.stderr, new RegExp(`${seed.repositories.length} repositories, \\d+ tags, \\d+ distinct manifests; findings: \\d+ error`));
    const sarif = await audit([proxy.host, '--format', 'sarif', '--fail-on', 'never']);
    assert.equal(sarif.code, 0);
    const results = (JSON.parse(sarif.stdout) as { runs: { results: { ruleId: string; locations: { physicalLocation: { artifactLocation: { uri: string } } }[]; properties: { tags: string[] } }[] }[] }).runs[0].results;
    const size = results.find((x) => x.ruleId === 'child-size-mismatch')!;
    assert.match(size.locations[0].physicalLocation.artifactLocation.uri, new RegExp(`^oci://${proxy.host}/broken/size@sha256:[0-9a-f]{64}$`));
    assert.deepEqual(size.properties.tags, ['v1']);
  });

  it('resumes after kill -9 with the same report, asking nothing about the repositories already done', async () => {
    const state = join(dir, 'resume.jsonl');
    proxy.delayTagLists = 150; // slow enough to be killed half way
    const child = spawn(process.execPath, [CLI_PATH, 'audit', proxy.host, '--state', state, '--format', 'json'], { env: home.env, stdio: 'ignore' });
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const lines = (): number => (existsSync(state) ? readFileSync(state, 'utf8').split('\n').filter(Boolean).length : 0);
    for (let i = 0; i < 400 && lines() < 6; i++) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGKILL');
    await exited;
    proxy.delayTagLists = 0;
    const journal = readFileSync(state, 'utf8').split('\n').filter(Boolean);
    assert.ok(journal.length >= 6 && journal.length < seed.repositories.length + 1, `killed with ${journal.length} lines`);
    const done = journal.slice(1).map((l) => (JSON.parse(l) as { repository: string }).repository);
    appendFileSync(state, '{"repository":"clean/app-9'); // a write torn by the kill
    proxy.seen = [];
    const r = await audit([proxy.host, '--state', state, '--format', 'json', '--page-size', '2']);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(comparable(r.report!), comparable(baseline));
    assert.equal(r.report!.run.resumed, done.length);
    for (const repo of done) {
      const asked = proxy.seen.filter((s) => s.url.startsWith(`/v2/${repo}/`));
      assert.deepEqual(asked, [], `${repo} was done but asked about again`);
    }
    // And the journal is whole again: a third run asks only for the catalog.
    proxy.seen = [];
    const again = await audit([proxy.host, '--state', state, '--format', 'json']);
    assert.deepEqual(comparable(again.report!), comparable(baseline));
    assert.deepEqual(proxy.seen.filter((s) => !s.url.startsWith('/v2/_catalog')).map((s) => s.url), []);
  });

  it('resolves tags with GET where HEAD is refused, the same report; reports the rate-limit headers', async () => {
    proxy.seen = [];
    proxy.refuseHead = true;
    proxy.rateLimitHeaders = true;
    const r = await audit([proxy.host, '--format', 'json']);
    proxy.refuseHead = false;
    proxy.rateLimitHeaders = false;
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(comparable(r.report!), comparable(baseline));
    const byTag = proxy.seen.filter((s) => s.method === 'GET' && /\/manifests\/(?!sha256:)/.test(s.url));
    assert.equal(byTag.length, seed.tags);
    assert.match(r.stderr, /registry rate limit: \d+ of 100 requests left per 6 h/);
  });

  it('audits the repositories of --repos (a file, standard input) and under a PREFIX; one that fails is reported and the audit goes on', async () => {
    const list = join(dir, 'repos.txt');
    writeFileSync(list, '# a few\nbroken/size\n\nno/such-repository\nclean/app-01\n');
    const r = await audit([proxy.host, '--repos', list, '--format', 'json']);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(r.report!.repositories.map((x) => x.repository), ['broken/size', 'clean/app-01', 'no/such-repository']);
    assert.match(r.report!.repositories[2].error ?? '', /not found|NAME_UNKNOWN|unknown/i);
    assert.deepEqual(r.report!.repositories[0], baseline.repositories.find((x) => x.repository === 'broken/size'));
    const quote = (x: string): string => `'${x.replace(/'/g, `'\\''`)}'`;
    const piped = await runProgram('sh', ['-c', `printf 'broken/empty\\n' | exec ${quote(process.execPath)} ${quote(CLI_PATH)} audit ${proxy.host} --repos - --format json`], { env: home.env, timeoutMs: 30_000 });
    assert.deepEqual((JSON.parse(piped.stdout.toString('utf8')) as Report).repositories.map((x) => x.repository), ['broken/empty'], piped.stderr);
    const prefixed = await audit([`${proxy.host}/broken`, '--format', 'json', '--fail-on', 'never']);
    assert.equal(prefixed.code, 0);
    assert.deepEqual(prefixed.report!.repositories.map((x) => x.repository), Object.keys(seed.planted).sort());
  });

  it('shows progress on a terminal and none in a pipe', async () => {
    const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
    proxy.delayTagLists = 60;
    const tty = await runProgram('script', ['-qfec', `exec ${quote(process.execPath)} ${quote(CLI_PATH)} audit ${proxy.host} >/dev/null`, '/dev/null'], { env: home.env, timeoutMs: 30_000 });
    proxy.delayTagLists = 0;
    const text = tty.stdout.toString('utf8');
    assert.match(text, /\r\x1b\[2Kaudit: \d+\/\d+ repositories, \d+ requests, \d+ findings, \d+ req\/s/);
    assert.match(text, new RegExp(`audit of 127\\.0\\.0\\.1:\\d+: ${seed.repositories.length} repositories`));
    const pipe = await audit([proxy.host]);
    assert.doesNotMatch(pipe.stderr, /\r|\x1b|\d+\/\d+ repositories/);
  });

  it('refuses the journal of another audit (exit 2)', async () => {
    const state = join(dir, 'other.jsonl');
    writeFileSync(state, '{"format":"manifest-lens-audit-journal/1","registry":"elsewhere.example:5000"}\n');
    const r = await audit([proxy.host, '--state', state]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /journal of the audit of elsewhere\.example:5000/);
  });

  it('shards 0/3, 1/3, 2/3 partition the repositories, and --merge equals the single run', async () => {
    const files: string[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const r = await audit([proxy.host, '--shard', `${i}/3`, '--format', 'json']);
      const names = r.report!.repositories.map((x) => x.repository);
      assert.deepEqual(names, seed.repositories.filter((n) => shardOf(n, 3) === i));
      for (const n of names) {
        assert.ok(!seen.has(n), `${n} in two shards`);
        seen.add(n);
      }
      const file = join(dir, `shard-${i}.json`);
      writeFileSync(file, r.stdout);
      files.push(file);
    }
    assert.deepEqual([...seen].sort(), seed.repositories);
    const merged = await audit(['--merge', ...files.reverse(), '--format', 'json']);
    assert.equal(merged.code, 1, merged.stderr);
    assert.deepEqual(comparable(merged.report!), comparable(baseline));
    assert.deepEqual(merged.report!.shards, ['0/3', '1/3', '2/3']);
    const partial = await audit(['--merge', files[0], '--format', 'json']);
    assert.match(partial.stderr, /missing: the report covers part of the registry/);
  });

  it('waits out a 429 (Retry-After: 1) instead of failing or hammering, and completes', async () => {
    proxy.seen = [];
    proxy.tooManyAt = 60;
    const r = await audit([proxy.host, '--format', 'json']);
    assert.equal(proxy.tooManyAt, undefined, 'the 429 was not served');
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(comparable(r.report!), comparable(baseline));
    assert.ok(r.report!.run.rateWaits >= 1);
    const refused = proxy.seen.find((s) => s.status === 429)!;
    // Nothing new is sent while the host is held (a few already on the way may arrive).
    const during = proxy.seen.filter((s) => s.at > refused.at + 100 && s.at < refused.at + 900);
    assert.ok(during.length === 0, `${during.length} requests during the hold`);
    assert.match(r.stderr, /waited 1 time \(1 s\) for the registry's rate limit/);
  });

  it('tries a 503 again and completes with the same report', async () => {
    proxy.seen = [];
    proxy.unavailableAt = 40;
    const r = await audit([proxy.host, '--format', 'json']);
    assert.equal(proxy.unavailableAt, undefined, 'the 503 was not served');
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(comparable(r.report!), comparable(baseline));
  });

  it('exits 3 when the registry cannot be reached, 2 on usage errors', async () => {
    const closed = await startCountingProxy('127.0.0.1:1');
    const host = closed.host;
    await closed.close();
    const r = await audit([host, '--timeout', '2']);
    assert.equal(r.code, 3, r.stderr);
    assert.equal((await audit(['library'])).code, 2);
    assert.equal((await audit([proxy.host, '--shard', '3/3'])).code, 2);
    const list = join(dir, 'bad-repos.txt');
    writeFileSync(list, 'ok/name\nEvil/../\x1b[31mname:tag\n');
    const bad = await audit([proxy.host, '--repos', list]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /line 2 is not a repository name .*Evil\/\.\.\/\\x1b\[31mname:tag/);
  });
});
