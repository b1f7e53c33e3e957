/** rules.md §6 (OCI image manifest) and §8 (empty descriptor, artifacts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EMPTY_DESCRIPTOR, MT } from '../../server/src/engine/mediaTypes';
import type { Fix } from '../../server/src/engine/types';
import { findingsOf, ruleCases } from './ruleCases';

const D = 'sha256:' + 'a'.repeat(64);
const E = EMPTY_DESCRIPTOR.digest;
const E0 = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const desc = (mt: string, extra = '') => `{"mediaType":"${mt}","digest":"${D}","size":29${extra}}`;
const emptyDesc = `{"mediaType":"${MT.ociEmpty}","digest":"${E}","size":2}`;
/** An OCI manifest; `config` and `layers` are raw JSON, `extra` goes first. */
const manifest = (config: string, layers: string, extra = '') =>
  `{"schemaVersion":2,"mediaType":"${MT.ociManifest}",${extra}"config":${config},"layers":[${layers}]}`;
const image = (layers = desc(MT.ociLayerGzip), extra = '') => manifest(desc(MT.ociConfig), layers, extra);
const artifact = (layers = emptyDesc, extra = '"artifactType":"application/vnd.example.sbom.v1+json",') => manifest(emptyDesc, layers, extra);

function apply(text: string, fix: Fix): string {
  const edits = [...fix.edits].sort((a, b) => b.offset - a.offset);
  for (const e of edits) text = text.slice(0, e.offset) + e.newText + text.slice(e.offset + e.length);
  return text;
}

ruleCases([
  {
    rule: 'oci-manifest-config-missing',
    invalid: [
      `⟦{⟧"schemaVersion":2,"mediaType":"${MT.ociManifest}","layers":[${desc(MT.ociLayerGzip)}]}`,
      `⟦{⟧"schemaVersion":2,"mediaType":"${MT.dockerManifest}","layers":[${desc(MT.dockerLayerGzip)}]}`,
    ],
    valid: [image(), artifact(), `{"schemaVersion":2,"mediaType":"${MT.ociManifest}","manifests":[]}`],
  },
  {
    rule: 'oci-manifest-layers-missing',
    invalid: [
      `⟦{⟧"schemaVersion":2,"mediaType":"${MT.ociManifest}","config":${desc(MT.ociConfig)}}`,
      `{"schemaVersion":2,"mediaType":"${MT.ociManifest}","config":${emptyDesc},"layers":⟦null⟧}`,
    ],
    valid: [image(), `{"schemaVersion":2,"mediaType":"${MT.ociManifest}","fsLayers":[]}`],
  },
  {
    rule: 'oci-manifest-layers-empty',
    invalid: [
      `{"schemaVersion":2,"mediaType":"${MT.ociManifest}","config":${desc(MT.ociConfig)},"layers":⟦[]⟧}`,
      `{"schemaVersion":2,"mediaType":"${MT.ociManifest}","artifactType":"application/vnd.example+type","config":${emptyDesc},"layers":⟦[]⟧}`,
    ],
    valid: [image(), artifact()],
  },
  {
    rule: 'artifact-type-required',
    message: 'artifactType MUST be set',
    invalid: [
      manifest(`{"mediaType":⟦"${MT.ociEmpty}"⟧,"digest":"${E}","size":2}`, emptyDesc),
    ],
    valid: [artifact(), image()],
  },
  {
    rule: 'artifact-type-required',
    invalid: [manifest(emptyDesc, emptyDesc, '"artifactType":⟦""⟧,')],
    valid: [artifact(desc('application/vnd.example.data'))],
  },
  {
    rule: 'artifact-config-is-image-config',
    invalid: [
      manifest(`{"mediaType":⟦"${MT.ociConfig}"⟧,"digest":"${D}","size":7}`, desc('application/vnd.in-toto+json')),
      manifest(`{"mediaType":⟦"${MT.ociConfig}"⟧,"digest":"${D}","size":7}`, desc(MT.ociLayerGzip), '"artifactType":"application/vnd.example.sbom.v1+json",'),
    ],
    valid: [image(), artifact(), image(desc('application/vnd.oci.image.layer.v1.tar+unknown')), image(desc(MT.ociLayerGzipEncrypted))],
  },
  {
    rule: 'oci-config-media-type-unknown',
    invalid: [manifest(`{"mediaType":⟦"application/vnd.cncf.helm.config.v1+json"⟧,"digest":"${D}","size":7}`, desc('application/tar+gzip'))],
    valid: [image(), artifact(), manifest(desc(MT.dockerConfig), desc(MT.ociLayerGzip))],
  },
  {
    rule: 'oci-layer-media-type-nonstandard',
    invalid: [
      image(`{"mediaType":⟦"application/vnd.oci.image.layer.v1.tar+unknown"⟧,"digest":"${D}","size":1}`),
      // An image with a Docker config (mixed-config-media-type too): the layer is still not a filesystem layer.
      manifest(desc(MT.dockerConfig), `{"mediaType":⟦"application/vnd.example.data"⟧,"digest":"${D}","size":1}`),
    ],
    valid: [
      image(),
      image(desc(MT.ociLayerZstdEncrypted)),
      image(desc(MT.dockerLayerGzip)), // mixed-layer-in-oci-manifest
      image(desc('application/vnd.in-toto+json')), // artifact-config-is-image-config
      artifact(),
      // Artifacts may carry any layer type (issue 24): an SBOM referrer, by artifactType, by an empty or unknown config.
      artifact(desc('application/spdx+json'), '"artifactType":"application/spdx+json",'),
      manifest(emptyDesc, desc('application/vnd.example.data')),
      manifest(desc('application/vnd.cncf.helm.config.v1+json'), desc('application/vnd.cncf.helm.chart.content.v1.tar+gzip')),
      image(desc('application/vnd.oci.image.layer.v1.tar+unknown'), '"artifactType":"application/spdx+json",'),
    ],
  },
  {
    rule: 'layer-nondistributable-deprecated',
    invalid: [image(`{"mediaType":⟦"${MT.ociLayerNondistGzip}"⟧,"digest":"${D}","size":1,"urls":["https://example.com/layer"]}`)],
    valid: [image(), image(desc(MT.ociLayerZstd))],
  },
  {
    rule: 'nondistributable-without-urls',
    invalid: [
      image(`{"mediaType":⟦"${MT.ociLayerNondistTar}"⟧,"digest":"${D}","size":1}`),
      image(`{"mediaType":⟦"${MT.ociLayerNondistGzip}"⟧,"digest":"${D}","size":1,"urls":[]}`),
    ],
    valid: [image(desc(MT.ociLayerNondistGzip, ',"urls":["https://example.com/l"]')), image()],
  },
  {
    rule: 'layer-zstd-portability',
    invalid: [image(`{"mediaType":⟦"${MT.ociLayerZstd}"⟧,"digest":"${D}","size":1}`)],
    valid: [image(), image(desc(MT.dockerLayerZstd))],
  },
  {
    rule: 'subject-not-manifest',
    invalid: [image(undefined, `"subject":{"mediaType":⟦"${MT.ociLayerGzip}"⟧,"digest":"${D}","size":1},`)],
    valid: [
      image(undefined, `"subject":${desc(MT.ociManifest)},`),
      image(undefined, `"subject":${desc(MT.dockerList)},`),
      image(undefined, `"subject":${desc('application/vnd.example.unknown+json')},`),
      image(undefined, '"subject":".nope",'), // descriptor-required-field
    ],
  },
  {
    rule: 'empty-descriptor-digest',
    invalid: [artifact(`{"mediaType":"${MT.ociEmpty}","digest":⟦"${E0}"⟧,"size":2}`)],
    valid: [artifact(), artifact(`{"mediaType":"${MT.ociEmpty}","digest":"${E}","size":2,"data":"e30="}`)],
  },
  {
    rule: 'empty-descriptor-size',
    invalid: [artifact(`{"mediaType":"${MT.ociEmpty}","digest":"${E}","size":⟦0⟧}`), `{"mediaType":"${MT.ociEmpty}","digest":"${E}","size":⟦"2"⟧}`],
    valid: [artifact(), `{"mediaType":"${MT.ociEmpty}","digest":"${E}","size":2}`],
  },
  {
    rule: 'empty-descriptor-data',
    invalid: [artifact(`{"mediaType":"${MT.ociEmpty}","digest":"${E}","size":2,"data":⟦"e30gIA=="⟧}`)],
    valid: [artifact(`{"mediaType":"${MT.ociEmpty}","digest":"${E}","size":2,"data":"e30="}`)],
  },
  {
    rule: 'zero-size-blob',
    invalid: [image(`{"mediaType":"${MT.ociLayerGzip}","digest":"${E0}","size":⟦0⟧}`), `{"mediaType":"application/vnd.example","digest":"${E0}","size":⟦0⟧}`],
    valid: [image(), artifact(`{"mediaType":"${MT.ociEmpty}","digest":"${E}","size":0}`)],
  },
]);

test('oci-manifest-layers-empty: the fix inserts the empty descriptor into an artifact, and is not offered for an image', () => {
  const text = `{"schemaVersion":2,"mediaType":"${MT.ociManifest}","artifactType":"application/vnd.example+type","config":${emptyDesc},"layers":[]}`;
  const [f] = findingsOf(text, 'oci-manifest-layers-empty');
  const fixed = JSON.parse(apply(text, f.fixes[0]));
  assert.deepEqual(fixed.layers, [{ mediaType: MT.ociEmpty, digest: E, size: 2 }]);
  assert.equal(findingsOf(apply(text, f.fixes[0]), 'oci-manifest-layers-empty').length, 0);
  const imageText = `{"schemaVersion":2,"mediaType":"${MT.ociManifest}","config":${desc(MT.ociConfig)},"layers":[]}`;
  assert.deepEqual(findingsOf(imageText, 'oci-manifest-layers-empty')[0].fixes, []);
});

test('layer-nondistributable-deprecated: relabels to the distributable type of the same compression', () => {
  for (const [from, to] of [[MT.ociLayerNondistGzip, MT.ociLayerGzip], [MT.ociLayerNondistTar, MT.ociLayerTar], [MT.ociLayerNondistZstd, MT.ociLayerZstd]]) {
    const text = image(desc(from, ',"urls":["https://example.com/l"]'));
    const [f] = findingsOf(text, 'layer-nondistributable-deprecated');
    assert.equal(JSON.parse(apply(text, f.fixes[0])).layers[0].mediaType, to);
    assert.ok(f.fixes[0].changesDigest);
  }
});

test('empty-descriptor-*: the fixes restore the canonical values', () => {
  const text = artifact(`{"mediaType":"${MT.ociEmpty}","digest":"${E0}","size":0,"data":""}`);
  let fixed = text;
  for (const rule of ['empty-descriptor-digest', 'empty-descriptor-size', 'empty-descriptor-data']) {
    const [f] = findingsOf(fixed, rule);
    fixed = apply(fixed, f.fixes[0]);
  }
  assert.deepEqual(JSON.parse(fixed).layers[0], EMPTY_DESCRIPTOR);
});

test('artifact-config-is-image-config: with artifactType, the fix swaps in the empty config', () => {
  const text = manifest(desc(MT.ociConfig), desc(MT.ociLayerGzip), '"artifactType":"application/vnd.example.sbom.v1+json",');
  const [f] = findingsOf(text, 'artifact-config-is-image-config');
  const fixed = apply(text, f.fixes[0]);
  assert.equal(JSON.parse(fixed).config.mediaType, MT.ociEmpty);
  assert.equal(findingsOf(fixed, 'artifact-config-is-image-config').length, 0);
});
