/**
 * The outline: an index's entries by platform (`linux/arm64/v8`), a manifest's config and
 * layers by position and size.
 */
import type { Analysis } from './analyze';
import { KIND_TITLES } from './documentKind';
import { formatSize } from './hover';
import { stringOf, valueOf, type Node } from './json';
import { mediaTypeInfo } from './mediaTypes';

export type SymbolKind = 'document' | 'descriptor' | 'field';

export interface OutlineSymbol {
  readonly name: string;
  readonly detail: string;
  readonly kind: SymbolKind;
  readonly offset: number;
  readonly length: number;
  /** The part to reveal when the symbol is picked (its key or its first character). */
  readonly selectionOffset: number;
  readonly selectionLength: number;
  readonly children: readonly OutlineSymbol[];
}

function platformName(entry: Node): string | undefined {
  const p = valueOf(entry, 'platform');
  if (!p) return undefined;
  return [stringOf(p, 'os'), stringOf(p, 'architecture'), stringOf(p, 'variant')].filter(Boolean).join('/');
}

function shortType(mt: string | undefined): string {
  return mediaTypeInfo(mt)?.title ?? mt ?? 'no mediaType';
}

function sizeOf(node: Node): string {
  const s = valueOf(node, 'size');
  return s?.type === 'number' ? formatSize(s.value as number).replace(/ \(.*\)$/, '') : '?';
}

export function outline(analysis: Analysis): OutlineSymbol[] {
  const root = analysis.root;
  if (!root || analysis.kind === 'unknown') return [];
  const children: OutlineSymbol[] = [];
  for (const site of analysis.descriptors) {
    const n = site.node;
    if (n.type !== 'object') continue;
    const mt = stringOf(n, 'mediaType');
    let name = site.label;
    if (site.role === 'manifest') {
      const platform = platformName(n);
      const attestation = stringOf(valueOf(n, 'annotations'), 'vnd.docker.reference.type') === 'attestation-manifest';
      name = attestation ? `attestation ${site.label}` : platform ? `${platform}` : `${site.label} (no platform)`;
    } else if (site.role === 'layer') {
      name = `layer ${site.index} · ${sizeOf(n)}`;
    } else if (site.role === 'config') {
      name = `config · ${sizeOf(n)}`;
    }
    const digest = stringOf(n, 'digest');
    children.push({
      name,
      detail: `${shortType(mt)}${digest ? ' ' + digest.slice(0, 19) + '…' : ''}`,
      kind: 'descriptor',
      offset: n.offset,
      length: n.length,
      selectionOffset: n.offset,
      selectionLength: 1,
      children: [],
    });
  }
  return [{
    name: KIND_TITLES[analysis.kind],
    detail: stringOf(root, 'mediaType') ?? '',
    kind: 'document',
    offset: root.offset,
    length: root.length,
    selectionOffset: root.offset,
    selectionLength: 1,
    children,
  }];
}
