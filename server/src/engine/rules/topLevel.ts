/** rules.md §3: the top-level mediaType. */
import { kindOfMediaType, KIND_TITLES, MANIFEST_KINDS, type KeyGroup } from '../documentKind';
import { elements, has, stringOf, valueOf } from '../json';
import { mediaTypeInfo, MT, type MediaTypeInfo } from '../mediaTypes';
import type { Rule, RuleContext } from '../types';
import { DIST_SPEC, DOCKER_V22, fix, insertPropertyEdit, IS_SPEC, replaceEdit } from './helpers';

const ROLE_OF_GROUP: Record<KeyGroup, MediaTypeInfo['role'][]> = {
  manifest: ['manifest'],
  index: ['index'],
  schema1: ['manifest', 'signed-manifest'],
};

/** The top-level mediaType the document's fields call for. */
function expectedMediaType(ctx: RuleContext, group: KeyGroup, given: string | undefined): string | undefined {
  const givenFamily = mediaTypeInfo(given)?.family;
  if (group === 'manifest') {
    const configType = stringOf(valueOf(ctx.root, 'config'), 'mediaType');
    const docker = mediaTypeInfo(configType)?.family === 'docker' || (givenFamily === 'docker' && configType === undefined);
    return docker ? MT.dockerManifest : MT.ociManifest;
  }
  if (group === 'schema1') return has(ctx.root, 'signatures') ? MT.schema1Signed : MT.schema1;
  if (group === 'index') {
    const children = elements(valueOf(ctx.root, 'manifests'));
    const dockerChildren = children.length > 0 && children.every((c) => mediaTypeInfo(stringOf(c, 'mediaType'))?.family === 'docker');
    return dockerChildren || givenFamily === 'docker' ? MT.dockerList : MT.ociIndex;
  }
  return undefined;
}

export const topLevelRules: Rule[] = [
  {
    id: 'oci-media-type-missing',
    severity: 'info',
    appliesTo: ['oci-manifest', 'oci-index'],
    description: 'An OCI manifest or index has no top-level mediaType.',
    why: 'mediaType SHOULD be set: without it a reader has to guess the kind from the fields. The index.json that skopeo writes into an OCI layout has none, and skopeo 1.9.3 and podman 4.3.1 read it, so this is a SHOULD, not a failure.',
    source: 'image-spec manifest.md / image-index.md "This property SHOULD be used"; observed with Debian 12 skopeo 1.9.3 and podman 4.3.1 (test/realtools)',
    specUrl: IS_SPEC + 'manifest.md#image-manifest-property-descriptions',
    fix: 'Insert the mediaType that matches the document\'s fields.',
    check(ctx) {
      if (ctx.detection.via !== 'shape' || stringOf(ctx.root, 'mediaType') !== undefined || valueOf(ctx.root, 'mediaType')) return;
      const mt = ctx.kind === 'oci-index' ? MT.ociIndex : MT.ociManifest;
      ctx.reportAt(ctx.root.offset, 1, `No mediaType: this looks like an ${KIND_TITLES[ctx.kind]}, and mediaType SHOULD be set so readers need not guess.`, {
        fixes: [fix(`Insert "mediaType": "${mt}"`, [insertPropertyEdit(ctx.text, ctx.root, 'mediaType', mt)], true, true)],
      });
    },
  },
  {
    id: 'docker-media-type-missing',
    severity: 'error',
    appliesTo: ['docker-manifest', 'docker-list'],
    description: 'A Docker v2 schema 2 manifest or manifest list has no top-level mediaType.',
    why: 'distribution refuses it ("mediaType in manifest should be … not \'\'") and containers/image answers `unsupported docker v2s2 media type: ""`.',
    source: 'distribution manifest/schema2 UnmarshalJSON; containers/image Schema2FromManifest',
    specUrl: DOCKER_V22,
    fix: 'Insert the Docker mediaType.',
    check(ctx) {
      if (ctx.detection.via !== 'shape' || valueOf(ctx.root, 'mediaType')) return;
      const mt = ctx.kind === 'docker-list' ? MT.dockerList : MT.dockerManifest;
      ctx.reportAt(ctx.root.offset, 1, `No mediaType: a ${KIND_TITLES[ctx.kind]} must name its type; distribution and containers/image refuse it without.`, {
        fixes: [fix(`Insert "mediaType": "${mt}"`, [insertPropertyEdit(ctx.text, ctx.root, 'mediaType', mt)], true, true)],
      });
    },
  },
  {
    id: 'media-type-wrong-for-shape',
    severity: 'error',
    appliesTo: MANIFEST_KINDS.filter((k) => k !== 'artifact-manifest'),
    description: 'The top-level mediaType does not name the kind of document its fields make.',
    why: 'Registries parse by media type: distribution answers "if present, mediaType in manifest should be … not …", and clients pick the wrong parser.',
    source: 'image-spec manifest.md "When used, this field MUST contain the media type application/vnd.oci.image.manifest.v1+json"; distribution ocischema UnmarshalJSON',
    specUrl: IS_SPEC + 'manifest.md#image-manifest-property-descriptions',
    fix: 'Set the mediaType that matches the fields.',
    check(ctx) {
      const node = valueOf(ctx.root, 'mediaType');
      const groups = ctx.detection.keyGroups;
      if (!node || groups.length !== 1) return;
      const given = node.type === 'string' ? (node.value as string) : undefined;
      const info = mediaTypeInfo(given);
      const group = groups[0];
      // The role must fit, and the family: a Docker v2s2 type on fsLayers is as wrong as an index type.
      if (info && ROLE_OF_GROUP[group].includes(info.role) && (group === 'schema1') === (info.family === 'schema1')) return;
      const expected = expectedMediaType(ctx, group, given);
      const shape = group === 'index' ? 'an index (it has "manifests")' : group === 'manifest' ? 'a manifest (it has "config"/"layers")' : 'a schema 1 manifest (it has "fsLayers")';
      const known = info ? ` (${info.title})` : kindOfMediaType(given) ? '' : ' (not a manifest media type)';
      ctx.report(node, `mediaType${known} does not match the document, which is ${shape}.`, {
        fixes: expected ? [fix(`Set mediaType to "${expected}"`, [replaceEdit(node, expected)], true, true)] : [],
      });
    },
  },
  {
    id: 'content-type-media-type-mismatch',
    severity: 'error',
    appliesTo: MANIFEST_KINDS,
    fetchedOnly: true,
    description: 'The registry served the manifest with a Content-Type that differs from its mediaType field.',
    why: 'Clients SHOULD reject it (regclient: "manifest contains an unexpected media type"; oras-go: "mismatch response Content-Type"); the registry parsed it as one thing, tools read another.',
    source: 'distribution-spec "Pulling manifests"',
    specUrl: DIST_SPEC + '#pulling-manifests',
    check(ctx) {
      const node = valueOf(ctx.root, 'mediaType');
      const header = ctx.contentType?.split(';')[0].trim();
      if (!node || node.type !== 'string' || !header || node.value === header) return;
      ctx.report(node, `The registry served this document as "${header}", but its mediaType is "${node.value}".`);
    },
  },
  {
    id: 'content-type-unrecognized',
    severity: 'warning',
    appliesTo: [...MANIFEST_KINDS, 'config', 'descriptor', 'oci-layout', 'unknown'],
    fetchedOnly: true,
    description: 'The registry served the manifest with a Content-Type that is not a manifest media type.',
    why: 'containers/image treats any unrecognised Content-Type as a signed schema 1 manifest, so skopeo and podman misparse the document.',
    source: 'containers/image NormalizedMIMEType; distribution-spec "Pulling manifests"',
    specUrl: DIST_SPEC + '#pulling-manifests',
    check(ctx) {
      const header = ctx.contentType?.split(';')[0].trim();
      if (!header || kindOfMediaType(header) || ctx.kind === 'config') return;
      ctx.reportAt(ctx.root.offset, 1, `The registry served this document as "${header}", which is not a manifest media type; containers/image would read it as a signed schema 1 manifest.`);
    },
  },
];
