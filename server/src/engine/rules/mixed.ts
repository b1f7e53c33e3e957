/** rules.md §9: mixed OCI / Docker media types, the headline rules. */
import { ANNOTATION } from '../annotationKeys';
import { propertyOf, stringOf, valueOf, type Node } from '../json';
import { DOCKER_V2S2_CONFIG_TYPES, DOCKER_V2S2_LAYER_TYPES, EMPTY_DESCRIPTOR, mediaTypeInfo, MT, PLACEHOLDER_ARTIFACT_TYPE, relabel } from '../mediaTypes';
import type { ConversionTarget, DescriptorSite, Rule, RuleContext } from '../types';
import { deletePropertyEdit, DOCKER_V22, fix, IS_SPEC, replaceEdit } from './helpers';

function layerSites(ctx: RuleContext): DescriptorSite[] {
  return ctx.descriptors.filter((s) => s.role === 'layer' && s.node.type === 'object');
}

function mediaTypeNode(site: DescriptorSite): Node | undefined {
  const n = valueOf(site.node, 'mediaType');
  return n?.type === 'string' ? n : undefined;
}

const BOTH: readonly ConversionTarget[] = ['oci', 'docker'];

/** Fields the Docker formats do not have (media-types.md compatibility matrix). */
const OCI_ONLY_TOP = ['annotations', 'subject', 'artifactType'];

/** What podman 4.3.1 / buildah 1.28.2 (containers/image 5.23, Debian 12) print for a mixed image (observed). */
export const MIXED_CONFIG_ERROR_5_23 = `parsing image configuration: unsupported image-specific operation on artifact with type "${MT.dockerConfig}"`;
/** What containers/image prints since containers/image#1822 (2023), per its source. */
export const MIXED_CONFIG_ERROR_NEW = 'invalid mixed OCI image with Docker v2s2 config';

export const mixedRules: Rule[] = [
  {
    id: 'mixed-config-media-type',
    severity: 'error',
    appliesTo: ['oci-manifest'],
    description: 'An OCI manifest carries a Docker image config media type.',
    why: `podman and buildah refuse to pull it. podman 4.3.1 and buildah 1.28.2 (Debian 12, containers/image 5.23) print \`${MIXED_CONFIG_ERROR_5_23}\`; containers/image versions with containers/image#1822 (2023) print \`${MIXED_CONFIG_ERROR_NEW}\` instead. skopeo 1.9.3 \`copy\` still copies it unchanged; \`skopeo inspect\` (without --raw) and a format conversion (\`skopeo copy --format v2s2\`) fail with the same error. The OCI manifest MUST-support list holds only the OCI config; the two config types are related, not interchangeable.`,
    source: 'observed with Debian 12 podman 4.3.1, buildah 1.28.2, skopeo 1.9.3 (test/realtools); containers/image internal/manifest/errors.go NonImageArtifactError (containers/image#1822); podman#22196; image-spec manifest.md config',
    specUrl: IS_SPEC + 'manifest.md#image-manifest-property-descriptions',
    fix: 'Set config.mediaType to application/vnd.oci.image.config.v1+json; or convert the whole document to one family.',
    check(ctx) {
      const site = ctx.descriptors.find((s) => s.role === 'config');
      const node = site && mediaTypeNode(site);
      if (!node || node.value !== MT.dockerConfig) return;
      // One sentence for the Problems panel; what each containers/image generation prints is in the
      // rule's why (the hover, docs/rules.md), and test/realtools checks the podman 4.3 quote there.
      ctx.report(node, 'OCI manifest with a Docker config media type: podman and buildah refuse to pull it, and skopeo inspect fails.', {
        fixes: [fix(`Set config mediaType to ${MT.ociConfig}`, [replaceEdit(node, MT.ociConfig)], true, true)],
        conversions: BOTH,
      });
    },
  },
  {
    id: 'mixed-layer-in-oci-manifest',
    severity: 'warning',
    appliesTo: ['oci-manifest'],
    description: 'An OCI manifest lists a layer with a Docker layer media type.',
    why: 'The OCI layer MUST-support list is OCI-only; Quay refuses Docker layer types in OCI manifests, and containers/image cannot recompress them ("unsupported MIME type for compression").',
    source: 'image-spec manifest.md layers; Quay OCI manifest schema; docker-library/bashbrew#64',
    specUrl: IS_SPEC + 'manifest.md#image-manifest-property-descriptions',
    fix: 'Relabel the layer with its OCI equivalent (same bytes).',
    check(ctx) {
      for (const site of layerSites(ctx)) {
        const node = mediaTypeNode(site);
        if (!node) continue;
        const info = mediaTypeInfo(node.value as string);
        if (info?.family !== 'docker' || info.role !== 'layer') continue;
        const to = relabel(info.mediaType, 'oci');
        ctx.report(node, `Mixed media types: ${site.label} of this OCI manifest is a Docker layer type` + (to ? `; the OCI equivalent is "${to}".` : '.'), {
          fixes: to ? [fix(`Relabel ${site.label} as ${to}`, [replaceEdit(node, to)], true, true)] : [],
          conversions: BOTH,
        });
      }
    },
  },
  {
    id: 'mixed-layer-in-docker-manifest',
    severity: 'error',
    appliesTo: ['docker-manifest'],
    description: 'A Docker v2 schema 2 manifest lists a layer whose media type is not a Docker layer type.',
    why: 'containers/image refuses it, so skopeo, podman and CRI-O (OpenShift kubelets) cannot pull the image (kontain.me#222, cilium#13429): podman 4.3.1 and skopeo 1.9.3 print `unsupported docker v2s2 media type: "application/vnd.oci.image.layer.v1.tar+gzip"` for an OCI layer type.',
    source: 'containers/image Schema2FromManifest / SupportedSchema2MediaType; manifest-v2-2.md layers',
    specUrl: DOCKER_V22,
    fix: 'Relabel the layer with its Docker equivalent, or convert the whole manifest to OCI.',
    check(ctx) {
      for (const site of layerSites(ctx)) {
        const node = mediaTypeNode(site);
        if (!node) continue;
        const mt = node.value as string;
        const info = mediaTypeInfo(mt);
        if (DOCKER_V2S2_LAYER_TYPES.has(mt) || info?.compression === 'zstd') continue; // zstd: docker-zstd-layer-nonstandard
        const to = relabel(mt, 'docker');
        const what = info ? `an ${info.family === 'oci' ? 'OCI' : info.family} type` : 'not a Docker layer type';
        ctx.report(node, `Mixed media types: ${site.label} of this Docker v2s2 manifest is ${what}: podman and skopeo refuse it.`, {
          fixes: to ? [fix(`Relabel ${site.label} as ${to}`, [replaceEdit(node, to)], true, true)] : [],
          conversions: BOTH,
        });
      }
    },
  },
  {
    id: 'docker-config-media-type-unexpected',
    severity: 'warning',
    appliesTo: ['docker-manifest'],
    description: 'A Docker v2 schema 2 manifest\'s config is not a Docker image or plugin config.',
    why: 'Quay enforces the Docker config type on v2s2 manifests, and distribution refuses unknown config classes when repository classes are configured.',
    source: 'manifest-v2-2.md config "should generally be …"; Quay schema2 config enum; distribution applyResourcePolicy',
    specUrl: DOCKER_V22,
    fix: 'Relabel the config as a Docker config, or convert the manifest to OCI.',
    check(ctx) {
      const site = ctx.descriptors.find((s) => s.role === 'config');
      const node = site && mediaTypeNode(site);
      if (!node || DOCKER_V2S2_CONFIG_TYPES.has(node.value as string)) return;
      const to = relabel(node.value as string, 'docker');
      ctx.report(node, 'This Docker v2s2 manifest\'s config is not a Docker config type; Quay refuses it.' + (to ? '' : ' For an artifact, use an OCI manifest with artifactType.'), {
        fixes: to ? [fix(`Set config mediaType to ${to}`, [replaceEdit(node, to)], true, true)] : [],
        conversions: ['oci'],
      });
    },
  },
  {
    id: 'mixed-index-docker-children',
    severity: 'info',
    appliesTo: ['oci-index'],
    description: 'An OCI image index lists Docker manifests or manifest lists. Warning in an image layout\'s index.json, where skopeo and podman cannot resolve a tag to them.',
    why: 'In a registry, podman 4.3.1 writes such an index (`podman manifest push` without --format of Docker-format images) and podman and skopeo read it; the spec lets consumers accept unknown types. But Quay refused one (oc-mirror#253: "\'application/vnd.docker.distribution.manifest.v2+json\' is not one of [\'application/vnd.oci.image.manifest.v1+json\', \'application/vnd.oci.image.index.v1+json\']"), so it is worth knowing before pushing there: info. In an image layout\'s index.json it is a warning: `skopeo copy --format v2s2 docker://… oci:DIR:t` writes a Docker v2s2 entry there, and then skopeo 1.9.3 and podman cannot read it back (`no descriptor found for reference "t"`): they skip non-OCI entries when resolving a tag.',
    source: 'observed with Debian 12 podman 4.3.1 and skopeo 1.9.3 (test/realtools); image-spec image-index.md manifests; Quay index schema (openshift/oc-mirror#253); containers/image oci/layout getManifestDescriptor',
    specUrl: IS_SPEC + 'image-index.md#image-index-property-descriptions',
    fix: 'When every child is Docker and no OCI-only field is used, make the index a Docker manifest list.',
    crossEntry: true,
    check(ctx) {
      const children = ctx.descriptors.filter((s) => s.role === 'manifest');
      // A plain entry of an OCI index is an OCI or a Docker v2s2 manifest: its facts say which.
      const docker = children.filter((s) => mediaTypeInfo(s.plain ? s.plain.mediaType : stringOf(s.node, 'mediaType'))?.family === 'docker');
      if (docker.length === 0) return;
      const top = valueOf(ctx.root, 'mediaType');
      const allDocker = docker.length === children.length && !OCI_ONLY_TOP.some((k) => propertyOf(ctx.root, k)) && children.every((c) => !propertyOf(c.node, 'annotations'));
      const fixes = allDocker && top ? [fix(`Make this a Docker manifest list (${MT.dockerList})`, [replaceEdit(top, MT.dockerList)], true, true)] : [];
      // In a layout's index.json, skopeo 1.9.3 and podman resolve a tag among the OCI entries only (issue 24).
      const layout = ctx.context === 'layout-index';
      for (const site of docker) {
        const message = (): string => {
          if (!layout) return `Mixed media types: ${site.label} of this OCI index is a Docker type: podman and skopeo accept it, Quay refuses it.`;
          const name = site.plain ? site.plain.refName : stringOf(valueOf(site.node, 'annotations'), ANNOTATION.refName);
          return `${site.label} is a Docker type: skopeo 1.9.3 and podman skip it when resolving a tag in a layout (\`no descriptor found for reference ${JSON.stringify(name ?? 't')}\`).`;
        };
        const o = layout ? { severity: 'warning' as const } : { fixes };
        // A plain entry's media type is an unescaped string at a known place: no node is made for it.
        if (site.plain) ctx.reportAt(site.start! + site.plain.mediaTypeAt, site.plain.mediaType.length + 2, message(), o);
        else ctx.report(mediaTypeNode(site)!, message(), o);
      }
    },
  },
  {
    id: 'mixed-list-oci-children',
    severity: 'info',
    appliesTo: ['docker-list'],
    description: 'A Docker manifest list lists OCI manifests or indexes.',
    why: 'Docker lists hold v2s2 manifests; a list with OCI children is what podman manifest inspect showed for an OCI index it had re-serialised (podman#22196), hiding what the registry served. No consumer is known to refuse one: podman 4.3.1 pulls it and skopeo 1.9.3 copies it (also with --all), so info.',
    source: 'manifest-v2-2.md manifest list; podman#22196; observed with Debian 12 podman 4.3.1 and skopeo 1.9.3',
    specUrl: DOCKER_V22 + '#manifest-list',
    fix: 'Make the list an OCI image index (the fields are compatible).',
    check(ctx) {
      const top = valueOf(ctx.root, 'mediaType');
      for (const site of ctx.descriptors.filter((s) => s.role === 'manifest')) {
        const node = mediaTypeNode(site);
        if (!node || mediaTypeInfo(node.value as string)?.family !== 'oci') continue;
        ctx.report(node, `Mixed media types: ${site.label} of this Docker manifest list is an OCI type; podman and skopeo accept it, but an OCI index is the right container.`, {
          fixes: top ? [fix(`Make this an OCI image index (${MT.ociIndex})`, [replaceEdit(top, MT.ociIndex)], true, true)] : [],
        });
      }
    },
  },
  {
    id: 'docker-zstd-layer-nonstandard',
    severity: 'error',
    appliesTo: ['docker-manifest', 'oci-manifest'],
    description: 'A zstd layer is labelled or listed as Docker, which the Docker format does not define.',
    why: 'manifest-v2-2.md has no zstd type; containerd and regclient define one, but in a Docker v2s2 manifest podman 4.3.1 and skopeo 1.9.3 refuse it (`unsupported docker v2s2 media type: "application/vnd.docker.image.rootfs.diff.tar.zstd"`). In an OCI manifest podman 4.3.1 pulls a layer labelled that way, so there it is info: relabel it with the OCI zstd type.',
    source: 'manifest-v2-2.md media types; containers/image SupportedSchema2MediaType; observed with Debian 12 podman 4.3.1 and skopeo 1.9.3',
    specUrl: DOCKER_V22,
    fix: 'Convert the manifest to OCI, with application/vnd.oci.image.layer.v1.tar+zstd.',
    check(ctx) {
      for (const site of layerSites(ctx)) {
        const node = mediaTypeNode(site);
        if (!node) continue;
        const mt = node.value as string;
        const inDocker = ctx.kind === 'docker-manifest' && mediaTypeInfo(mt)?.compression === 'zstd';
        if (mt !== MT.dockerLayerZstd && !inDocker) continue;
        const oci = ctx.kind === 'oci-manifest';
        ctx.report(node, oci
          ? `${site.label} is labelled as a Docker zstd layer, a type no spec defines; podman pulls it, but the OCI type is "${MT.ociLayerZstd}".`
          : `${site.label} is zstd in a Docker v2s2 manifest: podman and skopeo refuse it (zstd layers need an OCI manifest).`, {
          severity: oci ? 'info' : undefined,
          fixes: oci ? [fix(`Relabel ${site.label} as ${MT.ociLayerZstd}`, [replaceEdit(node, MT.ociLayerZstd)], true, true)] : [],
          conversions: ['oci'],
        });
      }
    },
  },
  {
    id: 'docker-uncompressed-layer',
    severity: 'info',
    appliesTo: ['docker-manifest'],
    description: 'A Docker manifest uses the uncompressed Docker layer type.',
    why: 'containers/image accepts it, but the v2 schema 2 spec does not list it and Quay.io refuses such manifests ("manifest invalid", containers/image#1270).',
    source: 'containers/image#1270',
    specUrl: DOCKER_V22,
    check(ctx) {
      for (const site of layerSites(ctx)) {
        const node = mediaTypeNode(site);
        if (node?.value === MT.dockerLayerTar) ctx.report(node, `${site.label} is an uncompressed Docker layer; Quay.io refuses v2s2 manifests with it.`, { conversions: ['oci'] });
      }
    },
  },
  {
    id: 'oci-only-field-in-docker',
    severity: 'warning',
    appliesTo: ['docker-manifest', 'docker-list'],
    description: 'A Docker manifest or list uses a field only OCI defines (annotations, subject, artifactType, config urls).',
    why: 'The Docker formats have no such field: containers/image drops it silently when it re-serialises, and strict registries refuse it.',
    source: 'image-spec media-types.md compatibility matrix; containers/image Schema2 structs',
    specUrl: IS_SPEC + 'media-types.md#compatibility-matrix',
    fix: 'Drop the field, or convert the document to OCI.',
    check(ctx) {
      const flag = (prop: Node | undefined, where: string): void => {
        if (!prop) return;
        const key = prop.children![0];
        ctx.report(key, `"${key.value}" ${where} exists only in OCI; Docker tools drop it.`, {
          fixes: [fix(`Remove "${key.value}"`, [deletePropertyEdit(ctx.text, prop)])],
          conversions: ['oci'],
        });
      };
      for (const k of OCI_ONLY_TOP) flag(propertyOf(ctx.root, k), 'at the top level');
      for (const site of ctx.descriptors) {
        if (site.node.type !== 'object') continue;
        flag(propertyOf(site.node, 'annotations'), `on ${site.label}`);
        if (site.role === 'config' || site.role === 'manifest') flag(propertyOf(site.node, 'urls'), `on ${site.label}`);
      }
    },
  },
  {
    id: 'docker-only-field-in-oci',
    severity: 'info',
    appliesTo: ['oci-index'],
    description: 'An OCI index entry uses platform.features, which Docker lists define and OCI reserves.',
    why: 'platform.features is RESERVED in OCI: consumers must not rely on it, and converters drop it (podman 4.3.1 leaves it out of the OCI indexes it writes). No consumer is known to refuse it, so info.',
    source: 'image-spec image-index.md platform.features "This property is RESERVED"',
    specUrl: IS_SPEC + 'image-index.md#image-index-property-descriptions',
    fix: 'Remove platform.features.',
    check(ctx) {
      for (const site of ctx.descriptors.filter((s) => s.role === 'manifest')) {
        const prop = propertyOf(valueOf(site.node, 'platform'), 'features');
        if (!prop) continue;
        ctx.report(prop.children![0], `${site.label}.platform.features is a Docker manifest list field; OCI reserves it.`, {
          fixes: [fix('Remove platform.features', [deletePropertyEdit(ctx.text, prop)])],
        });
      }
    },
  },
  {
    id: 'oci-artifact-manifest-withdrawn',
    severity: 'warning',
    appliesTo: ['artifact-manifest'],
    description: 'The document uses the withdrawn OCI artifact manifest type.',
    why: 'application/vnd.oci.artifact.manifest.v1+json existed only in image-spec v1.1.0 release candidates; ACR answers MANIFEST_UNKNOWN unless asked for it, and most tools do not know it. Artifacts are image manifests with artifactType.',
    source: 'image-spec commit 63b8bd0 "Remove artifact manifest"; go-containerregistry#1697',
    specUrl: IS_SPEC + 'manifest.md#guidelines-for-artifact-usage',
    fix: 'Rewrite as an image manifest with artifactType, the empty config and the blobs as layers.',
    check(ctx) {
      const node = valueOf(ctx.root, 'mediaType') ?? ctx.root;
      ctx.report(node, `"${MT.ociArtifactManifest}" was withdrawn before image-spec v1.1.0; use an image manifest with "artifactType" instead.`, {
        fixes: [fix('Rewrite as an OCI image manifest with artifactType', [{ offset: ctx.root.offset, length: ctx.root.length, newText: rewriteArtifact(ctx) }], true, true)],
      });
    },
  },
];

function rewriteArtifact(ctx: RuleContext): string {
  const json = (n: Node | undefined): unknown => (n ? JSON.parse(ctx.text.slice(n.offset, n.offset + n.length)) : undefined);
  const blobs = json(valueOf(ctx.root, 'blobs')) as unknown[] | undefined;
  const { data: _data, ...emptyConfig } = EMPTY_DESCRIPTOR;
  const out: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    artifactType: json(valueOf(ctx.root, 'artifactType')) ?? PLACEHOLDER_ARTIFACT_TYPE,
    config: emptyConfig,
    layers: blobs && blobs.length > 0 ? blobs : [EMPTY_DESCRIPTOR],
  };
  for (const k of ['subject', 'annotations']) if (valueOf(ctx.root, k)) out[k] = json(valueOf(ctx.root, k));
  const indent = /\n([ \t]+)"/.exec(ctx.text)?.[1] ?? '';
  return JSON.stringify(out, null, indent || undefined);
}

