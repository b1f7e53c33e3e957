/**
 * Generated manifests, indexes and lists whose descriptors are mostly ordinary, with one or two
 * fields drawn from pools of tricky values: for the tests that compare two ways of linting
 * (the plain-entry fast path, the relint of one edited entry).
 */

export const HEX = (r: () => number): string => Array.from({ length: 64 }, () => '0123456789abcdef'[Math.floor(r() * 16)]).join('');

export const MEDIA_TYPES = [
  'application/vnd.oci.image.manifest.v1+json', 'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.layer.v1.tar+gzip', 'application/vnd.oci.image.layer.v1.tar', 'application/vnd.oci.image.layer.v1.tar+zstd',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  'application/vnd.docker.image.rootfs.diff.tar', 'application/vnd.oci.empty.v1+json', 'application/vnd.oci.image.config.v1+json',
  'application/vnd.oci.image.manifest.v1+json; charset=utf-8', 'application\\/vnd.oci.image.manifest.v1+json', 'text/plain', '',
];
export const PLATFORMS = [
  '{"architecture": "amd64", "os": "linux"}', '{"os": "linux", "architecture": "arm64", "variant": "v8"}', '{"architecture": "arm64", "os": "linux"}',
  '{"architecture": "arm", "os": "linux", "variant": "v7"}', '{"architecture": "arm", "os": "linux"}', '{"architecture": "aarch64", "os": "linux"}',
  '{"architecture": "x86_64", "os": "linux"}', '{"architecture": "arm64", "os": "linux", "variant": "8"}', '{"architecture": "amd64", "os": "windows", "os.version": "10.0.17763.1879"}',
  '{"architecture": "amd64", "os": "windows", "os.features": ["win32k"]}', '{"architecture": "amd64", "os": "linux", "features": ["sse4"]}',
  '{"architecture": "unknown", "os": "unknown"}', '{"architecture": "amd64"}', '{"architecture": 1, "os": "linux"}', '{"architecture": "s390x", "os": "windows"}',
  '{"architecture": "amd64", "os": "linux", "variant": "v9"}', '{"architecture": "ppc64le", "os": "linux", "variant": "power9"}',
  '{"architecture": "386", "os": "linux", "variant": "v1"}', '{"architecture": "amd64", "os": "Linux"}', '{"architecture": "amd64", "os": "linux", "architecture": "arm64"}',
  '{"architecture": "amd\\u0036\\u0034", "os": "linux"}', 'null', '"linux/amd64"',
];
export const ANNOTATION_VALUES: [string, string][] = [
  ['org.opencontainers.image.created', '"2026-11-27T12:00:00Z"'], ['org.opencontainers.image.created', '"2026-11-27"'],
  ['org.opencontainers.image.created', '"2026-02-30T00:00:00Z"'], ['org.opencontainers.image.ref.name', '"v1.2.3"'],
  ['org.opencontainers.image.ref.name', '"bad name!"'], ['org.opencontainers.image.title', '"hello"'], ['org.opencontainers.image.url', '"https://example.com"'],
  ['org.opencontainers.image.url', '"not a url"'], ['org.opencontainers.image.licenses', '"MIT, Apache"'], ['org.opencontainers.image.base.digest', '"sha256:abc"'],
  ['org.opencontainers.image.creatd', '"x"'], ['oci.opencontainers.image.created', '"2026-11-27T12:00:00Z"'], ['org.opencontainers.image.os', '"linux"'],
  ['org.label-schema.build-date', '"2026-11-27T12:00:00Z"'], ['vnd.docker.reference.type', '"attestation-manifest"'],
  ['vnd.docker.reference.digest', '"sha256:0000000000000000000000000000000000000000000000000000000000000000"'],
  ['io.github.containers.compression.zstd', '"true"'], ['com.example.build', '"42"'], ['com.example.build', '42'], ['Foo', '"bar"'],
  ['org.opencontainers.artifact.created', '"2026-11-27T12:00:00Z"'], ['org.opencontainers.image.enc.keys.jwe', '"x"'], ['com.example.nul', 'null'],
  ['org.opencontainers.image.licenses', '"MIT OR Apache-2.0"'], ['org.opencontainers.image.licenses', '"mit or apache"'],
  ['org.opencontainers.image.source', '"https://github.com/example/app"'], ['org.opencontainers.image.documentation', '"docs"'],
  ['org.opencontainers.image.base.name', '"docker.io/library/alpine:3.20"'], ['org.opencontainers.image.base.name', '"alpine:3.20"'],
  ['org.opencontainers.image.base.digest', '"sha256:' + '1'.repeat(64) + '"'], ['org.opencontainers.image.base.digest', '"md5:' + '1'.repeat(32) + '"'],
  ['org.opencontainers.image.base.digest', '"SHA256:' + '1'.repeat(64) + '"'], ['org.opencontainers.image.url', '"https://example.com/\\u0041"'],
];

export function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

/** One descriptor: mostly ordinary, with one or two fields drawn from the tricky pools. */
export function entry(r: () => number, kind: string, digests: string[]): string {
  const ordinaryType = kind === 'index' ? MEDIA_TYPES[0] : kind === 'list' ? MEDIA_TYPES[2] : kind === 'manifest' ? MEDIA_TYPES[4] : MEDIA_TYPES[8];
  const fields: string[] = [];
  fields.push(`"mediaType": ${r() < 0.7 ? JSON.stringify(ordinaryType) : `"${pick(r, MEDIA_TYPES)}"`}`);
  const digestChoices = [`"sha256:${HEX(r)}"`, `"sha256:${HEX(r).toUpperCase()}"`, `"sha512:${HEX(r)}${HEX(r)}"`, '"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"',
    '"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"', `"sha256:${HEX(r).slice(1)}"`, '"md5:abc"', digests.length ? JSON.stringify(pick(r, digests)) : `"sha256:${HEX(r)}"`];
  const digest = r() < 0.7 ? `"sha256:${HEX(r)}"` : pick(r, digestChoices);
  if (digest.startsWith('"sha256:') && digest.length === 73) digests.push(JSON.parse(digest));
  if (r() > 0.03) fields.push(`"digest": ${digest}`);
  if (r() > 0.03) fields.push(`"size": ${r() < 0.7 ? String(1 + Math.floor(r() * 100000)) : pick(r, ['0', '-1', '1.5', '1e3', '"12"', '9007199254740993', '123456789012345', '1234567890123456', '2', '01'])}`);
  if (kind === 'index' || kind === 'list') {
    if (r() > 0.05) fields.push(`"platform": ${r() < 0.6 ? pick(r, PLATFORMS.slice(0, 4)) : pick(r, PLATFORMS)}`);
  }
  if (r() < 0.6) {
    const n = Math.floor(r() * 3);
    const pairs = Array.from({ length: n }, () => (r() < 0.6 ? ANNOTATION_VALUES[Math.floor(r() * 4)] : pick(r, ANNOTATION_VALUES)));
    if (r() < 0.1 && digests.length) pairs.push(['vnd.docker.reference.digest', JSON.stringify(pick(r, digests))], ['vnd.docker.reference.type', '"attestation-manifest"']);
    fields.push(`"annotations": {${pairs.map(([k, v]) => `${JSON.stringify(k)}: ${v}`).join(', ')}}`);
  }
  if (r() < 0.15) fields.push(`"artifactType": ${pick(r, ['"application/vnd.example.sbom.v1+json"', '"application/example; x=1"', '""', '1', '"application\\/example"'])}`);
  if (r() < 0.05) fields.push(pick(r, ['"urls": ["https://example.com/blob"]', '"data": "e30="', '"artifactType": "application/example"', '"foo": 1', '"mediaType": "text/plain"', '"annotations": null']));
  // Reorder sometimes: key order must not matter.
  if (r() < 0.2) fields.reverse();
  return `{${fields.join(', ')}}`;
}

export function document(r: () => number, kind: string): string {
  const digests: string[] = [];
  const n = 1 + Math.floor(r() * 7);
  const entries = Array.from({ length: n }, () => entry(r, kind, digests));
  // Duplicate an entry now and then (duplicate platforms, digests).
  if (r() < 0.3) entries.push(pick(r, entries));
  const body = entries.join(',\n    ');
  switch (kind) {
    case 'index':
      return `{\n  "schemaVersion": 2,\n  "mediaType": "application/vnd.oci.image.index.v1+json",\n  "manifests": [\n    ${body}\n  ]${r() < 0.2 ? ',\n  "annotations": {"org.opencontainers.image.created": "2026-11-27T12:00:00Z"}' : ''}\n}`;
    case 'list':
      return `{\n  "schemaVersion": 2,\n  "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",\n  "manifests": [\n    ${body}\n  ]\n}`;
    case 'manifest': {
      const config = pick(r, ['application/vnd.oci.image.config.v1+json', 'application/vnd.oci.empty.v1+json', 'application/vnd.docker.container.image.v1+json', 'application/example']);
      return `{\n  "schemaVersion": 2,\n  "mediaType": "application/vnd.oci.image.manifest.v1+json",${r() < 0.2 ? ' "artifactType": "application/example",' : ''}\n  "config": {"mediaType": "${config}", "digest": "sha256:${HEX(r)}", "size": 7},\n  "layers": [\n    ${body}\n  ]\n}`;
    }
    default:
      return `{\n  "schemaVersion": 2,\n  "mediaType": "application/vnd.docker.distribution.manifest.v2+json",\n  "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": "sha256:${HEX(r)}", "size": 7},\n  "layers": [\n    ${body}\n  ]\n}`;
  }
}

