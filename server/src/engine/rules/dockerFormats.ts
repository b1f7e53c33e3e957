/** rules.md §13: what the Docker v2 schema 2 manifest and manifest list formats add. */
import { isReferenceEntry } from '../annotationKeys';
import { elements, propertyOf, valueOf, type Node } from '../json';
import { MEDIA_TYPE_SYNTAX, mediaTypeInfo, MT } from '../mediaTypes';
import type { DescriptorSite, Rule } from '../types';
import { anchorOfObject, DOCKER_V22 } from './helpers';
import { article } from './indexRules';

function stringNode(obj: Node, key: string): Node | undefined {
  const n = valueOf(obj, key);
  return n?.type === 'string' ? n : undefined;
}

function objectSites(sites: readonly DescriptorSite[], role: DescriptorSite['role']): DescriptorSite[] {
  return sites.filter((s) => s.role === role && s.node.type === 'object');
}

export const dockerFormatRules: Rule[] = [
  {
    id: 'docker-foreign-layer-missing-urls',
    severity: 'error',
    appliesTo: ['docker-manifest'],
    description: 'A Docker foreign layer has no urls.',
    why: 'A foreign layer is fetched from its urls, never from the registry ("should never be pushed"); distribution refuses the manifest ("missing URL on layer") and so does Quay ("missing `urls` for remote layer"). distribution special-cases only the gzip foreign type, so the uncompressed foreign type is reported as info.',
    source: 'distribution schema2manifesthandler.verifyManifest; Quay image/docker/schema2/manifest.py; manifest-v2-2.md',
    specUrl: DOCKER_V22,
    check(ctx) {
      for (const site of objectSites(ctx.descriptors, 'layer')) {
        const node = stringNode(site.node, 'mediaType');
        const info = mediaTypeInfo(node?.value as string | undefined);
        if (!info || info.family !== 'docker' || !info.nondistributable) continue;
        const urls = valueOf(site.node, 'urls');
        if (urls && (urls.type !== 'array' || elements(urls).length > 0)) continue;
        if (info.mediaType === MT.dockerForeignLayer) {
          ctx.report(node!, `${site.label} is a foreign layer without urls; distribution refuses it ("missing URL on layer").`);
        } else {
          // distribution only special-cases the gzip foreign type; this one is stored and checked like any layer.
          ctx.report(node!, `${site.label} is an uncompressed foreign layer without urls: it can only come from the registry, which stores it as an ordinary layer.`, { severity: 'info' });
        }
      }
    },
  },
  {
    id: 'docker-list-entry-platform-missing',
    severity: 'warning',
    appliesTo: ['docker-list'],
    description: 'A Docker manifest list entry has no platform.',
    why: 'In a manifest list platform (with architecture and os) is part of every entry: distribution always serialises it, clients select instances by it, and containers/image cannot add or edit instances without it ("adding a schema2 list instance with no platform specified is not supported").',
    source: 'manifest-v2-2.md manifest list "platform"; distribution manifestlist.ManifestDescriptor; containers/image Schema2List.editInstances',
    specUrl: DOCKER_V22 + '#manifest-list',
    check(ctx) {
      for (const site of objectSites(ctx.descriptors, 'manifest')) {
        if (propertyOf(site.node, 'platform') || isReferenceEntry(site.node)) continue;
        const node = stringNode(site.node, 'mediaType');
        const msg = `${site.label} has no "platform": a manifest list entry needs {"architecture", "os"} so clients can pick it.`;
        if (node) ctx.report(node, msg);
        else { const a = anchorOfObject(site.node); ctx.reportAt(a.offset, a.length, msg); }
      }
    },
  },
  {
    id: 'docker-list-entry-media-type',
    severity: 'info',
    appliesTo: ['docker-list'],
    description: 'A Docker manifest list entry is not a v2 schema 2 manifest.',
    why: 'Manifest list entries "will generally be" application/vnd.docker.distribution.manifest.v2+json; docker manifest inspect and older Docker clients handle nothing else (schema 1 entries are deprecated, nested lists unsupported). OCI children are reported by mixed-list-oci-children.',
    source: 'manifest-v2-2.md manifest list mediaType; docker/cli pullManifestList "unsupported manifest type"',
    specUrl: DOCKER_V22 + '#manifest-list',
    check(ctx) {
      for (const site of objectSites(ctx.descriptors, 'manifest')) {
        const node = stringNode(site.node, 'mediaType');
        if (!node) continue;
        const mt = node.value as string;
        if (mt === MT.dockerManifest || !MEDIA_TYPE_SYNTAX.test(mt)) continue;
        const info = mediaTypeInfo(mt);
        if (info?.family === 'oci') continue; // mixed-list-oci-children
        const what = info ? article(info.title) : 'a type Docker tools do not know';
        ctx.report(node, `${site.label} is ${what}; manifest list entries are expected to be Docker v2s2 manifests.`);
      }
    },
  },
];
