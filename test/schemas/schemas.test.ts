/**
 * The JSON Schemas of schemas/: well-formed and documented field by field, consistent with the
 * engine's media-type table, and checked with vscode-json-languageservice (the validator VS Code
 * itself runs) against the corpus in test/fixtures/corpus:
 * - every document labelled `valid` of a kind the schemas cover validates without an error;
 * - image-spec's own schema test cases (image-spec/schema-*.json) agree with their labels,
 *   except the cases listed in EXCEPTIONS, each with its reason.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CORPUS } from '../harness/corpus';
import { DiagnosticSeverity, getLanguageService, TextDocument, type Diagnostic } from 'vscode-json-languageservice';
import { PREDEFINED_KEYS } from '../../server/src/engine/annotationKeys';
import { REGISTERED_ALGORITHMS } from '../../server/src/engine/digest';
import { MEDIA_TYPES, MT, mediaTypeInfo, type MediaTypeInfo } from '../../server/src/engine/mediaTypes';

const SCHEMAS = join(__dirname, '..', '..', 'schemas');
const BASE = 'https://manifest-lens.dev/schemas/';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function loadSchema(file: string): JsonObject {
  const parsed = JSON.parse(readFileSync(join(SCHEMAS, file), 'utf8')) as Json;
  assert.ok(isObject(parsed), `${file} is a JSON object`);
  return parsed;
}

const SCHEMA_FILES = readdirSync(SCHEMAS).filter((f) => f.endsWith('.schema.json')).sort();

/** Corpus kind → schema file. `artifact` manifests are OCI image manifests; `descriptor` is assigned below. */
const SCHEMA_OF_KIND: Readonly<Record<string, string>> = {
  'oci-manifest': 'oci-image-manifest.schema.json',
  artifact: 'oci-image-manifest.schema.json',
  'oci-index': 'oci-image-index.schema.json',
  'docker-manifest': 'docker-manifest-v2s2.schema.json',
  'docker-list': 'docker-manifest-list.schema.json',
  config: 'oci-image-config.schema.json',
  descriptor: 'oci-content-descriptor.schema.json',
};

/**
 * image-spec schema test cases whose label the schemas deliberately do not reproduce.
 * Each stays a disagreement (the test fails if one starts agreeing, so the list cannot go stale).
 */
const EXCEPTIONS: ReadonlyMap<string, string> = new Map([
  ['image-spec/schema-manifest-06-invalid-empty-layer-expected-at-least-one.json',
    'image-spec\'s schema keeps `layers` minItems 1, but manifest.md (since fd45b6b, v1.1) only says layers SHOULD have at least one entry; '
    + 'an empty list is a portability warning (rule oci-manifest-layers-empty), not a schema error. go-containerregistry and containers/image emit `"layers": []`.'],
]);

// ---------------------------------------------------------------- the validator

const service = getLanguageService({
  schemaRequestService: async (uri) => {
    if (!uri.startsWith(BASE)) throw new Error(`unexpected schema request ${uri}`);
    return readFileSync(join(SCHEMAS, uri.slice(BASE.length)), 'utf8');
  },
  workspaceContext: { resolveRelativePath: (relativePath, resource) => new URL(relativePath, resource).href },
});
service.configure({
  validate: true,
  allowComments: false,
  schemas: [...new Set(Object.values(SCHEMA_OF_KIND))].map((file) => ({
    uri: BASE + file,
    fileMatch: [`*.${file}.doc.json`],
    schema: loadSchema(file) as never,
  })),
});

let docCounter = 0;

/** Diagnostics of error severity (syntax errors included) for `text` validated against `schemaFile`. */
async function errorsOf(text: string, schemaFile: string): Promise<Diagnostic[]> {
  const doc = TextDocument.create(`file:///corpus/${docCounter++}.${schemaFile}.doc.json`, 'json', 1, text);
  const diagnostics = await service.doValidation(doc, service.parseJSONDocument(doc), {
    comments: 'error', trailingCommas: 'error', schemaValidation: 'error', schemaRequest: 'error',
  });
  return diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
}

function describe(errors: readonly Diagnostic[]): string {
  return errors.map((e) => `${e.range.start.line + 1}:${e.range.start.character + 1} ${e.message}`).join('; ');
}

// ---------------------------------------------------------------- the corpus

interface Row { file: string; path: string; kind: string; expected: string; why: string }

function corpusRows(): Row[] {
  return readFileSync(join(CORPUS, 'SOURCES.tsv'), 'utf8').trim().split('\n').slice(1).map((line) => {
    const [file, , path, , kind, expected, why] = line.split('\t');
    return { file, path, kind, expected, why };
  });
}

/** The schema a corpus row is checked against, if any: standalone descriptors are filed under `other`. */
function schemaFor(row: Row): string | undefined {
  if (row.kind === 'other' && (row.path === 'schema/descriptor_test.go' || row.why.includes(`(Content Descriptor, ${MT.ociDescriptor})`) || row.why.includes(`(empty config, ${MT.ociDescriptor})`))) {
    return SCHEMA_OF_KIND.descriptor;
  }
  return SCHEMA_OF_KIND[row.kind];
}


// ---------------------------------------------------------------- walking schemas

/** Every `properties` / `additionalProperties` member schema, with a readable location. */
function fieldSchemas(node: Json, where: string, out: { where: string; schema: JsonObject }[] = []): typeof out {
  if (Array.isArray(node)) {
    node.forEach((n, i) => fieldSchemas(n, `${where}/${i}`, out));
  } else if (isObject(node)) {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'properties' && isObject(value)) {
        for (const [name, schema] of Object.entries(value)) {
          if (isObject(schema)) out.push({ where: `${where}/properties/${name}`, schema });
        }
      } else if (key === 'additionalProperties' && isObject(value)) {
        out.push({ where: `${where}/additionalProperties`, schema: value });
      }
      fieldSchemas(value, `${where}/${key}`, out);
    }
  }
  return out;
}

/** Is this `properties` member only a constraint of an `if` clause (not a field)? */
function inCondition(where: string): boolean {
  return /\/(if|then|else)\//.test(where);
}

/** Every string under a `const`, `enum`, `examples` or `default` keyword, with its location. */
function literalStrings(node: Json, where: string, out: { where: string; value: string }[] = []): typeof out {
  if (Array.isArray(node)) node.forEach((n, i) => literalStrings(n, `${where}/${i}`, out));
  else if (isObject(node)) {
    for (const [key, value] of Object.entries(node)) {
      if (['const', 'enum', 'examples', 'default'].includes(key)) {
        for (const v of Array.isArray(value) ? value : [value]) if (typeof v === 'string') out.push({ where: `${where}/${key}`, value: v });
      }
      literalStrings(value, `${where}/${key}`, out);
    }
  }
  return out;
}

/** The object at a JSON pointer of a schema file. */
function at(schema: JsonObject, pointer: string): JsonObject {
  let cur: Json = schema;
  for (const part of pointer.split('/').filter(Boolean)) {
    assert.ok(isObject(cur) || Array.isArray(cur), `${pointer} exists`);
    cur = Array.isArray(cur) ? cur[Number(part)] : cur[part];
  }
  assert.ok(isObject(cur), `${pointer} is an object`);
  return cur;
}

// ---------------------------------------------------------------- tests

test('every schema is draft-07 with a manifest-lens.dev $id', () => {
  assert.deepEqual(SCHEMA_FILES, [
    'defs.schema.json', 'docker-manifest-list.schema.json', 'docker-manifest-v2s2.schema.json', 'oci-content-descriptor.schema.json',
    'oci-image-config.schema.json', 'oci-image-index.schema.json', 'oci-image-manifest.schema.json',
  ]);
  for (const file of SCHEMA_FILES) {
    const schema = loadSchema(file);
    assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#', file);
    assert.equal(schema.$id, BASE + file, file);
    assert.equal(typeof schema.title, 'string', `${file} has a title`);
    assert.equal(typeof schema.description, 'string', `${file} has a description`);
    // $ref siblings are ignored by draft-07 validators: documented fields wrap $ref in allOf.
    for (const { where, schema: field } of fieldSchemas(schema, file)) {
      if ('$ref' in field) assert.deepEqual(Object.keys(field), ['$ref'], `${where}: $ref has no sibling keywords`);
    }
  }
});

test('every field says what it is, its requirement level, and ends with a spec link', () => {
  let fields = 0;
  for (const file of SCHEMA_FILES) {
    for (const { where, schema } of fieldSchemas(loadSchema(file), file)) {
      if (inCondition(where)) continue;
      fields++;
      assert.equal(typeof schema.title, 'string', `${where} has a title`);
      assert.equal(typeof schema.description, 'string', `${where} has a description`);
      const md = schema.markdownDescription;
      assert.equal(typeof md, 'string', `${where} has a markdownDescription`);
      const paragraphs = (md as string).split('\n\n');
      assert.ok(paragraphs.length >= 3 && paragraphs[0].length > 15, `${where}: what it is, then the requirement, then the link`);
      assert.match(paragraphs[paragraphs.length - 2], /^\*\*(REQUIRED|SHOULD|OPTIONAL|RESERVED)\b/, `${where}: requirement paragraph`);
      assert.match(paragraphs[paragraphs.length - 1], /^\[[^\]]+\]\(https:\/\/github\.com\/[^)\s]+\)$/, `${where}: ends with a spec link`);
      assert.match(schema.description as string, /\b(REQUIRED|SHOULD|OPTIONAL|RESERVED)\b.*https:\/\//, `${where}: plain description has the level and the link`);
    }
  }
  assert.ok(fields > 100, `${fields} documented fields`);
});

test('media type literals come from the engine table (mediaTypes.ts)', () => {
  const known = new Set(MEDIA_TYPES.map((m) => m.mediaType));
  for (const file of SCHEMA_FILES) {
    for (const { where, value } of literalStrings(loadSchema(file), file)) {
      if (value.includes('/')) assert.ok(known.has(value), `${where}: ${value} is in the media-type table`);
    }
  }
  // The document's own mediaType.
  const consts: [string, string][] = [
    ['oci-image-manifest.schema.json', MT.ociManifest],
    ['oci-image-index.schema.json', MT.ociIndex],
    ['docker-manifest-v2s2.schema.json', MT.dockerManifest],
    ['docker-manifest-list.schema.json', MT.dockerList],
  ];
  for (const [file, mediaType] of consts) {
    assert.equal(at(loadSchema(file), '/properties/mediaType').const, mediaType, `${file} mediaType const`);
  }
  // The suggested types of each descriptor role belong to the family and role the table gives them.
  const roles: [string, string, MediaTypeInfo['family'][], MediaTypeInfo['role'][]][] = [
    ['oci-image-manifest.schema.json', '/properties/config/properties/mediaType', ['oci'], ['config', 'empty']],
    ['oci-image-manifest.schema.json', '/properties/layers/items/properties/mediaType', ['oci'], ['layer', 'empty']],
    ['oci-image-manifest.schema.json', '/properties/subject/properties/mediaType', ['oci'], ['manifest', 'index']],
    ['oci-image-index.schema.json', '/properties/manifests/items/properties/mediaType', ['oci'], ['manifest', 'index']],
    ['oci-image-index.schema.json', '/properties/subject/properties/mediaType', ['oci'], ['manifest', 'index']],
    ['docker-manifest-v2s2.schema.json', '/properties/config/properties/mediaType', ['docker'], ['config']],
    ['docker-manifest-v2s2.schema.json', '/properties/layers/items/properties/mediaType', ['docker'], ['layer']],
    ['docker-manifest-list.schema.json', '/properties/manifests/items/properties/mediaType', ['docker'], ['manifest']],
  ];
  for (const [file, pointer, families, roleList] of roles) {
    const examples = at(loadSchema(file), pointer).examples;
    assert.ok(Array.isArray(examples) && examples.length > 0, `${file}${pointer} suggests media types`);
    for (const value of examples) {
      const info = mediaTypeInfo(value as string);
      assert.ok(info && families.includes(info.family) && roleList.includes(info.role), `${file}${pointer}: ${String(value)} is a ${families.join('/')} ${roleList.join('/')}`);
      assert.ok(!info.deprecated && !info.nonstandard, `${file}${pointer}: ${String(value)} is not deprecated or non-standard`);
    }
    // The first suggestion is the spec's usual choice, e.g. the config type of the family.
  }
  assert.equal((at(loadSchema('oci-image-manifest.schema.json'), '/properties/config/properties/mediaType').examples as Json[])[0], MT.ociConfig);
  assert.equal((at(loadSchema('docker-manifest-v2s2.schema.json'), '/properties/config/properties/mediaType').examples as Json[])[0], MT.dockerConfig);
});

test('digest encodings and pre-defined annotation keys agree with the engine', () => {
  const defs = loadSchema('defs.schema.json');
  const conditions = at(defs, '/definitions/digest').allOf as JsonObject[];
  const bySchema = new Map(conditions.map((c) => [String((c.if as JsonObject).pattern).replace(/^\^|:$/g, ''), String((c.then as JsonObject).pattern)]));
  assert.deepEqual([...bySchema.keys()].sort(), [...REGISTERED_ALGORITHMS.keys()].sort(), 'one encoding rule per registered algorithm');
  for (const [name, info] of REGISTERED_ALGORITHMS) {
    const encoded = bySchema.get(name)!.replace(`^${name}:`, '^');
    assert.equal(encoded, info.encoded.source, `${name} encoding`);
  }
  const keys = Object.keys(at(defs, '/definitions/annotations/properties'));
  assert.deepEqual(keys.sort(), [...PREDEFINED_KEYS].sort());
});

test('the schemas enforce the MUSTs beyond image-spec\'s own cases', async () => {
  const d = 'sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7';
  const empty = { mediaType: MT.ociEmpty, digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', size: 2 };
  const layer = { mediaType: MT.ociLayerGzip, digest: d, size: 1 };
  const cases: [string, string, object, RegExp][] = [
    ['an empty config without artifactType', 'oci-image-manifest.schema.json',
      { schemaVersion: 2, mediaType: MT.ociManifest, config: empty, layers: [empty] }, /artifactType/],
    ['an uppercase sha256 layer digest', 'oci-image-manifest.schema.json',
      { schemaVersion: 2, config: { ...layer, mediaType: MT.ociConfig }, layers: [{ ...layer, digest: d.toUpperCase().replace('SHA256', 'sha256') }] }, /pattern/],
    ['the index media type on a manifest', 'oci-image-manifest.schema.json',
      { schemaVersion: 2, mediaType: MT.ociIndex, config: { ...layer, mediaType: MT.ociConfig }, layers: [layer] }, /Value must be/],
    ['schemaVersion 1', 'oci-image-index.schema.json', { schemaVersion: 1, manifests: [] }, /Value must be 2/],
    ['a Docker manifest without mediaType', 'docker-manifest-v2s2.schema.json',
      { schemaVersion: 2, config: { mediaType: MT.dockerConfig, digest: d, size: 1 }, layers: [] }, /mediaType/],
    ['a Docker list entry without platform', 'docker-manifest-list.schema.json',
      { schemaVersion: 2, mediaType: MT.dockerList, manifests: [{ mediaType: MT.dockerManifest, digest: d, size: 1 }] }, /platform/],
    ['a rootfs type other than layers', 'oci-image-config.schema.json',
      { architecture: 'amd64', os: 'linux', rootfs: { type: 'snapshot', diff_ids: [] } }, /layers/],
    ['an annotation with a number value', 'oci-content-descriptor.schema.json',
      { ...layer, annotations: { 'com.example.n': 1 } }, /Incorrect type/],
  ];
  for (const [what, schema, doc, message] of cases) {
    const errors = await errorsOf(JSON.stringify(doc, null, 2), schema);
    assert.ok(errors.some((e) => message.test(e.message)), `${what}: expected ${message}, got ${describe(errors) || 'no errors'}`);
  }
});

test('valid corpus documents validate against the schema of their kind', async () => {
  const failures: string[] = [];
  const perSchema = new Map<string, number>();
  let checked = 0;
  for (const row of corpusRows()) {
    const schema = schemaFor(row);
    if (!schema || row.expected !== 'valid') continue;
    checked++;
    perSchema.set(schema, (perSchema.get(schema) ?? 0) + 1);
    const errors = await errorsOf(readFileSync(join(CORPUS, row.file), 'utf8'), schema);
    if (errors.length > 0) failures.push(`${row.file} (${schema}): ${describe(errors)}`);
  }
  console.log(`schemas: ${checked - failures.length}/${checked} valid corpus documents validate (${[...perSchema].map(([s, n]) => `${s.replace('.schema.json', '')} ${n}`).join(', ')})`);
  assert.deepEqual(failures, []);
});

test('image-spec schema test cases agree with their labels', async () => {
  const cases = corpusRows().filter((r) => /^image-spec\/schema-/.test(r.file) && (r.expected === 'valid' || r.expected === 'invalid'));
  let judged = 0;
  let agree = 0;
  const unexpected: string[] = [];
  const stale: string[] = [];
  const uncovered: string[] = [];
  for (const row of cases) {
    const schema = schemaFor(row);
    if (!schema) { uncovered.push(row.file); continue; }
    judged++;
    const errors = await errorsOf(readFileSync(join(CORPUS, row.file), 'utf8'), schema);
    const ok = row.expected === 'valid' ? errors.length === 0 : errors.length > 0;
    if (ok) {
      agree++;
      if (EXCEPTIONS.has(row.file)) stale.push(row.file);
    } else if (!EXCEPTIONS.has(row.file)) {
      unexpected.push(`${row.expected} ${row.file}: ${errors.length ? describe(errors) : 'no errors'} — ${row.why}`);
    }
  }
  const pct = ((100 * agree) / judged).toFixed(1);
  console.log(`schemas: image-spec schema cases agree ${agree}/${judged} (${pct}%); ${EXCEPTIONS.size} listed exception(s); not covered (image layout): ${uncovered.length}`);
  for (const [file, reason] of EXCEPTIONS) console.log(`  exception ${file}: ${reason}`);
  assert.deepEqual(unexpected, [], 'every disagreement is fixed or listed in EXCEPTIONS');
  assert.deepEqual(stale, [], 'every listed exception is still a disagreement');
  assert.ok(uncovered.every((f) => f.startsWith('image-spec/schema-layout-')), `only image-layout cases are uncovered: ${uncovered.join(', ')}`);
});

test('other labelled corpus documents: how often the schemas agree (informational)', async () => {
  // Documents the sources reject for reasons beyond structure (ambiguity, digests, signatures)
  // are not expected to fail a schema; this prints how many do, to watch for regressions.
  let invalid = 0;
  let caught = 0;
  for (const row of corpusRows()) {
    const schema = schemaFor(row);
    if (!schema || row.expected !== 'invalid' || row.file.startsWith('image-spec/schema-')) continue;
    invalid++;
    if ((await errorsOf(readFileSync(join(CORPUS, row.file), 'utf8'), schema)).length > 0) caught++;
  }
  console.log(`schemas: ${caught}/${invalid} other documents labelled invalid also fail their schema`);
  assert.ok(invalid > 0);
});
