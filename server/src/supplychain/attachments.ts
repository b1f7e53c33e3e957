/**
 * Finds what is attached to one manifest in a registry and gives each signature its verdict:
 * cosign's tags (`sha256-<hex>.sig`, `.att`) by manifest GET, and OCI 1.1 referrers through the
 * registry client (the Referrers API, else the `sha256-<hex>` fallback tag, which is all
 * docker-registry 2.8 has). Every blob read is checked against its descriptor's digest by the
 * client; counts and sizes are bounded.
 */
import { isRegistryError, referenceWithDigest, referenceWithTag, type ImageReference, type RegistryClient } from '../registry';
import { ANNOTATION } from './mediaTypes';
import { classifyManifest, KIND_LABEL, type AttachmentKind, type ClassifiedLayer, type ClassifiedManifest } from './classify';
import { decodeDsse, decodeLayer, type DecodedLayer } from './decode';
import { verifyCosignAttestation, verifyCosignSignature, type TrustedKey } from './cosignKey';
import { verifyNotationCose, verifyNotationJws, type NotationConfig } from './notation';
import { verdict, type Verdict } from './verdict';
import { verifySigstoreBundle } from './bundle';
import type { TrustedRoot } from '@sigstore/protobuf-specs';

/** The most referrers (and cosign tag layers) read for one subject. */
export const MAX_ATTACHMENTS = 64;
/** The largest signature, envelope or statement blob read. */
export const MAX_ATTACHMENT_BLOB = 4 * 1024 * 1024;
/** The most layers checked for one subject, and the most blob bytes checked for it (a blob named twice counts twice). */
export const MAX_LAYERS_TOTAL = 256;
export const MAX_BYTES_TOTAL = 64 * 1024 * 1024;

export interface Attached {
  /** Where it was found: a cosign tag, or the referrers list. */
  readonly source: { readonly via: 'cosign-tag'; readonly tag: string } | { readonly via: 'referrers'; readonly api: boolean } | { readonly via: 'index'; readonly index: string };
  readonly digest: string;
  readonly manifest: ClassifiedManifest;
}

export interface FoundAttachments {
  readonly attached: readonly Attached[];
  /** Whether the referrers came from the Referrers API (false: the fallback tag, or none). */
  readonly referrersApi: boolean;
  /** What could not be read, one line each (the rest is still listed). */
  readonly problems: readonly string[];
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The BuildKit attestation manifests an index lists for `subjectDigest`: its entries annotated
 * `vnd.docker.reference.type: attestation-manifest` whose `vnd.docker.reference.digest` names it.
 */
export function attestationEntriesFor(indexBytes: Uint8Array, subjectDigest: string): { digest: string; annotations: Record<string, string> }[] {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(indexBytes).toString('utf8'));
  } catch {
    return [];
  }
  const manifests = (doc as { manifests?: unknown } | null)?.manifests;
  if (!Array.isArray(manifests)) return [];
  return manifests.flatMap((m: unknown) => {
    const e = m as { digest?: unknown; annotations?: Record<string, unknown> } | null;
    const a = e?.annotations;
    if (typeof e?.digest !== 'string' || !a || a[ANNOTATION.dockerReferenceType] !== 'attestation-manifest' || a[ANNOTATION.dockerReferenceDigest] !== subjectDigest) return [];
    return [{ digest: e.digest, annotations: Object.fromEntries(Object.entries(a).filter((kv): kv is [string, string] => typeof kv[1] === 'string')) }];
  }).slice(0, MAX_ATTACHMENTS);
}

/**
 * Lists what is attached to `subjectDigest` in `ref`'s repository: cosign tags, referrers, and
 * (given the index that lists it) BuildKit attestation manifests for it. A registry failure of
 * the referrers list throws.
 */
export async function findAttachments(client: RegistryClient, ref: ImageReference, subjectDigest: string, parentIndex?: { readonly digest: string; readonly bytes: Uint8Array }): Promise<FoundAttachments> {
  const attached: Attached[] = [];
  const problems: string[] = [];
  for (const e of parentIndex ? attestationEntriesFor(parentIndex.bytes, subjectDigest) : []) {
    try {
      const m = await client.getManifest(referenceWithDigest(ref, e.digest));
      attached.push({ source: { via: 'index', index: parentIndex!.digest }, digest: m.digest, manifest: classifyManifest(m.bytes, { entryAnnotations: e.annotations }) });
    } catch (err) {
      problems.push(`attestation manifest ${e.digest}: ${message(err)}`);
    }
  }
  const hex = subjectDigest.replace(/^sha256:/, '');
  if (subjectDigest.startsWith('sha256:')) {
    for (const suffix of ['sig', 'att'] as const) {
      const tag = `sha256-${hex}.${suffix}`;
      try {
        const m = await client.getManifest(referenceWithTag(ref, tag));
        attached.push({ source: { via: 'cosign-tag', tag }, digest: m.digest, manifest: classifyManifest(m.bytes, { tag }) });
      } catch (e) {
        if (!(isRegistryError(e) && e.kind === 'not-found')) problems.push(`cosign tag ${tag}: ${message(e)}`);
      }
    }
  }
  const list = await client.getReferrers(ref, subjectDigest);
  let entries: { digest?: unknown; annotations?: unknown }[] = [];
  try {
    const doc = JSON.parse(Buffer.from(list.bytes).toString('utf8')) as { manifests?: unknown };
    entries = Array.isArray(doc.manifests) ? doc.manifests : [];
  } catch {
    problems.push(`the referrers list of ${subjectDigest} is not JSON`);
  }
  if (entries.length > MAX_ATTACHMENTS) problems.push(`${entries.length} referrers listed; the first ${MAX_ATTACHMENTS} were read`);
  for (const e of entries.slice(0, MAX_ATTACHMENTS)) {
    if (typeof e?.digest !== 'string') continue;
    try {
      const m = await client.getManifest(referenceWithDigest(ref, e.digest));
      const annotations = e.annotations && typeof e.annotations === 'object' ? (e.annotations as Record<string, string>) : undefined;
      attached.push({ source: { via: 'referrers', api: !list.fallback }, digest: m.digest, manifest: classifyManifest(m.bytes, { entryAnnotations: annotations }) });
    } catch (err) {
      problems.push(`referrer ${e.digest}: ${message(err)}`);
    }
  }
  return { attached, referrersApi: !list.fallback, problems };
}

/** The trust the user gave: never guessed. */
export interface Trust {
  readonly keys: readonly TrustedKey[];
  readonly notation?: NotationConfig;
  /** A trusted_root.json (Sigstore bundles' logs and CAs). */
  readonly trustedRoot?: TrustedRoot;
  /** --certificate-identity / --certificate-oidc-issuer for keyless signatures. */
  readonly identity?: string;
  readonly issuer?: string;
}

export function hasTrust(t: Trust): boolean {
  return t.keys.length > 0 || !!t.notation || !!t.trustedRoot;
}

/** One signature (or signed attestation) on the subject, with its verdict. */
export interface SignatureResult {
  readonly kind: AttachmentKind;
  readonly label: string;
  /** `tag sha256-….sig layer 0`, `referrer sha256:… layer 0`. */
  readonly where: string;
  readonly decoded: DecodedLayer;
  readonly verdict: Verdict;
  /** The attached manifest's digest and the layer's position in it. */
  readonly manifest?: string;
  readonly layer?: number;
}

/** An attachment that carries no signature of its own (a bare statement, an SBOM, an artifact). */
export interface OtherAttachment {
  readonly kind: AttachmentKind;
  readonly label: string;
  readonly where: string;
  readonly decoded?: DecodedLayer;
  readonly manifest?: string;
  readonly layer?: number;
}

export interface SubjectDescriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  /** The manifest's bytes (a message-signature bundle signs them). */
  readonly bytes?: Uint8Array;
}

const SIGNED_KINDS: ReadonlySet<AttachmentKind> = new Set(['cosign-signature', 'cosign-attestation', 'sigstore-bundle', 'notation-signature']);
const READABLE_KINDS: ReadonlySet<AttachmentKind> = new Set(['buildx-attestation-manifest', 'in-toto-attestation', 'sbom']);

/**
 * Reads each attachment's layers (bounded) and gives each signature layer its verdict against
 * `trust`; without any trust every signature is "not verified: no trust configured".
 */
export async function verifyAttachments(client: RegistryClient, ref: ImageReference, subject: SubjectDescriptor, found: FoundAttachments, trust: Trust): Promise<{ signatures: SignatureResult[]; others: OtherAttachment[]; problems: string[] }> {
  const signatures: SignatureResult[] = [];
  const others: OtherAttachment[] = [];
  const problems: string[] = [...found.problems];
  const scope = `${ref.registry}/${ref.repository}`;
  const any = hasTrust(trust);
  // Blobs read once per digest (a signature manifest may name one payload many times), within
  // the budgets above: a hostile repository cannot make this read without end.
  const blobs = new Map<string, Uint8Array>();
  let layersChecked = 0;
  let bytesRead = 0;
  let leftUnread = 0;
  for (const a of found.attached) {
    const at = a.source.via === 'cosign-tag' ? `tag ${a.source.tag}` : a.source.via === 'index' ? `attestation manifest ${a.digest}` : `referrer ${a.digest}`;
    const layers = a.manifest.layers.slice(0, MAX_ATTACHMENTS);
    if (a.manifest.layers.length > layers.length) problems.push(`${at}: ${a.manifest.layers.length} layers; the first ${layers.length} were checked`);
    // Signatures, and the statements and SBOMs whose layers say what they hold, are read;
    // other artifacts are listed by kind only.
    const readable = SIGNED_KINDS.has(a.manifest.kind) || (READABLE_KINDS.has(a.manifest.kind) && layers.some((l) => READABLE_KINDS.has(l.kind)));
    if (!readable || layers.length === 0) {
      others.push({ kind: a.manifest.kind, label: KIND_LABEL[a.manifest.kind], where: at, manifest: a.digest });
      continue;
    }
    for (const layer of layers) {
      if (layersChecked >= MAX_LAYERS_TOTAL) {
        leftUnread++;
        continue;
      }
      layersChecked++;
      const where = `${at} layer ${layer.position}`;
      let bytes = blobs.get(layer.digest);
      try {
        // A blob named again is not fetched again, but is checked again (its layer's annotations
        // may differ): it counts against the budget each time, so that one 4 MiB envelope named
        // by 256 layers costs what 64 MiB of attachments costs, not 256 times a 4 MiB check.
        const size = bytes ? bytes.length : Math.max(layer.size, 0);
        if (size > MAX_ATTACHMENT_BLOB) throw new Error(`${layer.size} bytes, more than the ${MAX_ATTACHMENT_BLOB} read`);
        if (bytesRead + size > MAX_BYTES_TOTAL) throw new Error(`not checked: ${MAX_BYTES_TOTAL} bytes of attachments were checked already`);
        if (!bytes) {
          bytes = (await client.getBlob(ref, layer.digest, { maxBytes: MAX_ATTACHMENT_BLOB })).bytes;
          blobs.set(layer.digest, bytes);
        }
        bytesRead += bytes.length;
      } catch (e) {
        bytes = undefined;
        problems.push(`${where}: ${message(e)}`);
      }
      const decoded = decodeLayer(layer, bytes);
      if (!SIGNED_KINDS.has(layer.kind)) {
        const kind = a.manifest.kind === 'buildx-attestation-manifest' ? a.manifest.kind : layer.kind;
        others.push({ kind, label: KIND_LABEL[kind], where, decoded, manifest: a.digest, layer: layer.position });
        continue;
      }
      const v = bytes ? await verdictFor(layer, bytes, subject, scope, trust, any) : verdict('invalid', { reason: 'its bytes could not be read (see the problems)' });
      signatures.push({ kind: layer.kind, label: KIND_LABEL[layer.kind], where, decoded, verdict: v, manifest: a.digest, layer: layer.position });
    }
  }
  if (leftUnread) problems.push(`${leftUnread} more layers left unchecked: at most ${MAX_LAYERS_TOTAL} are checked for one image`);
  return { signatures, others, problems };
}

async function verdictFor(layer: ClassifiedLayer, bytes: Uint8Array, subject: SubjectDescriptor, scope: string, trust: Trust, any: boolean): Promise<Verdict> {
  switch (layer.kind) {
    case 'cosign-signature':
      if (!any) return verdict('not-verified', { reason: 'no --key, --trusted-root or --notation-config given' });
      return verifyCosignSignature({ payload: bytes, annotations: layer.annotations, imageDigest: subject.digest, keys: trust.keys, trustedRoot: trust.trustedRoot, identity: trust.identity, issuer: trust.issuer });
    case 'cosign-attestation':
      if (!any) return verdict('not-verified', { reason: 'no --key, --trusted-root or --notation-config given' });
      return verifyCosignAttestation(decodeDsse(bytes), { annotations: layer.annotations, imageDigest: subject.digest, keys: trust.keys });
    case 'notation-signature':
      if (!any) return verdict('not-verified', { reason: 'no --notation-config given' });
      return (layer.envelope === 'cose' ? verifyNotationCose : verifyNotationJws)({ envelope: bytes, subject, scope, config: trust.notation });
    case 'sigstore-bundle':
      if (!any) return verdict('not-verified', { reason: 'no --key or --trusted-root given' });
      return verifySigstoreBundle(bytes, subject, trust);
    default:
      return verdict('not-verified', {});
  }
}
