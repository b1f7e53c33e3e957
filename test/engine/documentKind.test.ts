/** Document kinds by content (rules.md §1), never by file name. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../server/src/engine/analyze';
import { detectKind } from '../../server/src/engine/documentKind';
import { parseJson } from '../../server/src/engine/json';

const D = 'sha256:' + 'c'.repeat(64);
const cases: [string, string, string][] = [
  ['OCI manifest by mediaType', `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[]}`, 'oci-manifest'],
  ['OCI index by mediaType', '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}', 'oci-index'],
  ['Docker manifest by mediaType', '{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{},"layers":[]}', 'docker-manifest'],
  ['Docker list by mediaType', '{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[]}', 'docker-list'],
  ['mediaType-less manifest with a Docker config (containers/image guess)', `{"schemaVersion":2,"config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"${D}","size":1},"layers":[]}`, 'docker-manifest'],
  ['mediaType-less index', `{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"${D}","size":1}]}`, 'oci-index'],
  ['schema 1', '{"schemaVersion":1,"name":"a/b","tag":"t","fsLayers":[],"history":[]}', 'schema1'],
  ['withdrawn artifact manifest', '{"mediaType":"application/vnd.oci.artifact.manifest.v1+json","blobs":[]}', 'artifact-manifest'],
  ['image config by shape', '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}', 'config'],
  ['Docker config without rootfs', '{"architecture":"amd64","os":"linux","config":{"Env":["A=1"]}}', 'config'],
  ['lone descriptor', `{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"${D}","size":7}`, 'descriptor'],
  ['descriptor without digest', '{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":7}', 'descriptor'],
  ['OCI layout header', '{"imageLayoutVersion":"1.0.0"}', 'oci-layout'],
  ['a manifest fragment whose config has a digest', '{"config":{"digest":"sha256:deadbeed"}}', 'oci-manifest'],
  ['package.json', '{"name":"x","version":"1.0.0","dependencies":{}}', 'unknown'],
  ['tsconfig.json', '{"compilerOptions":{"strict":true},"references":[]}', 'unknown'],
  ['a map style with layers', '{"version":8,"layers":[{"id":"water","type":"fill"}]}', 'unknown'],
  ['an array', '[1,2,3]', 'unknown'],
];

for (const [name, text, kind] of cases) {
  test(`detects ${name} as ${kind}`, () => {
    assert.equal(detectKind(parseJson(text).root).kind, kind);
  });
}

test('the registry Content-Type wins over the body', () => {
  const d = detectKind(parseJson('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[]}').root, 'application/vnd.docker.distribution.manifest.v2+json; charset=utf-8');
  assert.deepEqual([d.kind, d.via], ['docker-manifest', 'content-type']);
});

test('both tools\' guesses are kept for a mediaType-less document', () => {
  const d = detectKind(parseJson(`{"schemaVersion":2,"config":{"mediaType":"application/x.custom","digest":"${D}","size":1},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":"${D}","size":1}]}`).root);
  assert.deepEqual(d.guesses, { containersImage: 'oci-manifest', regclient: 'docker-manifest' });
});

test('without a mediaType, fields of one kind decide: schema 1 whatever schemaVersion says; Docker list only when nothing is OCI', () => {
  const d = 'sha256:' + 'a'.repeat(64);
  const schema1 = analyze(`{"schemaVersion":2,"name":"a/b","tag":"t","fsLayers":[{"blobSum":"${d}"}],"history":[{"v1Compatibility":"{}"}]}`);
  assert.equal(schema1.kind, 'schema1');
  assert.ok(schema1.findings.some((f) => f.ruleId === 'schema-version-invalid'), 'schemaVersion 2 on a schema 1 manifest is the error');
  assert.ok(!schema1.findings.some((f) => f.ruleId === 'oci-media-type-missing'), 'not taken for an OCI manifest');
  const entry = (extra = '') => `{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"${d}","size":1,"platform":{"architecture":"amd64","os":"linux"}${extra}}`;
  const list = analyze(`{"schemaVersion":2,"manifests":[${entry()}]}`);
  assert.equal(list.kind, 'docker-list');
  assert.deepEqual(list.findings.map((f) => f.ruleId), ['docker-media-type-missing']);
  // An OCI layout's index.json pointing at a Docker image: annotations make it OCI.
  assert.equal(analyze(`{"schemaVersion":2,"manifests":[${entry(',"annotations":{"org.opencontainers.image.ref.name":"latest"}')}]}`).kind, 'oci-index');
  assert.equal(analyze('{"schemaVersion":2,"manifests":[]}').kind, 'oci-index');
});
