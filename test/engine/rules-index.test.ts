/** rules.md §7: the OCI image index (and what applies equally to Docker manifest lists). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../server/src/engine/analyze';
import { MT } from '../../server/src/engine/mediaTypes';
import { RULES_BY_ID } from '../../server/src/engine/ruleTable';
import { findingsOf, ruleCases } from './ruleCases';

const d = (n: number) => 'sha256:' + n.toString(16).padStart(64, '0');
const P = (arch: string, os = 'linux', extra = '') => `{"architecture":"${arch}","os":"${os}"${extra}}`;
const entry = (n: number, fields = '', mt: string = MT.ociManifest) => `{"mediaType":"${mt}","digest":"${d(n)}","size":${500 + n}${fields}}`;
const index = (entries: string[], extra = '', mt: string = MT.ociIndex) => `{"schemaVersion":2,"mediaType":"${mt}",${extra}"manifests":[${entries.join(',')}]}`;
const REF = (name: string) => `,"annotations":{"org.opencontainers.image.ref.name":"${name}"}`;
const attestation = (n: number, of: number) =>
  entry(n, `,"annotations":{"vnd.docker.reference.digest":"${d(of)}","vnd.docker.reference.type":"attestation-manifest"},"platform":${P('unknown', 'unknown')}`);
/** A BuildKit index: two images and their attestations. */
const buildkit = index([entry(1, `,"platform":${P('amd64')}`), entry(2, `,"platform":${P('arm64')}`), attestation(3, 1), attestation(4, 2)]);

ruleCases([
  {
    rule: 'index-manifests-missing',
    invalid: [`⟦{⟧"schemaVersion":2,"mediaType":"${MT.ociIndex}"}`, `{"schemaVersion":2,"mediaType":"${MT.dockerList}","manifests":⟦{}⟧}`],
    valid: [index([]), index([], '', MT.dockerList), `{"schemaVersion":2,"mediaType":"${MT.ociIndex}","layers":[]}`],
  },
  {
    rule: 'index-entry-media-type',
    invalid: [
      index([`{"mediaType":⟦"${MT.ociLayerGzip}"⟧,"digest":"${d(1)}","size":1}`]),
      index([`{"mediaType":⟦"application/vnd.example.thing+json"⟧,"digest":"${d(1)}","size":1}`]),
      index([`{"mediaType":⟦"${MT.ociDescriptor}"⟧,"digest":"${d(1)}","size":1}`]),
    ],
    valid: [buildkit, index([entry(1, '', MT.ociIndex)]), index([entry(1, `,"platform":${P('amd64')}`, MT.dockerManifest)]), index(['{"mediaType":"invalid","digest":"' + d(1) + '","size":1}'])],
  },
  {
    rule: 'index-entry-platform-missing',
    invalid: [index([`{"mediaType":⟦"${MT.ociManifest}"⟧,"digest":"${d(1)}","size":1}`])],
    valid: [
      buildkit,
      index([entry(1, ',"artifactType":"application/vnd.example.sbom.v1+json"')]),
      // An artifact index (regclient's index of artifacts): its entries are not platform images.
      `{"schemaVersion":2,"mediaType":"${MT.ociIndex}","artifactType":"application/example.artifacts","manifests":[${entry(1)}]}`,
      index([entry(1, ',"annotations":{"org.opencontainers.image.ref.name":"latest"}')]),
      index([entry(1, '', MT.ociIndex)]),
      index([entry(1, ',"annotations":{"vnd.docker.reference.digest":"' + d(2) + '","vnd.docker.reference.type":"attestation-manifest"}'), entry(2, `,"platform":${P('amd64')}`)]),
    ],
  },
  {
    rule: 'index-manifests-empty',
    invalid: [
      // podman manifest create, then push (issue 24).
      `{"schemaVersion":2,"mediaType":"${MT.ociIndex}","manifests":⟦[]⟧}`,
      `{"schemaVersion":2,"mediaType":"${MT.dockerList}","manifests":⟦[ ]⟧}`,
    ],
    valid: [
      index([entry(1, `,"platform":${P('amd64')}`)]),
      index([], '"artifactType":"application/vnd.example.collection",'),
      `{"schemaVersion":2,"mediaType":"${MT.ociIndex}"}`, // index-manifests-missing
    ],
  },
  {
    rule: 'index-platform-variant-only',
    invalid: [
      // Only amd64 v3 and arm64 v8.2 (podman manifest add of such images, pushed --all; issue 24).
      index([
        `{"mediaType":"${MT.ociManifest}","digest":"${d(1)}","size":501,"platform":{"architecture":"amd64","os":"linux","variant":⟦"v3"⟧}}`,
        `{"mediaType":"${MT.ociManifest}","digest":"${d(2)}","size":502,"platform":{"architecture":"arm64","os":"linux","variant":⟦"v8.2"⟧}}`,
      ]),
      index([
        `{"mediaType":"${MT.dockerManifest}","digest":"${d(1)}","size":501,"platform":{"architecture":"amd64","os":"linux","variant":⟦"v2"⟧}}`,
        entry(2, `,"platform":${P('amd64', 'linux', ',"variant":"v3"')}`, MT.dockerManifest),
        entry(3, `,"platform":${P('arm64')}`, MT.dockerManifest),
      ], '', MT.dockerList),
    ],
    valid: [
      buildkit,
      index([entry(1, `,"platform":${P('amd64', 'linux', ',"variant":"v3"')}`), entry(2, `,"platform":${P('amd64')}`)]),
      index([entry(1, `,"platform":${P('arm64', 'linux', ',"variant":"v8"')}`), entry(2, `,"platform":${P('arm64', 'linux', ',"variant":"v9"')}`)]),
      index([entry(1, `,"platform":${P('s390x')}`), entry(2, `,"platform":${P('arm', 'linux', ',"variant":"v7"')}`)]),
      index([entry(1, `,"platform":${P('amd64', 'windows')}`)]),
      index([entry(1, `,"platform":${P('amd64', 'linux', ',"variant":"v3"')}`)], '"artifactType":"application/vnd.example.collection",'),
    ],
  },
  {
    rule: 'layout-index-entry-untagged',
    options: { context: 'layout-index' },
    invalid: [
      // skopeo copy … oci:DIR:a twice, from two images: the first image keeps its entry, untagged.
      `{"schemaVersion":2,"manifests":[{"mediaType":"${MT.ociManifest}","digest":⟦"${d(1)}"⟧,"size":501},${entry(2, REF('a'))}]}`,
      index([`{"mediaType":"${MT.ociManifest}","digest":⟦"${d(1)}"⟧,"size":501,"platform":${P('amd64')}}`, entry(2, `,"platform":${P('amd64')}` + REF('a'))]),
    ],
    valid: [
      index([entry(1, REF('a')), entry(2, REF('b'))]),
      index([entry(1)]), // the single entry: what `oci:DIR` without a tag reads
      index([]),
    ],
  },
  {
    rule: 'index-nested-index',
    invalid: [index([`{"mediaType":⟦"${MT.ociIndex}"⟧,"digest":"${d(1)}","size":1}`]), index([`{"mediaType":⟦"${MT.dockerList}"⟧,"digest":"${d(1)}","size":1}`])],
    valid: [
      buildkit,
      // An image layout's index.json (what skopeo copy --all … oci:DIR:tag writes): followed by name.
      `{"schemaVersion":2,"manifests":[{"mediaType":"${MT.ociIndex}","digest":"${d(1)}","size":491,"annotations":{"org.opencontainers.image.ref.name":"list"}}]}`,
    ],
  },
  {
    rule: 'index-duplicate-platform',
    invalid: [
      index([entry(1, `,"platform":${P('amd64')}`), entry(2, `,"platform":⟦${P('amd64')}⟧`)]),
      index([entry(1, `,"platform":${P('arm64')}`), entry(2, `,"platform":⟦${P('aarch64')}⟧`)]),
      index([entry(1, `,"platform":${P('amd64')}`), entry(2, `,"platform":⟦${P('amd64')}⟧`, MT.dockerManifest)], '', MT.dockerList),
    ],
    valid: [
      buildkit,
      // containers/image publishes a zstd instance next to the gzip one
      index([entry(1, `,"platform":${P('amd64')}`), entry(2, `,"annotations":{"io.github.containers.compression.zstd":"true"},"platform":${P('amd64')}`)]),
      index([entry(1, `,"platform":${P('arm', 'linux', ',"variant":"v6"')}`), entry(2, `,"platform":${P('arm', 'linux', ',"variant":"v7"')}`)]),
      index([entry(1, `,"platform":${P('amd64', 'windows', ',"os.version":"10.0.17763.1"')}`), entry(2, `,"platform":${P('amd64', 'windows', ',"os.version":"10.0.20348.1"')}`)]),
      // an image layout's index.json: entries are picked by ref.name, not by platform
      index([entry(1, `,"annotations":{"org.opencontainers.image.ref.name":"v1"},"platform":${P('amd64')}`), entry(2, `,"annotations":{"org.opencontainers.image.ref.name":"v2"},"platform":${P('amd64')}`)]),
    ],
  },
  {
    rule: 'index-attestation-entry',
    message: 'manifests[0] (linux/amd64)',
    invalid: [index([entry(1, `,"platform":${P('amd64')}`), entry(3, `,"annotations":{"vnd.docker.reference.digest":"${d(1)}","vnd.docker.reference.type":⟦"attestation-manifest"⟧},"platform":${P('unknown', 'unknown')}`)])],
    valid: [index([entry(1, `,"platform":${P('amd64')}`)])],
  },
  {
    rule: 'attestation-reference-dangling',
    invalid: [
      index([entry(1, `,"platform":${P('amd64')}`), entry(3, `,"annotations":{"vnd.docker.reference.digest":⟦"${d(9)}"⟧,"vnd.docker.reference.type":"attestation-manifest"},"platform":${P('unknown', 'unknown')}`)]),
      index([entry(1, `,"platform":${P('amd64')}`), entry(3, `,"annotations":{"vnd.docker.reference.type":⟦"attestation-manifest"⟧},"platform":${P('unknown', 'unknown')}`)]),
      index([entry(3, `,"annotations":{"vnd.docker.reference.digest":⟦"${d(3)}"⟧,"vnd.docker.reference.type":"attestation-manifest"}`)]),
    ],
    valid: [buildkit, index([entry(1, `,"platform":${P('amd64')}`), entry(2, `,"annotations":{"vnd.docker.reference.digest":"${d(1)}","vnd.docker.reference.type":"builder"},"platform":${P('unknown', 'unknown')}`)])],
  },
]);

test('BuildKit attestation entries raise no platform or index warnings', () => {
  const ids = analyze(buildkit).findings.filter((f) => f.severity !== 'hint').map((f) => `${f.ruleId}: ${f.message}`);
  assert.deepEqual(ids, []);
});

test('index rules stay linear on a 20,000-entry index', () => {
  const entries: string[] = [];
  for (let i = 0; i < 20000; i += 2) {
    entries.push(entry(i, `,"platform":${P(i % 4 === 0 ? 'amd64' : 'arm64', 'linux', `,"os.version":"${i}"`)}`));
    entries.push(attestation(i + 1, i));
  }
  const text = index(entries);
  const t0 = performance.now();
  const a = analyze(text);
  const ms = performance.now() - t0;
  assert.deepEqual(a.findings.filter((f) => f.severity !== 'hint').map((f) => f.ruleId), []);
  assert.equal(a.findings.filter((f) => f.ruleId === 'index-attestation-entry').length, 10000);
  assert.ok(ms < 15000, `analyze took ${ms.toFixed(0)} ms`);
});

test('index-manifests-missing: the fix inserts an empty manifests array', () => {
  const text = `{"schemaVersion":2,"mediaType":"${MT.ociIndex}"}`;
  const [f] = findingsOf(text, 'index-manifests-missing');
  const e = f.fixes[0].edits[0];
  const fixed = text.slice(0, e.offset) + e.newText + text.slice(e.offset + e.length);
  assert.deepEqual(JSON.parse(fixed).manifests, []);
});

test('a layout\'s index.json (issue 24): the untagged entry skopeo leaves is info "not reachable by tag", not a platform warning; outside a layout, the platform warning stays', () => {
  const text = `{"schemaVersion":2,"manifests":[${entry(1)},${entry(2, REF('a'))}]}`;
  const layout = analyze(text, { context: 'layout-index' }).findings;
  assert.deepEqual(layout.filter((f) => f.ruleId === 'index-entry-platform-missing'), []);
  const untagged = layout.filter((f) => f.ruleId === 'layout-index-entry-untagged');
  assert.deepEqual(untagged.map((f) => [f.severity, f.message]), [['info', 'manifests[0] has no tag (no org.opencontainers.image.ref.name): not reachable by tag in this layout.']]);
  assert.ok(!layout.some((f) => f.severity === 'warning' || f.severity === 'error'), layout.map((f) => f.ruleId).join(', '));
  const registry = analyze(text).findings;
  assert.deepEqual(registry.filter((f) => f.ruleId === 'layout-index-entry-untagged'), []);
  assert.deepEqual(registry.filter((f) => f.ruleId === 'index-entry-platform-missing').map((f) => f.severity), ['warning']);
});

test('index-platform-variant-only names the platform, the variants offered and the Debian 12 error (issue 24)', () => {
  const text = index([entry(1, `,"platform":${P('amd64', 'linux', ',"variant":"v3"')}`), entry(2, `,"platform":${P('arm64', 'linux', ',"variant":"v8.2"')}`)]);
  assert.deepEqual(findingsOf(text, 'index-platform-variant-only').map((f) => [f.severity, f.message]), [
    ['warning', 'No entry serves a default linux/amd64 pull (only variant "v3"): Debian 12\'s podman and skopeo find no image.'],
    ['warning', 'No entry serves a default linux/arm64 pull (only variant "v8.2"): Debian 12\'s podman and skopeo find no image.'],
  ]);
  assert.match(RULES_BY_ID.get('index-platform-variant-only')!.why, /`no image found in manifest list for architecture amd64, variant ""`/);
});

test('index-manifests-empty is quiet on a referrers response with none and on an empty layout (issue 24)', () => {
  const empty = `{"schemaVersion":2,"mediaType":"${MT.ociIndex}","manifests":[]}`;
  assert.equal(findingsOf(empty, 'index-manifests-empty').length, 1);
  assert.deepEqual(findingsOf(empty, 'index-manifests-empty', { context: 'referrers', contentType: MT.ociIndex }), []);
  assert.deepEqual(findingsOf(empty, 'index-manifests-empty', { context: 'layout-index' }), []);
});
