/**
 * Completions by context: media types that fit where the cursor is, family-consistent first.
 */
import { getLocation } from 'jsonc-parser';
import type { Analysis } from './analyze';
import { isDockerKind, isOciKind } from './documentKind';
import { nodeAt } from './json';
import { MEDIA_TYPES, type MediaTypeInfo } from './mediaTypes';

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

export function completionsAt(analysis: Analysis, offset: number): CompletionItem[] {
  const loc = getLocation(analysis.text, offset);
  if (loc.isAtPropertyKey) return [];
  const roles = rolesFor(loc.path);
  if (!roles) return [];
  // Replace the whole string under the cursor, quotes included; else insert a quoted value.
  const node = analysis.root ? nodeAt(analysis.root, offset) : undefined;
  const replacing = node?.type === 'string' && node.parent?.type === 'property' && node.parent.children?.[1] === node;
  const range = replacing ? { offset: node!.offset, length: node!.length } : { offset, length: 0 };
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
    };
  });
}
