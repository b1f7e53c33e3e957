import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findingsOf, ruleCases } from './ruleCases';
import { RULES_BY_ID } from '../../server/src/engine/ruleTable';

const D = 'sha256:' + 'a'.repeat(64);
const ociManifest = (config: string, layer: string, extra = '') =>
  `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",${extra}"config":{"mediaType":${config},"digest":"${D}","size":1469},"layers":[{"mediaType":${layer},"digest":"${D}","size":29}]}`;
const dockerManifest = (config: string, layer: string, extra = '') =>
  `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",${extra}"config":{"mediaType":${config},"digest":"${D}","size":1469},"layers":[{"mediaType":${layer},"digest":"${D}","size":29}]}`;
const index = (top: string, child: string, extra = '') =>
  `{"schemaVersion":2,"mediaType":${top},"manifests":[{"mediaType":${child},"digest":"${D}","size":7,"platform":{"architecture":"amd64","os":"linux"${extra}}}]}`;

const OCI_CONFIG = '"application/vnd.oci.image.config.v1+json"';
const DOCKER_CONFIG = '"application/vnd.docker.container.image.v1+json"';
const OCI_GZ = '"application/vnd.oci.image.layer.v1.tar+gzip"';
const DOCKER_GZ = '"application/vnd.docker.image.rootfs.diff.tar.gzip"';

ruleCases([
  {
    rule: 'mixed-config-media-type',
    // What Debian 12's podman 4.3.1 prints (test/realtools checks it against podman itself).
    message: 'podman and buildah refuse to pull it',
    invalid: [ociManifest(`⟦${DOCKER_CONFIG}⟧`, DOCKER_GZ), ociManifest(`⟦${DOCKER_CONFIG}⟧`, OCI_GZ)],
    valid: [ociManifest(OCI_CONFIG, OCI_GZ), dockerManifest(DOCKER_CONFIG, DOCKER_GZ)],
  },
  {
    rule: 'mixed-layer-in-oci-manifest',
    invalid: [ociManifest(OCI_CONFIG, `⟦${DOCKER_GZ}⟧`)],
    valid: [ociManifest(OCI_CONFIG, OCI_GZ), dockerManifest(DOCKER_CONFIG, DOCKER_GZ)],
  },
  {
    rule: 'mixed-layer-in-docker-manifest',
    message: 'podman and skopeo refuse it',
    invalid: [dockerManifest(DOCKER_CONFIG, `⟦${OCI_GZ}⟧`), dockerManifest(DOCKER_CONFIG, '⟦"text/plain"⟧')],
    valid: [dockerManifest(DOCKER_CONFIG, DOCKER_GZ), dockerManifest(DOCKER_CONFIG, '"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"')],
  },
  {
    rule: 'docker-config-media-type-unexpected',
    invalid: [dockerManifest(`⟦${OCI_CONFIG}⟧`, DOCKER_GZ)],
    valid: [dockerManifest(DOCKER_CONFIG, DOCKER_GZ), dockerManifest('"application/vnd.docker.plugin.v1+json"', DOCKER_GZ)],
  },
  {
    rule: 'mixed-index-docker-children',
    invalid: [index('"application/vnd.oci.image.index.v1+json"', '⟦"application/vnd.docker.distribution.manifest.v2+json"⟧')],
    valid: [index('"application/vnd.oci.image.index.v1+json"', '"application/vnd.oci.image.manifest.v1+json"')],
  },
  {
    rule: 'mixed-index-docker-children',
    options: { context: 'layout-index' },
    invalid: [index('"application/vnd.oci.image.index.v1+json"', '⟦"application/vnd.docker.distribution.manifest.v2+json"⟧')],
    valid: [index('"application/vnd.oci.image.index.v1+json"', '"application/vnd.oci.image.manifest.v1+json"')],
  },
  {
    rule: 'mixed-list-oci-children',
    invalid: [index('"application/vnd.docker.distribution.manifest.list.v2+json"', '⟦"application/vnd.oci.image.manifest.v1+json"⟧')],
    valid: [index('"application/vnd.docker.distribution.manifest.list.v2+json"', '"application/vnd.docker.distribution.manifest.v2+json"')],
  },
  {
    rule: 'docker-zstd-layer-nonstandard',
    invalid: [dockerManifest(DOCKER_CONFIG, '⟦"application/vnd.docker.image.rootfs.diff.tar.zstd"⟧'), dockerManifest(DOCKER_CONFIG, '⟦"application/vnd.oci.image.layer.v1.tar+zstd"⟧'), ociManifest(OCI_CONFIG, '⟦"application/vnd.docker.image.rootfs.diff.tar.zstd"⟧')],
    valid: [ociManifest(OCI_CONFIG, '"application/vnd.oci.image.layer.v1.tar+zstd"')],
  },
  {
    rule: 'docker-uncompressed-layer',
    invalid: [dockerManifest(DOCKER_CONFIG, '⟦"application/vnd.docker.image.rootfs.diff.tar"⟧')],
    valid: [dockerManifest(DOCKER_CONFIG, DOCKER_GZ)],
  },
  {
    rule: 'oci-only-field-in-docker',
    invalid: [dockerManifest(DOCKER_CONFIG, DOCKER_GZ, '⟦"annotations"⟧:{"a.b":"c"},'), dockerManifest(DOCKER_CONFIG, DOCKER_GZ, '⟦"artifactType"⟧:"application/x.y",')],
    valid: [dockerManifest(DOCKER_CONFIG, DOCKER_GZ), ociManifest(OCI_CONFIG, OCI_GZ, '"annotations":{"a.b":"c"},')],
  },
  {
    rule: 'docker-only-field-in-oci',
    invalid: [index('"application/vnd.oci.image.index.v1+json"', '"application/vnd.oci.image.manifest.v1+json"', ',⟦"features"⟧:["sse4"]')],
    valid: [index('"application/vnd.docker.distribution.manifest.list.v2+json"', '"application/vnd.docker.distribution.manifest.v2+json"', ',"features":["sse4"]')],
  },
  {
    rule: 'oci-artifact-manifest-withdrawn',
    invalid: [`{"mediaType":⟦"application/vnd.oci.artifact.manifest.v1+json"⟧,"artifactType":"application/x.sig","blobs":[{"mediaType":"application/x.sig","digest":"${D}","size":3}]}`],
    valid: [ociManifest(OCI_CONFIG, OCI_GZ)],
  },
]);

test('docker-zstd-layer-nonstandard: an error where podman refuses it (Docker manifest), info where podman pulls it (OCI manifest)', () => {
  const docker = findingsOf(dockerManifest(DOCKER_CONFIG, '"application/vnd.docker.image.rootfs.diff.tar.zstd"'), 'docker-zstd-layer-nonstandard');
  assert.deepEqual(docker.map((f) => f.severity), ['error']);
  assert.match(docker[0].message, /podman and skopeo refuse it/);
  // What Debian 12's podman 4.3.1 printed for it: in the rule's why (hover, docs), not in the one-sentence message.
  assert.match(RULES_BY_ID.get('docker-zstd-layer-nonstandard')!.why, /`unsupported docker v2s2 media type: "application\/vnd\.docker\.image\.rootfs\.diff\.tar\.zstd"`/);
  const oci = findingsOf(ociManifest(OCI_CONFIG, '"application/vnd.docker.image.rootfs.diff.tar.zstd"'), 'docker-zstd-layer-nonstandard');
  assert.deepEqual(oci.map((f) => f.severity), ['info']);
  assert.doesNotMatch(oci[0].message, /refuse/);
});

test('mixed-index-docker-children is info (podman writes such an index) and names who refused one', () => {
  const f = findingsOf(index('"application/vnd.oci.image.index.v1+json"', '"application/vnd.docker.distribution.manifest.v2+json"'), 'mixed-index-docker-children');
  assert.deepEqual(f.map((x) => x.severity), ['info']);
  assert.match(f[0].message, /podman and skopeo accept it, Quay refuses it/);
});

test('mixed-index-docker-children in a layout\'s index.json: a warning that says skopeo and podman cannot resolve the tag (issue 24)', () => {
  const layoutIndex = `{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"sha256:${'b'.repeat(64)}","size":528,"annotations":{"org.opencontainers.image.ref.name":"t"}}]}`;
  const f = findingsOf(layoutIndex, 'mixed-index-docker-children', { context: 'layout-index' });
  assert.deepEqual(f.map((x) => x.severity), ['warning']);
  assert.equal(f[0].message, 'manifests[0] is a Docker type: skopeo 1.9.3 and podman skip it when resolving a tag in a layout (`no descriptor found for reference "t"`).');
  assert.doesNotMatch(f[0].message, /accept/);
  assert.deepEqual(f[0].fixes, []);
  // The same text outside a layout: info, as before.
  assert.deepEqual(findingsOf(layoutIndex, 'mixed-index-docker-children').map((x) => x.severity), ['info']);
});

test('a message is one sentence for the Problems panel; the tools\' quoted errors are in the rule\'s why (issue 24)', () => {
  const f = findingsOf(ociManifest(DOCKER_CONFIG, DOCKER_GZ), 'mixed-config-media-type');
  assert.equal(f[0].message, 'OCI manifest with a Docker config media type: podman and buildah refuse to pull it, and skopeo inspect fails.');
  const why = RULES_BY_ID.get('mixed-config-media-type')!.why;
  assert.match(why, /podman 4\.3[^`]*`parsing image configuration: unsupported image-specific operation on artifact with type "application\/vnd\.docker\.container\.image\.v1\+json"`/);
  assert.match(why, /`invalid mixed OCI image with Docker v2s2 config`/);
  assert.match(RULES_BY_ID.get('mixed-layer-in-docker-manifest')!.why, /`unsupported docker v2s2 media type: "application\/vnd\.oci\.image\.layer\.v1\.tar\+gzip"`/);
});
