/**
 * The problems deep inspection finds that no single document shows (the catalogue's §7
 * `child-*`): an index entry checked against what the registry serves for it. The children's
 * own lint findings keep the engine's rule ids. Listed in docs/rules.md after the rules.
 */
import type { CheckInfo } from '../engine/types';

export type GraphCheck = CheckInfo;

export const GRAPH_CHECKS: Readonly<Record<string, GraphCheck>> = Object.freeze({
  'child-digest-mismatch': {
    severity: 'error',
    description: 'The bytes the registry serves for an entry do not hash to the entry\'s digest.',
    why: 'A client that verifies (containers/image: "Image manifest does not match selected manifest digest") refuses the image; one that does not runs content nobody signed off.',
    source: 'containers/image internal/image/oci_index.go; image-spec descriptor.md (digests)',
  },
  'child-size-mismatch': {
    severity: 'error',
    description: 'The entry\'s size differs from the length of the manifest the registry serves for it.',
    why: 'Clients read at most `size` bytes and refuse the rest (descriptor.md: the size "SHOULD be verified" and content "SHOULD NOT be trusted" otherwise).',
    source: 'image-spec descriptor.md (size)',
  },
  'child-media-type-mismatch': {
    severity: 'error',
    description: 'The entry\'s mediaType differs from the media type of the manifest it points at.',
    why: 'go-containerregistry\'s validation fails with "mismatched mediaType"; clients that pick a parser by the entry\'s type misread the child.',
    source: 'go-containerregistry validate (validateMediaType); image-spec media-types.md "Media Type Conflicts"',
  },
  'platform-config-mismatch': {
    severity: 'error',
    description: 'The entry\'s platform differs from the os/architecture/variant of the image config it leads to.',
    why: 'A runtime picks the entry by its platform and then runs an image built for another one (exec format error), or refuses it ("mismatched OS / Architecture").',
    source: 'go-containerregistry validate (validatePlatform); image-spec image-index.md (platform)',
  },
  'child-unavailable': {
    severity: 'warning',
    description: 'The registry did not serve the manifest or config an entry points at.',
    why: 'A pull of that platform fails; the index lists something the repository does not hold (or this account may not read).',
    source: 'distribution-spec (pulling manifests and blobs)',
  },
  'graph-depth-limit': {
    severity: 'info',
    description: 'Nested indexes go deeper than deep inspection follows.',
    why: 'Indexes of indexes are allowed, but each level is another round of requests; deeper levels are not fetched (tree --depth raises the limit).',
    source: 'image-spec image-index.md (nested indexes)',
  },
});

/**
 * The findings of `audit` itself (graph/audit.ts), besides the engine's rules and the checks above.
 * Listed in docs/rules.md after them.
 */
export const AUDIT_CHECKS: Readonly<Record<'graph-incomplete', GraphCheck>> = Object.freeze({
  'graph-incomplete': {
    severity: 'warning',
    description: 'The graph below a tagged document was larger than the audit builds, so part of it was not checked.',
    why: 'The node and problem budgets of the image graph bound what one document may cost; what they left out was not checked.',
    source: 'manifest-lens graph budgets (imageGraph.ts DEFAULT_MAX_NODES)',
  },
});
