import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../server/src/engine/analyze';
import { fieldHoverAt } from '../../server/src/engine/fieldHover';

const D1 = 'sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7';
const D2 = 'sha256:9834876dcfb05cb167a5c24953eba58c4ac89b1adf57f28f2f9d09af107ee8f0';

const OCI_MANIFEST = JSON.stringify({
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: D1, size: 7023 },
  layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: D2, size: 32654 }],
  annotations: { 'org.opencontainers.image.source': 'https://example.com/src', 'com.example.team': 'a' },
  'x-unknown': true,
}, null, 2);

const OCI_INDEX = JSON.stringify({
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.index.v1+json',
  manifests: [
    { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: D1, size: 7143, platform: { architecture: 'ppc64le', os: 'linux' } },
    { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: D2, size: 7682, platform: { architecture: 'amd64', os: 'linux', 'os.version': '10.0' } },
  ],
}, null, 2);

const CONFIG = JSON.stringify({
  architecture: 'amd64',
  os: 'linux',
  config: { Env: ['PATH=/usr/bin'], Cmd: ['sh'] },
  rootfs: { type: 'layers', diff_ids: [D1] },
}, null, 2);

/** The offset of the `nth` occurrence of `"key"` (a key, i.e. followed by a colon), plus `into`. */
function keyOffset(text: string, key: string, nth = 0, into = 1): number {
  const needle = `${JSON.stringify(key)}:`;
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    assert.ok(at >= 0, `key ${key} #${nth} in the text`);
  }
  return at + into;
}

function hover(text: string, key: string, nth = 0, into = 1) {
  const analysis = analyze(text);
  const offset = keyOffset(text, key, nth, into);
  return { result: fieldHoverAt(analysis, offset), offset: keyOffset(text, key, nth, 0), analysis };
}

test('"config" in an OCI manifest: what it is, REQUIRED, spec link, over the key', () => {
  const { result, offset, analysis } = hover(OCI_MANIFEST, 'config');
  assert.equal(analysis.kind, 'oci-manifest');
  assert.ok(result);
  assert.equal(result.offset, offset);
  assert.equal(result.length, '"config"'.length);
  assert.match(result.markdown, /^\*\*Config\*\* · `config` · OCI image manifest/);
  assert.match(result.markdown, /configuration blob/);
  assert.match(result.markdown, /\*\*REQUIRED\.\*\*/);
  assert.match(result.markdown, /\(https:\/\/github\.com\/opencontainers\/image-spec\/blob\/v1\.1\.1\/manifest\.md#image-manifest-property-descriptions\)$/);
});

test('"mediaType" inside config explains the config media type, not the document\'s', () => {
  const { result } = hover(OCI_MANIFEST, 'mediaType', 1);
  assert.ok(result);
  assert.match(result.markdown, /`config\.mediaType`/);
  assert.match(result.markdown, /media type of the config blob/);
});

test('"architecture" in an index entry\'s platform: REQUIRED, GOARCH, image-index.md', () => {
  const { result, offset } = hover(OCI_INDEX, 'architecture', 1, 5);
  assert.ok(result);
  assert.equal(result.offset, offset);
  assert.equal(result.length, '"architecture"'.length);
  assert.match(result.markdown, /`manifests\[\]\.platform\.architecture` · OCI image index/);
  assert.match(result.markdown, /\*\*REQUIRED\.\*\*/);
  assert.match(result.markdown, /GOARCH/);
  assert.match(result.markdown, /image-index\.md#image-index-property-descriptions\)$/);
  const osVersion = hover(OCI_INDEX, 'os.version').result;
  assert.match(osVersion?.markdown ?? '', /`manifests\[\]\.platform\["os\.version"\]`/);
});

test('"Env" in an image config: VARNAME=VARVALUE, OPTIONAL, config.md', () => {
  const { result, analysis } = hover(CONFIG, 'Env');
  assert.equal(analysis.kind, 'config');
  assert.ok(result);
  assert.match(result.markdown, /`config\.Env` · Image config/);
  assert.match(result.markdown, /VARNAME=VARVALUE/);
  assert.match(result.markdown, /\*\*OPTIONAL\.\*\*/);
  assert.match(result.markdown, /config\.md#properties\)$/);
});

test('annotation keys: a pre-defined key has its own text, any other key the annotation rules', () => {
  const known = hover(OCI_MANIFEST, 'org.opencontainers.image.source').result;
  assert.match(known?.markdown ?? '', /source code for building the image/);
  const other = hover(OCI_MANIFEST, 'com.example.team').result;
  assert.match(other?.markdown ?? '', /`annotations\.\*`/);
  assert.match(other?.markdown ?? '', /reverse domain notation/);
});

test('an unknown key gives no field hover', () => {
  assert.equal(hover(OCI_MANIFEST, 'x-unknown').result, undefined);
});

test('values, and keys of a JSON that is not a manifest, give no field hover', () => {
  const text = JSON.stringify({ name: 'my-package', version: '1.0.0', config: { port: 8080 } }, null, 2);
  const analysis = analyze(text);
  assert.equal(analysis.kind, 'unknown');
  assert.equal(fieldHoverAt(analysis, keyOffset(text, 'config')), undefined);
  assert.equal(fieldHoverAt(analysis, keyOffset(text, 'name')), undefined);
  // A value, not a key.
  const manifest = analyze(OCI_MANIFEST);
  assert.equal(fieldHoverAt(manifest, OCI_MANIFEST.indexOf(D1) + 3), undefined);
  // Punctuation and whitespace.
  assert.equal(fieldHoverAt(manifest, 0), undefined);
});
