/**
 * The pure half of layout checking: facts about blobs → findings on the exact descriptor values.
 * Ranges are marked ⟦…⟧ as in the rule cases.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../server/src/engine/analyze';
import { layoutFindings, mediaTypeMismatch, unreferencedFindings, type BlobFact } from '../../server/src/engine/layoutFindings';

const CFG = 'sha256:' + 'c'.repeat(64);
const LAYER = 'sha256:' + 'a'.repeat(64);

function marked(src: string): { text: string; ranges: string[] } {
  const ranges: string[] = [];
  let text = '';
  for (let i = 0; i < src.length; i++) {
    if (src[i] === '⟦') {
      const end = src.indexOf('⟧', i);
      ranges.push(src.slice(i + 1, end));
      text += src.slice(i + 1, end);
      i = end;
    } else text += src[i];
  }
  return { text, ranges };
}

const manifest = (cfg: string, size: string, layerType = 'application/vnd.oci.image.layer.v1.tar+gzip'): string => `{
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.manifest.v1+json",
  "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": ${cfg}, "size": 7 },
  "layers": [ { "mediaType": "${layerType}", "digest": "${LAYER}", "size": ${size} } ]
}`;

function run(src: string, facts: Record<string, BlobFact>): { found: string[]; ids: string[]; ranges: string[] } {
  const { text, ranges } = marked(src);
  const a = analyze(text);
  const f = layoutFindings(a, (d) => facts[d]);
  return { found: f.map((x) => text.slice(x.offset, x.offset + x.length)), ids: f.map((x) => x.ruleId), ranges };
}

const ok = (digest: string, size: number, extra: Partial<BlobFact> = {}): BlobFact => ({ digest, path: `blobs/sha256/${digest.slice(7)}`, exists: true, size, hash: 'verified', ...extra });

test('a missing config blob: error on the digest value, naming the blob', () => {
  const r = run(manifest(`⟦"${CFG}"⟧`, '10'), { [CFG]: { digest: CFG, path: 'blobs/sha256/' + 'c'.repeat(64), exists: false, hash: 'unchecked' }, [LAYER]: ok(LAYER, 10) });
  assert.deepEqual(r.found, r.ranges);
  assert.deepEqual(r.ids, ['layout-blob-missing']);
});

test('a truncated layer: digest mismatch on the digest, size mismatch on the size', () => {
  const src = manifest(`"${CFG}"`, '10').replace(`"${LAYER}"`, `⟦"${LAYER}"⟧`).replace('"size": 10', '"size": ⟦10⟧');
  const r = run(src, { [CFG]: ok(CFG, 7), [LAYER]: ok(LAYER, 4, { hash: 'mismatch', actualDigest: 'sha256:' + 'f'.repeat(64) }) });
  assert.deepEqual(r.found, r.ranges);
  assert.deepEqual(r.ids, ['layout-blob-digest-mismatch', 'layout-blob-size-mismatch']);
});

test('a clean blob store, and a digest the store has no answer for: nothing', () => {
  assert.deepEqual(run(manifest(`"${CFG}"`, '10'), { [CFG]: ok(CFG, 7), [LAYER]: ok(LAYER, 10, { hash: 'pending' }) }).ids, []);
  assert.deepEqual(run(manifest(`"${CFG}"`, '10'), {}).ids, []);
});

test('a media type that disagrees with the content: on the mediaType value', () => {
  const idx = `{"schemaVersion":2,"manifests":[{"mediaType":⟦"application/vnd.oci.image.manifest.v1+json"⟧,"digest":"${CFG}","size":7}]}`;
  const r = run(idx, { [CFG]: ok(CFG, 7, { content: { type: 'document', kind: 'config' } }) });
  assert.deepEqual(r.found, r.ranges);
  assert.deepEqual(r.ids, ['layout-media-type-mismatch']);
});

test('mediaTypeMismatch: only clear cases', () => {
  const M = 'application/vnd.oci.image.manifest.v1+json';
  const I = 'application/vnd.oci.image.index.v1+json';
  const C = 'application/vnd.oci.image.config.v1+json';
  const L = 'application/vnd.oci.image.layer.v1.tar+gzip';
  assert.match(mediaTypeMismatch(M, { type: 'document', kind: 'config' })!, /Image config/);
  assert.match(mediaTypeMismatch(I, { type: 'document', kind: 'oci-manifest', mediaType: M })!, /OCI image manifest/);
  assert.match(mediaTypeMismatch(M, { type: 'document', kind: 'oci-manifest', mediaType: 'application/vnd.docker.distribution.manifest.v2+json' })!, /own mediaType/);
  assert.match(mediaTypeMismatch(C, { type: 'archive', format: 'gzip' })!, /gzip/);
  assert.match(mediaTypeMismatch(L, { type: 'document', kind: 'oci-index' })!, /layer/);
  assert.equal(mediaTypeMismatch(M, { type: 'document', kind: 'oci-manifest', mediaType: M }), undefined);
  assert.equal(mediaTypeMismatch(L, { type: 'archive', format: 'gzip' }), undefined);
  assert.equal(mediaTypeMismatch(L, { type: 'other' }), undefined, 'an artifact layer may be any JSON');
  assert.equal(mediaTypeMismatch('application/spdx+json', { type: 'document', kind: 'config' }), undefined, 'unknown types claim nothing');
  assert.equal(mediaTypeMismatch(C, { type: 'other' }), undefined);
});

test('unreferenced blobs: info on index.json\'s manifests key', () => {
  const text = '{"schemaVersion":2,"manifests":[]}';
  const f = unreferencedFindings(analyze(text), [{ digest: LAYER, path: 'blobs/sha256/x', size: 3 }]);
  assert.equal(f.length, 1);
  assert.equal(f[0].severity, 'info');
  assert.equal(text.slice(f[0].offset, f[0].offset + f[0].length), '"manifests"');
  assert.ok(f[0].message.includes(LAYER));
});
