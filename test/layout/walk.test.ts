/**
 * walkLayout on hand-made layouts: JSON blobs are read and hashed at once, layers (even small
 * ones) are left for the worker; nested indexes are followed, each digest once; the
 * layout root is found from index.json and from a blob path, and not for other folders.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { clearDigestCache, stopHashWorker } from '../../server/src/layout/hashing';
import { layoutRootOf, verifyPending, walkLayout } from '../../server/src/layout/layout';

let root: string;
const digestOf = (b: Buffer): string => 'sha256:' + createHash('sha256').update(b).digest('hex');

function put(dir: string, bytes: Buffer): { digest: string; size: number } {
  const digest = digestOf(bytes);
  writeFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)), bytes);
  return { digest, size: bytes.length };
}

function layout(name: string): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  return dir;
}

before(() => { root = mkdtempSync(join(tmpdir(), 'manifest-lens-walk-')); clearDigestCache(); });
after(async () => { await stopHashWorker(); rmSync(root, { recursive: true, force: true }); });

test('JSON blobs are hashed while walking; a small gzip layer is left pending, then verified off the main thread', async () => {
  const dir = layout('one');
  const layer = put(dir, gzipSync(Buffer.from('hello layer')));
  const config = put(dir, Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [digestOf(Buffer.from('x'))] } })));
  const manifest = put(dir, Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
  })));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest }] }));
  const s = walkLayout(dir);
  assert.equal(s.facts.get(manifest.digest)?.hash, 'verified');
  assert.equal(s.facts.get(config.digest)?.hash, 'verified');
  assert.equal(s.facts.get(layer.digest)?.hash, 'pending');
  assert.deepEqual(s.facts.get(layer.digest)?.content, { type: 'archive', format: 'gzip' });
  assert.deepEqual(s.pending.map((p) => p.digest), [layer.digest]);
  assert.deepEqual(s.documents.map((d) => d.rel).sort(), ['blobs/sha256/' + config.digest.slice(7), 'blobs/sha256/' + manifest.digest.slice(7), 'index.json', 'oci-layout'].sort());
  assert.equal(await verifyPending(s), true);
  assert.equal(s.facts.get(layer.digest)?.hash, 'verified');
  assert.equal(layoutRootOf(join(dir, 'index.json')), dir);
  assert.equal(layoutRootOf(join(dir, 'blobs', 'sha256', layer.digest.slice(7))), dir);
  assert.equal(layoutRootOf(join(root, 'index.json')), undefined, 'a folder without oci-layout is no layout');
});

test('nested indexes are followed; a digest listed twice is read once', () => {
  const dir = layout('nested');
  const leaf = put(dir, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] })));
  const mid = put(dir, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', ...leaf }] })));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', ...mid }, { mediaType: 'application/vnd.oci.image.index.v1+json', ...mid }] }));
  const s = walkLayout(dir);
  assert.equal(s.facts.get(leaf.digest)?.hash, 'verified', 'the index inside the index was reached');
  assert.equal(s.documents.filter((d) => d.digest === mid.digest).length, 1, 'a digest is read once however many point at it');
  assert.deepEqual(s.unreferenced, []);
});
