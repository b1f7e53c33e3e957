/**
 * The layout's graph source reports its own blob findings (GraphSource.blobFindings) and the
 * image graph puts them on the config and layer nodes, checking each blob once however many
 * manifests name it and only for the nodes it builds (the node budget bounds the hashing too).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { inspectGraph, type GraphNode, type GraphSource } from '../../server/src/graph/imageGraph';
import { layoutGraphSource, readLayoutBlob } from '../../server/src/layout/graphSource';
import { stopHashWorker } from '../../server/src/layout/hashing';

let root: string;
const hex = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

before(() => { root = mkdtempSync(join(tmpdir(), 'manifest-lens-graphsource-')); });
after(async () => { await stopHashWorker(); rmSync(root, { recursive: true, force: true }); });

/** An index of `n` linux/amd64 manifests sharing one config and one layer (changed in place after it was named), and one own layer each. */
function sharedLayout(n: number): { dir: string; index: string; shared: string } {
  const dir = join(root, `shared-${n}`);
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const put = (b: Buffer): { digest: string; size: number } => {
    writeFileSync(join(dir, 'blobs', 'sha256', hex(b)), b);
    return { digest: `sha256:${hex(b)}`, size: b.length };
  };
  const config = put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } })));
  const sharedBytes = gzipSync(Buffer.from('shared'));
  const shared = put(sharedBytes);
  const manifests = Array.from({ length: n }, (_, i) => {
    const own = put(gzipSync(Buffer.from(`own ${i}`)));
    const m = put(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...shared }, { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...own }] })));
    return { mediaType: OCI_MANIFEST, ...m, platform: { os: 'linux', architecture: 'amd64' } };
  });
  const index = put(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests })));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: OCI_INDEX, ...index }] }));
  const changed = Buffer.from(sharedBytes);
  changed[changed.length - 1] ^= 1;
  writeFileSync(join(dir, 'blobs', 'sha256', shared.digest.slice(7)), changed);
  return { dir, index: index.digest, shared: shared.digest };
}

/** The layout's source, counting the blob checks asked of it by digest. */
function counted(dir: string): { source: GraphSource; asked: Map<string, number> } {
  const inner = layoutGraphSource(dir);
  const asked = new Map<string, number>();
  return {
    asked,
    source: {
      getManifest: (r, o) => inner.getManifest(r, o),
      getBlob: (r, d, o) => inner.getBlob(r, d, o),
      getReferrers: (r, d, o) => inner.getReferrers(r, d, o),
      blobFindings: (d, s, o) => { asked.set(d, (asked.get(d) ?? 0) + 1); return inner.blobFindings!(d, s, o); },
    },
  };
}

const ref = (dir: string, digest: string) => ({ registry: 'oci', apiHost: 'oci', repository: dir, digest });

test('the shared changed layer is a layout-blob-digest-mismatch on every manifest naming it, hashed once; the others are clean', async () => {
  const l = sharedLayout(3);
  const { source, asked } = counted(l.dir);
  const g = await inspectGraph(source, ref(l.dir, l.index), { bytes: readLayoutBlob(l.dir, l.index), digest: l.index });
  assert.equal(g.root.children.length, 3);
  for (const entry of g.root.children) {
    const body: GraphNode = entry.sameAs ? g.shared.get(entry.sameAs)! : entry;
    const [config, shared, own] = body.children;
    assert.deepEqual(config.problems, []);
    assert.deepEqual(shared.problems.map((p) => [p.ruleId, p.severity]), [['layout-blob-digest-mismatch', 'error']]);
    assert.match(shared.problems[0].message, /does not hash to its name/);
    assert.deepEqual(own.problems, []);
  }
  // One check per distinct blob: the config and the shared layer named three times each.
  assert.equal(asked.get(l.shared), 1);
  assert.equal(asked.size, 1 + 1 + 3);
  assert.ok([...asked.values()].every((n) => n === 1));
});

test('blobs of nodes the budget leaves out are not checked', async () => {
  const l = sharedLayout(4);
  const { source, asked } = counted(l.dir);
  // 4 entries + 3 blob nodes of the first manifest built: the rest is left out, and not hashed.
  const g = await inspectGraph(source, ref(l.dir, l.index), { bytes: readLayoutBlob(l.dir, l.index), digest: l.index }, { maxNodes: 7, concurrency: 1 });
  assert.ok(g.leftOut && g.leftOut.nodes > 0);
  assert.ok(asked.size <= 3, `${asked.size} blobs checked`);
});
