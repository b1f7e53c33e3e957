/**
 * `tree` and `diff` against hostile sources on 127.0.0.1 (issue 23): a fan-out by repeated
 * digests (1,024 entries naming one index of 1,024 entries naming one manifest: three
 * documents) through a registry and through an OCI layout, a manifest with more layers than the
 * graph's node budget, a registry that never answers the children (the whole tree's deadline),
 * and diff when one side fails while the other is held. Bounds are asserted by counts (lines,
 * requests), never by time; the runner's kill timer only catches a hang.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assertCliBuilt, isolatedEnv, runCli, type IsolatedEnv } from '../harness/cli';
import { startFakeRegistry, type FakeRegistry } from '../registry/fakeRegistry';

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const REPO = 'hostile/fan';

const sha256 = (b: string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** The documents of a fan-out: `levels` indexes of `width` entries naming the one below, the bottom one manifest of `layers` layers. */
function fanOutDocuments(width: number, levels: number, layers = 1): { docs: { body: string; mediaType: string; digest: string }[]; config: string; top: { digest: string; size: number; mediaType: string } } {
  const config = JSON.stringify({ os: 'linux', architecture: 'amd64', rootfs: { type: 'layers', diff_ids: [] } });
  const manifest = JSON.stringify({
    schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: OCI_CONFIG, digest: sha256(config), size: config.length },
    layers: Array.from({ length: layers }, (_, i) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${i.toString(16).padStart(64, '0')}`, size: 1000 + i })),
  });
  const docs = [{ body: manifest, mediaType: OCI_MANIFEST, digest: sha256(manifest) }];
  for (let l = 0; l < levels; l++) {
    const below = docs[docs.length - 1];
    const entry = { mediaType: below.mediaType, digest: below.digest, size: Buffer.byteLength(below.body), platform: { os: 'linux', architecture: 'amd64' } };
    const body = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: Array.from({ length: width }, () => entry) });
    docs.push({ body, mediaType: OCI_INDEX, digest: sha256(body) });
  }
  const last = docs[docs.length - 1];
  return { docs, config, top: { digest: last.digest, size: Buffer.byteLength(last.body), mediaType: last.mediaType } };
}

function serve(reg: FakeRegistry, tag: string, f: ReturnType<typeof fanOutDocuments>): void {
  reg.putBlob(REPO, f.config);
  for (const d of f.docs) reg.putManifest(REPO, d.digest === f.top.digest ? tag : undefined, d.body, d.mediaType);
}

const manifestGets = (reg: FakeRegistry): number => reg.requests.filter((r) => r.method === 'GET' && /\/manifests\/sha256:/.test(r.path)).length;

describe('tree and diff against hostile sources', () => {
  let env: IsolatedEnv;
  let reg: FakeRegistry;
  let held: FakeRegistry;
  let dir: string;
  const cli = (...args: string[]) => runCli(args, { env: env.env, timeoutMs: 30_000 });

  before(async () => {
    assertCliBuilt();
    env = isolatedEnv();
    dir = mkdtempSync(join(tmpdir(), 'manifest-lens-fanout-'));
    reg = await startFakeRegistry();
    serve(reg, 'two', fanOutDocuments(1024, 2));
    serve(reg, 'wide', fanOutDocuments(1024, 1, 12_000));
    // Children never answered: only the deadline ends the tree.
    held = await startFakeRegistry({
      intercept: (_req, _res, rec) => /\/manifests\/sha256:|\/v2\/other\//.test(rec.path),
    });
    serve(held, 'held', fanOutDocuments(40, 1));
  });
  after(async () => {
    await reg?.close();
    await held?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    env?.cleanup();
  });

  test('tree of 1,024 × 1,024 entries naming one manifest: each document once, the repeats "(same as above)"', async () => {
    const before = manifestGets(reg);
    const r = await cli('tree', '--no-referrers', `${reg.hostPort}/${REPO}:two`);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.toString('utf8').split('\n');
    assert.equal(manifestGets(reg) - before, 2, 'the inner index and the manifest, once each');
    // root + 1,024 entries + 1,024 inner entries + config + layer, and the root's and the inner index's problems (200 each at most).
    assert.ok(lines.length < 1 + 1024 + 1024 + 2 + 400 + 10, `${lines.length} lines`);
    assert.equal(lines.filter((l) => l.endsWith('(same as above)')).length, 1023 + 1023);
    assert.match(r.stderr, /the graph is incomplete: \d+ problems not kept \(at most 5000 per graph, 200 per document\)/);
  });

  test('tree of an index naming one manifest of 12,000 layers: 10,000 nodes at most, and a line says what was left out', async () => {
    const r = await cli('tree', '--no-referrers', `${reg.hostPort}/${REPO}:wide`);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.toString('utf8').split('\n');
    assert.ok(lines.length < 10_000 + 400 + 10, `${lines.length} lines`);
    assert.match(lines.find((l) => /^├─ linux\/amd64  manifest/.test(l)) ?? '', /12000 layers/, 'the totals count every layer');
    assert.match(r.stderr, /the graph is incomplete: 3025 nodes not built \(at most 10000 per graph\)/);
  });

  test('tree oci: of the same fan-out as a layout (three documents on disk): bounded the same way', async () => {
    const layout = join(dir, 'layout');
    const f = fanOutDocuments(1024, 2);
    mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });
    writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    for (const b of [...f.docs.map((d) => d.body), f.config]) writeFileSync(join(layout, 'blobs', 'sha256', sha256(b).slice(7)), b);
    writeFileSync(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ ...f.top, annotations: { 'org.opencontainers.image.ref.name': 't' } }] }));
    const r = await cli('tree', '--format', 'json', `oci:${layout}:t`);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.length < 3_000_000, `${r.stdout.length} bytes of JSON`);
    const g = JSON.parse(r.stdout.toString('utf8')) as { root: { children: { sameAs?: string; children: unknown[] }[] }; leftOut?: { nodes: number } };
    assert.equal(g.root.children.length, 1024);
    assert.equal(g.root.children[0].children.length, 1024);
    assert.ok(g.root.children.slice(1).every((c) => c.sameAs === f.docs[1].digest && c.children.length === 0));
    assert.equal(g.leftOut?.nodes, 0);
  });

  test('tree --deadline: a registry that never answers the children; the tree stops, prints what it has and what it left out, exit 3', async () => {
    const r = await cli('tree', '--no-referrers', '--timeout', '600', '--deadline', '1', `${held.hostPort}/${REPO}:held`);
    assert.equal(r.signal, null, 'it ended by itself');
    assert.equal(r.code, 3, r.stderr);
    const lines = r.stdout.toString('utf8').split('\n');
    assert.match(lines[0], /index\s+sha256:/);
    assert.ok(manifestGets(held) <= 4, `only the requests in flight: ${manifestGets(held)}`);
    assert.match(r.stderr, /the graph is incomplete: stopped early \(the deadline of 1 s passed \(--deadline\)\); 40 nodes not built/);
  });

  test('tree: --deadline is checked like --timeout', async () => {
    const r = await cli('tree', '--deadline', '0', `${reg.hostPort}/${REPO}:two`);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--deadline expects seconds from 0\.1/);
  });

  test('diff: when one side fails, the other side\'s held request is aborted at once, not waited for', async () => {
    const before = held.requests.length;
    const r = await cli('diff', '--timeout', '600', `${held.hostPort}/other/app:never`, `${reg.hostPort}/${REPO}:missing`);
    assert.equal(r.signal, null, 'it ended by itself, not at the 600 s timeout');
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /missing/);
    assert.ok(held.requests.slice(before).some((q) => q.path.includes('/v2/other/')), 'the held side was asked');
  });
});
