/**
 * Annotation keys the engine knows (rules.md §11): the keys image-spec predefines, the implicit
 * ones conversion.md defines, the Label Schema keys they replace, and the keys BuildKit and
 * containers/image put on index entries.
 */
import { stringOf, valueOf, type Node } from './json';

export const OCI_PREFIX = 'org.opencontainers.';
export const OCI_IMAGE_PREFIX = 'org.opencontainers.image.';

/** Suffixes after `org.opencontainers.image.` that annotations.md "Pre-Defined Annotation Keys" defines. */
export const PREDEFINED_SUFFIXES: readonly string[] = Object.freeze([
  'created', 'authors', 'url', 'documentation', 'source', 'version', 'revision', 'vendor', 'licenses', 'ref.name',
  'title', 'description', 'base.digest', 'base.name',
]);

/** Suffixes conversion.md defines as implicit runtime annotations (`author`, not `authors`, is right there). */
export const CONVERSION_SUFFIXES: readonly string[] = Object.freeze([
  'os', 'architecture', 'variant', 'os.version', 'os.features', 'author', 'stopSignal', 'exposedPorts',
]);

/** Keys of the withdrawn artifact manifest (image-spec v1.1.0-rc2 artifact.md). */
export const WITHDRAWN_ARTIFACT_KEYS: readonly string[] = Object.freeze([
  'org.opencontainers.artifact.created', 'org.opencontainers.artifact.description',
]);

/**
 * Prefixes under org.opencontainers.image that other specifications use: ocicrypt keeps the
 * wrapped keys of encrypted layers in `org.opencontainers.image.enc.keys.*` and
 * `org.opencontainers.image.enc.pubopts` (containers/ocicrypt spec).
 */
export const KNOWN_PREFIXES: readonly string[] = Object.freeze([OCI_IMAGE_PREFIX + 'enc.']);

export const PREDEFINED_KEYS: ReadonlySet<string> = new Set(PREDEFINED_SUFFIXES.map((s) => OCI_IMAGE_PREFIX + s));
export const CONVERSION_KEYS: ReadonlySet<string> = new Set(CONVERSION_SUFFIXES.map((s) => OCI_IMAGE_PREFIX + s));

export const ANNOTATION = Object.freeze({
  created: OCI_IMAGE_PREFIX + 'created',
  url: OCI_IMAGE_PREFIX + 'url',
  documentation: OCI_IMAGE_PREFIX + 'documentation',
  source: OCI_IMAGE_PREFIX + 'source',
  licenses: OCI_IMAGE_PREFIX + 'licenses',
  refName: OCI_IMAGE_PREFIX + 'ref.name',
  baseDigest: OCI_IMAGE_PREFIX + 'base.digest',
  baseName: OCI_IMAGE_PREFIX + 'base.name',
  /** BuildKit: what kind of reference an index entry is (`attestation-manifest`). */
  dockerReferenceType: 'vnd.docker.reference.type',
  /** BuildKit: the digest of the sibling entry an attestation belongs to. */
  dockerReferenceDigest: 'vnd.docker.reference.digest',
  /** containers/image: marks the zstd instance of a platform in an index. */
  containersZstd: 'io.github.containers.compression.zstd',
});

/** The value of vnd.docker.reference.type on BuildKit attestation entries. */
export const ATTESTATION_MANIFEST = 'attestation-manifest';

/**
 * annotations.md "Back-compatibility with Label Schema": legacy key → OCI key. `usage` maps to
 * documentation only when its value is a URL (`urlOnly`).
 */
export const LABEL_SCHEMA: ReadonlyMap<string, { readonly to: string; readonly urlOnly?: boolean }> = new Map([
  ['org.label-schema.build-date', { to: OCI_IMAGE_PREFIX + 'created' }],
  ['org.label-schema.url', { to: OCI_IMAGE_PREFIX + 'url' }],
  ['org.label-schema.vcs-url', { to: OCI_IMAGE_PREFIX + 'source' }],
  ['org.label-schema.version', { to: OCI_IMAGE_PREFIX + 'version' }],
  ['org.label-schema.vcs-ref', { to: OCI_IMAGE_PREFIX + 'revision' }],
  ['org.label-schema.vendor', { to: OCI_IMAGE_PREFIX + 'vendor' }],
  ['org.label-schema.name', { to: OCI_IMAGE_PREFIX + 'title' }],
  ['org.label-schema.description', { to: OCI_IMAGE_PREFIX + 'description' }],
  ['org.label-schema.usage', { to: OCI_IMAGE_PREFIX + 'documentation', urlOnly: true }],
]);

export const LABEL_SCHEMA_PREFIX = 'org.label-schema.';

/** Levenshtein distance, bounded: returns max+1 as soon as the distance must exceed max. */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (cur[j] < rowMin) rowMin = cur[j];
    }
    if (rowMin > max) return max + 1;
    prev = cur;
  }
  return prev[b.length];
}

/** The known `org.opencontainers.image.*` key nearest to `key`, within `max` edits. */
export function nearestImageKey(key: string, max: number): string | undefined {
  let best: string | undefined;
  let bestDistance = max + 1;
  for (const k of [...PREDEFINED_KEYS, ...CONVERSION_KEYS]) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase(), max);
    if (d < bestDistance) { best = k; bestDistance = d; }
  }
  return best;
}

/**
 * For a key that looks like a misspelt `org.opencontainers.image.*` key (a typo in the prefix,
 * such as `oci.opencontainers.image.created` from manifest.md's own example, or in the suffix),
 * the key it probably means. Undefined when the key is known or not close to any known key.
 */
export function suggestImageKey(key: string): string | undefined {
  if (PREDEFINED_KEYS.has(key) || CONVERSION_KEYS.has(key)) return undefined;
  if (SUGGESTIONS.has(key)) return SUGGESTIONS.get(key);
  const s = computeSuggestion(key);
  if (SUGGESTIONS.size > 10_000) SUGGESTIONS.clear();
  SUGGESTIONS.set(key, s);
  return s;
}

/** Memo: the same few keys repeat on every entry of a large index. */
const SUGGESTIONS = new Map<string, string | undefined>();

function computeSuggestion(key: string): string | undefined {
  // A case-only difference is always a typo.
  const lower = key.toLowerCase();
  for (const k of [...PREDEFINED_KEYS, ...CONVERSION_KEYS]) if (k.toLowerCase() === lower) return k;
  const dots = key.split('.');
  if (dots.length < 4) return undefined;
  // Prefix typo: the first three components are within 3 edits of org.opencontainers.image.
  const prefix = dots.slice(0, 3).join('.') + '.';
  const suffix = dots.slice(3).join('.');
  if (prefix !== OCI_IMAGE_PREFIX && editDistance(prefix, OCI_IMAGE_PREFIX, 3) <= 3) {
    const candidate = OCI_IMAGE_PREFIX + suffix;
    if (PREDEFINED_KEYS.has(candidate) || CONVERSION_KEYS.has(candidate)) return candidate;
    return nearestImageKey(candidate, 2);
  }
  if (prefix === OCI_IMAGE_PREFIX) return nearestImageKey(key, Math.max(2, Math.floor(suffix.length / 3)));
  return undefined;
}

/**
 * The `vnd.docker.reference.type` of an index entry (BuildKit attestation manifests and other
 * reference entries): such entries describe another entry, not a platform image, so platform
 * rules leave them alone.
 */
export function referenceTypeOf(entry: Node | undefined): string | undefined {
  return stringOf(valueOf(entry, 'annotations'), ANNOTATION.dockerReferenceType);
}

/** Whether an index entry is a reference entry (an attestation, or another BuildKit/regclient reference). */
export function isReferenceEntry(entry: Node | undefined): boolean {
  return referenceTypeOf(entry) !== undefined;
}
