/**
 * Hovers on property keys: what the field is, how much the specification requires it, and
 * where it is defined. The text comes from the field documentation generated out of
 * schemas/*.schema.json (generated/fieldDocs.ts), so the schemas stay its only source.
 */
import type { Analysis } from './analyze';
import { KIND_TITLES, type DocumentKind } from './documentKind';
import { FIELD_DOCS, type FieldDoc, type FieldDocKind } from './generated/fieldDocs';
import type { HoverResult } from './hover';
import { nodeAt, pathOf } from './json';

export type { FieldDoc, FieldDocKind, FieldRequirement } from './generated/fieldDocs';

/** Stands for any key of a map-valued field (annotations, Labels, ExposedPorts, Volumes). */
export const ANY_KEY = '*';

const PLAIN_KEY = /^[A-Za-z0-9_$-]+$/;

/**
 * The path pattern of a JSON path: array indices become `[]`, keys join with `.`, and keys that
 * are not plain words are bracket-quoted. E.g. `["manifests", 0, "platform", "os.version"]` →
 * `manifests[].platform["os.version"]`; `["annotations", "*"]` → `annotations.*`.
 */
export function fieldPathPattern(path: readonly (string | number)[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += '[]';
    else if (segment === ANY_KEY || PLAIN_KEY.test(segment)) out += (out === '' ? '' : '.') + segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

function docsOf(kind: DocumentKind): Readonly<Record<string, FieldDoc>> | undefined {
  return Object.prototype.hasOwnProperty.call(FIELD_DOCS, kind) ? FIELD_DOCS[kind as FieldDocKind] : undefined;
}

/**
 * The documentation of the field at `path` in a document of `kind`: the exact field, or else the
 * entry of the map it is a key of (`annotations.*`). Undefined for fields no schema describes.
 */
export function fieldDocAt(kind: DocumentKind, path: readonly (string | number)[]): { readonly pattern: string; readonly doc: FieldDoc } | undefined {
  const docs = docsOf(kind);
  if (!docs || path.length === 0) return undefined;
  const candidates = [fieldPathPattern(path)];
  if (typeof path[path.length - 1] === 'string') candidates.push(fieldPathPattern([...path.slice(0, -1), ANY_KEY]));
  for (const pattern of candidates) {
    if (Object.prototype.hasOwnProperty.call(docs, pattern)) return { pattern, doc: docs[pattern] };
  }
  return undefined;
}

/**
 * The hover for a property key at `offset` of a recognised document: the field's description,
 * requirement level and specification link, over the key's range. Undefined anywhere else
 * (values, unknown keys, documents that are not manifests).
 */
export function fieldHoverAt(analysis: Analysis, offset: number): HoverResult | undefined {
  const root = analysis.root;
  if (!root || analysis.kind === 'unknown') return undefined;
  const node = nodeAt(root, offset);
  const property = node?.parent;
  if (!node || node.type !== 'string' || property?.type !== 'property' || property.children?.[0] !== node) return undefined;
  const found = fieldDocAt(analysis.kind, pathOf(node));
  if (!found) return undefined;
  const markdown = `**${found.doc.title}** · \`${found.pattern}\` · ${KIND_TITLES[analysis.kind]}\n\n${found.doc.markdown}`;
  return { markdown, offset: node.offset, length: node.length };
}
