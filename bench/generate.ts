/** Deterministic documents for the benchmark: indexes of N entries and a ~100 KB manifest. */

function hex(n: number, salt: number): string {
  let x = (n * 2654435761 + salt * 40503) >>> 0;
  let s = '';
  while (s.length < 64) {
    x = (x * 1664525 + 1013904223) >>> 0;
    s += x.toString(16).padStart(8, '0');
  }
  return s.slice(0, 64);
}

const PLATFORMS = [
  { architecture: 'amd64', os: 'linux' },
  { architecture: 'arm64', os: 'linux', variant: 'v8' },
  { architecture: 'arm', os: 'linux', variant: 'v7' },
  { architecture: 'ppc64le', os: 'linux' },
  { architecture: 's390x', os: 'linux' },
  { architecture: 'amd64', os: 'windows', 'os.version': '10.0.17763.1879' },
];

/**
 * A pretty-printed OCI index of `entries` manifests (about 400 bytes each). With `artifactType`,
 * every entry also names an artifact type, as a referrers response does. With `dockerEvery: n`,
 * every n-th entry is a Docker v2s2 manifest, which the index rules report, so the document has
 * findings to convert and publish.
 */
export function makeIndex(entries: number, options: { artifactType?: boolean; dockerEvery?: number } = {}): string {
  const manifests = Array.from({ length: entries }, (_, i) => ({
    mediaType: options.dockerEvery && i % options.dockerEvery === options.dockerEvery - 1
      ? 'application/vnd.docker.distribution.manifest.v2+json'
      : 'application/vnd.oci.image.manifest.v1+json',
    ...(options.artifactType ? { artifactType: 'application/vnd.example.sbom.v1+json' } : {}),
    digest: `sha256:${hex(i, 1)}`,
    size: 1000 + (i % 5000),
    platform: PLATFORMS[i % PLATFORMS.length],
    annotations: { 'org.opencontainers.image.ref.name': `v${i}`, 'org.opencontainers.image.created': '2026-11-27T12:00:00Z' },
  }));
  return JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }, null, 2);
}

/** A pretty-printed OCI manifest of about `bytes` bytes (layers added until the size is reached). */
export function makeManifest(bytes: number): string {
  const layers: object[] = [];
  const doc = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${hex(0, 2)}`, size: 7023 },
    layers,
    annotations: { 'org.opencontainers.image.created': '2026-11-27T12:00:00Z' },
  };
  let i = 0;
  while (JSON.stringify(doc, null, 2).length < bytes) {
    for (let k = 0; k < 50; k++, i++) {
      layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${hex(i, 3)}`, size: 32654 + i });
    }
  }
  return JSON.stringify(doc, null, 2);
}
