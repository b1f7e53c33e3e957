/** rules.md §10: platform objects (index and list entries, descriptors) and the config's platform fields. */
import { isReferenceEntry } from '../annotationKeys';
import { docFix } from './annotations';
import { MANIFEST_KINDS, type DocumentKind } from '../documentKind';
import { elements, propertyOf, rawText, valueOf, type Node } from '../json';
import { KNOWN_ARCH, KNOWN_OS, normalizePlatform, platformText, VALID_PAIRS, variantExamples, variantKnown, type PlatformValues } from '../platforms';
import type { DescriptorSite, Edit, Rule, RuleContext } from '../types';
import { anchorOfObject, deletePropertyEdit, fix, insertPropertyEdit, IS_SPEC, replaceEdit, shorten } from './helpers';

const PLATFORM_SPEC = IS_SPEC + 'image-index.md#image-index-property-descriptions';
const DESCRIPTOR_KINDS: readonly DocumentKind[] = [...MANIFEST_KINDS, 'descriptor'];
const VALUE_KINDS: readonly DocumentKind[] = [...DESCRIPTOR_KINDS, 'config'];
const OCI_KINDS: readonly DocumentKind[] = ['oci-manifest', 'oci-index', 'artifact-manifest', 'descriptor'];

interface PlatformSite {
  /** The platform object (the root, for a config). */
  readonly node: Node;
  /** Prefix for messages: `manifests[2].platform.` or '' for a config. */
  readonly prefix: string;
  readonly role: 'descriptor' | 'config';
  /** Role of the descriptor the platform belongs to (index entries are 'manifest'). */
  readonly descriptorRole?: string;
}

/** Per analysis (keyed by the descriptors the rule sees): the sites, and the nodes of each, shared by the platform rules. */
const SITES = new WeakMap<readonly DescriptorSite[], Map<boolean, PlatformSite[]>>();
const NODES = new WeakMap<PlatformSite, PlatformNodes | null>();

/** Every platform object of the document, with reference (attestation) entries left out. */
function platformSites(ctx: RuleContext, includeReferences = false): PlatformSite[] {
  let byFlag = SITES.get(ctx.descriptors);
  if (!byFlag) { byFlag = new Map(); SITES.set(ctx.descriptors, byFlag); }
  let sites = byFlag.get(includeReferences);
  if (!sites) { sites = collectSites(ctx, includeReferences); byFlag.set(includeReferences, sites); }
  return sites;
}

function collectSites(ctx: RuleContext, includeReferences: boolean): PlatformSite[] {
  if (ctx.kind === 'config') return [{ node: ctx.root, prefix: '', role: 'config' }];
  const out: PlatformSite[] = [];
  for (const site of ctx.descriptors) {
    if (site.node.type !== 'object') continue;
    const platform = valueOf(site.node, 'platform');
    if (!platform) continue;
    if (!includeReferences && site.role === 'manifest' && isReferenceEntry(site.node)) continue;
    out.push({ node: platform, prefix: `${site.label}.platform.`, role: 'descriptor', descriptorRole: site.role });
  }
  return out;
}

interface PlatformNodes {
  readonly os?: Node;
  readonly architecture?: Node;
  readonly variant?: Node;
  readonly values: PlatformValues;
}

/** The string os/architecture/variant of a platform, or undefined when os or architecture is not a string. */
function nodesOf(site: PlatformSite, kind: DocumentKind): PlatformNodes | undefined {
  let n = NODES.get(site);
  if (n === undefined) { n = readNodes(site, kind) ?? null; NODES.set(site, n); }
  return n ?? undefined;
}

function readNodes(site: PlatformSite, kind: DocumentKind): PlatformNodes | undefined {
  if (site.node.type !== 'object') return undefined;
  const str = (k: string): Node | undefined => {
    const n = valueOf(site.node, k);
    return n?.type === 'string' ? n : undefined;
  };
  const os = str('os');
  const architecture = str('architecture');
  const variant = str('variant');
  if (!os || !architecture) return undefined;
  const values = { os: os.value as string, architecture: architecture.value as string, variant: (variant?.value as string | undefined) ?? '' };
  // BuildKit attestation configs say unknown/unknown on purpose.
  if (kind === 'config' && values.os === 'unknown' && values.architecture === 'unknown') return undefined;
  return { os, architecture, variant, values };
}

function eachPlatform(ctx: RuleContext, fn: (site: PlatformSite, p: PlatformNodes, normal: PlatformValues) => void): void {
  for (const site of platformSites(ctx)) {
    const p = nodesOf(site, ctx.kind);
    if (p) fn(site, p, normalizePlatform(p.values) ?? p.values);
  }
}


const SOME_OS = 'linux, windows, darwin, freebsd, …';
const SOME_ARCH = 'amd64, arm64, arm, 386, ppc64le, s390x, riscv64, …';

export const platformRules: Rule[] = [
  {
    id: 'platform-required-field',
    severity: 'error',
    appliesTo: DESCRIPTOR_KINDS,
    description: 'A platform object lacks architecture or os.',
    why: 'architecture and os are REQUIRED in a platform object (image-index-schema.json required [architecture, os]); clients cannot match an entry without them: podman 4.3.1 answers `no image found in image index for architecture amd64, variant "", OS linux` for an OCI index (`… in manifest list …` for a Docker list).',
    source: 'image-spec image-index.md platform "architecture … REQUIRED", "os … REQUIRED"',
    specUrl: PLATFORM_SPEC,
    check(ctx) {
      for (const site of platformSites(ctx, true)) {
        if (site.node.type !== 'object') continue;
        const missing = ['architecture', 'os'].filter((k) => !propertyOf(site.node, k));
        if (missing.length === 0) continue;
        const a = anchorOfObject(site.node);
        ctx.reportAt(a.offset, a.length, `${site.prefix.slice(0, -1)} is missing ${missing.map((m) => `"${m}"`).join(' and ')}: a platform REQUIRES both architecture and os (GOARCH and GOOS values, e.g. "amd64" and "linux").`);
      }
    },
  },
  {
    id: 'platform-field-type',
    severity: 'error',
    appliesTo: DESCRIPTOR_KINDS,
    description: 'A platform field has the wrong JSON type.',
    why: 'platform is an object whose architecture, os, variant and os.version are strings and os.features an array of strings (image-index-schema.json); Go clients fail to decode anything else ("cannot unmarshal number into Go struct field Platform.os").',
    source: 'image-spec image-index-schema.json / defs-descriptor.json platform',
    specUrl: PLATFORM_SPEC,
    check(ctx) {
      for (const site of platformSites(ctx, true)) {
        const label = site.prefix.slice(0, -1);
        if (site.node.type !== 'object') {
          ctx.report(site.node, `${label} is ${shorten(rawText(ctx.text, site.node), 40)}; it must be an object {"architecture", "os", …}.`);
          continue;
        }
        for (const key of ['architecture', 'os', 'variant', 'os.version']) {
          const v = valueOf(site.node, key);
          if (v && v.type !== 'string') ctx.report(v, `${site.prefix}${key} is ${shorten(rawText(ctx.text, v), 40)}; it must be a string.`);
        }
        for (const key of ['os.features', 'features']) {
          const v = valueOf(site.node, key);
          if (!v) continue;
          if (v.type !== 'array') { ctx.report(v, `${site.prefix}${key} must be an array of strings.`); continue; }
          for (const e of elements(v)) if (e.type !== 'string') ctx.report(e, `${site.prefix}${key} entries must be strings, not ${shorten(rawText(ctx.text, e), 40)}.`);
        }
      }
    },
  },
  {
    id: 'platform-nonnormalized',
    severity: 'warning',
    appliesTo: VALUE_KINDS,
    description: 'A platform uses an alias (aarch64, x86_64, armhf, macos, …) instead of the Go name.',
    why: 'Platform values SHOULD be GOOS/GOARCH names. containerd normalises aliases when matching, but containers/image (podman, skopeo, CRI-O) compares os, architecture and variant literally (internal/pkg/platform MatchesPlatform), so an entry written "aarch64" is never chosen for arm64 hosts.',
    source: 'image-spec image-index.md "SHOULD use … GOOS/GOARCH"; containerd/platforms normalizeArch / normalizeOS; containers/image MatchesPlatform',
    specUrl: PLATFORM_SPEC,
    fix: 'Replace with the normalised values (aarch64 → arm64, x86_64 → amd64, armhf → arm/v7, …).',
    check(ctx) {
      for (const site of platformSites(ctx)) {
        const p = nodesOf(site, ctx.kind);
        if (!p) continue;
        const n = normalizePlatform(p.values);
        if (!n) continue;
        const edits: Edit[] = [];
        if (n.architecture !== p.values.architecture) edits.push(replaceEdit(p.architecture!, n.architecture));
        if (n.os !== p.values.os) edits.push(replaceEdit(p.os!, n.os));
        if (n.variant !== p.values.variant) {
          if (n.variant === '') edits.push(deletePropertyEdit(ctx.text, propertyOf(site.node, 'variant')!));
          else if (p.variant) edits.push(replaceEdit(p.variant, n.variant));
          else edits.push(insertPropertyEdit(ctx.text, site.node, 'variant', n.variant));
        }
        const target = n.architecture !== p.values.architecture ? p.architecture! : n.os !== p.values.os ? p.os! : (p.variant ?? p.architecture!);
        const was = platformText(p.values);
        const now = platformText(n);
        ctx.report(target, `${site.prefix ? site.prefix.slice(0, -1) + ' ' : 'The platform '}is written "${was}", not "${now}": podman, skopeo and CRI-O compare platforms literally and will not select it.`, {
          fixes: [docFix(ctx, `Normalise the platform to ${now}`, edits)],
        });
      }
    },
  },
  {
    id: 'platform-unknown-os',
    severity: 'warning',
    appliesTo: VALUE_KINDS,
    description: 'A platform os is not a GOOS value.',
    why: 'os SHOULD use the values listed for GOOS; a client only selects entries whose os equals its own (normalised) GOOS, so an unknown value is never pulled. BuildKit attestation entries (unknown/unknown with vnd.docker.reference.type) are exempt.',
    source: 'image-spec image-index.md platform os; containerd/platforms isKnownOS',
    specUrl: PLATFORM_SPEC,
    check(ctx) {
      eachPlatform(ctx, (site, p, n) => {
        if (KNOWN_OS.has(n.os)) return;
        ctx.report(p.os!, `${site.prefix}os "${shorten(p.values.os, 60)}" is not a GOOS value (${SOME_OS}); no client will select this platform.`);
      });
    },
  },
  {
    id: 'platform-unknown-arch',
    severity: 'warning',
    appliesTo: VALUE_KINDS,
    description: 'A platform architecture is not a GOARCH value.',
    why: 'architecture SHOULD use the values listed for GOARCH; clients match on the GOARCH they run as, so an unknown value is never pulled. BuildKit attestation entries are exempt.',
    source: 'image-spec image-index.md platform architecture; containerd/platforms isKnownArch',
    specUrl: PLATFORM_SPEC,
    check(ctx) {
      eachPlatform(ctx, (site, p, n) => {
        if (KNOWN_ARCH.has(n.architecture)) return;
        ctx.report(p.architecture!, `${site.prefix}architecture "${shorten(p.values.architecture, 60)}" is not a GOARCH value (${SOME_ARCH}); no client will select this platform.`);
      });
    },
  },
  {
    id: 'platform-invalid-pair',
    severity: 'warning',
    appliesTo: VALUE_KINDS,
    description: 'The os/architecture pair is not one Go supports.',
    why: 'Both values are known, but Go has no such port (go tool dist list), so no runtime reports that platform and the entry is never selected. Usually a copy-paste slip (e.g. darwin/386, windows/s390x).',
    source: 'image-spec image-index.md (GOOS/GOARCH); Go cmd/dist/build.go cgoEnabled',
    specUrl: PLATFORM_SPEC,
    check(ctx) {
      eachPlatform(ctx, (site, p, n) => {
        const arches = VALID_PAIRS.get(n.os);
        if (!arches || !KNOWN_ARCH.has(n.architecture) || arches.has(n.architecture)) return;
        ctx.report(p.architecture!, `${site.prefix.slice(0, -1) || 'The platform'} ${n.os}/${n.architecture} is not a platform Go supports (for ${n.os}: ${[...arches].join(', ')}).`);
      });
    },
  },
  {
    id: 'platform-variant-unknown',
    severity: 'info',
    appliesTo: VALUE_KINDS,
    description: 'A platform variant is not one image-spec lists for its architecture.',
    why: 'image-spec "Platform Variants" names the variants per architecture (arm v6/v7/v8, arm64 v8…, amd64 v1–v4, ppc64le power8…, riscv64 rva20u64…); clients compare variants as strings, so other spellings never match.',
    source: 'image-spec image-index.md "Platform Variants"',
    specUrl: IS_SPEC + 'image-index.md#platform-variants',
    check(ctx) {
      eachPlatform(ctx, (site, p, n) => {
        if (!p.variant || n.variant === '' || !KNOWN_ARCH.has(n.architecture)) return;
        const known = variantKnown(n.architecture, n.variant);
        if (known === true) return;
        const listed = variantExamples(n.architecture);
        ctx.report(p.variant, listed
          ? `${site.prefix}variant "${shorten(p.values.variant, 60)}" is not a ${n.architecture} variant image-spec lists (${listed}).`
          : `${site.prefix}variant "${shorten(p.values.variant, 60)}": image-spec defines no variants for ${n.architecture}, so clients will not match it.`);
      });
    },
  },
  {
    id: 'platform-arm-variant-missing',
    severity: 'hint',
    appliesTo: VALUE_KINDS,
    description: 'An arm platform has no variant.',
    why: 'containerd assumes arm/v7 when the variant is missing, so an arm/v6 device (e.g. Raspberry Pi Zero) may pull an image that does not run on it, or a v6 image may be skipped.',
    source: 'image-spec "Platform Variants"; containerd/platforms normalizeArch (arm default v7)',
    specUrl: IS_SPEC + 'image-index.md#platform-variants',
    check(ctx) {
      eachPlatform(ctx, (site, p) => {
        if (p.values.architecture !== 'arm' || p.variant) return;
        ctx.report(p.architecture!, `${site.prefix}architecture is "arm" without a variant; containerd assumes v7. Say "variant": "v6", "v7" or "v8".`);
      });
    },
  },
  {
    id: 'platform-features-reserved',
    severity: 'info',
    appliesTo: OCI_KINDS,
    description: 'An OCI platform object uses features, which image-spec reserves.',
    why: 'platform.features is RESERVED for future versions of image-spec; consumers ignore it and converters drop it. (Docker manifest lists define it.) No consumer is known to refuse it, so info. Index entries are covered by docker-only-field-in-oci.',
    source: 'image-spec image-index.md platform.features "This property is RESERVED for future versions of the specification"',
    specUrl: PLATFORM_SPEC,
    fix: 'Remove platform.features.',
    check(ctx) {
      for (const site of platformSites(ctx, true)) {
        if (site.node.type !== 'object') continue;
        if (ctx.kind === 'oci-index' && site.descriptorRole === 'manifest') continue; // docker-only-field-in-oci
        const prop = propertyOf(site.node, 'features');
        if (!prop) continue;
        ctx.report(prop.children![0], `${site.prefix}features is RESERVED in OCI; consumers ignore it. Use os.features for OS features.`, {
          fixes: [fix('Remove platform.features', [deletePropertyEdit(ctx.text, prop)])],
        });
      }
    },
  },
  {
    id: 'platform-os-features',
    severity: 'info',
    appliesTo: VALUE_KINDS,
    description: 'os.features holds values image-spec does not define for the OS.',
    why: 'image-spec defines os.features only for windows, where the value is "win32k"; for other operating systems the values are implementation-defined and clients do not match on them.',
    source: 'image-spec image-index.md platform os.features',
    specUrl: PLATFORM_SPEC,
    check(ctx) {
      eachPlatform(ctx, (site, _p, n) => {
        const features = valueOf(site.node, 'os.features');
        if (features?.type !== 'array') return;
        if (n.os === 'windows') {
          for (const e of elements(features)) {
            if (e.type === 'string' && e.value !== 'win32k') ctx.report(e, `${site.prefix}os.features "${shorten(e.value as string, 60)}": the only value image-spec defines for windows is "win32k".`);
          }
        } else if (elements(features).length > 0) {
          ctx.report(features, `${site.prefix}os.features on ${n.os}: image-spec defines values only for windows ("win32k"); clients do not match on other values.`);
        }
      });
    },
  },
];
