/** rules.md §4 (descriptors) and §5 (digests). */
import { MANIFEST_KINDS, type DocumentKind } from '../documentKind';
import { digestProblem, REGISTERED_ALGORITHMS, type DigestProblem } from '../digest';
import { decodeBase64, sha256Hex } from '../encoding';
import { elements, propertyOf, rawText, valueOf, type Node } from '../json';
import { MEDIA_TYPE_SYNTAX } from '../mediaTypes';
import type { DescriptorSite, Rule, RuleContext } from '../types';
import { anchorOfObject, fix, IS_SPEC, replaceEdit } from './helpers';

const DESCRIPTOR_KINDS: readonly DocumentKind[] = [...MANIFEST_KINDS, 'descriptor'];
const DESCRIPTOR_SPEC = IS_SPEC + 'descriptor.md#properties';

function eachDescriptor(ctx: RuleContext, fn: (site: DescriptorSite) => void): void {
  for (const site of ctx.descriptors) if (site.node.type === 'object') fn(site);
}

interface DigestSite {
  readonly node: Node;
  readonly site: DescriptorSite;
  readonly problem: DigestProblem | undefined;
}

/** Every descriptor digest with its problem, worked out once per analysis for all digest rules. */
function digestSites(ctx: RuleContext): readonly DigestSite[] {
  return ctx.memo('descriptor-digests', () => {
    const out: DigestSite[] = [];
    eachDescriptor(ctx, (site) => {
      const node = valueOf(site.node, 'digest');
      if (node?.type === 'string') out.push({ node, site, problem: digestProblem(node.value as string) });
    });
    return out;
  });
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export const descriptorRules: Rule[] = [
  {
    id: 'descriptor-required-field',
    severity: 'error',
    appliesTo: DESCRIPTOR_KINDS,
    description: 'A descriptor lacks mediaType, digest or size.',
    why: 'All three are REQUIRED: without them a client cannot fetch, verify or even classify the content.',
    source: 'image-spec descriptor.md "mediaType … REQUIRED", "digest … REQUIRED", "size … REQUIRED"',
    specUrl: DESCRIPTOR_SPEC,
    check(ctx) {
      for (const site of ctx.descriptors) {
        if (site.node.type !== 'object') ctx.report(site.node, `${site.label} must be a descriptor object with mediaType, digest and size.`);
      }
      eachDescriptor(ctx, (site) => {
        const missing = ['mediaType', 'digest', 'size'].filter((k) => !propertyOf(site.node, k));
        if (missing.length === 0) return;
        const a = anchorOfObject(site.node);
        ctx.reportAt(a.offset, a.length, `${site.label} is missing ${missing.map((m) => `"${m}"`).join(', ')}: every descriptor REQUIRES mediaType, digest and size.`);
      });
    },
  },
  {
    id: 'descriptor-media-type-syntax',
    severity: 'error',
    appliesTo: DESCRIPTOR_KINDS,
    description: 'A descriptor mediaType or artifactType is not an RFC 6838 media type.',
    why: 'Values MUST comply with RFC 6838 (type/subtype, no parameters, no spaces); registries and the image-spec schema refuse anything else.',
    source: 'image-spec descriptor.md "mediaType … Values MUST comply with RFC 6838"; defs-descriptor.json mediaType pattern',
    specUrl: DESCRIPTOR_SPEC,
    fix: 'Strip parameters and whitespace.',
    check(ctx) {
      const check = (node: Node | undefined, label: string): void => {
        if (!node) return;
        if (node.type !== 'string') {
          ctx.report(node, `${label} must be a string media type such as "type/subtype".`);
          return;
        }
        const value = node.value as string;
        if (MEDIA_TYPE_SYNTAX.test(value)) return;
        const stripped = value.split(';')[0].trim();
        const fixes = stripped !== value && MEDIA_TYPE_SYNTAX.test(stripped) ? [fix(`Use "${stripped}"`, [replaceEdit(node, stripped)], true, true)] : [];
        const reason = value === '' ? 'is empty' : value.includes(';') ? 'has parameters' : /\s/.test(value) ? 'contains whitespace' : !value.includes('/') ? 'has no "/subtype"' : value.split('/').some((p) => p.length > 127) ? 'has a part longer than 127 characters' : 'has characters RFC 6838 does not allow';
        ctx.report(node, `${label} ${reason}; it MUST be an RFC 6838 media type.`, { fixes });
      };
      eachDescriptor(ctx, (site) => {
        check(valueOf(site.node, 'mediaType'), `${site.label}.mediaType`);
        check(valueOf(site.node, 'artifactType'), `${site.label}.artifactType`);
      });
      if (ctx.kind !== 'descriptor') check(valueOf(ctx.root, 'artifactType'), 'artifactType');
    },
  },
  {
    id: 'size-not-integer',
    severity: 'error',
    appliesTo: DESCRIPTOR_KINDS,
    description: 'A descriptor size is not an integer.',
    why: 'size is an int64 count of bytes; strings and fractions fail every parser that decodes into an integer.',
    source: 'image-spec descriptor.md "size int64"; schema "type": "integer"',
    specUrl: DESCRIPTOR_SPEC,
    fix: 'Turn a string of digits into a number.',
    check(ctx) {
      eachDescriptor(ctx, (site) => {
        const size = valueOf(site.node, 'size');
        if (!size) return;
        const raw = rawText(ctx.text, size);
        if (size.type === 'number' && /^-?\d+$/.test(raw)) return;
        const digits = size.type === 'string' && /^\d+$/.test(size.value as string);
        ctx.report(size, `${site.label}.size is ${raw.length > 40 ? raw.slice(0, 40) + '…' : raw}; it must be an integer number of bytes.`, {
          fixes: digits ? [fix(`Use the number ${size.value}`, [{ offset: size.offset, length: size.length, newText: size.value as string }], true, true)] : [],
        });
      });
    },
  },
  {
    id: 'size-negative',
    severity: 'error',
    appliesTo: DESCRIPTOR_KINDS,
    description: 'A descriptor size is negative.',
    why: 'The size of content MUST NOT be negative (image-spec main; the schema sets minimum 0).',
    source: 'image-spec descriptor.md (main) "The size MUST NOT be negative"',
    specUrl: 'https://github.com/opencontainers/image-spec/blob/main/descriptor.md#properties',
    check(ctx) {
      eachDescriptor(ctx, (site) => {
        const size = valueOf(site.node, 'size');
        if (size?.type === 'number' && (size.value as number) < 0) ctx.report(size, `${site.label}.size is negative (${rawText(ctx.text, size)}).`);
      });
    },
  },
  {
    id: 'size-precision',
    severity: 'hint',
    appliesTo: DESCRIPTOR_KINDS,
    description: 'A size is larger than 2^53−1, which JavaScript and many JSON decoders cannot hold exactly.',
    why: 'Such a size reads back as a different number in tools that decode JSON numbers as doubles.',
    source: 'implementation note (rules.md §4)',
    check(ctx) {
      eachDescriptor(ctx, (site) => {
        const size = valueOf(site.node, 'size');
        if (size?.type !== 'number') return;
        const raw = rawText(ctx.text, size);
        if (/^\d+$/.test(raw) && BigInt(raw) > MAX_SAFE) ctx.report(size, `${site.label}.size ${raw} exceeds 2^53−1; JavaScript reads it as ${Number(raw)}.`);
      });
    },
  },
  {
    id: 'urls-invalid',
    severity: 'warning',
    appliesTo: DESCRIPTOR_KINDS,
    description: 'A descriptor URL is not an RFC 3986 URI, or not http(s), or has a fragment.',
    why: 'Entries MUST conform to RFC 3986 and SHOULD use http or https; distribution refuses other schemes and fragments ("invalid URL on layer"), containers/image silently skips them.',
    source: 'image-spec descriptor.md urls; distribution verifyManifest',
    specUrl: DESCRIPTOR_SPEC,
    check(ctx) {
      eachDescriptor(ctx, (site) => {
        const urls = valueOf(site.node, 'urls');
        if (!urls) return;
        if (urls.type !== 'array') {
          ctx.report(urls, `${site.label}.urls must be an array of URLs.`);
          return;
        }
        for (const u of elements(urls)) {
          if (u.type !== 'string') { ctx.report(u, 'A URL must be a string.'); continue; }
          const value = u.value as string;
          const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(value)?.[1]?.toLowerCase();
          let problem: string | undefined;
          if (!scheme) problem = 'is not an absolute URI (RFC 3986 needs a scheme)';
          else if (/[\s<>"{}|\\^`]/.test(value)) problem = 'contains characters RFC 3986 does not allow';
          else if (scheme !== 'http' && scheme !== 'https') problem = `uses "${scheme}:"; distribution accepts only http and https`;
          else if (value.includes('#')) problem = 'has a fragment, which distribution refuses';
          if (problem) ctx.report(u, `URL "${value}" ${problem}.`);
        }
      });
    },
  },
  {
    id: 'data-not-base64',
    severity: 'error',
    appliesTo: DESCRIPTOR_KINDS,
    description: 'Embedded data is not padded standard base64.',
    why: 'data MUST be RFC 4648 base64 (standard alphabet, padded); decoders in Go and elsewhere refuse it otherwise.',
    source: 'image-spec descriptor.md "data … MUST conform to the Base 64 encoding, as defined in RFC 4648"',
    specUrl: IS_SPEC + 'descriptor.md#embedded-content',
    fix: 'Re-pad the value when that makes it decodable.',
    check(ctx) {
      eachDescriptor(ctx, (site) => {
        const data = valueOf(site.node, 'data');
        if (!data) return;
        if (data.type !== 'string') { ctx.report(data, `${site.label}.data must be a base64 string.`); return; }
        const value = data.value as string;
        if (decodeBase64(value)) return;
        const padded = value + '='.repeat((4 - (value.length % 4)) % 4);
        const fixes = padded !== value && decodeBase64(padded) ? [fix(`Pad to "${padded.length > 40 ? '…' + padded.slice(-12) : padded}"`, [replaceEdit(data, padded)], true, true)] : [];
        ctx.report(data, `${site.label}.data is not padded standard base64 (RFC 4648 §4)${fixes.length ? ': the padding is missing' : ''}.`, { fixes });
      });
    },
  },
  {
    id: 'data-size-mismatch',
    severity: 'error',
    appliesTo: DESCRIPTOR_KINDS,
    description: 'Embedded data does not have the descriptor\'s size.',
    why: 'The decoded data MUST be identical to the referenced content; a size that disagrees means one of them is wrong.',
    source: 'image-spec descriptor.md Embedded Content',
    specUrl: IS_SPEC + 'descriptor.md#embedded-content',
    fix: 'Set size to the decoded length.',
    check(ctx) {
      eachDescriptor(ctx, (site) => {
        const data = valueOf(site.node, 'data');
        const size = valueOf(site.node, 'size');
        if (data?.type !== 'string' || size?.type !== 'number') return;
        const bytes = decodeBase64(data.value as string);
        if (!bytes || bytes.length === size.value) return;
        ctx.report(size, `${site.label}.size is ${size.value}, but data decodes to ${bytes.length} bytes.`, {
          fixes: [fix(`Set size to ${bytes.length}`, [replaceEdit(size, bytes.length)], true, true)],
        });
      });
    },
  },
  {
    id: 'data-digest-mismatch',
    severity: 'error',
    appliesTo: DESCRIPTOR_KINDS,
    description: 'Embedded data does not hash to the descriptor\'s digest.',
    why: 'The decoded data MUST be identical to the referenced content and SHOULD be verified against the digest; a client that trusts data gets other bytes than one that fetches.',
    source: 'image-spec descriptor.md Embedded Content',
    specUrl: IS_SPEC + 'descriptor.md#embedded-content',
    fix: 'Set digest to the sha256 of the decoded data.',
    check(ctx) {
      eachDescriptor(ctx, (site) => {
        const data = valueOf(site.node, 'data');
        const digest = valueOf(site.node, 'digest');
        if (data?.type !== 'string' || digest?.type !== 'string' || !(digest.value as string).startsWith('sha256:')) return;
        const bytes = decodeBase64(data.value as string);
        if (!bytes) return;
        const actual = 'sha256:' + sha256Hex(bytes);
        if (actual === digest.value) return;
        ctx.report(digest, `${site.label}.digest does not match data, which hashes to ${actual}.`, {
          fixes: [fix('Set digest to the sha256 of data', [replaceEdit(digest, actual)], true, true)],
        });
      });
    },
  },
  {
    id: 'digest-grammar',
    severity: 'error',
    appliesTo: DESCRIPTOR_KINDS,
    description: 'A digest does not match the digest grammar `algorithm:encoded`.',
    why: 'A digest string MUST match the grammar; go-digest answers "invalid checksum digest format" and the content cannot be fetched.',
    source: 'image-spec descriptor.md "Digests"',
    specUrl: IS_SPEC + 'descriptor.md#digests',
    fix: 'Lowercase the digest when that makes it valid.',
    check(ctx) {
      eachDescriptor(ctx, (site) => {
        const d = valueOf(site.node, 'digest');
        if (d && d.type !== 'string') ctx.report(d, `${site.label}.digest must be a string "algorithm:encoded".`);
      });
      for (const { node: d, site, problem: p } of digestSites(ctx)) {
        if (p?.kind !== 'grammar') continue;
        ctx.report(d, `${site.label}.digest does not match the grammar algorithm:encoded (lowercase algorithm components joined by + . _ -).`, {
          fixes: p.fixed ? [fix('Lowercase the digest (same value)', [replaceEdit(d, p.fixed)], false, true)] : [],
        });
      }
    },
  },
  ...(['sha256', 'sha512'] as const).map((algo): Rule => ({
    id: `digest-${algo}-encoding`,
    severity: 'error',
    appliesTo: DESCRIPTOR_KINDS,
    description: `A ${algo} digest is not ${REGISTERED_ALGORITHMS.get(algo)!.hexLength} lowercase hex characters.`,
    why: `The encoded part of a ${algo} digest MUST be ${REGISTERED_ALGORITHMS.get(algo)!.hexLength} characters of [a-f0-9]; go-digest answers "invalid checksum digest length" or "format".`,
    source: `image-spec descriptor.md §${algo === 'sha256' ? 'SHA-256' : 'SHA-512'}`,
    specUrl: IS_SPEC + (algo === 'sha256' ? 'descriptor.md#sha-256' : 'descriptor.md#sha-512'),
    fix: 'Lowercase uppercase hex (same value).',
    check(ctx) {
      for (const { node: d, site, problem: p } of digestSites(ctx)) {
        if (p?.kind !== 'encoding' || p.algorithm !== algo) continue;
        ctx.report(d, `${site.label}.digest ${p.detail}.`, {
          fixes: p.fixed ? [fix('Lowercase the digest (same value)', [replaceEdit(d, p.fixed)], false, true)] : [],
        });
      }
    },
  })),
  {
    id: 'digest-unregistered-algorithm',
    severity: 'warning',
    appliesTo: DESCRIPTOR_KINDS,
    description: 'A digest uses an algorithm image-spec does not register.',
    why: 'The spec says implementations SHOULD let such digests pass, but go-digest answers "unsupported digest algorithm", and distribution turns that into MANIFEST_BLOB_UNKNOWN.',
    source: 'image-spec descriptor.md "Registered algorithms"; go-digest Validate',
    specUrl: IS_SPEC + 'descriptor.md#registered-algorithms',
    check(ctx) {
      for (const { node: d, site, problem: p } of digestSites(ctx)) {
        if (p?.kind === 'unregistered') ctx.report(d, `${site.label}.digest uses "${p.algorithm}", which is not a registered algorithm (sha256, sha512); go-digest-based registries refuse it.`);
      }
    },
  },
  {
    id: 'digest-not-sha256',
    severity: 'hint',
    appliesTo: DESCRIPTOR_KINDS,
    description: 'A digest uses a registered algorithm other than sha256.',
    why: 'Compliant implementations SHOULD use SHA-256; other algorithms are less widely supported.',
    source: 'image-spec descriptor.md "compliant implementations SHOULD use SHA-256"',
    specUrl: IS_SPEC + 'descriptor.md#registered-algorithms',
    check(ctx) {
      for (const { node: d, site, problem: p } of digestSites(ctx)) {
        const algo = (d.value as string).split(':')[0];
        if (algo !== 'sha256' && REGISTERED_ALGORITHMS.has(algo) && !p) ctx.report(d, `${site.label}.digest uses ${algo}; sha256 is the portable choice.`);
      }
    },
  },
];

