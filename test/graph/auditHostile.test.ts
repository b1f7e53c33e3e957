/**
 * The audit against what is hostile: a journal that is no journal (a gigabyte of zeros, a FIFO),
 * or whose lines are results in shape only; reports to merge that claim a billion shards or hold
 * no results; a registry whose catalog or tag list pages on for ever with new names. Each ends
 * with a message or a note, quickly and in bounded memory.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { auditRegistry } from '../../server/src/graph/audit';
import { openJournal } from '../../server/src/graph/auditState';
import { MANIFEST_ACCEPT_TYPES } from '../../server/src/engine/mediaTypes';
import { createRegistryClient, parseReference } from '../../server/src/registry';
import { assertCliBuilt, isolatedEnv, runCli } from '../harness/cli';
import { startFakeRegistry } from '../harness/fakeRegistry';

const dir = mkdtempSync(join(tmpdir(), 'manifest-lens-audit-hostile-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const HEAD = '{"format":"manifest-lens-audit-journal/1","registry":"r.example:5000"}\n';

describe('audit: hostile journals, reports and listings', () => {
  it('a 600 MB file that is no journal is refused after its first bytes, not read whole (which failed past 512 MB)', () => {
    const file = join(dir, 'zeros.state');
    writeFileSync(file, '');
    truncateSync(file, 600 * 1024 * 1024); // sparse: costs no disk
    const j = openJournal(file, { registry: 'r.example:5000' });
    assert.equal(typeof j, 'string');
    assert.match(j as string, /is not an audit journal \(its first line is not one\)/);
  });

  it('a FIFO as --state is refused (it holds no journal), not written to', () => {
    const fifo = join(dir, 'state.fifo');
    execFileSync('mkfifo', [fifo]);
    const j = openJournal(fifo, { registry: 'r.example:5000' });
    assert.match(String(j), /is not a regular file/);
  });

  it('a journal line that is a result in shape only (a null tag, a problem without severity) is damage, not a result', () => {
    const lines = [
      '{"repository":"a","tags":[null],"digests":[]}',
      '{"repository":"a","tags":[],"digests":[{"digest":"sha256:x","problems":[{"document":"d","path":"","ruleId":"r","message":"m"}]}]}',
      '{"repository":"a","tags":[],"digests":[{"digest":"sha256:x","problems":[{"document":"d","path":"","ruleId":"r","message":"m","severity":"catastrophic"}]}]}',
    ];
    for (const line of lines) {
      const file = join(dir, `shape-${lines.indexOf(line)}.state`);
      writeFileSync(file, `${HEAD}${line}\n`);
      assert.match(String(openJournal(file, { registry: 'r.example:5000' })), /line 2 is not a repository's result/, line);
    }
  });

  it('--merge of a report claiming shard 0/1000000000 is a usage error at once; one of 0/999999 names 20 missing shards and the count', async () => {
    assertCliBuilt();
    const home = isolatedEnv();
    try {
      const report = (shards: string[], repositories: unknown[] = []): string => {
        const file = join(dir, `report-${shards.join('_').replace(/\//g, '-')}-${repositories.length}.json`);
        writeFileSync(file, JSON.stringify({ registry: 'r.example:5000', shards, repositories, findings: [], totals: {}, run: { requests: 0, notSent: 0, bytes: 0, seconds: 0, resumed: 0, rateWaits: 0, rateWaitSeconds: 0 } }));
        return file;
      };
      const huge = await runCli(['audit', '--merge', report(['0/1000000000'])], { env: home.env, timeoutMs: 10_000 });
      assert.equal(huge.code, 2, `${huge.signal ?? ''} ${huge.stderr}`);
      assert.match(huge.stderr, /shards must each be I\/N with 0 <= I < N/);
      const broken = await runCli(['audit', '--merge', report(['0/2'], [{ repository: 'a', tags: [null], digests: [] }])], { env: home.env, timeoutMs: 10_000 });
      assert.equal(broken.code, 2, broken.stderr);
      assert.match(broken.stderr, /repository #1 is not a repository's result/);
      const many = await runCli(['audit', '--merge', '--format', 'json', report(['0/999999'])], { env: home.env, timeoutMs: 10_000 });
      assert.equal(many.code, 0, many.stderr);
      const notes = (JSON.parse(many.stdout.toString()) as { run: { notes: string[] } }).run.notes;
      assert.equal(notes.length, 1);
      assert.match(notes[0], /^shards 1\/999999, 2\/999999, .*, 20\/999999, … \(999,998 in all\) missing/);
    } finally {
      home.cleanup();
    }
  });

  it('--merge of a report whose digests carry terminal escapes prints them escaped in the text format', async () => {
    assertCliBuilt();
    const home = isolatedEnv();
    try {
      const evil = 'sha256:\u001b]0;pwned\u0007\u001b[2J\u009b31m';
      const file = join(dir, 'escapes.json');
      writeFileSync(file, JSON.stringify({ registry: 'r.example:5000', shards: ['0/1'], repositories: [{ repository: 'a', tags: [{ tag: 'v1', digest: evil }], digests: [{ digest: evil, problems: [{ document: evil, path: '', ruleId: 'r', message: 'm', severity: 'error' }] }] }], findings: [], totals: {}, run: { requests: 0, notSent: 0, bytes: 0, seconds: 0, resumed: 0, rateWaits: 0, rateWaitSeconds: 0 } }));
      const r = await runCli(['audit', '--merge', file], { env: home.env, timeoutMs: 10_000 });
      assert.equal(r.code, 1, r.stderr);
      const text = r.stdout.toString('utf8');
      assert.ok(!/[\u001b\u0007\u009b]/.test(text), JSON.stringify(text));
      assert.match(text, /sha256:\\x1b\]0;pwned\\x07\\x1b\[2J\\x9b31m/);
    } finally {
      home.cleanup();
    }
  });

  it('--repos and --merge of /dev/zero stop reading at their limits (64 MiB, 128 MiB), not when memory runs out', async () => {
    assertCliBuilt();
    const home = isolatedEnv();
    try {
      const repos = await runCli(['audit', '--repos', '/dev/zero', 'r.example:5000'], { env: home.env, timeoutMs: 20_000 });
      assert.equal(repos.code, 2, `${repos.signal ?? ''} ${repos.stderr}`);
      assert.match(repos.stderr, /--repos \/dev\/zero: larger than 64 MiB \(stopped reading there\)/);
      const merge = await runCli(['audit', '--merge', '/dev/zero'], { env: home.env, timeoutMs: 20_000 });
      assert.equal(merge.code, 2, `${merge.signal ?? ''} ${merge.stderr}`);
      assert.match(merge.stderr, /\/dev\/zero: larger than 128 MiB \(stopped reading there\)/);
    } finally {
      home.cleanup();
    }
  });

  it('a catalog and a tag list that page on for ever with new names stop at their limits, with a note', async () => {
    const reg = await startFakeRegistry();
    let catalogPages = 0;
    let tagPages = 0;
    const page = (prefix: string, p: number, size: number): string[] => Array.from({ length: size }, (_, i) => `${prefix}${String(p).padStart(8, '0')}x${String(i).padStart(5, '0')}`);
    reg.hook = (req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/v2/_catalog') {
        const names = page('r', catalogPages++, 5000);
        res.writeHead(200, { 'Content-Type': 'application/json', Link: `</v2/_catalog?n=5000&last=${names.at(-1)}>; rel="next"` }).end(JSON.stringify({ repositories: names }));
        return true;
      }
      if (url.pathname === '/v2/r00000000x00000/tags/list') {
        const names = page('t', tagPages++, 100);
        res.writeHead(200, { 'Content-Type': 'application/json', Link: `</v2/r00000000x00000/tags/list?n=100&last=${names.at(-1)}>; rel="next"` }).end(JSON.stringify({ name: 'x', tags: names }));
        return true;
      }
      if (url.pathname.endsWith('/tags/list')) {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"tags":[]}');
        return true;
      }
      return false;
    };
    const client = createRegistryClient({ accept: MANIFEST_ACCEPT_TYPES, timeoutMs: 10_000 });
    try {
      const run = await auditRegistry(client, {
        registry: parseReference(`${reg.host}/x`),
        shard: { index: 0, count: 1_000_000_000 }, // (almost surely) none of the names: only the catalog is read
        maxCatalogNames: 20_000,
        signal: AbortSignal.timeout(20_000),
      });
      assert.ok(catalogPages <= 5, `${catalogPages} catalog pages read`);
      assert.ok(run.notes.some((n) => /the catalog was read for its first 20,000 repositories only; give the others with --repos/.test(n)), run.notes.join(' | '));
      const tags = await auditRegistry(client, { registry: parseReference(`${reg.host}/x`), repositories: ['r00000000x00000'], defaultMaxTags: 300, signal: AbortSignal.timeout(20_000) });
      assert.ok(tagPages <= 4, `${tagPages} tag pages read`);
      const first = tags.repositories[0]!;
      assert.equal(first.tags.length, 300);
      assert.ok(first.notes?.some((n) => /only the first 300 tags were audited \(the most without --max-tags\)/.test(n)), String(first.notes));
    } finally {
      await client.close();
      await reg.close();
    }
  });
});
