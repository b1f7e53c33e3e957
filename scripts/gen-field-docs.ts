/**
 * Reads schemas/*.schema.json and writes the field documentation generated from them:
 * - server/src/engine/generated/fieldDocs.ts — document kind → JSON path pattern → { title,
 *   markdown, requirement, specUrl }, read by the key hovers (engine/fieldHover.ts);
 * - docs/fields.md — the README's field reference, one table per document kind.
 * Run: node --import tsx scripts/gen-field-docs.ts  (test/schemas checks both are up to date)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { KIND_TITLES } from '../server/src/engine/documentKind';
import { ANY_KEY, fieldPathPattern, type FieldDocKind, type FieldRequirement } from '../server/src/engine/fieldHover';

const ROOT = join(__dirname, '..');
const SCHEMAS = join(ROOT, 'schemas');
export const FIELD_DOCS_TS = join(ROOT, 'server', 'src', 'engine', 'generated', 'fieldDocs.ts');
export const FIELDS_MD = join(ROOT, 'docs', 'fields.md');

/** The schema of each document kind, in the order of the reference. */
export const SCHEMA_OF_KIND: readonly (readonly [FieldDocKind, string])[] = [
  ['oci-manifest', 'oci-image-manifest.schema.json'],
  ['oci-index', 'oci-image-index.schema.json'],
  ['docker-manifest', 'docker-manifest-v2s2.schema.json'],
  ['docker-list', 'docker-manifest-list.schema.json'],
  ['config', 'oci-image-config.schema.json'],
  ['descriptor', 'oci-content-descriptor.schema.json'],
];

const REQUIREMENTS: readonly FieldRequirement[] = ['REQUIRED', 'SHOULD', 'OPTIONAL', 'RESERVED'];
const REQUIREMENT_PARAGRAPH = /^\*\*(REQUIRED|SHOULD|OPTIONAL|RESERVED)\b/;
const LINK_PARAGRAPH = /^\[([^\]]+)\]\((https:\/\/[^)\s]+)\)$/;
const MAX_DEPTH = 8;

type Schema = { readonly [key: string]: unknown };

/** A schema object and the file its relative `$ref`s resolve against. */
interface Located { readonly schema: Schema; readonly file: string }

export interface GeneratedFieldDoc {
  readonly title: string;
  readonly markdown: string;
  readonly requirement: FieldRequirement;
  readonly specUrl: string;
}

export interface KindFieldDocs {
  readonly kind: FieldDocKind;
  readonly schemaFile: string;
  readonly schemaTitle: string;
  /** Path pattern → documentation, in schema order. */
  readonly fields: ReadonlyMap<string, GeneratedFieldDoc>;
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const cache = new Map<string, Schema>();

function loadSchema(file: string): Schema {
  let schema = cache.get(file);
  if (!schema) {
    const parsed: unknown = JSON.parse(readFileSync(join(SCHEMAS, file), 'utf8'));
    if (!isSchema(parsed)) throw new Error(`${file}: not a JSON object`);
    schema = parsed;
    cache.set(file, schema);
  }
  return schema;
}

/** Follows a `$ref` (`other.schema.json#/definitions/x` or `#/definitions/x`). */
function resolveRef(ref: string, from: string): Located {
  const [target, pointer = ''] = ref.split('#', 2);
  const file = target === '' ? from : target;
  let node: unknown = loadSchema(file);
  for (const part of pointer.split('/').filter(Boolean)) {
    node = isSchema(node) ? node[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  }
  if (!isSchema(node)) throw new Error(`${from}: $ref ${ref} does not resolve`);
  return { schema: node, file };
}

/**
 * A schema with what it stands for: itself, then its `$ref` target and the members of its
 * `allOf`, `anyOf` and `oneOf`, recursively. The first member that documents something wins,
 * so a local description overrides the one of a shared definition.
 */
function expand(located: Located, depth = 0): Located[] {
  if (depth > MAX_DEPTH) throw new Error(`${located.file}: schema nesting too deep`);
  const { schema, file } = located;
  const out: Located[] = [located];
  if (typeof schema.$ref === 'string') out.push(...expand(resolveRef(schema.$ref, file), depth + 1));
  for (const keyword of ['allOf', 'anyOf', 'oneOf']) {
    const members = schema[keyword];
    if (Array.isArray(members)) for (const m of members) if (isSchema(m)) out.push(...expand({ schema: m, file }, depth + 1));
  }
  return out;
}

function subschemas(view: readonly Located[], pick: (s: Schema) => unknown): Located[] {
  return view.flatMap(({ schema, file }) => {
    const sub = pick(schema);
    return isSchema(sub) ? expand({ schema: sub, file }) : [];
  });
}

function documentation(view: readonly Located[], where: string): GeneratedFieldDoc {
  const documented = view.find(({ schema }) => typeof schema.markdownDescription === 'string');
  if (!documented) throw new Error(`${where}: no markdownDescription`);
  const { schema } = documented;
  const markdown = schema.markdownDescription as string;
  const title = schema.title;
  if (typeof title !== 'string' || title === '') throw new Error(`${where}: no title next to its markdownDescription`);
  if (typeof schema.description !== 'string') throw new Error(`${where}: no plain description next to its markdownDescription`);
  const paragraphs = markdown.split('\n\n');
  const link = LINK_PARAGRAPH.exec(paragraphs[paragraphs.length - 1]);
  if (!link) throw new Error(`${where}: the markdownDescription must end with a [spec](https://…) link`);
  const level = paragraphs.length >= 3 ? REQUIREMENT_PARAGRAPH.exec(paragraphs[paragraphs.length - 2]) : null;
  if (!level) throw new Error(`${where}: the paragraph before the link must start with **REQUIRED**, **SHOULD**, **OPTIONAL** or **RESERVED**`);
  const requirement = REQUIREMENTS.find((r) => r === level[1])!;
  return { title, markdown, requirement, specUrl: link[2] };
}

/** Collects the documented fields under `view` (an object's schemas) at `path`. */
function walk(view: readonly Located[], path: (string | number)[], where: string, out: Map<string, GeneratedFieldDoc>): void {
  if (path.length > MAX_DEPTH) throw new Error(`${where}: fields nested too deep`);
  const names: string[] = [];
  for (const { schema } of view) {
    if (isSchema(schema.properties)) for (const name of Object.keys(schema.properties)) if (!names.includes(name)) names.push(name);
  }
  for (const name of names) {
    const fieldView = subschemas(view, (s) => (isSchema(s.properties) ? s.properties[name] : undefined));
    const fieldPath = [...path, name];
    const pattern = fieldPathPattern(fieldPath);
    out.set(pattern, documentation(fieldView, `${where} ${pattern}`));
    descend(fieldView, fieldPath, where, out);
  }
  const anyKey = subschemas(view, (s) => s.additionalProperties);
  if (anyKey.length > 0) {
    const keyPath = [...path, ANY_KEY];
    const pattern = fieldPathPattern(keyPath);
    out.set(pattern, documentation(anyKey, `${where} ${pattern}`));
    descend(anyKey, keyPath, where, out);
  }
}

/** Into a field's value: its own properties, and those of its array items. */
function descend(view: readonly Located[], path: (string | number)[], where: string, out: Map<string, GeneratedFieldDoc>): void {
  walk(view, path, where, out);
  const items = subschemas(view, (s) => s.items);
  if (items.length > 0) walk(items, [...path, 0], where, out);
}

/** The documented fields of every document kind, read from the schemas. */
export function collectFieldDocs(): KindFieldDocs[] {
  cache.clear();
  return SCHEMA_OF_KIND.map(([kind, schemaFile]) => {
    const root = loadSchema(schemaFile);
    const fields = new Map<string, GeneratedFieldDoc>();
    walk(expand({ schema: root, file: schemaFile }), [], schemaFile, fields);
    if (fields.size === 0) throw new Error(`${schemaFile}: no documented fields`);
    return { kind, schemaFile, schemaTitle: String(root.title ?? kind), fields };
  });
}

// ---------------------------------------------------------------- engine/generated/fieldDocs.ts

const str = (s: string): string => JSON.stringify(s);

export function renderFieldDocsTs(all: readonly KindFieldDocs[] = collectFieldDocs()): string {
  const unique: GeneratedFieldDoc[] = [];
  const indexOf = new Map<string, number>();
  const idOf = (doc: GeneratedFieldDoc): number => {
    const key = JSON.stringify([doc.title, doc.markdown, doc.requirement, doc.specUrl]);
    let i = indexOf.get(key);
    if (i === undefined) {
      i = unique.push(doc) - 1;
      indexOf.set(key, i);
    }
    return i;
  };
  const kinds = all.map(({ kind, schemaFile, fields }) => {
    const entries = [...fields].map(([pattern, doc]) => `    ${str(pattern)}: D[${idOf(doc)}],`);
    return `  // ${schemaFile}\n  ${str(kind)}: Object.freeze({\n${entries.join('\n')}\n  }),`;
  });
  const docs = unique.map((d) => `  {\n    title: ${str(d.title)},\n    requirement: ${str(d.requirement)},\n    specUrl: ${str(d.specUrl)},\n    markdown: ${str(d.markdown)},\n  },`);
  return `/**
 * GENERATED by scripts/gen-field-docs.ts from schemas/*.schema.json: do not edit by hand. Change
 * the schemas, then run \`node --import tsx scripts/gen-field-docs.ts\`.
 *
 * The documentation of every field of each document kind, by JSON path pattern: keys joined
 * with \`.\`, array elements as \`[]\`, keys that are not plain words bracket-quoted, and \`*\` for
 * any key of a map (see fieldPathPattern in ../fieldHover.ts).
 */
import type { DocumentKind } from '../documentKind';

export type FieldRequirement = ${REQUIREMENTS.map(str).join(' | ')};

export interface FieldDoc {
  /** A short name for the field. */
  readonly title: string;
  /** What the field is, its requirement level, and a link to its specification. */
  readonly markdown: string;
  readonly requirement: FieldRequirement;
  readonly specUrl: string;
}

/** The document kinds that have a schema. */
export type FieldDocKind = Extract<DocumentKind, ${all.map((k) => str(k.kind)).join(' | ')}>;

const D: readonly FieldDoc[] = Object.freeze([
${docs.join('\n')}
].map((d) => Object.freeze(d as FieldDoc)));

export const FIELD_DOCS: Readonly<Record<FieldDocKind, Readonly<Record<string, FieldDoc>>>> = Object.freeze({
${kinds.join('\n')}
});
`;
}

// ---------------------------------------------------------------- docs/fields.md

function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

function anchorOf(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9 -]/g, '').trim().replace(/ /g, '-');
}

/**
 * Known keys of a map (`annotations["org.opencontainers.image.created"]` next to `annotations.*`)
 * repeat under every descriptor; the reference lists them once, in their own section.
 */
function isKnownMapKey(pattern: string, fields: ReadonlyMap<string, GeneratedFieldDoc>): boolean {
  const m = /^(.*)\["(?:[^"\\]|\\.)*"\]$/.exec(pattern);
  return m !== null && m[1] !== '' && fields.has(`${m[1]}.${ANY_KEY}`);
}

/** The description without its link, and without the level the Requirement column already gives. */
function tableDescription(doc: GeneratedFieldDoc): string {
  const paragraphs = doc.markdown.split('\n\n').slice(0, -1);
  const level = paragraphs.pop() ?? '';
  const rest = level.startsWith(`**${doc.requirement}.**`)
    ? level.slice(doc.requirement.length + 5).trim()
    : level.replace(`**${doc.requirement}**`, doc.requirement);
  return [...paragraphs, rest].filter(Boolean).join(' ');
}

function row(pattern: string, doc: GeneratedFieldDoc): string {
  const description = tableDescription(doc);
  const specName = decodeURIComponent(new URL(doc.specUrl).pathname.split('/').pop() ?? doc.specUrl);
  return `| ${pattern} | ${doc.requirement} | ${cell(description)} | [${cell(specName)}](${doc.specUrl}) |`;
}

const TABLE_HEAD = ['| Field | Requirement | Description | Spec |', '| --- | --- | --- | --- |'];
const KNOWN_KEYS_TITLE = 'Pre-defined annotation keys';

export function renderFieldsMd(all: readonly KindFieldDocs[] = collectFieldDocs()): string {
  const lines = [
    '# Field reference',
    '',
    '<!-- GENERATED by scripts/gen-field-docs.ts from schemas/*.schema.json: do not edit by hand. -->',
    '',
    'What each field of each document kind is, how strongly its specification asks for it, and where',
    'it is defined. Hovering a key in the editor shows the same text. The JSON Schemas these tables',
    'come from are published in [`schemas/`](../schemas), each with an `$id` under',
    '`https://manifest-lens.dev/schemas/`.',
    '',
    'Paths: keys are joined with `.`, `[]` is any element of an array, keys that are not plain words',
    'are quoted in brackets (`platform["os.version"]`), and `*` is any key of a map.',
    'Requirement levels are the specification\'s: **REQUIRED**, **SHOULD**, **OPTIONAL**, **RESERVED**.',
    '',
  ];
  for (const k of all) lines.push(`- [${KIND_TITLES[k.kind]}](#${anchorOf(KIND_TITLES[k.kind])}) — \`${k.schemaFile}\``);
  lines.push(`- [${KNOWN_KEYS_TITLE}](#${anchorOf(KNOWN_KEYS_TITLE)}) — in every \`annotations\` map, and in \`config.Labels\``);
  const knownKeys = new Map<string, GeneratedFieldDoc>();
  for (const k of all) {
    lines.push('', `## ${KIND_TITLES[k.kind]}`, '', `Schema: [\`schemas/${k.schemaFile}\`](../schemas/${k.schemaFile}) — ${k.schemaTitle}.`, '');
    lines.push(...TABLE_HEAD);
    for (const [pattern, doc] of k.fields) {
      if (isKnownMapKey(pattern, k.fields)) {
        const key = '`' + (JSON.parse(pattern.slice(pattern.lastIndexOf('["') + 1, -1)) as string) + '`';
        if (!knownKeys.has(key)) knownKeys.set(key, doc);
      } else {
        lines.push(row('`' + cell(pattern) + '`', doc));
      }
    }
  }
  lines.push('', `## ${KNOWN_KEYS_TITLE}`, '', 'Keys image-spec pre-defines for any `annotations` map, and that builders often copy into a config\'s `Labels`. The `org.opencontainers.image` namespace is reserved for keys the OCI Image Specification defines.', '');
  lines.push(...TABLE_HEAD);
  for (const [key, doc] of knownKeys) lines.push(row(key, doc));
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------- main

if (require.main === module) {
  const all = collectFieldDocs();
  for (const [file, text] of [[FIELD_DOCS_TS, renderFieldDocsTs(all)], [FIELDS_MD, renderFieldsMd(all)]] as const) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    console.log(`wrote ${file}`);
  }
  console.log(all.map((k) => `${k.kind}: ${k.fields.size} fields`).join(', '));
}
