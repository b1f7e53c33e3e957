/**
 * Hovers: media types, digests, sizes and the document's top. Returns markdown with the
 * range it explains; the LSP layer only converts offsets.
 */
import type { Analysis } from './analyze';
import { digestProblem, parseDigest, REGISTERED_ALGORITHMS } from './digest';
import { KIND_TITLES } from './documentKind';
import { sha256Hex, utf8 } from './encoding';
import { keyOf, nodeAt, rawText, type Node } from './json';
import { mediaTypeInfo, MT } from './mediaTypes';
import { RULES_BY_ID } from './ruleTable';
import { fieldHoverAt } from './fieldHover';

export interface HoverResult {
  readonly markdown: string;
  readonly offset: number;
  readonly length: number;
  /** Set when the hover describes the whole document (its top, schemaVersion or mediaType key). */
  readonly document?: true;
}

/** Escapes text that came from a document (or a registry) before it goes into markdown. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!<>|~]/g, '\\$&');
}

/**
 * Text from a document inside a code span: backticks cannot close it early, and no line break
 * (a lone `\r` too: two of them end the paragraph, and what follows renders as markdown).
 */
export function codeSpan(text: string): string {
  return '`' + text.replace(/`/g, "'").replace(/\r\n|[\r\n\u2028\u2029]/g, ' ') + '`';
}

const FAMILY_NAMES: Record<string, string> = { oci: 'OCI', docker: 'Docker v2 schema 2', schema1: 'Docker v2 schema 1', artifact: 'OCI (withdrawn)', other: 'other' };

export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Math.abs(bytes);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  const sign = bytes < 0 ? '-' : '';
  return u === 0 ? `${bytes} bytes` : `${sign}${v.toFixed(v < 10 ? 2 : 1)} ${units[u]} (${bytes.toLocaleString('en-US')} bytes)`;
}

/** The key of the property whose value is `node`, if it is one. */
function keyOfValue(node: Node): string | undefined {
  const p = node.parent;
  return p?.type === 'property' && p.children?.[1] === node ? keyOf(p) : undefined;
}

/** Where a mediaType value sits: the role its descriptor plays. */
function roleOfMediaType(analysis: Analysis, node: Node): string | undefined {
  const descriptor = node.parent?.parent;
  if (descriptor === analysis.root) return 'document';
  return analysis.descriptors.find((d) => d.node === descriptor)?.role;
}

/** What the document's family calls for at a descriptor role. */
function expectedFor(analysis: Analysis, role: string | undefined): string | undefined {
  const k = analysis.kind;
  if (role === 'config') return k === 'oci-manifest' ? MT.ociConfig : k === 'docker-manifest' ? MT.dockerConfig : undefined;
  return undefined;
}

function findingsSection(analysis: Analysis, node: Node): string {
  const here = analysis.findings.filter((f) => f.offset === node.offset && f.length === node.length);
  if (here.length === 0) return '';
  const parts = here.map((f) => {
    const rule = RULES_BY_ID.get(f.ruleId);
    // The message itself is not repeated: VS Code shows it above the hover. This is what the
    // one-sentence message leaves out: why (the tools' quoted errors), the fix, the spec.
    return `**${f.ruleId}** (${f.severity}) — ${rule?.why ?? ''}` +
      (rule?.fix ? `\n\n_Fix:_ ${rule.fix}` : '') +
      (rule?.specUrl ? `\n\n[Specification](${rule.specUrl})` : '') +
      (rule?.source ? `\n\n_Source:_ ${rule.source}` : '');
  });
  return '\n\n---\n\n' + parts.join('\n\n');
}

function mediaTypeHover(analysis: Analysis, node: Node): string {
  const value = node.value as string;
  const info = mediaTypeInfo(value);
  const role = roleOfMediaType(analysis, node);
  if (!info) {
    return `**Media type** ${codeSpan(value)}\n\nNot a media type Manifest Lens knows. image-spec says implementations MUST NOT error on an unknown layer or config type, but many registries and tools refuse types they do not know.` + findingsSection(analysis, node);
  }
  const lines = [`**${info.title}** — ${FAMILY_NAMES[info.family]} family`, '', info.description];
  if (info.counterpart) lines.push('', `${info.family === 'oci' ? 'Docker' : 'OCI'} equivalent: \`${info.counterpart}\``);
  const expected = expectedFor(analysis, role);
  if (expected && expected !== value) lines.push('', `In this ${KIND_TITLES[analysis.kind]} the config should be \`${expected}\`.`);
  if (info.deprecated) lines.push('', `⚠ ${info.deprecated}`);
  if (info.nonstandard) lines.push('', `⚠ ${info.nonstandard}`);
  lines.push('', `[Specification](${info.spec})`);
  return lines.join('\n') + findingsSection(analysis, node);
}

function digestHover(analysis: Analysis, node: Node): string {
  const value = node.value as string;
  const parsed = parseDigest(value);
  const problem = digestProblem(value);
  const lines = ['**Digest**', ''];
  if (!parsed) lines.push('Does not match the digest grammar `algorithm:encoded`.');
  else {
    const algo = REGISTERED_ALGORITHMS.get(parsed.algorithm);
    lines.push(`Algorithm ${codeSpan(parsed.algorithm)} — ${algo ? algo.note : 'not registered by image-spec'}`);
    lines.push(`Encoded: ${parsed.encoded.length} characters` + (problem ? ` — ${problem.kind === 'encoding' ? problem.detail : problem.kind === 'unregistered' ? 'cannot be verified by most tools' : 'invalid'}` : ' — well-formed'));
  }
  lines.push('', 'Content is addressed by this digest: the bytes a client fetches MUST hash to it, or the client refuses them.');
  return lines.join('\n') + findingsSection(analysis, node);
}

function sizeHover(analysis: Analysis, node: Node): string {
  const raw = rawText(analysis.text, node);
  const n = Number(raw);
  return `**Size**: ${formatSize(n)}\n\nThe exact length in bytes of the content the descriptor points at; clients SHOULD refuse content of another length.` + findingsSection(analysis, node);
}

function topHover(analysis: Analysis): string {
  const d = analysis.detection;
  const via = d.via === 'content-type' ? 'the registry\'s Content-Type header' : d.via === 'media-type' ? 'its top-level `mediaType`' : 'its fields (it has no usable `mediaType`)';
  const lines = [`**${KIND_TITLES[analysis.kind]}** — detected from ${via}.`];
  if (d.guesses && d.guesses.containersImage !== d.guesses.regclient) {
    lines.push('', `Tools guess differently: containers/image (podman, skopeo) reads it as **${KIND_TITLES[d.guesses.containersImage]}**, regclient as **${KIND_TITLES[d.guesses.regclient]}**. Set \`mediaType\` to make it unambiguous.`);
  } else if (d.guesses) {
    lines.push('', `containers/image and regclient both guess **${KIND_TITLES[d.guesses.containersImage]}**.`);
  }
  if (analysis.text.length <= 4 * 1024 * 1024) {
    lines.push('', `Digest of this text as it stands: \`sha256:${sha256Hex(utf8(analysis.text))}\` — any edit, even whitespace, changes it.`);
  }
  if (analysis.linted) {
    const errors = analysis.findings.filter((f) => f.severity === 'error').length;
    const warnings = analysis.findings.filter((f) => f.severity === 'warning').length;
    lines.push('', `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}.`);
  }
  return lines.join('\n');
}

/** The hover at `offset`, or undefined. */
export function hoverAt(analysis: Analysis, offset: number): HoverResult | undefined {
  const root = analysis.root;
  if (!root || analysis.kind === 'unknown') return undefined;
  const node = nodeAt(root, offset);
  if (!node) return undefined;
  if (node === root && offset <= root.offset + 1) return { markdown: topHover(analysis), offset: root.offset, length: 1, document: true };
  // A top-level key (schemaVersion, mediaType) explains the document.
  if (node.type === 'string' && node.parent?.type === 'property' && node.parent.children?.[0] === node && node.parent.parent === root) {
    const key = node.value as string;
    if (key === 'schemaVersion' || key === 'mediaType') return { markdown: topHover(analysis), offset: node.offset, length: node.length, document: true };
    return fieldHoverAt(analysis, offset);
  }
  const key = keyOfValue(node);
  if (!key) return fieldHoverAt(analysis, offset);
  let markdown: string | undefined;
  if ((key === 'mediaType' || key === 'artifactType') && node.type === 'string') markdown = mediaTypeHover(analysis, node);
  else if (key === 'digest' && node.type === 'string') markdown = digestHover(analysis, node);
  else if (key === 'size' && node.type === 'number') markdown = sizeHover(analysis, node);
  return markdown ? { markdown, offset: node.offset, length: node.length } : undefined;
}
