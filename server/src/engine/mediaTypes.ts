/**
 * The one table of media types. Rules, hovers, completions and fixes read it; no media type
 * string is written anywhere else in the engine.
 */

export type Family = 'oci' | 'docker' | 'schema1' | 'artifact' | 'other';

export type Role =
  | 'manifest'
  | 'index'
  | 'config'
  | 'layer'
  | 'empty'
  | 'layout'
  | 'descriptor'
  | 'artifact-manifest'
  | 'signed-manifest';

export interface MediaTypeInfo {
  readonly mediaType: string;
  readonly family: Family;
  readonly role: Role;
  /** A short name for hovers and outlines. */
  readonly title: string;
  /** One or two sentences: what the bytes behind it are. */
  readonly description: string;
  /** Where it is defined. */
  readonly spec: string;
  /** The interchangeable type of the other family (rules.md §9 relabelling table). */
  readonly counterpart?: string;
  readonly compression?: 'none' | 'gzip' | 'zstd';
  readonly nondistributable?: boolean;
  /** Why it should not be produced any more, when that is the case. */
  readonly deprecated?: string;
  /** Not in the format's own specification, although some tools define it. */
  readonly nonstandard?: string;
}

const IS = 'https://github.com/opencontainers/image-spec/blob/v1.1.1/';
const DIST_V22 = 'https://github.com/distribution/distribution/blob/main/docs/content/spec/manifest-v2-2.md';
const DIST_V21 = 'https://github.com/distribution/distribution/blob/v2.8.3/docs/spec/manifest-v2-1.md';
const OCICRYPT = 'https://github.com/containers/ocicrypt/blob/main/spec/spec.go';

/** Keys are the names the code uses; values are the media type records. */
const TABLE = {
  ociManifest: {
    mediaType: 'application/vnd.oci.image.manifest.v1+json', family: 'oci', role: 'manifest', title: 'OCI image manifest',
    description: 'A single image (or artifact) for one platform: a config descriptor and an ordered list of layer descriptors.',
    spec: IS + 'manifest.md', counterpart: 'application/vnd.docker.distribution.manifest.v2+json',
  },
  ociIndex: {
    mediaType: 'application/vnd.oci.image.index.v1+json', family: 'oci', role: 'index', title: 'OCI image index',
    description: 'A list of manifests, usually one per platform (a "multi-arch image"); also the format of a referrers response.',
    spec: IS + 'image-index.md', counterpart: 'application/vnd.docker.distribution.manifest.list.v2+json',
  },
  ociConfig: {
    mediaType: 'application/vnd.oci.image.config.v1+json', family: 'oci', role: 'config', title: 'OCI image config',
    description: 'The image configuration: platform, rootfs diff_ids, history and the runtime defaults (Entrypoint, Env, …).',
    spec: IS + 'config.md', counterpart: 'application/vnd.docker.container.image.v1+json',
  },
  ociLayerTar: {
    mediaType: 'application/vnd.oci.image.layer.v1.tar', family: 'oci', role: 'layer', title: 'OCI layer (uncompressed tar)',
    description: 'A filesystem changeset as an uncompressed tar archive.', spec: IS + 'layer.md',
    counterpart: 'application/vnd.docker.image.rootfs.diff.tar', compression: 'none',
  },
  ociLayerGzip: {
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', family: 'oci', role: 'layer', title: 'OCI layer (gzip)',
    description: 'A filesystem changeset as a gzip-compressed tar archive: the most portable layer type.', spec: IS + 'layer.md',
    counterpart: 'application/vnd.docker.image.rootfs.diff.tar.gzip', compression: 'gzip',
  },
  ociLayerZstd: {
    mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', family: 'oci', role: 'layer', title: 'OCI layer (zstd)',
    description: 'A filesystem changeset as a zstd-compressed tar archive. Consumers SHOULD (not MUST) support it.',
    spec: IS + 'layer.md', counterpart: 'application/vnd.docker.image.rootfs.diff.tar.zstd', compression: 'zstd',
  },
  ociLayerNondistTar: {
    mediaType: 'application/vnd.oci.image.layer.nondistributable.v1.tar', family: 'oci', role: 'layer',
    title: 'OCI non-distributable layer (tar)', description: 'A layer that registries are asked not to upload, fetched from its `urls` instead.',
    spec: IS + 'layer.md#non-distributable-layers', compression: 'none', nondistributable: true,
    deprecated: 'Non-distributable layer types are deprecated (image-spec v1.1 media-types.md); implementations SHOULD NOT produce new ones.',
  },
  ociLayerNondistGzip: {
    mediaType: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', family: 'oci', role: 'layer',
    title: 'OCI non-distributable layer (gzip)', description: 'A gzip layer that registries are asked not to upload, fetched from its `urls` instead.',
    spec: IS + 'layer.md#non-distributable-layers', counterpart: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
    compression: 'gzip', nondistributable: true,
    deprecated: 'Non-distributable layer types are deprecated (image-spec v1.1 media-types.md); implementations SHOULD NOT produce new ones.',
  },
  ociLayerNondistZstd: {
    mediaType: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd', family: 'oci', role: 'layer',
    title: 'OCI non-distributable layer (zstd)', description: 'A zstd layer that registries are asked not to upload, fetched from its `urls` instead.',
    spec: IS + 'layer.md#non-distributable-layers', compression: 'zstd', nondistributable: true,
    deprecated: 'Non-distributable layer types are deprecated (image-spec v1.1 media-types.md); implementations SHOULD NOT produce new ones.',
  },
  ociEmpty: {
    mediaType: 'application/vnd.oci.empty.v1+json', family: 'oci', role: 'empty', title: 'OCI empty descriptor',
    description: 'The two-byte blob `{}`, used as the config (or single layer) of an artifact that needs none.',
    spec: IS + 'manifest.md#guidance-for-an-empty-descriptor',
  },
  ociDescriptor: {
    mediaType: 'application/vnd.oci.descriptor.v1+json', family: 'oci', role: 'descriptor', title: 'OCI content descriptor',
    description: 'A descriptor on its own: mediaType, digest and size of some content.', spec: IS + 'descriptor.md',
  },
  ociLayout: {
    mediaType: 'application/vnd.oci.layout.header.v1+json', family: 'oci', role: 'layout', title: 'OCI layout header',
    description: 'The `oci-layout` file at the root of an image layout directory.', spec: IS + 'image-layout.md',
  },
  ociArtifactManifest: {
    mediaType: 'application/vnd.oci.artifact.manifest.v1+json', family: 'artifact', role: 'artifact-manifest',
    title: 'OCI artifact manifest (withdrawn)',
    description: 'A manifest type of image-spec v1.1.0 release candidates, removed before v1.1.0 (commit 63b8bd0). Use an image manifest with `artifactType` instead.',
    spec: 'https://github.com/opencontainers/image-spec/blob/v1.1.0-rc2/artifact.md',
    deprecated: 'Removed from image-spec before v1.1.0; registries such as ACR refuse it unless asked for explicitly.',
  },
  dockerManifest: {
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json', family: 'docker', role: 'manifest',
    title: 'Docker image manifest v2 schema 2', description: 'A single image for one platform: a Docker config and gzip layers.',
    spec: DIST_V22, counterpart: 'application/vnd.oci.image.manifest.v1+json',
  },
  dockerList: {
    mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json', family: 'docker', role: 'index',
    title: 'Docker manifest list', description: 'A list of v2 schema 2 manifests, one per platform ("fat manifest").',
    spec: DIST_V22 + '#manifest-list', counterpart: 'application/vnd.oci.image.index.v1+json',
  },
  dockerConfig: {
    mediaType: 'application/vnd.docker.container.image.v1+json', family: 'docker', role: 'config', title: 'Docker image config',
    description: 'The Docker image configuration JSON. Similar to, but not interchangeable with, the OCI config media type.',
    spec: DIST_V22, counterpart: 'application/vnd.oci.image.config.v1+json',
  },
  dockerPluginConfig: {
    mediaType: 'application/vnd.docker.plugin.v1+json', family: 'docker', role: 'config', title: 'Docker plugin config',
    description: 'The configuration of a Docker engine plugin.', spec: DIST_V22,
  },
  dockerLayerTar: {
    mediaType: 'application/vnd.docker.image.rootfs.diff.tar', family: 'docker', role: 'layer', title: 'Docker layer (uncompressed tar)',
    description: 'An uncompressed layer tar. Accepted by containers/image, but not listed in the v2 schema 2 spec; Quay.io refuses it.',
    spec: DIST_V22, counterpart: 'application/vnd.oci.image.layer.v1.tar', compression: 'none',
  },
  dockerLayerGzip: {
    mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', family: 'docker', role: 'layer', title: 'Docker layer (gzip)',
    description: 'A gzip-compressed layer tar, the standard Docker layer type.', spec: DIST_V22,
    counterpart: 'application/vnd.oci.image.layer.v1.tar+gzip', compression: 'gzip',
  },
  dockerLayerZstd: {
    mediaType: 'application/vnd.docker.image.rootfs.diff.tar.zstd', family: 'docker', role: 'layer', title: 'Docker layer (zstd, non-standard)',
    description: 'A zstd layer labelled with a Docker type. Defined by containerd and regclient, absent from the v2 schema 2 spec; containers/image refuses it.',
    spec: DIST_V22, counterpart: 'application/vnd.oci.image.layer.v1.tar+zstd', compression: 'zstd',
    nonstandard: 'Not in the Docker v2 schema 2 specification.',
  },
  dockerForeignLayer: {
    mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', family: 'docker', role: 'layer',
    title: 'Docker foreign layer', description: 'A layer fetched from its `urls` rather than the registry ("should never be pushed").',
    spec: DIST_V22, counterpart: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', compression: 'gzip', nondistributable: true,
  },
  dockerForeignLayerTar: {
    mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar', family: 'docker', role: 'layer',
    title: 'Docker foreign layer (uncompressed)', description: 'An uncompressed layer fetched from its `urls` rather than the registry.',
    spec: DIST_V22, compression: 'none', nondistributable: true,
  },
  schema1: {
    mediaType: 'application/vnd.docker.distribution.manifest.v1+json', family: 'schema1', role: 'manifest',
    title: 'Docker image manifest v2 schema 1', description: 'The legacy Docker manifest format (fsLayers + v1Compatibility history).',
    spec: DIST_V21, deprecated: 'Docker, containerd and Docker Hub no longer pull or accept schema 1 by default.',
  },
  schema1Signed: {
    mediaType: 'application/vnd.docker.distribution.manifest.v1+prettyjws', family: 'schema1', role: 'signed-manifest',
    title: 'Docker image manifest v2 schema 1 (signed)', description: 'A schema 1 manifest with JWS signatures.',
    spec: DIST_V21, deprecated: 'Docker, containerd and Docker Hub no longer pull or accept schema 1 by default.',
  },
  ociLayerTarEncrypted: {
    mediaType: 'application/vnd.oci.image.layer.v1.tar+encrypted', family: 'oci', role: 'layer', title: 'OCI layer (encrypted tar)',
    description: 'An uncompressed layer tar encrypted with ocicrypt; the keys travel in the layer annotations. containers/image and containerd (imgcrypt) accept it.',
    spec: OCICRYPT, compression: 'none', nonstandard: 'Defined by the ocicrypt specification, not by image-spec.',
  },
  ociLayerGzipEncrypted: {
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip+encrypted', family: 'oci', role: 'layer', title: 'OCI layer (encrypted gzip)',
    description: 'A gzip layer encrypted with ocicrypt; the keys travel in the layer annotations. containers/image and containerd (imgcrypt) accept it.',
    spec: OCICRYPT, compression: 'gzip', nonstandard: 'Defined by the ocicrypt specification, not by image-spec.',
  },
  ociLayerZstdEncrypted: {
    mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd+encrypted', family: 'oci', role: 'layer', title: 'OCI layer (encrypted zstd)',
    description: 'A zstd layer encrypted with ocicrypt; the keys travel in the layer annotations. containers/image and containerd (imgcrypt) accept it.',
    spec: OCICRYPT, compression: 'zstd', nonstandard: 'Defined by the ocicrypt specification, not by image-spec.',
  },
} as const satisfies Record<string, MediaTypeInfo>;

export type MediaTypeKey = keyof typeof TABLE;

/** Media type strings by name, e.g. `MT.ociConfig`. */
export const MT: { readonly [K in MediaTypeKey]: (typeof TABLE)[K]['mediaType'] } = Object.freeze(
  Object.fromEntries(Object.entries(TABLE).map(([k, v]) => [k, v.mediaType])) as never,
);

export const MEDIA_TYPES: readonly MediaTypeInfo[] = Object.freeze(Object.values(TABLE) as MediaTypeInfo[]);

const BY_TYPE = new Map<string, MediaTypeInfo>(MEDIA_TYPES.map((m) => [m.mediaType, m]));

/** The record of a known media type (exact match), or undefined. */
export function mediaTypeInfo(mediaType: string | undefined): MediaTypeInfo | undefined {
  return mediaType === undefined ? undefined : BY_TYPE.get(mediaType);
}

export function familyOf(mediaType: string | undefined): Family | undefined {
  return mediaTypeInfo(mediaType)?.family;
}

/** The same content labelled for the other family (Docker ↔ OCI), when the spec says they are interchangeable. */
export function counterpartOf(mediaType: string): string | undefined {
  return mediaTypeInfo(mediaType)?.counterpart;
}

/** Relabel for a target family; undefined when the type has no counterpart or already belongs to it. */
export function relabel(mediaType: string, target: 'oci' | 'docker'): string | undefined {
  const info = mediaTypeInfo(mediaType);
  if (!info || info.family === target || !info.counterpart) return undefined;
  return familyOf(info.counterpart) === target ? info.counterpart : undefined;
}

export function isDockerLayer(mediaType: string): boolean {
  const info = mediaTypeInfo(mediaType);
  return info?.family === 'docker' && info.role === 'layer';
}

export function isOciLayer(mediaType: string): boolean {
  const info = mediaTypeInfo(mediaType);
  return info?.family === 'oci' && info.role === 'layer';
}

/** Layer types containers/image accepts in a v2s2 manifest (rules.md §13: SupportedSchema2MediaType). */
export const DOCKER_V2S2_LAYER_TYPES: ReadonlySet<string> = new Set([
  MT.dockerLayerGzip,
  MT.dockerLayerTar,
  MT.dockerForeignLayer,
  MT.dockerForeignLayerTar,
]);

/** Config types a v2s2 manifest is expected to carry. */
export const DOCKER_V2S2_CONFIG_TYPES: ReadonlySet<string> = new Set([MT.dockerConfig, MT.dockerPluginConfig]);

/** Every manifest and index type a registry client should list in Accept (rules.md §16). */
export const MANIFEST_ACCEPT_TYPES: readonly string[] = Object.freeze([
  MT.ociManifest,
  MT.ociIndex,
  MT.dockerManifest,
  MT.dockerList,
  MT.schema1Signed,
  MT.schema1,
  MT.ociArtifactManifest,
]);

/** RFC 6838 §4.2 as image-spec's schema writes it (defs-descriptor.json). */
export const MEDIA_TYPE_SYNTAX = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

/** The OCI empty descriptor (manifest.md "Guidance for an Empty Descriptor"). */
export const EMPTY_DESCRIPTOR = Object.freeze({
  mediaType: MT.ociEmpty,
  digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
  size: 2,
  data: 'e30=',
});

/** The artifactType a rewrite proposes when the document names none: a placeholder to replace. */
export const PLACEHOLDER_ARTIFACT_TYPE = 'application/vnd.unknown.artifact.v1';
