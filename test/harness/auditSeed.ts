/**
 * A registry of many repositories for `audit` (issue 21), pushed over the HTTP API: 20 clean
 * repositories of 5 tags each whose tags share digests (every one tags the same clean image and
 * the same clean index; three tags per repository name one image of its own), and planted
 * broken images, each in its own repository:
 *  - broken/mixed:      an OCI index whose OCI children carry a Docker config (podman#22196:
 *                       mixed-config-media-type), under two tags;
 *  - broken/size:       an index whose entry's size differs from its child (child-size-mismatch);
 *  - broken/list-oci:   a Docker manifest list over OCI children (mixed-list-oci-children);
 *  - broken/empty:      an index without entries (the engine's index-manifests-empty);
 *  - broken/platform:   an index entry whose platform differs from its config's (platform-config-mismatch).
 * Blobs are pushed once and mounted into the other repositories.
 */
import { MT } from '../../server/src/engine/mediaTypes';
import { headerValue, httpCall } from './http';
import { makeConfig, makeLayer, sha256Digest, type Platform } from './blobs';

export interface AuditSeed {
  /** Every repository, sorted. */
  readonly repositories: readonly string[];
  /** The clean ones. */
  readonly clean: readonly string[];
  /** Planted: repository → the rule ids the audit must report there. */
  readonly planted: Readonly<Record<string, readonly string[]>>;
  /** Tags pushed in all. */
  readonly tags: number;
  /** Distinct tagged digests. */
  readonly digests: number;
}

type Descriptor = { mediaType: string; digest: string; size: number; platform?: Record<string, string> };

export async function seedAuditRegistry(url: string, options: { cleanRepositories?: number } = {}): Promise<AuditSeed> {
  const blobHome = new Map<string, string>(); // digest → a repository holding it
  const has = new Set<string>(); // `repo@digest`
  const tagged = new Set<string>();
  let tags = 0;

  const check = (status: number, ok: number[], what: string, body: Buffer): void => {
    if (!ok.includes(status)) throw new Error(`audit seed: ${what} → HTTP ${status}: ${body.toString('utf8').slice(0, 500)}`);
  };

  const pushBlob = async (repo: string, bytes: Buffer): Promise<{ digest: string; size: number }> => {
    const digest = sha256Digest(bytes);
    if (has.has(`${repo}@${digest}`)) return { digest, size: bytes.length };
    const from = blobHome.get(digest);
    if (from) {
      const r = await httpCall(new URL(`/v2/${repo}/blobs/uploads/?mount=${digest}&from=${from}`, url), { method: 'POST' });
      if (r.status === 201) {
        has.add(`${repo}@${digest}`);
        return { digest, size: bytes.length };
      }
    }
    const start = await httpCall(new URL(`/v2/${repo}/blobs/uploads/`, url), { method: 'POST' });
    check(start.status, [202], `POST ${repo} upload`, start.body);
    const put = new URL(headerValue(start, 'location')!, url);
    put.searchParams.set('digest', digest);
    const res = await httpCall(put, { method: 'PUT', body: bytes, headers: { 'Content-Type': 'application/octet-stream' } });
    check(res.status, [201], `PUT blob to ${repo}`, res.body);
    has.add(`${repo}@${digest}`);
    if (!blobHome.has(digest)) blobHome.set(digest, repo);
    return { digest, size: bytes.length };
  };

  const pushManifest = async (repo: string, ref: string, value: unknown, mediaType: string): Promise<Descriptor> => {
    const bytes = Buffer.from(JSON.stringify(value, null, 2));
    const res = await httpCall(new URL(`/v2/${repo}/manifests/${ref}`, url), { method: 'PUT', body: bytes, headers: { 'Content-Type': mediaType } });
    check(res.status, [201], `PUT manifest ${repo}:${ref}`, res.body);
    const digest = sha256Digest(bytes);
    if (!ref.startsWith('sha256:')) {
      tags++;
      tagged.add(digest);
    }
    return { mediaType, digest, size: bytes.length };
  };

  const image = async (repo: string, label: string, platform: Platform, types: { manifest: string; config: string; layer: string }, tag?: string, configPlatform?: Platform): Promise<Descriptor> => {
    const layer = makeLayer(label);
    const l = await pushBlob(repo, layer.gzip);
    const c = await pushBlob(repo, makeConfig(label, configPlatform ?? platform, [layer]));
    const m = {
      schemaVersion: 2,
      mediaType: types.manifest,
      config: { mediaType: types.config, digest: c.digest, size: c.size },
      layers: [{ mediaType: types.layer, digest: l.digest, size: l.size }],
    };
    const bytes = Buffer.from(JSON.stringify(m, null, 2));
    const d = await pushManifest(repo, tag ?? sha256Digest(bytes), m, types.manifest);
    return { ...d, platform: { os: platform.os, architecture: platform.architecture, ...(platform.variant ? { variant: platform.variant } : {}) } };
  };

  const index = (repo: string, tag: string, mediaType: string, entries: Descriptor[]): Promise<Descriptor> =>
    pushManifest(repo, tag, { schemaVersion: 2, mediaType, manifests: entries }, mediaType);

  const amd64: Platform = { os: 'linux', architecture: 'amd64' };
  const arm64: Platform = { os: 'linux', architecture: 'arm64', variant: 'v8' };
  const oci = { manifest: MT.ociManifest, config: MT.ociConfig, layer: MT.ociLayerGzip };
  const docker = { manifest: MT.dockerManifest, config: MT.dockerConfig, layer: MT.dockerLayerGzip };
  const mixed = { manifest: MT.ociManifest, config: MT.dockerConfig, layer: MT.dockerLayerGzip };

  const clean: string[] = [];
  const n = options.cleanRepositories ?? 20;
  const cleanRepository = async (i: number): Promise<void> => {
    const repo = `clean/app-${String(i).padStart(2, '0')}`;
    clean.push(repo);
    // Shared by every repository: one image, one index (and its two children).
    await image(repo, 'shared base', amd64, oci, 'base');
    const a = await image(repo, 'shared multi amd64', amd64, oci);
    const b = await image(repo, 'shared multi arm64', arm64, oci);
    await index(repo, 'multi', MT.ociIndex, [a, b]);
    // Its own image, under three tags; every third repository a Docker v2s2 one.
    const own = await image(repo, `own ${repo}`, amd64, i % 3 === 0 ? docker : oci, 'v1');
    const bytes = await httpCall(new URL(`/v2/${repo}/manifests/${own.digest}`, url), { headers: { Accept: own.mediaType } });
    for (const t of ['v1.0', 'latest']) {
      const res = await httpCall(new URL(`/v2/${repo}/manifests/${t}`, url), { method: 'PUT', body: bytes.body, headers: { 'Content-Type': own.mediaType } });
      check(res.status, [201], `PUT ${repo}:${t}`, res.body);
      tags++;
    }
  };
  // The first one pushes the shared blobs; the others mount them, a few repositories at a time.
  if (n > 0) await cleanRepository(0);
  for (let i = 1; i < n; i += 6) await Promise.all(Array.from({ length: Math.min(6, n - i) }, (_, k) => cleanRepository(i + k)));
  clean.sort();

  const planted: Record<string, string[]> = {};
  {
    const repo = 'broken/mixed';
    const a = await image(repo, 'mixed amd64', amd64, mixed);
    const b = await image(repo, 'mixed arm64', arm64, mixed);
    const idx = await index(repo, 'mixed', MT.ociIndex, [a, b]);
    const raw = await httpCall(new URL(`/v2/${repo}/manifests/${idx.digest}`, url), { headers: { Accept: MT.ociIndex } });
    const res = await httpCall(new URL(`/v2/${repo}/manifests/also-mixed`, url), { method: 'PUT', body: raw.body, headers: { 'Content-Type': MT.ociIndex } });
    check(res.status, [201], 'PUT also-mixed', res.body);
    tags++;
    await image(repo, 'mixed fine', amd64, oci, 'fine'); // a clean tag beside the broken ones
    planted[repo] = ['mixed-config-media-type'];
  }
  {
    const repo = 'broken/size';
    const a = await image(repo, 'size amd64', amd64, oci);
    await index(repo, 'v1', MT.ociIndex, [{ ...a, size: a.size + 7 }]);
    planted[repo] = ['child-size-mismatch'];
  }
  {
    const repo = 'broken/list-oci';
    const a = await image(repo, 'list-oci amd64', amd64, oci);
    const b = await image(repo, 'list-oci arm64', arm64, oci);
    await index(repo, 'latest', MT.dockerList, [a, b]);
    planted[repo] = ['mixed-list-oci-children'];
  }
  {
    const repo = 'broken/empty';
    // distribution's catalog lists only repositories that hold a blob: give it one.
    await pushBlob(repo, makeLayer('shared base').gzip);
    await index(repo, 'latest', MT.ociIndex, []);
    planted[repo] = ['index-manifests-empty'];
  }
  {
    const repo = 'broken/platform';
    const a = await image(repo, 'platform arm64 really', arm64, oci, undefined, amd64);
    await index(repo, 'latest', MT.ociIndex, [a]);
    planted[repo] = ['platform-config-mismatch'];
  }
  return {
    repositories: [...clean, ...Object.keys(planted)].sort(),
    clean,
    planted,
    tags,
    digests: tagged.size,
  };
}
