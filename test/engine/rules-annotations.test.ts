/** rules.md §11: annotations (and config Labels, which use the same keys). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { suggestImageKey } from '../../server/src/engine/annotationKeys';
import { MT } from '../../server/src/engine/mediaTypes';
import { referenceProblem, rfc3339Problem, spdxProblem } from '../../server/src/engine/rules/annotations';
import type { Fix } from '../../server/src/engine/types';
import { findingsOf, ruleCases } from './ruleCases';

const D = 'sha256:' + 'a'.repeat(64);
/** An OCI image manifest with top-level annotations `a` (raw JSON object body). */
const m = (a: string) => `{"schemaVersion":2,"mediaType":"${MT.ociManifest}","config":{"mediaType":"${MT.ociConfig}","digest":"${D}","size":2},"layers":[{"mediaType":"${MT.ociLayerGzip}","digest":"${D}","size":3}],"annotations":${a}}`;
/** One annotation. */
const m1 = (key: string, value: string) => m(`{"${key}":${value}}`);
/** An index whose single entry carries annotations `a`. */
const idx = (a: string) => `{"schemaVersion":2,"mediaType":"${MT.ociIndex}","manifests":[{"mediaType":"${MT.ociManifest}","digest":"${D}","size":7,"annotations":${a},"platform":{"architecture":"amd64","os":"linux"}}]}`;
/** An image config with Labels `l`. */
const cfg = (l: string) => `{"architecture":"amd64","os":"linux","config":{"Labels":${l}},"rootfs":{"type":"layers","diff_ids":["${D}"]}}`;

function apply(text: string, fix: Fix): string {
  for (const e of [...fix.edits].sort((a, b) => b.offset - a.offset)) text = text.slice(0, e.offset) + e.newText + text.slice(e.offset + e.length);
  return text;
}

ruleCases([
  {
    rule: 'annotations-not-string-map',
    invalid: [m('{"com.example.n":⟦1⟧,"com.example.b":⟦true⟧,"com.example.o":⟦{}⟧}'), m('⟦["a"]⟧'), idx('{"com.example.n":⟦2.5⟧}')],
    valid: [m('{"com.example.n":"1"}'), m('{}'), m('null'), cfg('{"a":1}')],
  },
  {
    rule: 'annotations-null',
    invalid: [m('⟦null⟧'), idx('⟦null⟧')],
    valid: [m('{}'), cfg('null')],
  },
  {
    rule: 'annotation-key-style',
    invalid: [m('{⟦"foo"⟧:"bar",⟦"My Key"⟧:"x"}')],
    valid: [m('{"com.example.foo":"bar","vnd.docker.reference.type":"x","io.github.containers.compression.zstd":"true"}'), cfg('{"maintainer":"me"}')],
  },
  {
    rule: 'annotation-reserved-prefix',
    message: 'did you mean "org.opencontainers.image.created"',
    invalid: [m('{⟦"oci.opencontainers.image.created"⟧:"2024-01-01T00:00:00Z"}')],
    valid: [
      m('{"org.opencontainers.image.created":"2024-01-01T00:00:00Z","org.opencontainers.image.stopSignal":"SIGTERM","org.opencontainers.image.author":"me"}'),
      m('{"org.opencontainers.image.enc.keys.jwe":"x","org.opencontainers.image.enc.pubopts":"y"}'),
      m('{"com.example.created":"x"}'),
      `{"mediaType":"${MT.ociArtifactManifest}","artifactType":"application/vnd.example","blobs":[],"annotations":{"org.opencontainers.artifact.created":"2022-01-01T14:42:55Z"}}`,
    ],
  },
  {
    rule: 'annotation-reserved-prefix',
    invalid: [
      m('{⟦"org.opencontainers.image.craeted"⟧:"x",⟦"org.opencontainers.foo"⟧:"y",⟦"org.opencontainer.image.source"⟧:"https://x.example"}'),
      m('{⟦"org.opencontainers.artifact.created"⟧:"2024-01-01T00:00:00Z",⟦"org.opencontainers.image.Title"⟧:"t"}'),
      cfg('{⟦"org.opencontainers.image.licence"⟧:"MIT"}'),
    ],
    valid: [cfg('{"org.opencontainers.image.licenses":"MIT"}')],
  },
  {
    rule: 'annotation-created-format',
    invalid: [
      m1('org.opencontainers.image.created', '⟦"2021-09-15 18:20:05 +0000 UTC"⟧'),
      m1('org.opencontainers.image.created', '⟦"2021-09-15T18:20:05"⟧'),
      m1('org.opencontainers.image.created', '⟦"2021-02-30T00:00:00Z"⟧'),
      cfg('{"org.opencontainers.image.created":⟦"20210915"⟧}'),
    ],
    valid: [m1('org.opencontainers.image.created', '"2024-01-01T00:00:00Z"'), m1('org.opencontainers.image.created', '"2024-02-29T23:59:60.123456789+02:00"'), m1('com.example.created', '"yesterday"')],
  },
  {
    rule: 'annotation-base-digest-format',
    invalid: [m1('org.opencontainers.image.base.digest', '⟦"sha256:abc"⟧'), m1('org.opencontainers.image.base.digest', '⟦"abc"⟧')],
    // buildah 1.28 writes "" on every image built from scratch: no base, nothing to report.
    valid: [m1('org.opencontainers.image.base.digest', `"${D}"`), m1('org.opencontainers.image.base.digest', '""')],
  },
  {
    rule: 'annotation-base-name-reference',
    invalid: [
      m1('org.opencontainers.image.base.name', '⟦"my-org/my-image:tag"⟧'),
      m1('org.opencontainers.image.base.name', '⟦"registry.example.com/My/Image:1"⟧'),
      m1('org.opencontainers.image.base.name', '⟦"registry.example.com/img:bad tag"⟧'),
    ],
    valid: [
      m1('org.opencontainers.image.base.name', '"registry.example.com/my-org/my-image:tag"'),
      m1('org.opencontainers.image.base.name', `"localhost:5000/x@${D}"`),
      m1('org.opencontainers.image.base.name', '"docker.io/library/alpine:3.20"'),
      // buildah 1.28 writes "" on every image built from scratch.
      m1('org.opencontainers.image.base.name', '""'),
    ],
  },
  {
    rule: 'annotation-ref-name-grammar',
    invalid: [idx('{"org.opencontainers.image.ref.name":⟦"v1..0"⟧}'), m('{⟦"org.opencontainers.image.ref.name"⟧:"latest"}')],
    valid: [
      idx('{"org.opencontainers.image.ref.name":"latest"}'),
      idx('{"org.opencontainers.image.ref.name":"example.com/app:1.0.0-rc1"}'),
      `{"mediaType":"${MT.ociManifest}","digest":"${D}","size":7,"annotations":{"org.opencontainers.image.ref.name":"v1"}}`,
    ],
  },
  {
    rule: 'annotation-licenses-spdx',
    invalid: [
      m1('org.opencontainers.image.licenses', '⟦"MIT, Apache-2.0"⟧'),
      m1('org.opencontainers.image.licenses', '⟦"Apache 2.0"⟧'),
      m1('org.opencontainers.image.licenses', '⟦"MIT or Apache-2.0"⟧'),
      m1('org.opencontainers.image.licenses', '⟦"(MIT"⟧'),
    ],
    valid: [
      m1('org.opencontainers.image.licenses', '"MIT OR Apache-2.0"'),
      m1('org.opencontainers.image.licenses', '"(MIT AND BSD-3-Clause) OR GPL-2.0-only WITH Classpath-exception-2.0"'),
      m1('org.opencontainers.image.licenses', '"LicenseRef-Proprietary"'),
      m1('org.opencontainers.image.licenses', '"GPL-2.0+"'),
    ],
  },
  {
    rule: 'annotation-url-like',
    invalid: [m1('org.opencontainers.image.source', '⟦"git@github.com:example/app.git"⟧'), cfg('{"org.opencontainers.image.url":⟦"example.com"⟧}')],
    valid: [m('{"org.opencontainers.image.source":"https://github.com/example/app","org.opencontainers.image.documentation":"https://docs.example.com/app"}')],
  },
  {
    rule: 'label-schema-legacy',
    invalid: [m('{⟦"org.label-schema.vcs-url"⟧:"https://github.com/example/app"}'), cfg('{⟦"org.label-schema.schema-version"⟧:"1.0",⟦"org.label-schema.usage"⟧:"/usr/share/doc/README"}')],
    valid: [m1('org.opencontainers.image.source', '"https://github.com/example/app"'), cfg('{"org.opencontainers.image.title":"app"}')],
  },
]);

test('annotation-reserved-prefix fixes rename the key to the pre-defined one', () => {
  for (const [bad, good] of [
    ['oci.opencontainers.image.created', 'org.opencontainers.image.created'],
    ['org.opencontainers.image.craeted', 'org.opencontainers.image.created'],
    ['org.opencontainers.image.Title', 'org.opencontainers.image.title'],
    ['org.opencontainer.image.source', 'org.opencontainers.image.source'],
    ['org.opencontainers.image.licence', 'org.opencontainers.image.licenses'],
    ['org.opencontainers.image.authors', undefined],
    ['com.example.created', undefined],
  ] as const) {
    assert.equal(suggestImageKey(bad), good, bad);
  }
  const text = m1('oci.opencontainers.image.created', '"2024-01-01T00:00:00Z"');
  const [f] = findingsOf(text, 'annotation-reserved-prefix');
  assert.deepEqual(Object.keys(JSON.parse(apply(text, f.fixes[0])).annotations), ['org.opencontainers.image.created']);
});

test('annotations-not-string-map quotes numbers and booleans', () => {
  const text = m('{"com.example.n":1,"com.example.b":false}');
  let fixed = text;
  for (;;) {
    const [f] = findingsOf(fixed, 'annotations-not-string-map');
    if (!f) break;
    fixed = apply(fixed, f.fixes[0]);
  }
  assert.deepEqual(JSON.parse(fixed).annotations, { 'com.example.n': '1', 'com.example.b': 'false' });
});

test('label-schema-legacy renames to the OCI key, unless the OCI key is already there or the value would not fit', () => {
  const text = cfg('{"org.label-schema.vcs-ref":"abc123","org.label-schema.name":"app","org.opencontainers.image.title":"app","org.label-schema.build-date":"20210915"}');
  const findings = findingsOf(text, 'label-schema-legacy');
  assert.equal(findings.length, 3);
  const [ref, name, date] = findings;
  assert.equal(JSON.parse(apply(text, ref.fixes[0])).config.Labels['org.opencontainers.image.revision'], 'abc123');
  assert.match(ref.fixes[0].title, /config digest/);
  assert.deepEqual(name.fixes, []);
  assert.deepEqual(date.fixes, []);
});

test('value grammars', () => {
  assert.equal(rfc3339Problem('2015-10-31T22:22:56.015925234Z'), undefined);
  assert.equal(rfc3339Problem('0001-01-01T00:00:00Z'), undefined);
  assert.match(rfc3339Problem('2024-01-01')!, /without a time/);
  assert.match(rfc3339Problem('2024-13-01T00:00:00Z')!, /month/);
  assert.equal(referenceProblem('alpine', false), undefined);
  assert.match(referenceProblem('alpine', true)!, /docker\.io\/library\/alpine/);
  assert.match(referenceProblem('a'.repeat(64), false)!, /64-character/);
  assert.equal(spdxProblem('Apache-2.0 WITH LLVM-exception'), undefined);
  assert.match(spdxProblem('MIT AND')!, /incomplete/);
});
