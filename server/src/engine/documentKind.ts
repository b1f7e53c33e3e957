/**
 * Document kinds by content, never by file name (rules.md §1).
 */
import { has, stringOf, valueOf, elements, type Node } from './json';
import { MT, mediaTypeInfo } from './mediaTypes';

export type DocumentKind =
  | 'oci-manifest'
  | 'oci-index'
  | 'docker-manifest'
  | 'docker-list'
  | 'schema1'
  | 'artifact-manifest'
  | 'config'
  | 'descriptor'
  | 'oci-layout'
  | 'unknown';

export const KIND_TITLES: Readonly<Record<DocumentKind, string>> = Object.freeze({
  'oci-manifest': 'OCI image manifest',
  'oci-index': 'OCI image index',
  'docker-manifest': 'Docker image manifest (v2 schema 2)',
  'docker-list': 'Docker manifest list',
  schema1: 'Docker image manifest (v2 schema 1)',
  'artifact-manifest': 'OCI artifact manifest (withdrawn)',
  config: 'Image config',
  descriptor: 'Content descriptor',
  'oci-layout': 'OCI layout header',
  unknown: 'Not a manifest',
});

export type DetectedVia = 'content-type' | 'media-type' | 'shape';

export interface Detection {
  readonly kind: DocumentKind;
  readonly via: DetectedVia;
  /** What containers/image (GuessMIMEType) and regclient (duck typing) would make of a document without mediaType. */
  readonly guesses?: { readonly containersImage: DocumentKind; readonly regclient: DocumentKind };
  /** Structural key groups present: manifest {config, layers}, index {manifests}, schema1 {fsLayers, history}. */
  readonly keyGroups: readonly KeyGroup[];
}

export type KeyGroup = 'manifest' | 'index' | 'schema1';

const KIND_BY_MEDIA_TYPE: ReadonlyMap<string, DocumentKind> = new Map<string, DocumentKind>([
  [MT.ociManifest, 'oci-manifest'],
  [MT.ociIndex, 'oci-index'],
  [MT.dockerManifest, 'docker-manifest'],
  [MT.dockerList, 'docker-list'],
  [MT.schema1, 'schema1'],
  [MT.schema1Signed, 'schema1'],
  [MT.ociArtifactManifest, 'artifact-manifest'],
  [MT.ociConfig, 'config'],
  [MT.dockerConfig, 'config'],
  [MT.ociLayout, 'oci-layout'],
]);

/** The kind a manifest media type stands for, if it is one. */
export function kindOfMediaType(mediaType: string | undefined): DocumentKind | undefined {
  return mediaType === undefined ? undefined : KIND_BY_MEDIA_TYPE.get(mediaType);
}

export function keyGroupsOf(root: Node): KeyGroup[] {
  const groups: KeyGroup[] = [];
  if (has(root, 'config') || has(root, 'layers')) groups.push('manifest');
  if (has(root, 'manifests')) groups.push('index');
  if (has(root, 'fsLayers') || has(root, 'history') && has(root, 'schemaVersion') && !has(root, 'rootfs')) groups.push('schema1');
  return groups;
}

/** containers/image GuessMIMEType, as rules.md §1 describes it. */
function guessContainersImage(root: Node): DocumentKind {
  const sv = valueOf(root, 'schemaVersion');
  if (sv?.type !== 'number') return 'unknown';
  if (sv.value === 1) return 'schema1';
  if (sv.value !== 2) return 'unknown';
  const config = valueOf(root, 'config');
  const configType = stringOf(config, 'mediaType');
  if (configType === MT.ociConfig) return 'oci-manifest';
  if (configType === MT.dockerConfig) return 'docker-manifest';
  if (elements(valueOf(root, 'manifests')).length > 0 && config === undefined) return 'oci-index';
  return 'oci-manifest';
}

/** regclient's duck typing (types/manifest fromCommon). */
function guessRegclient(root: Node): DocumentKind {
  const sv = valueOf(root, 'schemaVersion');
  if (sv?.type === 'number' && sv.value === 1) return 'schema1';
  const manifests = elements(valueOf(root, 'manifests'));
  if (manifests.length > 0) {
    return stringOf(manifests[0], 'mediaType')?.startsWith('application/vnd.docker.') ? 'docker-list' : 'oci-index';
  }
  const layers = elements(valueOf(root, 'layers'));
  if (layers.length > 0) {
    return stringOf(layers[0], 'mediaType')?.startsWith('application/vnd.docker.') ? 'docker-manifest' : 'oci-manifest';
  }
  return 'unknown';
}

function looksLikeConfig(root: Node): boolean {
  if (has(root, 'schemaVersion')) return false;
  if (valueOf(root, 'rootfs')?.type === 'object') return true;
  // Docker configs carry a "config" object too; a manifest's "config" is a descriptor (digest).
  const config = valueOf(root, 'config');
  return has(root, 'architecture') && has(root, 'os') && (config === undefined || !has(config, 'digest'));
}

/** A lone descriptor: at least two of mediaType, digest and size, and no manifest fields. */
function looksLikeDescriptor(root: Node): boolean {
  if (has(root, 'schemaVersion') || keyGroupsOf(root).length > 0) return false;
  return ['mediaType', 'digest', 'size'].filter((k) => has(root, k)).length >= 2;
}

/** A config, layer or manifest entry that carries a digest-shaped string: a manifest, however broken. */
function hasDescriptorWithDigest(root: Node): boolean {
  const digestLike = (n: Node | undefined): boolean => /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:/.test(stringOf(n, 'digest') ?? '');
  return digestLike(valueOf(root, 'config')) || elements(valueOf(root, 'layers')).some(digestLike) || elements(valueOf(root, 'manifests')).some(digestLike);
}

/** Entries all of Docker types, and no field only OCI has (annotations, subject, artifactType). */
function looksLikeDockerList(root: Node): boolean {
  const entries = elements(valueOf(root, 'manifests'));
  const ociOnly = (n: Node): boolean => has(n, 'annotations') || has(n, 'subject') || has(n, 'artifactType');
  return entries.length > 0 && !ociOnly(root) && entries.every((e) => mediaTypeInfo(stringOf(e, 'mediaType'))?.family === 'docker' && !ociOnly(e));
}

/**
 * Decides what a document is. `contentType` is the registry's Content-Type for fetched documents.
 */
export function detectKind(root: Node | undefined, contentType?: string): Detection {
  if (!root || root.type !== 'object') return { kind: 'unknown', via: 'shape', keyGroups: [] };
  const keyGroups = keyGroupsOf(root);

  const fromHeader = kindOfMediaType(contentType?.split(';')[0].trim());
  if (fromHeader) return { kind: fromHeader, via: 'content-type', keyGroups };

  const mediaType = stringOf(root, 'mediaType');
  const fromMediaType = kindOfMediaType(mediaType);
  const hasSchemaVersion = has(root, 'schemaVersion');
  if (fromMediaType && (hasSchemaVersion || keyGroups.length > 0 || !looksLikeDescriptor(root))) {
    return { kind: fromMediaType, via: 'media-type', keyGroups };
  }
  if (has(root, 'imageLayoutVersion')) return { kind: 'oci-layout', via: 'shape', keyGroups };
  if (looksLikeConfig(root)) return { kind: 'config', via: fromMediaType === 'config' ? 'media-type' : 'shape', keyGroups };
  if (looksLikeDescriptor(root)) return { kind: 'descriptor', via: 'shape', keyGroups };

  const manifestLike =
    (hasSchemaVersion && (keyGroups.length > 0 || mediaType !== undefined || (has(root, 'name') && has(root, 'tag')))) ||
    keyGroups.length > 1 ||
    hasDescriptorWithDigest(root);
  if (!manifestLike) return { kind: 'unknown', via: 'shape', keyGroups };

  const guesses = { containersImage: guessContainersImage(root), regclient: guessRegclient(root) };
  let kind: DocumentKind = guesses.containersImage;
  if (kind === 'unknown') {
    // A broken schemaVersion must not hide the document: fall back on its shape.
    if (keyGroups.includes('index')) kind = 'oci-index';
    else if (keyGroups.includes('schema1') || (has(root, 'name') && has(root, 'tag'))) kind = 'schema1';
    else if (keyGroups.includes('manifest')) kind = guesses.regclient !== 'unknown' ? guesses.regclient : 'oci-manifest';
    else kind = 'oci-manifest';
  }
  // Without a mediaType, fields of exactly one kind decide: a document with only fsLayers/history
  // is a schema 1 manifest whatever its schemaVersion says (schema-version-invalid then tells),
  // and one with only manifests is an index; a Docker list when every entry is a Docker type and
  // nothing OCI-only is there (an OCI layout's index.json may point at Docker lists, with
  // annotations). containers/image would call an empty one an OCI manifest.
  if (mediaType === undefined && keyGroups.length === 1) {
    if (keyGroups[0] === 'schema1') kind = 'schema1';
    else if (keyGroups[0] === 'index') kind = looksLikeDockerList(root) ? 'docker-list' : 'oci-index';
  }
  if (mediaTypeInfo(mediaType)?.role === 'index' && kind !== 'schema1') kind = mediaType === MT.dockerList ? 'docker-list' : 'oci-index';
  return { kind, via: 'shape', guesses, keyGroups };
}

/** Kinds of registry manifest documents (the ones the manifest rules apply to). */
export const MANIFEST_KINDS: readonly DocumentKind[] = Object.freeze([
  'oci-manifest', 'oci-index', 'docker-manifest', 'docker-list', 'schema1', 'artifact-manifest',
]);

export function isOciKind(kind: DocumentKind): boolean {
  return kind === 'oci-manifest' || kind === 'oci-index';
}

export function isDockerKind(kind: DocumentKind): boolean {
  return kind === 'docker-manifest' || kind === 'docker-list';
}
