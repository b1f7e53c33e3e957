/**
 * What an attached manifest is, told by its layers' media types first and its artifactType only
 * after (cosign#4422: referrers indexes carry wrong artifactTypes). Pure: bytes in, a kind out.
 */
import { ANNOTATION, SC, bareMediaType, sigstoreBundleVersion } from './mediaTypes';

/** What one attached thing is. */
export type AttachmentKind =
  /** cosign, tag scheme `sha256-<hex>.sig`: simple-signing payload, signature in an annotation. */
  | 'cosign-signature'
  /** cosign, tag scheme `.att`: a DSSE envelope around an in-toto statement. */
  | 'cosign-attestation'
  /** A Sigstore bundle (v0.1-0.3): message signature or DSSE, key hint or certificate. */
  | 'sigstore-bundle'
  /** Notary Project signature, JWS (application/jose+json) or COSE_Sign1 (application/cose). */
  | 'notation-signature'
  /** A BuildKit attestation manifest (index entry unknown/unknown, vnd.docker.reference.type). */
  | 'buildx-attestation-manifest'
  /** A bare in-toto statement (no signature: integrity only). */
  | 'in-toto-attestation'
  | 'sbom'
  | 'artifact';

/** Words for a kind, for lists and hovers. */
export const KIND_LABEL: Readonly<Record<AttachmentKind, string>> = Object.freeze({
  'cosign-signature': 'cosign signature',
  'cosign-attestation': 'cosign attestation (DSSE)',
  'sigstore-bundle': 'Sigstore bundle',
  'notation-signature': 'notation signature',
  'buildx-attestation-manifest': 'buildx attestation manifest',
  'in-toto-attestation': 'in-toto attestation',
  sbom: 'SBOM',
  artifact: 'artifact',
});

export interface LayerDescriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface ClassifiedLayer extends LayerDescriptor {
  readonly position: number;
  readonly kind: AttachmentKind;
  /** jws or cose for a notation signature. */
  readonly envelope?: 'jws' | 'cose';
  /** Sigstore bundle version (0.1, 0.2, 0.3). */
  readonly bundleVersion?: string;
  /** From the layer's annotations, where the writer put one. */
  readonly predicateType?: string;
  /** spdx or cyclonedx for an SBOM layer. */
  readonly sbomFormat?: 'spdx' | 'cyclonedx';
}

export interface ClassifiedManifest {
  readonly kind: AttachmentKind;
  readonly artifactType?: string;
  readonly configMediaType?: string;
  /** The subject's digest (OCI 1.1 referrers). */
  readonly subject?: string;
  readonly annotations: Readonly<Record<string, string>>;
  readonly layers: readonly ClassifiedLayer[];
  /** When artifactType says another kind than the layers do (cosign#4422), what it said. */
  readonly artifactTypeDisagrees?: string;
}

/** Where the manifest was found, when that tells more than its bytes. */
export interface ClassifyContext {
  /** The tag it was read from (`sha256-<hex>.sig`, `.att`, `.sbom`). */
  readonly tag?: string;
  /** The annotations of the index entry that listed it (BuildKit attestation manifests). */
  readonly entryAnnotations?: Readonly<Record<string, string>>;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function stringRecord(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!v || typeof v !== 'object' || Array.isArray(v)) return out;
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) if (typeof val === 'string') out[k] = val;
  return out;
}

/** The kind a layer's media type (and annotations) says, or undefined for a plain blob. */
export function classifyLayer(mediaType: string, annotations: Readonly<Record<string, string>> = {}): Omit<ClassifiedLayer, keyof LayerDescriptor | 'position'> {
  const bare = bareMediaType(mediaType);
  const bundleVersion = sigstoreBundleVersion(mediaType);
  if (bundleVersion) return { kind: 'sigstore-bundle', bundleVersion, predicateType: annotations[ANNOTATION.bundlePredicateType] };
  switch (bare) {
    case SC.cosignSimpleSigning:
      return { kind: 'cosign-signature' };
    case SC.dsseEnvelope:
      return { kind: 'cosign-attestation', predicateType: annotations[ANNOTATION.predicateType] };
    case SC.jws:
      return { kind: 'notation-signature', envelope: 'jws' };
    case SC.cose:
      return { kind: 'notation-signature', envelope: 'cose' };
    case SC.inToto:
      return { kind: 'in-toto-attestation', predicateType: annotations[ANNOTATION.inTotoPredicateType] ?? annotations[ANNOTATION.predicateType] };
    case SC.spdxJson:
    case SC.spdxText:
      return { kind: 'sbom', sbomFormat: 'spdx' };
    case SC.cyclonedxJson:
    case SC.cyclonedxXml:
    case SC.cyclonedx:
      return { kind: 'sbom', sbomFormat: 'cyclonedx' };
    default:
      return { kind: 'artifact' };
  }
}

/** The kind an artifactType alone would suggest (used only when no layer tells). */
function kindOfArtifactType(artifactType: string | undefined): AttachmentKind | undefined {
  if (!artifactType) return undefined;
  if (sigstoreBundleVersion(artifactType)) return 'sigstore-bundle';
  const bare = bareMediaType(artifactType);
  if (bare === SC.notationSignature) return 'notation-signature';
  if (bare === SC.inToto) return 'in-toto-attestation';
  if (bare === SC.dsseEnvelope) return 'cosign-attestation';
  if (bare === SC.cosignSimpleSigning) return 'cosign-signature';
  if (bare === SC.spdxJson || bare === SC.spdxText || bare.startsWith(SC.cyclonedx)) return 'sbom';
  return undefined;
}

/** Which layer kind wins when a manifest holds several (signatures before statements before blobs). */
const PRECEDENCE: readonly AttachmentKind[] = ['notation-signature', 'sigstore-bundle', 'cosign-signature', 'cosign-attestation', 'in-toto-attestation', 'sbom', 'artifact'];

/**
 * Classifies an attached manifest (already fetched: its bytes or its parsed JSON). Layers decide;
 * a notation artifactType with a JWS/COSE layer is a notation signature; a BuildKit attestation
 * manifest is told by its index entry's annotation, else by in-toto layers in an image manifest
 * without artifactType and subject.
 */
export function classifyManifest(manifest: Uint8Array | unknown, context: ClassifyContext = {}): ClassifiedManifest {
  let doc: unknown = manifest;
  if (manifest instanceof Uint8Array) {
    try {
      doc = JSON.parse(Buffer.from(manifest.buffer, manifest.byteOffset, manifest.byteLength).toString('utf8'));
    } catch {
      doc = undefined;
    }
  }
  const m = doc && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>) : {};
  const config = m.config && typeof m.config === 'object' ? (m.config as Record<string, unknown>) : undefined;
  const artifactType = str(m.artifactType);
  const configMediaType = str(config?.mediaType);
  const subject = str((m.subject as Record<string, unknown> | undefined)?.digest);
  const annotations = stringRecord(m.annotations);
  const layers: ClassifiedLayer[] = (Array.isArray(m.layers) ? m.layers : []).flatMap((l: unknown, position): ClassifiedLayer[] => {
    if (!l || typeof l !== 'object') return [];
    const d = l as Record<string, unknown>;
    const mediaType = str(d.mediaType) ?? '';
    const layerAnnotations = stringRecord(d.annotations);
    const base = { mediaType, digest: str(d.digest) ?? '', size: typeof d.size === 'number' ? d.size : -1, annotations: layerAnnotations, position };
    return [{ ...base, ...classifyLayer(mediaType, layerAnnotations) }];
  });
  const fromLayers = PRECEDENCE.find((k) => k !== 'artifact' && layers.some((l) => l.kind === k));
  const fromType = kindOfArtifactType(artifactType) ?? kindOfArtifactType(configMediaType);
  let kind: AttachmentKind = fromLayers ?? fromType ?? 'artifact';
  // A .sig tag whose layers say nothing known is still where cosign keeps signatures.
  if (!fromLayers && !fromType && context.tag?.endsWith('.sig')) kind = 'cosign-signature';
  const buildx = context.entryAnnotations?.[ANNOTATION.dockerReferenceType] === 'attestation-manifest'
    || (kind === 'in-toto-attestation' && !artifactType && !subject && layers.length > 0 && layers.every((l) => l.kind === 'in-toto-attestation'));
  if (buildx && (kind === 'in-toto-attestation' || kind === 'artifact')) kind = 'buildx-attestation-manifest';
  const disagrees = fromLayers && fromType && fromType !== fromLayers && !(fromLayers === 'notation-signature' && fromType === 'notation-signature') ? artifactType ?? configMediaType : undefined;
  return { kind, artifactType, configMediaType, subject, annotations, layers, ...(disagrees ? { artifactTypeDisagrees: disagrees } : {}) };
}
