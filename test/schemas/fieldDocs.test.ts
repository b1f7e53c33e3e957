/**
 * The generated field documentation (engine/generated/fieldDocs.ts, docs/fields.md) is up to
 * date with schemas/, and every documented path is one a hover can find.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { collectFieldDocs, FIELD_DOCS_TS, FIELDS_MD, renderFieldDocsTs, renderFieldsMd, SCHEMA_OF_KIND } from '../../scripts/gen-field-docs';
import { FIELD_DOCS } from '../../server/src/engine/generated/fieldDocs';
import { fieldDocAt, fieldPathPattern } from '../../server/src/engine/fieldHover';

const REGENERATE = 'run: node --import tsx scripts/gen-field-docs.ts';

test('server/src/engine/generated/fieldDocs.ts is generated from the current schemas', () => {
  assert.equal(readFileSync(FIELD_DOCS_TS, 'utf8'), renderFieldDocsTs(), REGENERATE);
});

test('docs/fields.md is generated from the current schemas', () => {
  assert.equal(readFileSync(FIELDS_MD, 'utf8'), renderFieldsMd(), REGENERATE);
});

test('the field map covers each kind with a schema, frozen, with a level and a spec link per field', () => {
  assert.deepEqual(Object.keys(FIELD_DOCS), SCHEMA_OF_KIND.map(([kind]) => kind));
  assert.ok(Object.isFrozen(FIELD_DOCS));
  const counts: string[] = [];
  for (const [kind, fields] of Object.entries(FIELD_DOCS)) {
    assert.ok(Object.isFrozen(fields), `${kind} map is frozen`);
    counts.push(`${kind} ${Object.keys(fields).length}`);
    for (const [pattern, doc] of Object.entries(fields)) {
      assert.ok(Object.isFrozen(doc), `${kind} ${pattern} is frozen`);
      assert.ok(doc.title.length > 1, `${kind} ${pattern} has a title`);
      assert.ok(doc.markdown.includes(`**${doc.requirement}`), `${kind} ${pattern}: the markdown states ${doc.requirement}`);
      assert.ok(doc.markdown.endsWith(`(${doc.specUrl})`), `${kind} ${pattern}: the markdown ends with its spec link`);
      assert.match(doc.specUrl, /^https:\/\/github\.com\/(opencontainers|distribution|moby)\//);
    }
  }
  console.log(`field docs: ${counts.join(', ')}`);
});

test('the fields the brief names are documented, with the right level', () => {
  const expect: [keyof typeof FIELD_DOCS, (string | number)[], string][] = [
    ['oci-manifest', ['config', 'mediaType'], 'REQUIRED'],
    ['oci-manifest', ['layers', 3, 'digest'], 'REQUIRED'],
    ['oci-manifest', ['mediaType'], 'SHOULD'],
    ['oci-manifest', ['annotations'], 'OPTIONAL'],
    ['oci-manifest', ['annotations', 'org.opencontainers.image.source'], 'OPTIONAL'],
    ['oci-index', ['manifests', 0, 'platform', 'architecture'], 'REQUIRED'],
    ['oci-index', ['manifests', 0, 'platform'], 'SHOULD'],
    ['oci-index', ['manifests', 1, 'platform', 'features'], 'RESERVED'],
    ['oci-index', ['manifests', 1, 'platform', 'os.version'], 'OPTIONAL'],
    ['docker-manifest', ['mediaType'], 'REQUIRED'],
    ['docker-list', ['manifests', 0, 'platform', 'features'], 'OPTIONAL'],
    ['config', ['config', 'Env'], 'OPTIONAL'],
    ['config', ['rootfs', 'diff_ids'], 'REQUIRED'],
    ['config', ['config', 'Labels', 'com.example.team'], 'OPTIONAL'],
    ['descriptor', ['digest'], 'REQUIRED'],
  ];
  for (const [kind, path, level] of expect) {
    const found = fieldDocAt(kind, path);
    assert.ok(found, `${kind} ${fieldPathPattern(path)} is documented`);
    assert.equal(found.doc.requirement, level, `${kind} ${found.pattern}`);
  }
  assert.equal(fieldPathPattern(['manifests', 2, 'platform', 'os.version']), 'manifests[].platform["os.version"]');
  assert.equal(fieldPathPattern(['annotations', '*']), 'annotations.*');
  assert.equal(fieldDocAt('oci-manifest', ['layers', 0, 'nope']), undefined);
  assert.equal(fieldDocAt('schema1', ['fsLayers']), undefined);
  assert.equal(fieldDocAt('oci-manifest', ['constructor']), undefined, 'no prototype keys');
});

test('every generated pattern is reachable from a concrete path', () => {
  for (const { kind, fields } of collectFieldDocs()) {
    for (const pattern of fields.keys()) {
      // Rebuild a concrete path from the pattern: [] → an index, .* → some key.
      const path: (string | number)[] = [];
      const re = /\[\]|\["((?:[^"\\]|\\.)*)"\]|\.?([^.[\]]+)/g;
      for (let m = re.exec(pattern); m; m = re.exec(pattern)) {
        if (m[0] === '[]') path.push(0);
        else if (m[1] !== undefined) path.push(JSON.parse(`"${m[1]}"`) as string);
        else path.push(m[2] === '*' ? 'com.example.any' : m[2]);
      }
      const found = fieldDocAt(kind, path);
      assert.equal(found?.pattern, pattern, `${kind} ${pattern} from ${JSON.stringify(path)}`);
    }
  }
});
