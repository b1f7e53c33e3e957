/**
 * Seeds a registry with the sample images the registry, skopeo and CLI tests (and the demo) use,
 * over the registry HTTP API only: blobs by POST + PUT ?digest= (monolithic), manifests by PUT
 * with Content-Type = their mediaType. Every manifest is serialised exactly once; those bytes
 * are what is pushed and what is returned, so tests compare byte for byte.
 *
 * Repositories (all under samples/):
 *  - podman-22196:mixed — the podman#22196 case: an OCI index whose OCI children carry a Docker
 *    config media type and Docker layer types (rules.md §9 mixed-config-media-type).
 *  - clean-oci:latest — a clean OCI index (linux/amd64, linux/arm64/v8); clean-oci:amd64 tags the
 *    amd64 child directly. Also holds the SBOM artifact whose subject is the amd64 child (pushed
 *    by digest) and the referrers fallback tag sha256-<hex of the amd64 child>.
 *  - docker-list-oci-children:latest — a Docker manifest list whose children are OCI manifests.
 *  - docker-v2s2:latest — a plain Docker v2 schema 2 image.
 *  - attested:latest — an OCI index with a BuildKit-style attestation entry (platform unknown/unknown).
 *  - hostile-text:latest — an OCI index whose annotation and a history line carry `<script>` (shown as
 *    text, never run), two platforms of three layers of distinct sizes sharing the two lower ones,
 *    an attestation of amd64, an SBOM referrer of arm64 and a signature referrer of the index.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { MT } from '../../server/src/engine/mediaTypes';
import { headerValue, httpCall, type HttpResult } from './http';
import { makeConfig, makeLayer, sha256Digest, type LayerBlob, type Platform } from './blobs';
import { after, before } from 'node:test';
import { assertCliBuilt, isolatedEnv, type IsolatedEnv } from './cli';
import { startRegistry, type RunningRegistry } from './registry';

export interface SeedAuth {
  readonly username: string;
  readonly password: string;
}

export interface SeededBlob {
  readonly digest: string;
  readonly size: number;
  readonly mediaType: string;
  readonly bytes: Uint8Array;
}

export interface SeededManifest {
  readonly repository: string;
  /** The tag it was pushed under; undefined when pushed by digest only. */
  readonly tag?: string;
  readonly digest: string;
  readonly size: number;
  /** The manifest's mediaType, which was also the Content-Type of the PUT. */
  readonly mediaType: string;
  /** The exact bytes pushed. */
  readonly bytes: Uint8Array;
  /** `HOST/REPO:TAG`, or `HOST/REPO@DIGEST` when pushed by digest. */
  readonly reference: string;
  /** `HOST/REPO@DIGEST`. */
  readonly byDigest: string;
  readonly platform?: Platform;
  readonly config?: SeededBlob;
  readonly layers?: readonly SeededBlob[];
  /** Index/list entries, in order. */
  readonly children?: readonly SeededManifest[];
}

export interface SeededImages {
  /** `127.0.0.1:PORT`. */
  readonly host: string;
  readonly podman22196: { readonly index: SeededManifest; readonly amd64: SeededManifest; readonly arm64: SeededManifest };
  readonly cleanOci: {
    readonly index: SeededManifest;
    readonly amd64: SeededManifest;
    readonly arm64: SeededManifest;
    /** The same bytes as `amd64`, under the tag `amd64`. */
    readonly amd64Tag: SeededManifest;
  };
  readonly dockerListOciChildren: { readonly list: SeededManifest; readonly amd64: SeededManifest; readonly arm64: SeededManifest };
  readonly dockerV2s2: { readonly manifest: SeededManifest };
  readonly artifact: {
    /** The SBOM artifact manifest (pushed by digest), whose subject is `cleanOci.amd64`. */
    readonly manifest: SeededManifest;
    readonly subject: SeededManifest;
    /** The referrers fallback index under the tag `sha256-<hex of the subject>`. */
    readonly fallbackIndex: SeededManifest;
  };
  readonly attested: { readonly index: SeededManifest; readonly amd64: SeededManifest; readonly attestation: SeededManifest };
  /** The index annotation {@link HOSTILE_TEXT} (and a history line with it); amd64 and arm64 share their two lower layers. */
  readonly hostileText: {
    readonly index: SeededManifest; readonly amd64: SeededManifest; readonly arm64: SeededManifest;
    /** The attestation entry of amd64; the SBOM referrer of arm64; the cosign-style signature referrer of the index (fallback tags). */
    readonly attestation: SeededManifest; readonly sbom: SeededManifest; readonly signature: SeededManifest;
  };
  /** Every reference pushed under a tag, in push order. */
  readonly tagged: readonly SeededManifest[];
  /** Every distinct manifest pushed (by tag or digest), keyed `REPO@DIGEST`. */
  readonly manifests: ReadonlyMap<string, SeededManifest>;
}

const SBOM_TYPE = 'application/spdx+json';
const IN_TOTO_TYPE = 'application/vnd.in-toto+json';
const EMPTY_JSON = Buffer.from('{}');

/** Minimal registry HTTP client for pushing: handles Basic and Bearer challenges. */
class Pusher {
  private readonly tokens = new Map<string, string>();
  private basic = false;
  requests = 0;

  constructor(private readonly base: string, private readonly auth: SeedAuth | undefined) {}

  private basicHeader(): string {
    return 'Basic ' + Buffer.from(`${this.auth!.username}:${this.auth!.password}`).toString('base64');
  }

  private authHeader(scope: string): string | undefined {
    if (this.basic && this.auth) return this.basicHeader();
    const t = this.tokens.get(scope);
    return t ? `Bearer ${t}` : undefined;
  }

  private async fetchToken(challenge: string, scope: string): Promise<void> {
    const params = new Map<string, string>();
    for (const m of challenge.matchAll(/(\w+)="([^"]*)"/g)) params.set(m[1].toLowerCase(), m[2]);
    const realm = params.get('realm');
    if (!realm) throw new Error(`seed: Bearer challenge without realm: ${challenge}`);
    const url = new URL(realm);
    if (params.has('service')) url.searchParams.set('service', params.get('service')!);
    url.searchParams.append('scope', scope);
    if (this.auth) url.searchParams.set('account', this.auth.username);
    const res = await httpCall(url, { headers: this.auth ? { Authorization: this.basicHeader() } : {} });
    const body = res.body.toString('utf8');
    if (res.status !== 200) throw new Error(`seed: token request ${url} → HTTP ${res.status}: ${body}`);
    const json = JSON.parse(body) as { token?: string; access_token?: string };
    const token = json.token ?? json.access_token;
    if (!token) throw new Error(`seed: token response without a token: ${body}`);
    this.tokens.set(scope, token);
  }

  /** One request; on a 401 answers the challenge once and retries. */
  async request(method: string, pathOrUrl: string, scope: string, init: { body?: Uint8Array; headers?: Record<string, string> } = {}): Promise<HttpResult> {
    const url = new URL(pathOrUrl, this.base);
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { ...init.headers };
      const a = this.authHeader(scope);
      if (a) headers.Authorization = a;
      this.requests++;
      const res = await httpCall(url, { method, headers, body: init.body });
      if (res.status !== 401 || attempt > 0) return res;
      const challenge = headerValue(res, 'www-authenticate') ?? '';
      if (/^basic/i.test(challenge)) {
        if (!this.auth) return res;
        this.basic = true;
      } else if (/^bearer/i.test(challenge)) {
        await this.fetchToken(challenge, scope);
      } else {
        throw new Error(`seed: 401 with an unknown challenge "${challenge}" for ${method} ${url}`);
      }
    }
  }
}

function expectStatus(res: HttpResult, expected: number[], what: string): void {
  if (expected.includes(res.status)) return;
  throw new Error(`seed: ${what} → HTTP ${res.status}: ${res.body.toString('utf8').slice(0, 2000)}`);
}

/** Serialises a manifest object once: 2-space JSON, or 3 spaces (what the Docker engine writes). */
function serialize(value: unknown, indent = 2): Buffer {
  return Buffer.from(JSON.stringify(value, null, indent), 'utf8');
}

/** The OCI/Docker descriptor of a pushed manifest, for an index or a subject. */
function descriptorOf(m: SeededManifest, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { mediaType: m.mediaType, digest: m.digest, size: m.size, ...extra };
}

function platformObject(p: Platform): Record<string, string> {
  return { architecture: p.architecture, os: p.os, ...(p.variant ? { variant: p.variant } : {}) };
}

/** Registry text that would run in a view that built HTML from it (hostile-text:latest carries it). */
export const HOSTILE_TEXT = '<script>document.title="pwned"</script><img src=x onerror="document.title=1">';

/**
 * Pushes the sample images to the registry at `registryUrl` (`http://127.0.0.1:PORT`). `auth`
 * is needed when the registry requires it (htpasswd or token mode).
 */
export async function seedSamples(registryUrl: string, auth?: SeedAuth): Promise<SeededImages> {
  const host = new URL(registryUrl).host;
  const pusher = new Pusher(registryUrl, auth);
  const manifests = new Map<string, SeededManifest>();
  const tagged: SeededManifest[] = [];
  const pushedBlobs = new Set<string>();

  const pushBlob = async (repository: string, bytes: Uint8Array, mediaType: string): Promise<SeededBlob> => {
    const digest = sha256Digest(bytes);
    const blob: SeededBlob = { digest, size: bytes.length, mediaType, bytes };
    const key = `${repository}@${digest}`;
    if (pushedBlobs.has(key)) return blob;
    const scope = `repository:${repository}:pull,push`;
    const head = await pusher.request('HEAD', `/v2/${repository}/blobs/${digest}`, scope);
    if (head.status !== 200) {
      const start = await pusher.request('POST', `/v2/${repository}/blobs/uploads/`, scope);
      expectStatus(start, [202], `POST /v2/${repository}/blobs/uploads/`);
      const location = headerValue(start, 'location');
      if (!location) throw new Error(`seed: upload of ${digest} to ${repository}: 202 without Location`);
      const put = new URL(location, registryUrl);
      put.searchParams.set('digest', digest);
      const res = await pusher.request('PUT', put.toString(), scope, {
        body: bytes,
        headers: { 'Content-Type': 'application/octet-stream' },
      });
      expectStatus(res, [201], `PUT blob ${digest} to ${repository}`);
    }
    pushedBlobs.add(key);
    return blob;
  };

  const pushManifest = async (
    repository: string,
    tag: string | undefined,
    bytes: Buffer,
    mediaType: string,
    extra: Pick<SeededManifest, 'platform' | 'config' | 'layers' | 'children'> = {},
  ): Promise<SeededManifest> => {
    const digest = sha256Digest(bytes);
    const ref = tag ?? digest;
    const res = await pusher.request('PUT', `/v2/${repository}/manifests/${ref}`, `repository:${repository}:pull,push`, {
      body: bytes,
      headers: { 'Content-Type': mediaType },
    });
    const served = headerValue(res, 'docker-content-digest');
    expectStatus(res, [201], `PUT manifest ${repository}:${ref} (${mediaType})`);
    if (served && served !== digest) throw new Error(`seed: registry computed ${served} for ${repository}:${ref}, expected ${digest}`);
    const m: SeededManifest = {
      repository,
      tag,
      digest,
      size: bytes.length,
      mediaType,
      bytes,
      reference: tag ? `${host}/${repository}:${tag}` : `${host}/${repository}@${digest}`,
      byDigest: `${host}/${repository}@${digest}`,
      ...extra,
    };
    manifests.set(`${repository}@${digest}`, m);
    if (tag) tagged.push(m);
    return m;
  };

  /** One single-platform image: layer + config blobs, then the manifest (pushed by digest). */
  const pushImage = async (
    repository: string,
    label: string,
    platform: Platform,
    types: { manifest: string; config: string; layer: string; indent?: number },
    tag?: string,
  ): Promise<SeededManifest> => {
    const layer: LayerBlob = makeLayer(label);
    const layerBlob = await pushBlob(repository, layer.gzip, types.layer);
    const configBlob = await pushBlob(repository, makeConfig(label, platform, [layer]), types.config);
    const manifest = {
      schemaVersion: 2,
      mediaType: types.manifest,
      config: { mediaType: configBlob.mediaType, digest: configBlob.digest, size: configBlob.size },
      layers: [{ mediaType: layerBlob.mediaType, digest: layerBlob.digest, size: layerBlob.size }],
    };
    return pushManifest(repository, tag, serialize(manifest, types.indent), types.manifest, {
      platform, config: configBlob, layers: [layerBlob],
    });
  };

  const amd64: Platform = { os: 'linux', architecture: 'amd64' };
  const arm64: Platform = { os: 'linux', architecture: 'arm64', variant: 'v8' };
  const ociTypes = { manifest: MT.ociManifest, config: MT.ociConfig, layer: MT.ociLayerGzip };

  const pushIndex = async (repository: string, tag: string, mediaType: string, children: SeededManifest[], indent = 2): Promise<SeededManifest> => {
    const index = {
      schemaVersion: 2,
      mediaType,
      manifests: children.map((c) => descriptorOf(c, c.platform ? { platform: platformObject(c.platform) } : {})),
    };
    return pushManifest(repository, tag, serialize(index, indent), mediaType, { children });
  };

  // (a) podman#22196: OCI index → OCI manifests with a Docker config and Docker layers.
  const mixedTypes = { manifest: MT.ociManifest, config: MT.dockerConfig, layer: MT.dockerLayerGzip };
  const p = 'samples/podman-22196';
  const pAmd = await pushImage(p, 'podman-22196 linux/amd64', amd64, mixedTypes);
  const pArm = await pushImage(p, 'podman-22196 linux/arm64', arm64, mixedTypes);
  const pIndex = await pushIndex(p, 'mixed', MT.ociIndex, [pAmd, pArm]);

  // (b) a clean OCI index; the amd64 child is also tagged directly.
  const c = 'samples/clean-oci';
  const cAmd = await pushImage(c, 'clean-oci linux/amd64', amd64, ociTypes);
  const cArm = await pushImage(c, 'clean-oci linux/arm64', arm64, ociTypes);
  const cIndex = await pushIndex(c, 'latest', MT.ociIndex, [cAmd, cArm]);
  const cAmdTag = await pushManifest(c, 'amd64', Buffer.from(cAmd.bytes), cAmd.mediaType, {
    platform: cAmd.platform, config: cAmd.config, layers: cAmd.layers,
  });
  manifests.set(`${c}@${cAmd.digest}`, cAmd); // keep the by-digest record as the canonical one

  // (c) a Docker manifest list whose children are OCI manifests.
  const d = 'samples/docker-list-oci-children';
  const dAmd = await pushImage(d, 'docker-list-oci-children linux/amd64', amd64, ociTypes);
  const dArm = await pushImage(d, 'docker-list-oci-children linux/arm64', arm64, ociTypes);
  const dList = await pushIndex(d, 'latest', MT.dockerList, [dAmd, dArm], 3);

  // (d) a plain Docker v2 schema 2 image, indented the way the Docker engine writes it.
  const v = await pushImage('samples/docker-v2s2', 'docker-v2s2 linux/amd64', amd64,
    { manifest: MT.dockerManifest, config: MT.dockerConfig, layer: MT.dockerLayerGzip, indent: 3 }, 'latest');

  // (e) an SBOM artifact whose subject is the clean amd64 child, and the referrers fallback tag
  // (distribution 2.8 has no referrers API, so clients fall back to the tag sha256-<hex>).
  const emptyConfig = await pushBlob(c, EMPTY_JSON, MT.ociEmpty);
  const sbomBytes = serialize({ spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT', name: 'clean-oci linux/amd64', dataLicense: 'CC0-1.0' });
  const sbom = await pushBlob(c, sbomBytes, SBOM_TYPE);
  const artifactAnnotations = { 'org.opencontainers.image.created': '2024-03-28T00:00:00Z' };
  const artifactManifest = {
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    artifactType: SBOM_TYPE,
    config: { mediaType: emptyConfig.mediaType, digest: emptyConfig.digest, size: emptyConfig.size },
    layers: [{ mediaType: sbom.mediaType, digest: sbom.digest, size: sbom.size }],
    subject: descriptorOf(cAmd),
    annotations: artifactAnnotations,
  };
  const artifact = await pushManifest(c, undefined, serialize(artifactManifest), MT.ociManifest, {
    config: emptyConfig, layers: [sbom],
  });
  const fallbackTag = cAmd.digest.replace(':', '-');
  const fallbackIndex = await pushManifest(c, fallbackTag, serialize({
    schemaVersion: 2,
    mediaType: MT.ociIndex,
    manifests: [descriptorOf(artifact, { artifactType: SBOM_TYPE, annotations: artifactAnnotations })],
  }), MT.ociIndex, { children: [artifact] });

  // (f) a BuildKit-style index: an image and its attestation manifest (platform unknown/unknown).
  const a = 'samples/attested';
  const aAmd = await pushImage(a, 'attested linux/amd64', amd64, ociTypes);
  const statement = serialize({ _type: 'https://in-toto.io/Statement/v0.1', predicateType: 'https://spdx.dev/Document', subject: [], predicate: {} });
  const statementBlob = await pushBlob(a, statement, IN_TOTO_TYPE);
  const attConfig = await pushBlob(a, Buffer.from(JSON.stringify({
    architecture: 'unknown', os: 'unknown', config: {}, rootfs: { type: 'layers', diff_ids: [statementBlob.digest] },
  })), MT.ociConfig);
  const attManifest = await pushManifest(a, undefined, serialize({
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    config: { mediaType: attConfig.mediaType, digest: attConfig.digest, size: attConfig.size },
    layers: [{
      mediaType: statementBlob.mediaType, digest: statementBlob.digest, size: statementBlob.size,
      annotations: { 'in-toto.io/predicate-type': 'https://spdx.dev/Document' },
    }],
  }), MT.ociManifest, { platform: { os: 'unknown', architecture: 'unknown' }, config: attConfig, layers: [statementBlob] });
  const aIndexBytes = serialize({
    schemaVersion: 2,
    mediaType: MT.ociIndex,
    manifests: [
      descriptorOf(aAmd, { platform: platformObject(amd64) }),
      descriptorOf(attManifest, {
        annotations: { 'vnd.docker.reference.digest': aAmd.digest, 'vnd.docker.reference.type': 'attestation-manifest' },
        platform: { architecture: 'unknown', os: 'unknown' },
      }),
    ],
  });
  const aIndex = await pushManifest(a, 'latest', aIndexBytes, MT.ociIndex, { children: [aAmd, attManifest] });

  // (g) text that would run if a view built HTML from it: in the index's annotation and in a history line.
  const h = 'samples/hostile-text';
  const noiseLayer = async (label: string, bytes: number): Promise<SeededBlob & { diffId: string }> => {
    const chunks: Buffer[] = [];
    for (let i = 0; chunks.length * 32 < bytes; i++) chunks.push(createHash('sha256').update(`${label} ${i}`).digest());
    const tar = Buffer.concat(chunks).subarray(0, bytes); // incompressible: the gzip is about this size
    const blob = await pushBlob(h, gzipSync(tar, { level: 9 }), MT.ociLayerGzip);
    return { ...blob, diffId: sha256Digest(tar) };
  };
  const base = await noiseLayer('hostile base', 6000);
  const middle = await noiseLayer('hostile middle', 2000);
  const hostileImage = async (platform: Platform, top: number): Promise<SeededManifest> => {
    const upper = await noiseLayer(`hostile ${platform.architecture}`, top);
    const layers = [base, middle, upper];
    const created = '2024-03-28T00:00:00Z';
    const config = await pushBlob(h, Buffer.from(JSON.stringify({
      architecture: platform.architecture, os: platform.os, ...(platform.variant ? { variant: platform.variant } : {}), created,
      config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: [
        { created, created_by: 'ADD base.tar /' },
        { created, created_by: 'ENV A=1', empty_layer: true },
        { created, created_by: 'RUN make middle' },
        { created, created_by: `RUN echo ${HOSTILE_TEXT}` },
      ],
    })), MT.ociConfig);
    const manifest = {
      schemaVersion: 2, mediaType: MT.ociManifest,
      config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    };
    return pushManifest(h, undefined, serialize(manifest), MT.ociManifest, { platform, config, layers });
  };
  const hAmd = await hostileImage(amd64, 3000);
  const hArm = await hostileImage(arm64, 1000);
  // A BuildKit-style attestation of amd64 in the index; an SBOM referrer of arm64 and a signature
  // referrer of the index, by the fallback tags: the map's badges on the nodes they describe.
  const hStatement = await pushBlob(h, serialize({ _type: 'https://in-toto.io/Statement/v0.1', predicateType: 'https://spdx.dev/Document', subject: [], predicate: {} }), IN_TOTO_TYPE);
  const hAttConfig = await pushBlob(h, Buffer.from(JSON.stringify({ architecture: 'unknown', os: 'unknown', config: {}, rootfs: { type: 'layers', diff_ids: [hStatement.digest] } })), MT.ociConfig);
  const hAtt = await pushManifest(h, undefined, serialize({
    schemaVersion: 2, mediaType: MT.ociManifest,
    config: { mediaType: hAttConfig.mediaType, digest: hAttConfig.digest, size: hAttConfig.size },
    layers: [{ mediaType: hStatement.mediaType, digest: hStatement.digest, size: hStatement.size, annotations: { 'in-toto.io/predicate-type': 'https://spdx.dev/Document' } }],
  }), MT.ociManifest, { platform: { os: 'unknown', architecture: 'unknown' }, config: hAttConfig, layers: [hStatement] });
  const hIndex = await pushManifest(h, 'latest', serialize({
    schemaVersion: 2,
    mediaType: MT.ociIndex,
    manifests: [
      ...[hAmd, hArm].map((c) => descriptorOf(c, { platform: platformObject(c.platform!) })),
      descriptorOf(hAtt, { annotations: { 'vnd.docker.reference.digest': hAmd.digest, 'vnd.docker.reference.type': 'attestation-manifest' }, platform: { architecture: 'unknown', os: 'unknown' } }),
    ],
    annotations: { 'org.opencontainers.image.description': HOSTILE_TEXT },
  }), MT.ociIndex, { children: [hAmd, hArm, hAtt] });
  const hEmpty = await pushBlob(h, EMPTY_JSON, MT.ociEmpty);
  const referrerOf = async (subject: SeededManifest, artifactType: string, layerType: string, body: Buffer): Promise<SeededManifest> => {
    const blob = await pushBlob(h, body, layerType);
    const m = await pushManifest(h, undefined, serialize({
      schemaVersion: 2, mediaType: MT.ociManifest, artifactType,
      config: { mediaType: hEmpty.mediaType, digest: hEmpty.digest, size: hEmpty.size },
      layers: [{ mediaType: blob.mediaType, digest: blob.digest, size: blob.size }],
      subject: descriptorOf(subject),
    }), MT.ociManifest, { config: hEmpty, layers: [blob] });
    await pushManifest(h, subject.digest.replace(':', '-'), serialize({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: [descriptorOf(m, { artifactType })] }), MT.ociIndex, { children: [m] });
    return m;
  };
  const hSbom = await referrerOf(hArm, SBOM_TYPE, SBOM_TYPE, serialize({ spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT', name: 'hostile-text linux/arm64' }));
  const hSig = await referrerOf(hIndex, 'application/vnd.dev.cosign.artifact.sig.v1+json', 'application/vnd.dev.cosign.simplesigning.v1+json', serialize({ critical: { image: { 'docker-manifest-digest': hIndex.digest }, type: 'cosign container image signature' }, optional: null }));

  return {
    host,
    podman22196: { index: pIndex, amd64: pAmd, arm64: pArm },
    cleanOci: { index: cIndex, amd64: cAmd, arm64: cArm, amd64Tag: cAmdTag },
    dockerListOciChildren: { list: dList, amd64: dAmd, arm64: dArm },
    dockerV2s2: { manifest: v },
    artifact: { manifest: artifact, subject: cAmd, fallbackIndex },
    attested: { index: aIndex, amd64: aAmd, attestation: attManifest },
    hostileText: { index: hIndex, amd64: hAmd, arm64: hArm, attestation: hAtt, sbom: hSbom, signature: hSig },
    tagged,
    manifests,
  };
}

/** The seeded references as plain JSON (for the sample-registry script's --write-refs). */
export function describeSeeds(seeds: SeededImages): Record<string, unknown> {
  const one = (m: SeededManifest): Record<string, unknown> => ({
    reference: m.reference, byDigest: m.byDigest, digest: m.digest, mediaType: m.mediaType, size: m.size,
    ...(m.platform ? { platform: platformObject(m.platform) } : {}),
  });
  return {
    host: seeds.host,
    tagged: seeds.tagged.map(one),
    podman22196: { index: one(seeds.podman22196.index), amd64: one(seeds.podman22196.amd64), arm64: one(seeds.podman22196.arm64) },
    cleanOci: { index: one(seeds.cleanOci.index), amd64: one(seeds.cleanOci.amd64), arm64: one(seeds.cleanOci.arm64), amd64Tag: one(seeds.cleanOci.amd64Tag) },
    dockerListOciChildren: { list: one(seeds.dockerListOciChildren.list), amd64: one(seeds.dockerListOciChildren.amd64), arm64: one(seeds.dockerListOciChildren.arm64) },
    dockerV2s2: { manifest: one(seeds.dockerV2s2.manifest) },
    artifact: { manifest: one(seeds.artifact.manifest), subject: one(seeds.artifact.subject), fallbackIndex: one(seeds.artifact.fallbackIndex) },
    attested: { index: one(seeds.attested.index), amd64: one(seeds.attested.amd64), attestation: one(seeds.attested.attestation) },
    hostileText: {
      index: one(seeds.hostileText.index), amd64: one(seeds.hostileText.amd64), arm64: one(seeds.hostileText.arm64),
      attestation: one(seeds.hostileText.attestation), sbom: one(seeds.hostileText.sbom), signature: one(seeds.hostileText.signature),
    },
  };
}

/** The registry, its seeded images and an isolated HOME, filled in by the hooks of {@link useSeededRegistry}. */
export interface SeededRegistry {
  readonly registry: RunningRegistry;
  readonly seeds: SeededImages;
  readonly home: IsolatedEnv;
}

/**
 * In a describe(): start a plain docker-registry on 127.0.0.1 before its tests, seed it, give
 * them an isolated HOME, and stop and clean up after them. The fields are set once the before
 * hook has run.
 */
export function useSeededRegistry(options: { cli?: boolean } = {}): SeededRegistry {
  const ctx = {} as { registry: RunningRegistry; seeds: SeededImages; home: IsolatedEnv };
  before(async () => {
    if (options.cli) assertCliBuilt();
    ctx.home = isolatedEnv();
    ctx.registry = await startRegistry({ auth: 'none' });
    ctx.seeds = await seedSamples(ctx.registry.url);
  });
  after(async () => {
    await ctx.registry?.stop();
    ctx.home?.cleanup();
  });
  return ctx;
}
