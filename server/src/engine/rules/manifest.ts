/** rules.md §6 (OCI image manifest) and §8 (empty descriptor, artifacts). */
import { MANIFEST_KINDS, type DocumentKind } from '../documentKind';
import { elements, isEmptyArray, propertyOf, rawText, stringOf, valueOf, type Node } from '../json';
import { EMPTY_DESCRIPTOR, MEDIA_TYPES, mediaTypeInfo, MT, type MediaTypeInfo } from '../mediaTypes';
import type { DescriptorSite, Rule, RuleContext } from '../types';
import { fix, IS_SPEC, replaceEdit, shorten } from './helpers';
import { article } from './indexRules';

const MANIFEST_SPEC = IS_SPEC + 'manifest.md#image-manifest-property-descriptions';
const DESCRIPTOR_KINDS: readonly DocumentKind[] = [...MANIFEST_KINDS, 'descriptor'];

/** The empty descriptor without `data`, as manifest.md's artifact examples write it. */
const { data: _emptyData, ...EMPTY_REF } = EMPTY_DESCRIPTOR;

function stringNode(obj: Node | undefined, key: string): Node | undefined {
  const n = valueOf(obj, key);
  return n?.type === 'string' ? n : undefined;
}

function layerSites(ctx: RuleContext): DescriptorSite[] {
  return ctx.descriptors.filter((s) => s.role === 'layer' && s.node.type === 'object');
}

function configType(ctx: RuleContext): string | undefined {
  return stringOf(valueOf(ctx.root, 'config'), 'mediaType');
}

/** Layer types image-spec or ocicrypt define, by name (the OCI layer family of the media-type table). */
function ociLayerInfo(mt: string): MediaTypeInfo | undefined {
  const info = mediaTypeInfo(mt);
  return info?.family === 'oci' && info.role === 'layer' ? info : undefined;
}

/** The distributable OCI layer type with the same compression as a non-distributable one. */
function distributableOf(info: MediaTypeInfo): string | undefined {
  return MEDIA_TYPES.find((m) => m.family === 'oci' && m.role === 'layer' && !m.nondistributable && !m.nonstandard && m.compression === info.compression)?.mediaType;
}

/** Whether a layer mediaType is a filesystem layer of either family, or at least named like an OCI layer. */
function isFilesystemLayerType(mt: string): boolean {
  const info = mediaTypeInfo(mt);
  return info?.role === 'layer' || mt.startsWith(MT.ociLayerTar);
}

/**
 * Whether the manifest is an artifact rather than an image: artifactType is set, or the config is
 * the empty descriptor, missing, or of a type that is not an image config.
 */
function isArtifact(ctx: RuleContext): boolean {
  const at = stringOf(ctx.root, 'artifactType');
  if (at) return true;
  const mt = configType(ctx);
  return mt === undefined || mediaTypeInfo(mt)?.role !== 'config';
}

/** The document's fields make it an index or a schema 1 manifest, not a manifest (media-type-wrong-for-shape reports that). */
function shapedOtherwise(ctx: RuleContext): boolean {
  const groups = ctx.detection.keyGroups;
  return groups.length > 0 && !groups.includes('manifest');
}


export const manifestRules: Rule[] = [
  {
    id: 'oci-manifest-config-missing',
    severity: 'error',
    appliesTo: ['oci-manifest', 'docker-manifest'],
    description: 'An image manifest has no config descriptor.',
    why: 'config is REQUIRED (image-spec manifest.md and the v2 schema 2 spec); without it no client can pull or run the image, and registries refuse the push. Docker v2s2 manifests need it just as much, so the rule covers both.',
    source: 'image-spec manifest.md "config … This REQUIRED property"; image-manifest-schema.json required [schemaVersion, config, layers]',
    specUrl: MANIFEST_SPEC,
    check(ctx) {
      // A non-object config is descriptor-required-field's; a document whose fields make it another kind is media-type-wrong-for-shape's.
      if (propertyOf(ctx.root, 'config') || shapedOtherwise(ctx)) return;
      ctx.reportAt(ctx.root.offset, 1, 'config is missing: an image manifest REQUIRES a config descriptor (an artifact without one uses the empty descriptor and artifactType).');
    },
  },
  {
    id: 'oci-manifest-layers-missing',
    severity: 'error',
    appliesTo: ['oci-manifest', 'docker-manifest'],
    description: 'An image manifest has no layers array.',
    why: 'layers is REQUIRED in both OCI and Docker v2s2 manifests; the image-spec schema and distribution refuse a manifest without it.',
    source: 'image-spec manifest.md "layers … REQUIRED"; image-manifest-schema.json',
    specUrl: MANIFEST_SPEC,
    check(ctx) {
      const prop = propertyOf(ctx.root, 'layers');
      if (!prop && shapedOtherwise(ctx)) return;
      if (!prop) {
        ctx.reportAt(ctx.root.offset, 1, 'layers is missing: an image manifest REQUIRES a "layers" array of descriptors (for an artifact without content, one empty descriptor).');
        return;
      }
      const value = prop.children?.[1];
      if (value && value.type !== 'array') {
        ctx.report(value, `layers is ${shorten(rawText(ctx.text, value), 40)}, not an array of descriptors; every parser refuses it.`);
      }
    },
  },
  {
    id: 'oci-manifest-layers-empty',
    severity: 'warning',
    appliesTo: ['oci-manifest'],
    description: 'An OCI manifest has an empty layers array.',
    why: 'For portability, layers SHOULD have at least one entry, and the image-spec JSON schema requires one (minItems 1). An artifact without content SHOULD carry the empty descriptor as its single layer.',
    source: 'image-spec manifest.md "For portability, layers SHOULD have at least one entry"; image-manifest-schema.json minItems 1; Guidelines for Artifact Usage',
    specUrl: IS_SPEC + 'manifest.md#guidelines-for-artifact-usage',
    fix: 'For an artifact: insert the empty descriptor as the single layer.',
    check(ctx) {
      const layers = valueOf(ctx.root, 'layers');
      if (!isEmptyArray(layers)) return;
      const isImage = configType(ctx) === MT.ociConfig;
      const fixes = isImage ? [] : [fix('Insert the empty descriptor as the single layer', [replaceEdit(layers, [EMPTY_REF])], true, true)];
      ctx.report(layers, isImage
        ? 'layers is empty: an image needs at least its base layer (the image-spec schema requires one entry, and runtimes have no root filesystem to unpack).'
        : `layers is empty: for portability an artifact SHOULD list one layer; the suggested content is the empty descriptor ("${MT.ociEmpty}", size 2).`, { fixes });
    },
  },
  {
    id: 'artifact-type-required',
    severity: 'error',
    appliesTo: ['oci-manifest'],
    description: 'The config is the empty descriptor, but artifactType is not set.',
    why: 'artifactType MUST be set when config.mediaType is the empty value: it is then the only place that says what the artifact is, and registries filter referrers by it.',
    source: 'image-spec manifest.md artifactType "This MUST be set when config.mediaType is set to the empty value"',
    specUrl: IS_SPEC + 'manifest.md#guidelines-for-artifact-usage',
    check(ctx) {
      const configMt = stringNode(valueOf(ctx.root, 'config'), 'mediaType');
      if (configMt?.value !== MT.ociEmpty) return;
      const at = valueOf(ctx.root, 'artifactType');
      if (at?.type === 'string' && at.value !== '') return;
      if (at) {
        if (at.type === 'string') ctx.report(at, 'artifactType is empty, but the config is the empty descriptor: artifactType MUST name the artifact\'s own media type (the type of SBOM, signature, chart, …).');
        return;
      }
      ctx.report(configMt, 'config is the empty descriptor, so artifactType MUST be set to the artifact\'s own media type.');
    },
  },
  {
    id: 'artifact-config-is-image-config',
    severity: 'warning',
    appliesTo: ['oci-manifest'],
    description: 'An artifact uses the OCI image config media type for its config.',
    why: 'artifacts-guidance.md: config.mediaType "should not be a known OCI image config media type" for non-images. Tools that see the image config treat the manifest as a runnable image (cosign signatures and BuildKit attestations historically did this); the modern form is the empty config plus artifactType.',
    source: 'image-spec artifacts-guidance.md; manifest.md Guidelines for Artifact Usage; containers/image NonImageArtifactError comment',
    specUrl: IS_SPEC + 'artifacts-guidance.md',
    fix: 'When artifactType is set: use the empty descriptor as config.',
    check(ctx) {
      const config = valueOf(ctx.root, 'config');
      const node = stringNode(config, 'mediaType');
      if (node?.value !== MT.ociConfig || config?.type !== 'object') return;
      const artifactType = stringOf(ctx.root, 'artifactType');
      const foreign = layerSites(ctx).find((s) => {
        const mt = stringOf(s.node, 'mediaType');
        return mt !== undefined && !isFilesystemLayerType(mt);
      });
      if (!artifactType && !foreign) return;
      const reason = artifactType ? 'artifactType is set' : `${foreign!.label} is not a filesystem layer`;
      const fixes = artifactType ? [fix('Use the empty descriptor as config (the config blob is no longer referenced)', [replaceEdit(config, EMPTY_REF)])] : [];
      ctx.report(node, `This looks like an artifact (${reason}), but its config is an OCI image config: tools will treat it as a runnable image.`, { fixes });
    },
  },
  {
    id: 'oci-config-media-type-unknown',
    severity: 'info',
    appliesTo: ['oci-manifest'],
    description: 'The config media type is not an image config type: the manifest is an artifact.',
    why: 'Implementations MUST NOT parse config content of an unknown type; containers/image (podman, skopeo) treats such manifests as non-image artifacts ("unsupported image-specific operation on artifact with type …") and Quay accepts them only for allowed artifact types.',
    source: 'image-spec manifest.md config mediaType; containers/image NewNonImageArtifactError; Quay ALLOWED_OCI_ARTIFACT_TYPES',
    specUrl: MANIFEST_SPEC,
    check(ctx) {
      const node = stringNode(valueOf(ctx.root, 'config'), 'mediaType');
      if (!node) return;
      const mt = node.value as string;
      const info = mediaTypeInfo(mt);
      if (info?.role === 'config' || info?.role === 'empty') return;
      const what = info ? `${article(info.title)} type, not a config type` : 'not an image config type';
      ctx.report(node, `config.mediaType is ${what}: podman, skopeo and other image tools treat this manifest as an artifact and refuse to run it.`);
    },
  },
  {
    id: 'oci-layer-media-type-nonstandard',
    severity: 'info',
    appliesTo: ['oci-manifest'],
    description: 'A layer media type of an image is not one image-spec (or ocicrypt) defines. Warning when the config is the OCI image config; artifacts may carry any layer type.',
    why: 'Consumers MUST NOT error on unknown layer types, but with an image config the layers are a filesystem stack that runtimes must unpack; Quay refuses unknown layer types unless configured, and containers/image cannot recompress them. An artifact (artifactType set, or a config that is the empty descriptor or not an image config) carries whatever its type needs: an SBOM referrer\'s layer is application/spdx+json, and that is normal.',
    source: 'image-spec manifest.md layers, Guidelines for Artifact Usage; Quay image/oci/manifest.py layer validation',
    specUrl: MANIFEST_SPEC,
    check(ctx) {
      // An artifact may carry any layer type (issue 24): only an image's layers must be a filesystem stack.
      if (isArtifact(ctx)) return;
      const image = configType(ctx) === MT.ociConfig;
      for (const site of layerSites(ctx)) {
        const node = stringNode(site.node, 'mediaType');
        if (!node) continue;
        const mt = node.value as string;
        const info = mediaTypeInfo(mt);
        if (info?.role === 'layer' || info?.role === 'empty') continue; // Docker layers: mixed-layer-in-oci-manifest
        const ociLike = mt.startsWith(MT.ociLayerTar);
        if (image && !ociLike) continue; // an artifact payload under an image config: artifact-config-is-image-config
        const msg = image
          ? `${site.label} is a layer type image-spec does not define, in an image: runtimes cannot unpack it and Quay refuses it.`
          : `${site.label} is a layer type image-spec does not define; Quay accepts it only when the registry allows it.`;
        ctx.report(node, msg, { severity: image ? 'warning' : 'info' });
      }
    },
  },
  {
    id: 'layer-nondistributable-deprecated',
    severity: 'info',
    appliesTo: ['oci-manifest'],
    description: 'A layer uses a deprecated non-distributable OCI layer type.',
    why: 'Non-distributable layer types are deprecated and implementations SHOULD NOT produce new non-distributable layers (a SHOULD, so info); registries may now store the blob anyway.',
    source: 'image-spec media-types.md, layer.md "Implementations SHOULD NOT produce new non-distributable layers"; specs-go Deprecated markers',
    specUrl: IS_SPEC + 'layer.md#non-distributable-layers',
    fix: 'Relabel as the ordinary layer type of the same compression (same bytes).',
    check(ctx) {
      for (const site of layerSites(ctx)) {
        const node = stringNode(site.node, 'mediaType');
        const info = node && ociLayerInfo(node.value as string);
        if (!info?.nondistributable) continue;
        const to = distributableOf(info);
        ctx.report(node!, `${site.label} is a deprecated non-distributable layer type` + (to ? `; use "${to}" (same bytes).` : '.'), {
          fixes: to ? [fix(`Relabel ${site.label} as ${to}`, [replaceEdit(node!, to)], true, true)] : [],
        });
      }
    },
  },
  {
    id: 'nondistributable-without-urls',
    severity: 'info',
    appliesTo: ['oci-manifest'],
    description: 'A non-distributable layer has no urls.',
    why: 'A non-distributable layer is fetched from its urls; without them the blob must be in the registry anyway. Quay refuses such manifests ("missing `urls` for remote layer").',
    source: 'image-spec layer.md "Descriptors referencing non-distributable layers MAY include urls"; Quay image/oci/manifest.py',
    specUrl: IS_SPEC + 'layer.md#non-distributable-layers',
    check(ctx) {
      for (const site of layerSites(ctx)) {
        const node = stringNode(site.node, 'mediaType');
        const info = node && ociLayerInfo(node.value as string);
        if (!info?.nondistributable) continue;
        const urls = valueOf(site.node, 'urls');
        if (urls && (urls.type !== 'array' || elements(urls).length > 0)) continue;
        ctx.report(node!, `${site.label} is non-distributable but has no urls, so clients must find the blob in the registry; Quay refuses it ("missing urls for remote layer").`);
      }
    },
  },
  {
    id: 'layer-zstd-portability',
    severity: 'info',
    appliesTo: ['oci-manifest'],
    description: 'A layer is zstd-compressed, which consumers only SHOULD support.',
    why: 'image-spec makes zstd a SHOULD, not a MUST, so older runtimes cannot pull such images; containers/image allows zstd only in OCI manifests and marks zstd instances in an index with io.github.containers.compression.zstd so a gzip instance can sit next to them.',
    source: 'image-spec manifest.md layers (zstd SHOULD be supported); containers/image MIMETypeSupportsCompressionAlgorithm, internal/manifest/oci_index.go',
    specUrl: MANIFEST_SPEC,
    check(ctx) {
      for (const site of layerSites(ctx)) {
        const node = stringNode(site.node, 'mediaType');
        const info = node && ociLayerInfo(node.value as string);
        if (info?.compression !== 'zstd') continue;
        ctx.report(node!, `${site.label} is zstd-compressed: consumers only SHOULD support zstd, so older runtimes cannot pull this image.`);
      }
    },
  },
  {
    id: 'subject-not-manifest',
    severity: 'info',
    appliesTo: ['oci-manifest', 'oci-index', 'artifact-manifest'],
    description: 'subject is not a descriptor of a manifest.',
    why: 'subject names the manifest this one refers to (a signature, SBOM or attestation of it); the referrers API indexes it by that manifest. A subject with a layer or config type points at something no referrers query will ask for. No consumer is known to refuse it, so info.',
    source: 'image-spec manifest.md / image-index.md "subject … specifies a descriptor of another manifest"; distribution-spec referrers',
    specUrl: MANIFEST_SPEC,
    check(ctx) {
      const subject = valueOf(ctx.root, 'subject');
      if (subject?.type !== 'object') return; // not an object: descriptor-required-field
      const node = stringNode(subject, 'mediaType');
      const info = mediaTypeInfo(node?.value as string | undefined);
      if (!node || !info) return;
      if (['manifest', 'index', 'artifact-manifest', 'signed-manifest'].includes(info.role)) return;
      ctx.report(node, `subject.mediaType is ${article(info.title)} type; a subject must point at a manifest or index.`);
    },
  },
  ...(['digest', 'size', 'data'] as const).map((field): Rule => ({
    id: `empty-descriptor-${field}`,
    severity: 'error',
    appliesTo: DESCRIPTOR_KINDS,
    description: `A descriptor of type ${MT.ociEmpty} has a ${field} other than the empty descriptor's.`,
    why: `The empty descriptor stands for the two bytes "{}": its digest is ${EMPTY_DESCRIPTOR.digest}, its size 2 and its data (if any) "e30=". Anything else points at a different blob under the empty media type.`,
    source: 'image-spec manifest.md "Guidance for an Empty Descriptor"; specs-go DescriptorEmptyJSON',
    specUrl: IS_SPEC + 'manifest.md#guidance-for-an-empty-descriptor',
    fix: `Set the canonical ${field}.`,
    check(ctx) {
      for (const site of ctx.descriptors) {
        if (site.node.type !== 'object' || stringOf(site.node, 'mediaType') !== MT.ociEmpty) continue;
        const node = valueOf(site.node, field);
        if (!node) continue;
        const expected = EMPTY_DESCRIPTOR[field];
        if (node.value === expected && node.type === (field === 'size' ? 'number' : 'string')) continue;
        ctx.report(node, `${site.label}.${field} is not the empty descriptor's ${field}, ${shorten(JSON.stringify(expected), 24)} (the blob "{}").`, {
          fixes: [fix(`Set ${field} to ${JSON.stringify(expected)}`, [replaceEdit(node, expected)], true, true)],
        });
      }
    },
  })),
  {
    id: 'zero-size-blob',
    severity: 'info',
    appliesTo: DESCRIPTOR_KINDS,
    description: 'A descriptor points at an empty (0-byte) blob.',
    why: 'manifest.md: "While an empty blob (size of 0) may be preferable, practice has shown that not to be ubiquitously supported." Some registries and clients refuse 0-byte blobs; the empty descriptor ({}, 2 bytes) is the portable choice.',
    source: 'image-spec manifest.md "Guidance for an Empty Descriptor"',
    specUrl: IS_SPEC + 'manifest.md#guidance-for-an-empty-descriptor',
    check(ctx) {
      for (const site of ctx.descriptors) {
        if (site.node.type !== 'object' || stringOf(site.node, 'mediaType') === MT.ociEmpty) continue;
        const size = valueOf(site.node, 'size');
        if (size?.type !== 'number' || size.value !== 0) continue;
        ctx.report(size, `${site.label} points at a 0-byte blob, which not every registry and client supports; the empty descriptor is the portable placeholder.`);
      }
    },
  },
];
