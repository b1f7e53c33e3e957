/**
 * The media types, annotation keys and predicate types of signatures, attestations and SBOMs,
 * as the tools that write them spell them (cosign pkg/oci/static, sigstore-js packages/bundle,
 * notaryproject specifications, moby/buildkit docs/attestations). The engine's media-type table
 * covers manifests and image layers; these are read only here.
 */

export const SC = Object.freeze({
  cosignSimpleSigning: 'application/vnd.dev.cosign.simplesigning.v1+json',
  dsseEnvelope: 'application/vnd.dsse.envelope.v1+json',
  /** cosign v3 and sigstore-js: artifactType and layer media type. */
  sigstoreBundleV03: 'application/vnd.dev.sigstore.bundle.v0.3+json',
  /** The older form, with a version parameter 0.1, 0.2 or 0.3. */
  sigstoreBundleParam: 'application/vnd.dev.sigstore.bundle+json',
  notationSignature: 'application/vnd.cncf.notary.signature',
  notationPayload: 'application/vnd.cncf.notary.payload.v1+json',
  jws: 'application/jose+json',
  cose: 'application/cose',
  inToto: 'application/vnd.in-toto+json',
  spdxJson: 'application/spdx+json',
  spdxText: 'text/spdx',
  cyclonedxJson: 'application/vnd.cyclonedx+json',
  cyclonedxXml: 'application/vnd.cyclonedx+xml',
  cyclonedx: 'application/vnd.cyclonedx',
});

export const ANNOTATION = Object.freeze({
  cosignSignature: 'dev.cosignproject.cosign/signature',
  cosignCertificate: 'dev.sigstore.cosign/certificate',
  cosignChain: 'dev.sigstore.cosign/chain',
  cosignBundle: 'dev.sigstore.cosign/bundle',
  cosignTimestamp: 'dev.sigstore.cosign/rfc3161timestamp',
  /** SIGNATURE_SPEC.md's spelling; the code writes dev.sigstore.cosign/certificate. */
  cosignCertificateSpec: 'dev.cosignproject.cosign/certificate',
  predicateType: 'predicateType',
  bundlePredicateType: 'dev.sigstore.bundle.predicateType',
  inTotoPredicateType: 'in-toto.io/predicate-type',
  dockerReferenceType: 'vnd.docker.reference.type',
  dockerReferenceDigest: 'vnd.docker.reference.digest',
});

export const PREDICATE = Object.freeze({
  slsaV02: 'https://slsa.dev/provenance/v0.2',
  slsaV1: 'https://slsa.dev/provenance/v1',
  spdx: 'https://spdx.dev/Document',
  cyclonedx: 'https://cyclonedx.org/bom',
  cosignSign: 'https://sigstore.dev/cosign/sign/v1',
});

/** The media type without parameters, lower-cased. */
export function bareMediaType(mediaType: string | undefined): string {
  return (mediaType ?? '').split(';')[0].trim().toLowerCase();
}

/** 0.1, 0.2 or 0.3 for a Sigstore bundle media type, else undefined. */
export function sigstoreBundleVersion(mediaType: string | undefined): string | undefined {
  if (!mediaType) return undefined;
  const m = /^application\/vnd\.dev\.sigstore\.bundle\.v(0\.[0-9]+)\+json$/i.exec(mediaType.trim());
  if (m) return m[1];
  if (bareMediaType(mediaType) !== SC.sigstoreBundleParam) return undefined;
  const v = /;\s*version=("?)(0\.[0-9]+)\1\s*(;|$)/i.exec(mediaType);
  return v ? v[2] : undefined;
}
