/**
 * OCI image layouts (image-layout.md), the pure half: what the blob store said about each
 * digest → findings on the descriptors that point at it. Reading the folder, hashing the blobs
 * and deciding which documents belong to a layout is server/src/layout's job (it needs node:fs);
 * this module only maps facts to ranges, so the CLI and the editor report the same things at
 * the same places.
 */
import type { Analysis } from './analyze';
import { KIND_TITLES, type DocumentKind } from './documentKind';
import { stringOf, valueOf, type Node } from './json';
import { mediaTypeInfo } from './mediaTypes';
import type { CheckInfo, DescriptorSite, Finding, Severity } from './types';

/** What a blob's bytes are, as far as a descriptor's mediaType can be checked against them. */
export type BlobContent =
  /** JSON detected as one of the engine's document kinds. */
  | { readonly type: 'document'; readonly kind: DocumentKind; readonly mediaType?: string }
  /** gzip, zstd or tar data: a layer. */
  | { readonly type: 'archive'; readonly format: 'gzip' | 'zstd' | 'tar' }
  /** Anything else (other JSON, text, unknown binary): never a mismatch by itself. */
  | { readonly type: 'other' };

/** How far the blob's bytes were checked against its name. */
export type HashState = 'verified' | 'mismatch' | 'pending' | 'unchecked';

/** The blob store's answer for one digest. */
export interface BlobFact {
  readonly digest: string;
  /** Path relative to the layout root, `blobs/sha256/<hex>`; undefined for a digest that cannot name a file. */
  readonly path?: string;
  readonly exists: boolean;
  /** Size on disk. */
  readonly size?: number;
  readonly hash: HashState;
  /** The digest the bytes actually hash to, when they were hashed and differ. */
  readonly actualDigest?: string;
  readonly content?: BlobContent;
  /** Why the blob could not be read (permission, not a file), when it exists but could not be. */
  readonly unreadable?: string;
}

/** Ids of what the layout check reports (not rules of the table: they need the folder, not the text). */
export const LAYOUT_FINDINGS = Object.freeze({
  missing: 'layout-blob-missing',
  digestMismatch: 'layout-blob-digest-mismatch',
  sizeMismatch: 'layout-blob-size-mismatch',
  mediaTypeMismatch: 'layout-media-type-mismatch',
  unreferenced: 'layout-blob-unreferenced',
  unreadable: 'layout-blob-unreadable',
  invalid: 'layout-invalid',
  walkIncomplete: 'layout-walk-incomplete',
  version: 'layout-version-unsupported',
} as const);

const LAYOUT_SPEC = 'image-spec image-layout.md';

/**
 * The layout checks, documented like the rules. Their severities follow the same policy: an
 * error is something skopeo 1.9.3, podman 4.3.1 or regctl refuse when they read the layout.
 */
export const LAYOUT_CHECKS: Readonly<Record<string, CheckInfo>> = Object.freeze({
  'layout-blob-missing': {
    severity: 'error',
    description: 'A descriptor points at a blob that is not in the layout\'s blobs/ folder.',
    why: '`skopeo copy oci:DIR` and `podman pull oci:DIR` stop at the first blob they cannot open. A missing `subject` is info (referrers are often copied without the image they refer to), a layer with `urls` a warning (a non-distributable layer may be fetched from there).',
    source: `${LAYOUT_SPEC} (blobs: a blob is found by its digest under blobs/<alg>/<encoded>)`,
  },
  'layout-blob-digest-mismatch': {
    severity: 'error',
    description: 'A blob\'s bytes do not hash to the digest that names it.',
    why: 'Every reader verifies what it reads: the file was changed or truncated after it was written, and copying the image fails.',
    source: `${LAYOUT_SPEC} (blobs are named by their content); descriptor.md (digests)`,
  },
  'layout-blob-size-mismatch': {
    severity: 'error',
    description: 'The blob on disk is not the size the descriptor says.',
    why: 'Readers check the size before the digest and refuse a blob of another length (a truncated or replaced file).',
    source: 'image-spec descriptor.md (size)',
  },
  'layout-media-type-mismatch': {
    severity: 'error',
    description: 'The descriptor\'s mediaType disagrees with what the blob is (e.g. a config labelled as a manifest).',
    why: 'A reader chooses a parser by the descriptor\'s type and fails on what it finds (a manifest read as a config, a layer read as JSON).',
    source: 'image-spec descriptor.md (mediaType); media-types.md "Media Type Conflicts"',
  },
  'layout-blob-unreferenced': {
    severity: 'info',
    description: 'A blob that nothing reachable from index.json points at.',
    why: 'Harmless to every reader, but it is garbage: what a `skopeo copy` over an existing tag leaves behind, carried along in every archive of the folder.',
    source: `${LAYOUT_SPEC} (index.json is the entry point; the blobs folder MAY hold blobs nothing refers to)`,
  },
  'layout-blob-unreadable': {
    severity: 'error',
    description: 'A blob exists but cannot be read.',
    why: 'Permissions or a non-file in blobs/: every reader fails on it as if it were missing.',
    source: LAYOUT_SPEC,
  },
  'layout-invalid': {
    severity: 'error',
    description: 'The folder is not a valid OCI image layout (oci-layout or index.json missing or unreadable).',
    why: 'Readers find the images through index.json: skopeo 1.9.3 stops at once without it (`Error parsing image name "oci:DIR": open DIR/index.json: no such file or directory`), and a folder without oci-layout is not recognised as a layout.',
    source: `${LAYOUT_SPEC} (the oci-layout and index.json files MUST exist)`,
  },
  'layout-walk-incomplete': {
    severity: 'error',
    description: 'Part of the layout was not checked: the walk\'s limits (50,000 descriptors, 5,000 documents or 128 MiB of JSON blobs, 8 nested indexes) or a blobs/ folder that leads out of the layout.',
    why: 'A check that did not run must not pass a pipeline: the finding says what was left out. A blob or folder symlinked out of the layout is not followed (it could be any file of the machine).',
    source: LAYOUT_SPEC,
  },
  'layout-version-unsupported': {
    severity: 'warning',
    description: 'oci-layout has no imageLayoutVersion, or one other than "1.0.0".',
    why: 'image-spec requires `{"imageLayoutVersion": "1.0.0"}`, the only version it defines. skopeo 1.9.3 does not read the field (it copies from such a folder, and writes 1.0.0 over it when it copies into one); readers that check it may refuse the layout.',
    source: `${LAYOUT_SPEC} (oci-layout file: it MUST contain an imageLayoutVersion field)`,
  },
});

/**
 * Applies per-check severity settings (`manifestLens.rules`, `lint --rule`) to findings made
 * outside the rule table (the engine applies them to its own): `off` drops a finding, a
 * severity replaces its own. Findings without a setting are returned as they are.
 */
export function withRuleSettings<F extends { readonly ruleId: string; readonly severity: Severity }>(findings: readonly F[], rules: Readonly<Record<string, Severity | 'off'>> | undefined): F[] {
  if (!rules) return [...findings];
  const out: F[] = [];
  for (const f of findings) {
    const setting = rules[f.ruleId];
    if (setting === 'off') continue;
    out.push(setting && setting !== f.severity ? { ...f, severity: setting } : f);
  }
  return out;
}

/** What a descriptor media type says the blob is: the role the engine's media-type table gives it. */
type Claim = 'manifest' | 'index' | 'config' | 'layer';

function claimOf(mediaType: string | undefined): Claim | undefined {
  const role = mediaTypeInfo(mediaType)?.role;
  if (role === 'manifest' || role === 'signed-manifest' || role === 'artifact-manifest') return 'manifest';
  if (role === 'index' || role === 'config' || role === 'layer') return role;
  return undefined;
}

function contentClaim(content: BlobContent | undefined): Claim | 'other' | undefined {
  if (!content) return undefined;
  if (content.type === 'archive') return 'layer';
  if (content.type === 'other') return 'other';
  switch (content.kind) {
    case 'oci-manifest':
    case 'docker-manifest':
    case 'schema1':
    case 'artifact-manifest':
      return 'manifest';
    case 'oci-index':
    case 'docker-list':
      return 'index';
    case 'config':
      return 'config';
    default:
      return 'other';
  }
}

/** "an OCI image config", "gzip data", for messages. */
export function describeContent(content: BlobContent | undefined): string {
  if (!content) return 'not read';
  if (content.type === 'archive') return `${content.format} data (a layer)`;
  if (content.type === 'other') return 'not a manifest, index or config';
  return KIND_TITLES[content.kind] + (content.mediaType ? ` (${content.mediaType})` : '');
}

/**
 * Whether a descriptor's media type disagrees with the blob's content; the reason when it does.
 * Only clear cases: a manifest or index type over something that is not that, a config type over
 * a manifest, an index or an archive, a layer type over a manifest or an index, and a manifest
 * whose own mediaType names another type than the descriptor.
 */
export function mediaTypeMismatch(descriptorType: string | undefined, content: BlobContent | undefined): string | undefined {
  const claim = claimOf(descriptorType);
  const is = contentClaim(content);
  if (!claim || !is || !content) return undefined;
  const what = describeContent(content);
  if (claim === 'manifest' || claim === 'index') {
    if (is !== claim) return `labelled ${mediaTypeInfo(descriptorType)?.title ?? claim}, but the blob is ${what}`;
    if (content.type === 'document' && content.mediaType && content.mediaType !== descriptorType) {
      return `labelled ${descriptorType}, but the blob's own mediaType is ${content.mediaType}`;
    }
    return undefined;
  }
  if (claim === 'config') {
    if (is === 'manifest' || is === 'index' || is === 'layer') return `labelled a config, but the blob is ${what}`;
    return undefined;
  }
  if (is === 'manifest' || is === 'index') return `labelled a layer, but the blob is ${what}`;
  return undefined;
}

export interface LayoutFindingOptions {
  /** Severity of a missing `subject` (referrers often point outside the layout). Default info. */
  readonly missingSubject?: Severity;
}

const shortPath = (fact: BlobFact): string => fact.path ?? fact.digest;

/**
 * Findings on the descriptors of one document of a layout (index.json or a manifest blob):
 * a missing blob, a blob that does not hash to its name, a size that disagrees, a media type
 * that disagrees with the content. Each is reported on the value that is wrong and names the
 * blob by its digest. `facts` answers for the digests the store looked at; a digest it has no
 * answer for gets nothing (it was not looked at yet).
 */
export function layoutFindings(analysis: Analysis, facts: (digest: string) => BlobFact | undefined, options: LayoutFindingOptions = {}): Finding[] {
  const out: Finding[] = [];
  const push = (ruleId: string, severity: Severity, node: Node, message: string): void => {
    out.push({ ruleId, severity, message, offset: node.offset, length: node.length, fixes: [] });
  };
  for (const site of analysis.descriptors) {
    if (site.role === 'self') continue;
    const node = site.node;
    const digestNode = valueOf(node, 'digest');
    const digest = stringOf(node, 'digest');
    if (!digestNode || digest === undefined) continue;
    const fact = facts(digest);
    if (!fact) continue;
    const where = site.label;
    if (!fact.exists) {
      const urls = valueOf(node, 'urls');
      const severity: Severity = site.role === 'subject' ? options.missingSubject ?? 'info' : urls ? 'warning' : 'error';
      const why = site.role === 'subject'
        ? 'the subject is often left in the registry; referrers still work where it is'
        : urls ? 'a non-distributable layer with urls may be fetched from there, but the layout is not self-contained' : 'skopeo, podman and regctl fail on this image';
      push(LAYOUT_FINDINGS.missing, severity, digestNode, `blob ${digest} of ${where} is missing from the layout: ${shortPath(fact)} does not exist (${why}).`);
      continue;
    }
    if (fact.unreadable) {
      push(LAYOUT_FINDINGS.unreadable, 'error', digestNode, `blob ${digest} of ${where} cannot be read: ${fact.unreadable}.`);
      continue;
    }
    if (fact.hash === 'mismatch') {
      push(LAYOUT_FINDINGS.digestMismatch, 'error', digestNode,
        `blob ${digest} of ${where} does not hash to its name: ${shortPath(fact)} hashes to ${fact.actualDigest ?? 'something else'} (the file was changed or truncated; tools refuse it).`);
    }
    const sizeNode = valueOf(node, 'size');
    if (sizeNode?.type === 'number' && fact.size !== undefined && sizeNode.value !== fact.size) {
      push(LAYOUT_FINDINGS.sizeMismatch, 'error', sizeNode,
        `blob ${digest} of ${where} is ${fact.size} bytes on disk, the descriptor says ${String(sizeNode.value)} (a truncated or replaced blob; tools check the size before the digest).`);
    }
    const mismatch = mediaTypeMismatch(stringOf(node, 'mediaType'), fact.content);
    if (mismatch) {
      const mtNode = valueOf(node, 'mediaType') ?? digestNode;
      push(LAYOUT_FINDINGS.mediaTypeMismatch, 'error', mtNode, `${where} (blob ${digest}) is ${mismatch}.`);
    }
  }
  return out;
}

/**
 * The unreferenced blobs, reported as info on index.json's `manifests` key (or the document's
 * first character): garbage a `skopeo copy` over an existing tag leaves behind, harmless but
 * worth a cleanup.
 */
export function unreferencedFindings(analysis: Analysis, unreferenced: readonly { readonly digest: string; readonly path: string; readonly size: number }[]): Finding[] {
  if (unreferenced.length === 0) return [];
  const key = analysis.root ? valueOf(analysis.root, 'manifests')?.parent?.children?.[0] : undefined;
  const offset = key?.offset ?? 0;
  const length = key?.length ?? Math.min(1, analysis.text.length);
  const one = (message: string): Finding => ({ ruleId: LAYOUT_FINDINGS.unreferenced, severity: 'info', message, offset, length, fixes: [] });
  const shown = unreferenced.slice(0, MAX_UNREFERENCED_SHOWN).map((b) =>
    one(`blob ${b.digest} (${b.path}, ${b.size} bytes) is not referenced from index.json: nothing in the layout points at it (left over from an earlier copy?).`));
  const rest = unreferenced.slice(MAX_UNREFERENCED_SHOWN);
  if (rest.length > 0) shown.push(one(`…and ${rest.length} more unreferenced blobs (${rest.reduce((n, b) => n + b.size, 0)} bytes).`));
  return shown;
}

/** The most unreferenced blobs named one by one; the rest are counted in one more finding. */
export const MAX_UNREFERENCED_SHOWN = 50;

/** The descriptor (and its digest node) that contains `offset`, for links, hovers and go to definition. */
export function descriptorDigestAt(analysis: Analysis, offset: number): { site: DescriptorSite; digest: string; node: Node } | undefined {
  for (const site of analysis.descriptors) {
    if (site.role === 'self') continue;
    const n = valueOf(site.node, 'digest');
    if (n?.type === 'string' && offset >= n.offset && offset <= n.offset + n.length) return { site, digest: n.value as string, node: n };
  }
  return undefined;
}

/** Every descriptor digest of the document with its node, for document links. */
export function descriptorDigests(analysis: Analysis): { site: DescriptorSite; digest: string; node: Node }[] {
  const out: { site: DescriptorSite; digest: string; node: Node }[] = [];
  for (const site of analysis.descriptors) {
    if (site.role === 'self') continue;
    const n = valueOf(site.node, 'digest');
    if (n?.type === 'string') out.push({ site, digest: n.value as string, node: n });
  }
  return out;
}
