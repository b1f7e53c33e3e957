/**
 * Completions by context: media types that fit where the cursor is, family-consistent first.
 */
import { getLocation } from 'jsonc-parser';
import type { Analysis } from './analyze';
import { PREDEFINED_KEYS } from './annotationKeys';
import { isDockerKind, isOciKind } from './documentKind';
import { fieldDocAt } from './fieldHover';
import { keyOf, nodeAt, properties, stringOf, valueOf, type Node } from './json';
import { EMPTY_DESCRIPTOR, MEDIA_TYPES, MT, type MediaTypeInfo } from './mediaTypes';
import { KNOWN_ARCH, KNOWN_OS, VALID_PAIRS, variantExamples } from './platforms';

export interface CompletionItem {
  readonly label: string;
  readonly detail: string;
  readonly documentation: string;
  /** Text replacing [offset, offset+length). */
  readonly insertText: string;
  readonly offset: number;
  readonly length: number;
  readonly sortText: string;
  readonly preselect?: boolean;
  /** insertText is an LSP snippet (`${1:placeholder}`). */
  readonly snippet?: boolean;
  readonly kind?: 'value' | 'property' | 'snippet';
}

function rolesFor(path: (string | number)[]): MediaTypeInfo['role'][] | undefined {
  const last = path[path.length - 1];
  if (last !== 'mediaType') return undefined;
  if (path.length === 1) return ['manifest', 'index', 'artifact-manifest'];
  if (path[0] === 'config' && path.length === 2) return ['config', 'empty'];
  if (path[0] === 'layers' || path[0] === 'blobs') return ['layer', 'empty'];
  if (path[0] === 'manifests') return ['manifest', 'index'];
  if (path[0] === 'subject') return ['manifest', 'index'];
  return undefined;
}

/** Replace the whole string under the cursor (quotes included), else insert at the cursor. */
function replaceRange(analysis: Analysis, offset: number, wantKey: boolean): { offset: number; length: number; node?: Node } {
  const node = analysis.root ? nodeAt(analysis.root, offset) : undefined;
  if (node?.type === 'string' && node.parent?.type === 'property') {
    const isKey = node.parent.children?.[0] === node;
    if (isKey === wantKey) return { offset: node.offset, length: node.length, node };
  }
  return { offset, length: 0 };
}

function valueItems(values: readonly { label: string; detail: string; documentation?: string }[], range: { offset: number; length: number }): CompletionItem[] {
  return values.map((v, i) => ({
    label: v.label,
    detail: v.detail,
    documentation: v.documentation ?? '',
    insertText: JSON.stringify(v.label),
    offset: range.offset,
    length: range.length,
    sortText: String(i).padStart(4, '0'),
    preselect: i === 0,
    kind: 'value',
  }));
}

/** os / architecture / variant values, the ones valid with the sibling fields first. */
function platformCompletions(analysis: Analysis, offset: number, field: string, platform: Node | undefined): CompletionItem[] {
  const range = replaceRange(analysis, offset, false);
  const os = stringOf(platform, 'os');
  const arch = stringOf(platform, 'architecture');
  if (field === 'os') {
    const fits = [...KNOWN_OS].filter((o) => !arch || VALID_PAIRS.get(o)?.has(arch));
    const first = ['linux', 'windows'].filter((o) => fits.includes(o));
    const rest = fits.filter((o) => !first.includes(o)).sort();
    return valueItems([...first, ...rest].map((o) => ({ label: o, detail: 'GOOS' + (arch ? ` (valid with ${arch})` : '') })), range);
  }
  if (field === 'architecture') {
    const valid = os ? VALID_PAIRS.get(os) : undefined;
    const common = ['amd64', 'arm64', 'arm', 'ppc64le', 's390x', '386', 'riscv64'];
    const all = [...KNOWN_ARCH].filter((a) => !valid || valid.has(a));
    const ordered = [...common.filter((a) => all.includes(a)), ...all.filter((a) => !common.includes(a)).sort()];
    return valueItems(ordered.map((a) => ({ label: a, detail: 'GOARCH' + (os ? ` (valid with ${os})` : '') })), range);
  }
  if (field === 'variant' && arch) {
    const examples = variantExamples(arch);
    if (!examples) return [];
    const list = examples.split(/,\s*/).filter((v) => !v.includes('…'));
    return valueItems(list.map((v) => ({ label: v, detail: `variant of ${arch}` })), range);
  }
  return [];
}

/** Predefined annotation keys, with their formats from the schemas. */
function annotationKeyCompletions(analysis: Analysis, offset: number, annotations: Node | undefined): CompletionItem[] {
  const range = replaceRange(analysis, offset, true);
  const present = new Set(properties(annotations).map(keyOf));
  const items: CompletionItem[] = [];
  for (const key of PREDEFINED_KEYS) {
    if (present.has(key) && range.node?.value !== key) continue;
    const doc = fieldDocAt(analysis.kind, ['annotations', key]) ?? fieldDocAt('oci-manifest', ['annotations', key]);
    items.push({
      label: key,
      detail: doc?.doc.title ?? 'predefined annotation',
      documentation: doc?.doc.markdown ?? '',
      insertText: range.length > 0 ? JSON.stringify(key) : `${JSON.stringify(key)}: "$1"`,
      snippet: range.length === 0,
      offset: range.offset,
      length: range.length,
      sortText: key,
      kind: 'property',
    });
  }
  return items;
}

/** Snippets for a new element of layers / manifests. */
function descriptorSnippets(analysis: Analysis, offset: number, arrayKey: string): CompletionItem[] {
  const docker = isDockerKind(analysis.kind);
  const d = '"digest": "${2:sha256:}", "size": ${3:0}';
  if (arrayKey === 'layers') {
    const layer = docker ? MT.dockerLayerGzip : MT.ociLayerGzip;
    return [{
      label: 'New layer descriptor', detail: layer, documentation: 'A layer: media type, digest and size of the blob.',
      insertText: `{ "mediaType": "\${1:${layer}}", ${d} }`, snippet: true, offset, length: 0, sortText: '0', kind: 'snippet',
    }, {
      label: 'Empty descriptor (artifact without layers)', detail: MT.ociEmpty, documentation: 'The canonical empty descriptor `{}` (image-spec "Guidance for an Empty Descriptor").',
      insertText: JSON.stringify(EMPTY_DESCRIPTOR), offset, length: 0, sortText: '1', kind: 'snippet',
    }];
  }
  if (arrayKey === 'manifests') {
    const mt = docker ? MT.dockerManifest : MT.ociManifest;
    return [{
      label: 'New index entry', detail: mt, documentation: 'A manifest for one platform: media type, digest, size and platform.',
      insertText: `{ "mediaType": "\${1:${mt}}", ${d}, "platform": { "architecture": "\${4:amd64}", "os": "\${5:linux}" } }`, snippet: true, offset, length: 0, sortText: '0', kind: 'snippet',
    }];
  }
  return [];
}

export function completionsAt(analysis: Analysis, offset: number): CompletionItem[] {
  if (!analysis.root || analysis.kind === 'unknown') return [];
  const loc = getLocation(analysis.text, offset);
  const path = loc.path;
  const last = path[path.length - 1];
  const parentOf = (p: (string | number)[]): Node | undefined => {
    let n: Node | undefined = analysis.root;
    for (const seg of p) n = typeof seg === 'number' ? n?.children?.[seg] : valueOf(n, seg);
    return n;
  };
  if (loc.isAtPropertyKey) {
    if (path[path.length - 2] === 'annotations' || path[path.length - 2] === 'Labels') return annotationKeyCompletions(analysis, offset, parentOf(path.slice(0, -1)));
    return [];
  }
  if (path[path.length - 2] === 'platform' && typeof last === 'string') {
    return platformCompletions(analysis, offset, last, parentOf(path.slice(0, -1)));
  }
  if (typeof last === 'number' && (path[path.length - 2] === 'layers' || path[path.length - 2] === 'manifests')) {
    const node = nodeAt(analysis.root, offset);
    if (node?.type === 'array') return descriptorSnippets(analysis, offset, path[path.length - 2] as string);
    return [];
  }
  const roles = rolesFor(path);
  if (!roles) return [];
  const range = replaceRange(analysis, offset, false);
  const preferred = isOciKind(analysis.kind) ? 'oci' : isDockerKind(analysis.kind) ? 'docker' : undefined;
  return MEDIA_TYPES.filter((m) => roles.includes(m.role)).map((m) => {
    const rank = (m.family === preferred ? 0 : m.family === 'oci' || m.family === 'docker' ? 1 : 2) + (m.deprecated || m.nonstandard ? 2 : 0);
    return {
      label: m.mediaType,
      detail: m.title + (m.deprecated ? ' (deprecated)' : ''),
      documentation: m.description,
      insertText: JSON.stringify(m.mediaType),
      offset: range.offset,
      length: range.length,
      sortText: `${rank}-${roles.indexOf(m.role)}-${m.mediaType}`,
      preselect: rank === 0 && roles.indexOf(m.role) === 0,
      kind: 'value' as const,
    };
  });
}
