/**
 * Whole-document relabelling between the OCI and Docker families (rules.md §9 mapping table).
 * Only labels change: the blobs behind the descriptors are the same bytes.
 */
import { elements, stringOf, valueOf, propertyOf, type Node } from './json';
import { mediaTypeInfo, MT, relabel } from './mediaTypes';
import type { DocumentKind } from './documentKind';
import type { ConversionTarget, Edit, Fix } from './types';
import { insertPropertyEdit, replaceEdit, DIGEST_NOTE } from './rules/helpers';

export interface ConversionInput {
  readonly text: string;
  readonly root: Node;
  readonly kind: DocumentKind;
}

/** Why a conversion cannot be offered, or undefined when it can. */
export function conversionBlocker(input: ConversionInput, target: ConversionTarget): string | undefined {
  const { root, kind } = input;
  if (!['oci-manifest', 'oci-index', 'docker-manifest', 'docker-list'].includes(kind)) return 'only manifests and indexes can be relabelled';
  if (target === 'docker') {
    for (const key of ['artifactType', 'subject', 'annotations']) {
      if (propertyOf(root, key)) return `the Docker format has no "${key}"`;
    }
    for (const d of descriptorNodes(root)) {
      if (propertyOf(d, 'annotations')) return 'the Docker format has no descriptor annotations';
      const mt = stringOf(d, 'mediaType');
      if (mt && mediaTypeInfo(mt)?.family === 'oci' && mediaTypeInfo(mt)?.compression === 'zstd') return 'Docker has no standard zstd layer type';
      if (mt === MT.ociEmpty) return 'the document uses the OCI empty descriptor (an artifact)';
    }
    const configType = stringOf(valueOf(root, 'config'), 'mediaType');
    if (configType && mediaTypeInfo(configType)?.role !== 'config') return `the config type "${configType}" has no Docker equivalent`;
  }
  return undefined;
}

function descriptorNodes(root: Node): Node[] {
  const out: Node[] = [];
  const config = valueOf(root, 'config');
  if (config?.type === 'object') out.push(config);
  for (const key of ['layers', 'manifests']) for (const e of elements(valueOf(root, key))) if (e.type === 'object') out.push(e);
  return out;
}

/** The edits that relabel every media type of the document for `target`. */
export function conversionEdits(input: ConversionInput, target: ConversionTarget): Edit[] {
  const { text, root, kind } = input;
  const edits: Edit[] = [];
  const top = valueOf(root, 'mediaType');
  const isIndex = kind === 'oci-index' || kind === 'docker-list';
  const wantTop = target === 'oci' ? (isIndex ? MT.ociIndex : MT.ociManifest) : isIndex ? MT.dockerList : MT.dockerManifest;
  if (!top) edits.push(insertPropertyEdit(text, root, 'mediaType', wantTop));
  else if (top.value !== wantTop) edits.push(replaceEdit(top, wantTop));
  for (const d of descriptorNodes(root)) {
    const node = valueOf(d, 'mediaType');
    if (node?.type !== 'string') continue;
    const to = relabel(node.value as string, target);
    if (to) edits.push(replaceEdit(node, to));
  }
  return edits;
}

/** The "Convert all media types to …" fix, or undefined when blocked or a no-op. */
export function conversionFix(input: ConversionInput, target: ConversionTarget): Fix | undefined {
  if (conversionBlocker(input, target)) return undefined;
  const edits = conversionEdits(input, target);
  if (edits.length === 0) return undefined;
  const isIndex = input.kind === 'oci-index' || input.kind === 'docker-list';
  const name = target === 'oci' ? 'OCI' : 'Docker';
  const title = `Convert all media types to ${name}` + (isIndex ? ' (the child manifests must be converted and pushed too)' : '') + DIGEST_NOTE;
  return { title, edits, changesDigest: true };
}
