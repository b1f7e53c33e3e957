/** rules.md §7: the OCI image index (and what applies equally to Docker manifest lists). */
import { ANNOTATION, ATTESTATION_MANIFEST, isReferenceEntry, referenceTypeOf } from '../annotationKeys';
import { elements, isEmptyArray, propertyOf, rawText, stringOf, valueOf, type Node } from '../json';
import { MEDIA_TYPE_SYNTAX, mediaTypeInfo, MT } from '../mediaTypes';
import { platformKey, platformText } from '../platforms';
import type { DescriptorSite, Rule, RuleContext } from '../types';
import { fix, insertPropertyEdit, IS_SPEC, shorten } from './helpers';

const INDEX_SPEC = IS_SPEC + 'image-index.md#image-index-property-descriptions';
/**
 * The variants a default pull (no --variant) accepts for the common platforms, as Debian 12's
 * containers/image (skopeo 1.9.3, podman 4.3.1) matches them: "" first, then the arch's
 * compatibility list, which has arm64 → v8 and nothing for amd64.
 */
const DEFAULT_PULL_VARIANTS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  'linux/amd64': [''],
  'linux/arm64': ['', 'v8'],
});

const BUILDX_INSPECT = 'https://github.com/docker/buildx/blob/master/docs/reference/buildx_imagetools_inspect.md';

/** Object entries of manifests[]. */
export function entrySites(ctx: RuleContext): DescriptorSite[] {
  return ctx.memo('index-entry-sites', () => ctx.descriptors.filter((s) => s.role === 'manifest' && (s.plain !== undefined || s.node.type === 'object')));
}

/** An entry's digest string, from its plain facts when it has them. */
function entryDigest(site: DescriptorSite): string | undefined {
  return site.plain ? site.plain.digest : stringOf(site.node, 'digest');
}

/** An entry's platform values, from its plain facts when it has them. */
function entryPlatform(site: DescriptorSite): ReturnType<typeof platformValuesOf> {
  return site.plain ? site.plain.platform : platformValuesOf(valueOf(site.node, 'platform'));
}

/** Whether an entry is a BuildKit/regclient reference entry (a plain entry never is). */
function isReference(site: DescriptorSite): boolean {
  return site.plain === undefined && isReferenceEntry(site.node);
}

/**
 * The reference entries of an index and the first entry of each digest, worked out once for
 * the two attestation rules (no map is built for an index without reference entries).
 */
function referenceEntries(ctx: RuleContext): { references: DescriptorSite[]; byDigest: ReadonlyMap<string, DescriptorSite> } {
  return ctx.memo('index-reference-entries', () => {
    const sites = entrySites(ctx);
    const references = sites.filter(isReference);
    const byDigest = new Map<string, DescriptorSite>();
    if (references.length > 0) {
      for (const s of sites) {
        const d = entryDigest(s);
        if (d !== undefined && !byDigest.has(d)) byDigest.set(d, s);
      }
    }
    return { references, byDigest };
  });
}

/** The string values of a platform object, when it has string os and architecture. */
export function platformValuesOf(platform: Node | undefined): { os: string; architecture: string; variant: string; osVersion?: string; osFeatures?: string[] } | undefined {
  if (platform?.type !== 'object') return undefined;
  const os = stringOf(platform, 'os');
  const architecture = stringOf(platform, 'architecture');
  if (os === undefined || architecture === undefined) return undefined;
  const features = valueOf(platform, 'os.features');
  return {
    os, architecture, variant: stringOf(platform, 'variant') ?? '',
    osVersion: stringOf(platform, 'os.version'),
    osFeatures: features?.type === 'array' ? elements(features).filter((f) => f.type === 'string').map((f) => f.value as string) : undefined,
  };
}

/** "an OCI image manifest", "a Docker manifest list". */
export function article(title: string): string {
  return (/^[AEIOU]/i.test(title) ? 'an ' : 'a ') + title;
}


export const indexRules: Rule[] = [
  {
    id: 'index-manifests-missing',
    severity: 'error',
    appliesTo: ['oci-index', 'docker-list'],
    description: 'An index or manifest list has no manifests array.',
    why: 'manifests is REQUIRED ("While this property MUST be present, the size of the array MAY be zero"); the image-spec schema and distribution refuse an index without it.',
    source: 'image-spec image-index.md "manifests … REQUIRED"; image-index-schema.json required [schemaVersion, manifests]',
    specUrl: INDEX_SPEC,
    fix: 'Insert "manifests": [].',
    check(ctx) {
      const prop = propertyOf(ctx.root, 'manifests');
      // Fields of another kind (config/layers, fsLayers): media-type-wrong-for-shape says what the document is.
      if (!prop && ctx.detection.keyGroups.length > 0) return;
      if (!prop) {
        ctx.reportAt(ctx.root.offset, 1, 'manifests is missing: an index REQUIRES a "manifests" array (it may be empty).', {
          fixes: [fix('Insert "manifests": []', [insertPropertyEdit(ctx.text, ctx.root, 'manifests', [])], true, true)],
        });
        return;
      }
      const value = prop.children?.[1];
      if (value && value.type !== 'array') ctx.report(value, `manifests is ${shorten(rawText(ctx.text, value), 40)}, not an array of descriptors; every parser refuses it.`);
    },
  },
  {
    id: 'index-entry-media-type',
    severity: 'info',
    appliesTo: ['oci-index'],
    description: 'An index entry is neither an OCI manifest nor an OCI index. Warning when it is a layer, config or blob type.',
    why: 'Implementations MUST support the OCI manifest type and SHOULD support nested indexes; "image indexes concerned with portability SHOULD use one of the above". Unknown types MUST NOT be an error, but clients skip them, and a layer or config listed directly in an index is a mistake (go-containerregistry carries a workaround for it).',
    source: 'image-spec image-index.md manifests mediaType; go-containerregistry validate/index.go "Workaround for #819"',
    specUrl: INDEX_SPEC,
    check(ctx) {
      for (const site of entrySites(ctx)) {
        const node = valueOf(site.node, 'mediaType');
        if (node?.type !== 'string') continue;
        const mt = node.value as string;
        if (!MEDIA_TYPE_SYNTAX.test(mt)) continue; // descriptor-media-type-syntax
        const info = mediaTypeInfo(mt);
        if (info?.family === 'docker') continue; // mixed-index-docker-children
        if (info?.family === 'oci' && (info.role === 'manifest' || info.role === 'index')) continue;
        if (info && ['layer', 'config', 'empty', 'layout', 'descriptor'].includes(info.role)) {
          ctx.report(node, `${site.label} is ${article(info.title)}, not a manifest: clients cannot pull a ${info.role} as an image.`, { severity: 'warning' });
        } else if (info) {
          ctx.report(node, `${site.label} is ${article(info.title)}; portable indexes list only OCI manifests and indexes.`);
        } else {
          ctx.report(node, `${site.label} has a media type image tools do not know: they skip this entry.`);
        }
      }
    },
  },
  {
    id: 'index-entry-platform-missing',
    severity: 'warning',
    appliesTo: ['oci-index'],
    description: 'An index entry for an image manifest has no platform.',
    why: 'platform SHOULD be present when the target is platform-specific. Without it clients cannot choose an instance, and containers/image converting to a Docker list substitutes the converting host\'s OS and architecture ("adding a schema2 list instance with no platform specified is not supported"). Entries of an image layout\'s index.json (chosen by their org.opencontainers.image.ref.name; see layout-index-entry-untagged), entries named with it elsewhere, artifacts (an entry with artifactType, or every entry of an index that has one) and attestation entries are exempt. Add "platform": {"architecture": …, "os": …} from the image\'s config.',
    source: 'image-spec image-index.md platform; containers/image OCI1IndexPublic.ToSchema2List, Schema2List.editInstances',
    specUrl: INDEX_SPEC,
    check(ctx) {
      // An index with an artifactType is an artifact: its entries are its parts, not platform images.
      if (propertyOf(ctx.root, 'artifactType')) return;
      // A layout's index.json: its entries are chosen by name, and skopeo and buildah never write
      // platform there; an entry without a name is layout-index-entry-untagged's (issue 24).
      if (ctx.context === 'layout-index') return;
      for (const site of entrySites(ctx)) {
        if (propertyOf(site.node, 'platform') || propertyOf(site.node, 'artifactType') || isReferenceEntry(site.node)) continue;
        // An image layout's index.json names its entries (ref.name); they are chosen by name, not by platform.
        if (valueOf(valueOf(site.node, 'annotations'), ANNOTATION.refName)) continue;
        const node = valueOf(site.node, 'mediaType');
        const info = mediaTypeInfo(node?.type === 'string' ? (node.value as string) : undefined);
        if (info?.role !== 'manifest' || info.family === 'schema1') continue;
        ctx.report(node!, `${site.label} has no platform: clients cannot select it, and converting tools fill in their own host's OS and architecture.`);
      }
    },
  },
  {
    id: 'index-nested-index',
    severity: 'info',
    appliesTo: ['oci-index'],
    description: 'An index entry is itself an index.',
    why: 'Nested indexes are allowed (consumers SHOULD support them, and image-spec\'s own example has one, hence info), but from a registry podman 4.3.1 cannot pull one (`Unexpectedly received a manifest list instead of a manifest for a single image`, also podman#25045) and skopeo 1.9.3 cannot copy one; docker manifest inspect answers "unsupported manifest type". Entries of an image layout\'s index.json (named with org.opencontainers.image.ref.name) are exempt: `skopeo copy oci:DIR:tag` and `podman pull oci:DIR:tag` follow them.',
    source: 'image-spec image-index.md; observed with Debian 12 podman 4.3.1 and skopeo 1.9.3 (test/realtools); containers/image copy/single.go; docker/cli internal/registryclient fetcher.go',
    specUrl: INDEX_SPEC,
    check(ctx) {
      for (const site of entrySites(ctx)) {
        const node = valueOf(site.node, 'mediaType');
        if (node?.type !== 'string' || mediaTypeInfo(node.value as string)?.role !== 'index') continue;
        // An image layout's index.json names its entries; skopeo and podman resolve the name and follow the index.
        if (valueOf(valueOf(site.node, 'annotations'), ANNOTATION.refName)) continue;
        ctx.report(node, `${site.label} is a nested index: allowed, but from a registry podman 4.3 cannot pull it and skopeo copy fails.`);
      }
    },
  },
  {
    id: 'index-duplicate-platform',
    severity: 'info',
    appliesTo: ['oci-index', 'docker-list'],
    description: 'Two entries of an index claim the same platform.',
    why: 'When several manifests match, "the first matching entry SHOULD be used", so later duplicates are never pulled by platform. Attestation entries, zstd instances marked with io.github.containers.compression.zstd, and entries named by org.opencontainers.image.ref.name (selected by name in an image layout) are legitimate and ignored.',
    source: 'image-spec image-index.md "If multiple manifests match … the first matching entry SHOULD be used"',
    specUrl: INDEX_SPEC,
    crossEntry: true,
    check(ctx) {
      // platform key (+ zstd) → entry name → first entry. Plain entries share platform objects,
      // so their keys are worked out once per distinct platform.
      const first = new Map<string, Map<string | undefined, DescriptorSite>>();
      const keys = new Map<object, string>();
      for (const site of entrySites(ctx)) {
        if (isReference(site) || (site.plain ? site.plain.artifactType : propertyOf(site.node, 'artifactType'))) continue;
        const values = entryPlatform(site);
        if (!values) continue;
        const annotations = site.plain ? undefined : valueOf(site.node, 'annotations');
        const zstd = stringOf(annotations, ANNOTATION.containersZstd) === 'true';
        // Entries named by org.opencontainers.image.ref.name (an image layout's index.json) are
        // selected by name, not by platform: the same platform under two names is no duplicate.
        const name = site.plain ? site.plain.refName : stringOf(annotations, ANNOTATION.refName);
        let key = keys.get(values);
        if (key === undefined) { key = platformKey(values); keys.set(values, key); }
        if (zstd) key += '|zstd';
        let byName = first.get(key);
        if (!byName) { byName = new Map(); first.set(key, byName); }
        const earlier = byName.get(name);
        if (!earlier) { byName.set(name, site); continue; }
        ctx.report(valueOf(site.node, 'platform')!, `${site.label} has the same platform (${platformText(values)}${zstd ? ', zstd' : ''}) as ${earlier.label}; clients use the first match, so this entry is never selected by platform.`);
      }
    },
  },
  {
    id: 'index-attestation-entry',
    severity: 'hint',
    appliesTo: ['oci-index', 'docker-list'],
    description: 'An index entry is a BuildKit attestation manifest (provenance/SBOM) for another entry.',
    why: 'BuildKit adds such entries with platform unknown/unknown; they are not runnable images. Tools that do not know them stumble: docker manifest inspect failed with "no such manifest" after buildx 0.10 (docker/buildx#1509).',
    source: 'docker/buildx docs/reference/buildx_imagetools_inspect.md; docker/buildx#1509',
    specUrl: BUILDX_INSPECT,
    crossEntry: true,
    check(ctx) {
      const { references, byDigest } = referenceEntries(ctx);
      for (const site of references) {
        if (referenceTypeOf(site.node) !== ATTESTATION_MANIFEST) continue;
        const annotations = valueOf(site.node, 'annotations');
        const typeNode = valueOf(annotations, ANNOTATION.dockerReferenceType)!;
        const target = byDigest.get(stringOf(annotations, ANNOTATION.dockerReferenceDigest) ?? '');
        const p = target && entryPlatform(target);
        const of = target ? ` for ${target.label}${p ? ` (${platformText(p)})` : ''}` : '';
        ctx.report(typeNode, `${site.label} is a BuildKit attestation manifest${of} (provenance/SBOM), not a runnable image; unknown/unknown is expected.`);
      }
    },
  },
  {
    id: 'attestation-reference-dangling',
    severity: 'info',
    appliesTo: ['oci-index', 'docker-list'],
    description: 'A reference entry\'s vnd.docker.reference.digest names no entry of this index.',
    why: 'BuildKit attestation (and other reference) entries point at the image they describe through vnd.docker.reference.digest; when that digest is not a sibling entry, the attestation describes nothing tools can find (a rebuilt or re-assembled index lost its image). No consumer is known to refuse or misread the index, so info.',
    source: 'docker/buildx buildx_imagetools_inspect.md; regclient mod/manifest.go annotation constants',
    specUrl: BUILDX_INSPECT,
    crossEntry: true,
    check(ctx) {
      const { references, byDigest: digests } = referenceEntries(ctx);
      for (const site of references) {
        const type = referenceTypeOf(site.node);
        if (type === undefined) continue;
        const annotations = valueOf(site.node, 'annotations');
        const refNode = valueOf(annotations, ANNOTATION.dockerReferenceDigest);
        if (!refNode) {
          ctx.report(valueOf(annotations, ANNOTATION.dockerReferenceType)!, `${site.label} is a "${type}" reference entry without "${ANNOTATION.dockerReferenceDigest}": it does not say which image it belongs to.`);
          continue;
        }
        if (refNode.type === 'string' && digests.has(refNode.value as string) && refNode.value !== entryDigest(site)) continue;
        ctx.report(refNode, `${site.label}'s ${ANNOTATION.dockerReferenceDigest} is not the digest of any entry in this index: the ${type} describes an image that is not here.`);
      }
    },
  },
  {
    id: 'layout-index-entry-untagged',
    severity: 'info',
    appliesTo: ['oci-index', 'docker-list'],
    description: 'An entry of an image layout\'s index.json has no org.opencontainers.image.ref.name, so no tag reaches it.',
    why: 'Readers of a layout pick an image by its ref.name (`skopeo copy oci:DIR:tag`, `podman pull oci:DIR:tag`); an entry without one is reached only by `oci:DIR` alone, and only while it is the single entry. skopeo and buildah leave such an entry behind when a tag moves to another image (`skopeo copy … oci:DIR:a` twice, from two images): harmless, but its blobs are kept for nothing. Only in a layout\'s index.json; the tools never write platform there, so index-entry-platform-missing is quiet.',
    source: 'image-spec image-layout.md (index.json; org.opencontainers.image.ref.name); containers/image oci/layout (Debian 12 skopeo 1.9.3, buildah)',
    specUrl: IS_SPEC + 'image-layout.md#indexjson-file',
    fix: 'Remove the entry (and the blobs only it reaches), or name it with org.opencontainers.image.ref.name.',
    crossEntry: true,
    check(ctx) {
      if (ctx.context !== 'layout-index') return;
      const sites = entrySites(ctx);
      // A single entry is what `oci:DIR` without a tag reads.
      if (sites.length < 2) return;
      for (const site of sites) {
        const name = site.plain ? site.plain.refName : stringOf(valueOf(site.node, 'annotations'), ANNOTATION.refName);
        if (name) continue;
        ctx.report(valueOf(site.node, 'digest') ?? site.node, `${site.label} has no tag (no ${ANNOTATION.refName}): not reachable by tag in this layout.`);
      }
    },
  },
  {
    id: 'index-manifests-empty',
    severity: 'warning',
    appliesTo: ['oci-index', 'docker-list'],
    description: 'An index or manifest list has no entries: nothing can be pulled from it.',
    why: 'image-spec lets manifests be empty ("the size of the array MAY be zero"), and a referrers response with no referrers is exactly that. But pushed as an image (`podman manifest create` then `podman manifest push`), an empty list serves no platform: every pull of the tag fails. Not reported on a referrers response, on an artifact index (artifactType) or on a layout\'s index.json (an empty layout is just empty).',
    source: 'image-spec image-index.md "manifests … the size of the array MAY be zero"; Debian 12 podman manifest create / push',
    specUrl: INDEX_SPEC,
    check(ctx) {
      if (ctx.context === 'referrers' || ctx.context === 'layout-index' || propertyOf(ctx.root, 'artifactType')) return;
      const manifests = valueOf(ctx.root, 'manifests');
      if (!isEmptyArray(manifests)) return;
      ctx.report(manifests, 'manifests is empty: no image for any platform, so every pull of this index fails.');
    },
  },
  {
    id: 'index-platform-variant-only',
    severity: 'warning',
    appliesTo: ['oci-index', 'docker-list'],
    description: 'A common platform (linux/amd64, linux/arm64) is served only by entries with a variant that a default pull does not ask for.',
    why: 'A default pull asks for the host\'s platform with no variant: Debian 12\'s skopeo 1.9.3 and podman 4.3.1 accept variant "" on amd64 and "" or "v8" on arm64, nothing else, and fail with `no image found in manifest list for architecture amd64, variant ""` when the only amd64 entry is "v3" (or the only arm64 one "v8.2"), as `podman manifest add` of such images and a push with --all leave it. Add an entry without a variant for that platform (the baseline build), or drop the variant.',
    source: 'containers/image internal/pkg/platform platform_matcher.go (WantedPlatforms, compatibility); observed with Debian 12 skopeo 1.9.3 and podman 4.3.1',
    specUrl: IS_SPEC + 'image-index.md#platform-variants',
    crossEntry: true,
    check(ctx) {
      if (propertyOf(ctx.root, 'artifactType')) return;
      // platform → the first entry for it, and whether any entry for it is one a default pull takes.
      const seen = new Map<string, { site: DescriptorSite; variants: string[]; served: boolean }>();
      // Plain entries share platform objects: each one's os/architecture is joined once.
      const keys = new Map<object, string>();
      for (const site of entrySites(ctx)) {
        if (isReference(site) || (site.plain ? site.plain.artifactType : propertyOf(site.node, 'artifactType'))) continue;
        const p = entryPlatform(site);
        if (!p) continue;
        let key = keys.get(p);
        if (key === undefined) { key = `${p.os}/${p.architecture}`; keys.set(p, key); }
        const accepted = DEFAULT_PULL_VARIANTS[key];
        if (!accepted) continue;
        const entry = seen.get(key) ?? { site, variants: [], served: false };
        if (accepted.includes(p.variant)) entry.served = true;
        else if (!entry.variants.includes(p.variant)) entry.variants.push(p.variant);
        seen.set(key, entry);
      }
      for (const [key, { site, variants, served }] of seen) {
        if (served) continue;
        const platform = valueOf(site.node, 'platform');
        const at = valueOf(platform, 'variant') ?? platform ?? site.node;
        ctx.report(at, `No entry serves a default ${key} pull (only variant${variants.length > 1 ? 's' : ''} ${variants.map((v) => `"${v}"`).join(', ')}): Debian 12's podman and skopeo find no image.`);
      }
    },
  },
];
