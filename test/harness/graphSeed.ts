/**
 * Indexes whose entries lie about what they point at, for deep inspection (tree, the editor):
 * pushed next to the podman#22196 sample (whose children they list) in samples/podman-22196.
 *  - :traps  — entry 0 gives a wrong size, entry 1 says linux/s390x for the arm64 child,
 *              entry 2 says Docker v2s2 for an OCI manifest.
 *  - :nested — an index whose only entry is the :mixed index (the children are two levels down).
 */
import { MT } from '../../server/src/engine/mediaTypes';
import { sha256Digest } from './blobs';
import { httpCall } from './http';
import type { SeededImages } from './seed';

export interface GraphTraps {
  readonly traps: { readonly reference: string; readonly digest: string };
  readonly nested: { readonly reference: string; readonly digest: string };
}

async function put(registryUrl: string, repository: string, tag: string, value: unknown, mediaType: string): Promise<{ reference: string; digest: string }> {
  const bytes = Buffer.from(JSON.stringify(value, null, 2));
  const res = await httpCall(`${registryUrl}/v2/${repository}/manifests/${tag}`, { method: 'PUT', body: bytes, headers: { 'Content-Type': mediaType } });
  if (res.status !== 201) throw new Error(`graph seed: PUT ${repository}:${tag} → HTTP ${res.status}: ${res.body.toString('utf8').slice(0, 500)}`);
  return { reference: `${new URL(registryUrl).host}/${repository}:${tag}`, digest: sha256Digest(bytes) };
}

/** Pushes the trap indexes into the (unauthenticated) seeded registry at `registryUrl`. */
export async function seedGraphTraps(registryUrl: string, seeds: SeededImages): Promise<GraphTraps> {
  const { index, amd64, arm64 } = seeds.podman22196;
  const repo = index.repository;
  const traps = await put(registryUrl, repo, 'traps', {
    schemaVersion: 2,
    mediaType: MT.ociIndex,
    manifests: [
      { mediaType: amd64.mediaType, digest: amd64.digest, size: amd64.size + 7, platform: { architecture: 'amd64', os: 'linux' } },
      { mediaType: arm64.mediaType, digest: arm64.digest, size: arm64.size, platform: { architecture: 's390x', os: 'linux' } },
      { mediaType: MT.dockerManifest, digest: amd64.digest, size: amd64.size, platform: { architecture: 'amd64', os: 'windows' } },
    ],
  }, MT.ociIndex);
  const nested = await put(registryUrl, repo, 'nested', {
    schemaVersion: 2,
    mediaType: MT.ociIndex,
    manifests: [{ mediaType: index.mediaType, digest: index.digest, size: index.size }],
  }, MT.ociIndex);
  return { traps, nested };
}
