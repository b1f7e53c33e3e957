/** rules.md §2: structure and parse rules. */
import { KIND_TITLES, MANIFEST_KINDS } from '../documentKind';
import { article } from './indexRules';
import { keyOf, propertyOf, valueOf, type Node } from '../json';
import { TapeNode } from '../tape';
import type { Rule, RuleContext } from '../types';
import { deletePropertyEdit, fix, insertPropertyEdit, IS_SPEC, replaceEdit } from './helpers';

const GROUP_KEYS = { manifest: ['config', 'layers'], index: ['manifests'], schema1: ['fsLayers', 'history'] } as const;

/** Which key group a kind allows. */
function allowedGroup(kind: string): keyof typeof GROUP_KEYS | undefined {
  if (kind === 'oci-manifest' || kind === 'docker-manifest') return 'manifest';
  if (kind === 'oci-index' || kind === 'docker-list') return 'index';
  if (kind === 'schema1') return 'schema1';
  return undefined;
}

function checkDuplicateKeys(ctx: RuleContext): void {
  if (ctx.root instanceof TapeNode) {
    // The tape finds duplicates without making a node for every value of the document, and
    // skips the objects of plain entries, which the plain check found free of duplicates.
    const tape = ctx.root.tape;
    let skip: Uint8Array | undefined;
    for (const site of ctx.descriptors) {
      if (!site.plain) continue;
      skip ??= new Uint8Array(tape.count);
      const { platformAt, annotationsAt } = site.plain;
      const slot = site.slot!;
      skip[slot] = 1;
      if (platformAt !== -1) skip[slot + platformAt] = 1;
      if (annotationsAt !== -1) skip[slot + annotationsAt] = 1;
    }
    for (const [earlierSlot, laterSlot] of tape.duplicateKeys(skip)) {
      const earlier = tape.node(earlierSlot);
      const later = tape.node(laterSlot);
      const key = later.keyString();
      const map = earlier.parent?.parent;
      const inStringMap = map?.type === 'property' && ['annotations', 'Labels'].includes(keyOf(map));
      reportDuplicate(ctx, earlier, later.children![0], key, inStringMap);
    }
    return;
  }
  const walk = (node: Node, inStringMap: boolean): void => {
    if (node.type === 'object' && node.children) {
      const seen = new Map<string, Node>();
      for (const prop of node.children) {
        const key = keyOf(prop);
        const earlier = seen.get(key);
        if (earlier) reportDuplicate(ctx, earlier, prop.children![0], key, inStringMap);
        seen.set(key, prop);
        const value = prop.children?.[1];
        if (value) walk(value, key === 'annotations' || key === 'Labels');
      }
    } else if (node.type === 'array' && node.children) {
      for (const c of node.children) walk(c, false);
    }
  };
  walk(ctx.root, false);
}

function reportDuplicate(ctx: RuleContext, earlier: Node, laterKey: Node, key: string, inStringMap: boolean): void {
  ctx.report(laterKey, `Duplicate key "${key}": JSON parsers disagree on which value wins, and the digest covers both.`, {
    severity: inStringMap ? 'error' : 'warning',
    fixes: [fix(`Delete the earlier "${key}"`, [deletePropertyEdit(ctx.text, earlier)])],
  });
}

export const structureRules: Rule[] = [
  {
    id: 'json-duplicate-key',
    severity: 'warning',
    appliesTo: [...MANIFEST_KINDS, 'config', 'descriptor', 'oci-layout'],
    description: 'A key appears twice in the same object.',
    why: 'Which value a parser keeps differs between tools, so two tools can read two different documents from the same bytes. Inside annotations and Labels, keys MUST be unique.',
    source: 'image-spec annotations.md "Keys MUST be unique within this map"',
    specUrl: IS_SPEC + 'annotations.md#rules',
    fix: 'Delete the earlier duplicate.',
    crossEntry: true,
    check: checkDuplicateKeys,
  },
  {
    id: 'ambiguous-manifest-fields',
    severity: 'error',
    appliesTo: MANIFEST_KINDS,
    description: 'The document mixes the fields of a manifest, an index and a schema 1 manifest.',
    why: 'containers/image rejects it ("rejecting ambiguous manifest"), and so do distribution ("expected manifest but found index") and moby; regclient guesses. The same bytes can be read as two different things.',
    source: 'containers/image ValidateUnambiguousManifestFormat; distribution validateManifest / validateIndex',
    fix: 'Remove the fields that do not belong to the document kind.',
    check(ctx) {
      const groups = ctx.detection.keyGroups;
      if (groups.length < 2) return; // one foreign group alone is media-type-wrong-for-shape
      const allowed = allowedGroup(ctx.kind);
      const foreign = groups.filter((g) => g !== allowed);
      const what = allowed ? article(KIND_TITLES[ctx.kind]) : 'this document';
      for (const g of foreign) {
        for (const key of GROUP_KEYS[g]) {
          const prop = propertyOf(ctx.root, key);
          if (!prop) continue;
          ctx.report(prop.children![0], `"${key}" does not belong in ${what}: mixing ${groups.map((x) => x === 'index' ? 'index' : x === 'schema1' ? 'schema 1' : 'manifest').join(' and ')} fields is refused as ambiguous.`, {
            fixes: allowed && groups.includes(allowed) ? [fix(`Remove "${key}"`, [deletePropertyEdit(ctx.text, prop)])] : [],
          });
        }
      }
    },
  },
  {
    id: 'schema-version-missing',
    severity: 'error',
    appliesTo: MANIFEST_KINDS.filter((k) => k !== 'artifact-manifest'),
    description: 'schemaVersion is missing.',
    why: 'schemaVersion is REQUIRED (2 for OCI and Docker v2 documents); registries answer "unrecognized manifest schema version".',
    source: 'image-spec manifest.md / image-index.md; distribution verifyManifest',
    specUrl: IS_SPEC + 'manifest.md#image-manifest-property-descriptions',
    fix: 'Insert "schemaVersion": 2.',
    check(ctx) {
      if (propertyOf(ctx.root, 'schemaVersion')) return;
      const value = ctx.kind === 'schema1' ? 1 : 2;
      const edits = [insertPropertyEdit(ctx.text, ctx.root, 'schemaVersion', value)];
      ctx.reportAt(ctx.root.offset, 1, `schemaVersion is missing: it is REQUIRED and MUST be ${value} for this kind of document.`, {
        fixes: [fix(`Insert "schemaVersion": ${value}`, edits)],
      });
    },
  },
  {
    id: 'schema-version-invalid',
    severity: 'error',
    appliesTo: MANIFEST_KINDS,
    description: 'schemaVersion is not the integer this kind of document requires.',
    why: 'OCI and Docker v2 documents MUST use the integer 2 (schema 1: 1); a string "2" or another number is refused by registries and clients.',
    source: 'image-spec manifest.md "This REQUIRED property specifies the image manifest schema version … MUST be 2"; distribution "unrecognized manifest schema version"',
    specUrl: IS_SPEC + 'manifest.md#image-manifest-property-descriptions',
    fix: 'Set the integer the document kind requires.',
    check(ctx) {
      const sv = valueOf(ctx.root, 'schemaVersion');
      if (!sv) return;
      const expected = ctx.kind === 'schema1' ? 1 : 2;
      if (sv.type === 'number' && sv.value === expected) return;
      const shown = ctx.text.slice(sv.offset, sv.offset + Math.min(sv.length, 40));
      ctx.report(sv, `schemaVersion is ${shown}; a ${ctx.kind === 'schema1' ? 'schema 1 manifest' : 'v2/OCI document'} needs the integer ${expected}.`, {
        fixes: [fix(`Set schemaVersion to ${expected}`, [replaceEdit(sv, expected)], true, true)],
      });
    },
  },
];

