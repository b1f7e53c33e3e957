/**
 * The plain-entry fast path (engine/plain.ts) must never change what the engine reports: with
 * and without it, every document gives the same findings, messages, ranges and fixes. Checked
 * over the corpus, mutated corpus documents, generated documents whose entries mix ordinary and
 * tricky values, and every os/architecture/variant the platform tables know. And it must engage:
 * a large ordinary index is linted with its entries plain.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { corpusDocuments, rng } from '../harness/corpus';
import { analyze, type AnalyzeOptions } from '../../server/src/engine/analyze';
import { KNOWN_ARCH, KNOWN_OS, platformIsPlain } from '../../server/src/engine/platforms';
import { makeIndex, makeManifest } from '../../bench/generate';

/** Asserts identical findings with and without the fast path; returns how many descriptors were plain. */
function same(text: string, options: AnalyzeOptions = {}): number {
  const fast = analyze(text, options);
  const slow = analyze(text, { ...options, plainEntries: false });
  assert.deepEqual(fast.findings, slow.findings, `findings differ with the fast path for:\n${text.slice(0, 2000)}`);
  assert.equal(slow.descriptors.filter((d) => d.plain).length, 0, 'plainEntries: false marks nothing plain');
  return fast.descriptors.filter((d) => d.plain).length;
}

const HEX = (r: () => number): string => Array.from({ length: 64 }, () => '0123456789abcdef'[Math.floor(r() * 16)]).join('');

const MEDIA_TYPES = [
  'application/vnd.oci.image.manifest.v1+json', 'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.layer.v1.tar+gzip', 'application/vnd.oci.image.layer.v1.tar', 'application/vnd.oci.image.layer.v1.tar+zstd',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  'application/vnd.docker.image.rootfs.diff.tar', 'application/vnd.oci.empty.v1+json', 'application/vnd.oci.image.config.v1+json',
  'application/vnd.oci.image.manifest.v1+json; charset=utf-8', 'application\\/vnd.oci.image.manifest.v1+json', 'text/plain', '',
];
const PLATFORMS = [
  '{"architecture": "amd64", "os": "linux"}', '{"os": "linux", "architecture": "arm64", "variant": "v8"}', '{"architecture": "arm64", "os": "linux"}',
  '{"architecture": "arm", "os": "linux", "variant": "v7"}', '{"architecture": "arm", "os": "linux"}', '{"architecture": "aarch64", "os": "linux"}',
  '{"architecture": "x86_64", "os": "linux"}', '{"architecture": "arm64", "os": "linux", "variant": "8"}', '{"architecture": "amd64", "os": "windows", "os.version": "10.0.17763.1879"}',
  '{"architecture": "amd64", "os": "windows", "os.features": ["win32k"]}', '{"architecture": "amd64", "os": "linux", "features": ["sse4"]}',
  '{"architecture": "unknown", "os": "unknown"}', '{"architecture": "amd64"}', '{"architecture": 1, "os": "linux"}', '{"architecture": "s390x", "os": "windows"}',
  '{"architecture": "amd64", "os": "linux", "variant": "v9"}', '{"architecture": "ppc64le", "os": "linux", "variant": "power9"}',
  '{"architecture": "386", "os": "linux", "variant": "v1"}', '{"architecture": "amd64", "os": "Linux"}', '{"architecture": "amd64", "os": "linux", "architecture": "arm64"}',
  '{"architecture": "amd\\u0036\\u0034", "os": "linux"}', 'null', '"linux/amd64"',
];
const ANNOTATION_VALUES: [string, string][] = [
  ['org.opencontainers.image.created', '"2026-11-27T12:00:00Z"'], ['org.opencontainers.image.created', '"2026-11-27"'],
  ['org.opencontainers.image.created', '"2026-02-30T00:00:00Z"'], ['org.opencontainers.image.ref.name', '"v1.2.3"'],
  ['org.opencontainers.image.ref.name', '"bad name!"'], ['org.opencontainers.image.title', '"hello"'], ['org.opencontainers.image.url', '"https://example.com"'],
  ['org.opencontainers.image.url', '"not a url"'], ['org.opencontainers.image.licenses', '"MIT, Apache"'], ['org.opencontainers.image.base.digest', '"sha256:abc"'],
  ['org.opencontainers.image.creatd', '"x"'], ['oci.opencontainers.image.created', '"2026-11-27T12:00:00Z"'], ['org.opencontainers.image.os', '"linux"'],
  ['org.label-schema.build-date', '"2026-11-27T12:00:00Z"'], ['vnd.docker.reference.type', '"attestation-manifest"'],
  ['vnd.docker.reference.digest', '"sha256:0000000000000000000000000000000000000000000000000000000000000000"'],
  ['io.github.containers.compression.zstd', '"true"'], ['com.example.build', '"42"'], ['com.example.build', '42'], ['Foo', '"bar"'],
  ['org.opencontainers.artifact.created', '"2026-11-27T12:00:00Z"'], ['org.opencontainers.image.enc.keys.jwe', '"x"'], ['com.example.nul', 'null'],
  ['org.opencontainers.image.licenses', '"MIT OR Apache-2.0"'], ['org.opencontainers.image.licenses', '"mit or apache"'],
  ['org.opencontainers.image.source', '"https://github.com/example/app"'], ['org.opencontainers.image.documentation', '"docs"'],
  ['org.opencontainers.image.base.name', '"docker.io/library/alpine:3.20"'], ['org.opencontainers.image.base.name', '"alpine:3.20"'],
  ['org.opencontainers.image.base.digest', '"sha256:' + '1'.repeat(64) + '"'], ['org.opencontainers.image.base.digest', '"md5:' + '1'.repeat(32) + '"'],
  ['org.opencontainers.image.base.digest', '"SHA256:' + '1'.repeat(64) + '"'], ['org.opencontainers.image.url', '"https://example.com/\\u0041"'],
];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

/** One descriptor: mostly ordinary, with one or two fields drawn from the tricky pools. */
function entry(r: () => number, kind: string, digests: string[]): string {
  const ordinaryType = kind === 'index' ? MEDIA_TYPES[0] : kind === 'list' ? MEDIA_TYPES[2] : kind === 'manifest' ? MEDIA_TYPES[4] : MEDIA_TYPES[8];
  const fields: string[] = [];
  fields.push(`"mediaType": ${r() < 0.7 ? JSON.stringify(ordinaryType) : `"${pick(r, MEDIA_TYPES)}"`}`);
  const digestChoices = [`"sha256:${HEX(r)}"`, `"sha256:${HEX(r).toUpperCase()}"`, `"sha512:${HEX(r)}${HEX(r)}"`, '"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"',
    '"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"', `"sha256:${HEX(r).slice(1)}"`, '"md5:abc"', digests.length ? JSON.stringify(pick(r, digests)) : `"sha256:${HEX(r)}"`];
  const digest = r() < 0.7 ? `"sha256:${HEX(r)}"` : pick(r, digestChoices);
  if (digest.startsWith('"sha256:') && digest.length === 73) digests.push(JSON.parse(digest));
  if (r() > 0.03) fields.push(`"digest": ${digest}`);
  if (r() > 0.03) fields.push(`"size": ${r() < 0.7 ? String(1 + Math.floor(r() * 100000)) : pick(r, ['0', '-1', '1.5', '1e3', '"12"', '9007199254740993', '123456789012345', '1234567890123456', '2', '01'])}`);
  if (kind === 'index' || kind === 'list') {
    if (r() > 0.05) fields.push(`"platform": ${r() < 0.6 ? pick(r, PLATFORMS.slice(0, 4)) : pick(r, PLATFORMS)}`);
  }
  if (r() < 0.6) {
    const n = Math.floor(r() * 3);
    const pairs = Array.from({ length: n }, () => (r() < 0.6 ? ANNOTATION_VALUES[Math.floor(r() * 4)] : pick(r, ANNOTATION_VALUES)));
    if (r() < 0.1 && digests.length) pairs.push(['vnd.docker.reference.digest', JSON.stringify(pick(r, digests))], ['vnd.docker.reference.type', '"attestation-manifest"']);
    fields.push(`"annotations": {${pairs.map(([k, v]) => `${JSON.stringify(k)}: ${v}`).join(', ')}}`);
  }
  if (r() < 0.15) fields.push(`"artifactType": ${pick(r, ['"application/vnd.example.sbom.v1+json"', '"application/example; x=1"', '""', '1', '"application\\/example"'])}`);
  if (r() < 0.05) fields.push(pick(r, ['"urls": ["https://example.com/blob"]', '"data": "e30="', '"artifactType": "application/example"', '"foo": 1', '"mediaType": "text/plain"', '"annotations": null']));
  // Reorder sometimes: key order must not matter.
  if (r() < 0.2) fields.reverse();
  return `{${fields.join(', ')}}`;
}

function document(r: () => number, kind: string): string {
  const digests: string[] = [];
  const n = 1 + Math.floor(r() * 7);
  const entries = Array.from({ length: n }, () => entry(r, kind, digests));
  // Duplicate an entry now and then (duplicate platforms, digests).
  if (r() < 0.3) entries.push(pick(r, entries));
  const body = entries.join(',\n    ');
  switch (kind) {
    case 'index':
      return `{\n  "schemaVersion": 2,\n  "mediaType": "application/vnd.oci.image.index.v1+json",\n  "manifests": [\n    ${body}\n  ]${r() < 0.2 ? ',\n  "annotations": {"org.opencontainers.image.created": "2026-11-27T12:00:00Z"}' : ''}\n}`;
    case 'list':
      return `{\n  "schemaVersion": 2,\n  "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",\n  "manifests": [\n    ${body}\n  ]\n}`;
    case 'manifest': {
      const config = pick(r, ['application/vnd.oci.image.config.v1+json', 'application/vnd.oci.empty.v1+json', 'application/vnd.docker.container.image.v1+json', 'application/example']);
      return `{\n  "schemaVersion": 2,\n  "mediaType": "application/vnd.oci.image.manifest.v1+json",${r() < 0.2 ? ' "artifactType": "application/example",' : ''}\n  "config": {"mediaType": "${config}", "digest": "sha256:${HEX(r)}", "size": 7},\n  "layers": [\n    ${body}\n  ]\n}`;
    }
    default:
      return `{\n  "schemaVersion": 2,\n  "mediaType": "application/vnd.docker.distribution.manifest.v2+json",\n  "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": "sha256:${HEX(r)}", "size": 7},\n  "layers": [\n    ${body}\n  ]\n}`;
  }
}

test('the fast path changes no finding on the corpus and the samples', () => {
  const texts = corpusDocuments();
  assert.ok(texts.length > 10, 'documents to check');
  for (const text of texts) same(text);
});

test('the fast path changes no finding on mutated corpus documents (fixed seed)', () => {
  const r = rng(20261128);
  const texts = corpusDocuments().filter((t) => /"(manifests|layers)"/.test(t));
  const replacements = ['null', '0', '"x"', '{}', '"sha256:"', '"application/vnd.oci.image.manifest.v1+json"', '"aarch64"', '"arm"', '"v8"', '"2026-11-27"', '1.5'];
  for (let i = 0; i < 1500; i++) {
    const text = texts[i % texts.length];
    const spans = [...text.matchAll(/"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?/g)];
    if (spans.length === 0) continue;
    const m = pick(r, spans);
    same(text.slice(0, m.index) + pick(r, replacements) + text.slice(m.index! + m[0].length));
  }
});

test('the fast path changes no finding on generated indexes, lists and manifests with tricky entries (fixed seed)', () => {
  const r = rng(42);
  let plain = 0;
  let total = 0;
  for (let i = 0; i < 2400; i++) {
    const text = document(r, ['index', 'list', 'manifest', 'docker'][i % 4]);
    plain += same(text);
    total += analyze(text).descriptors.length;
    // Fetched documents run the Content-Type rules too.
    if (i % 50 === 0) same(text, { contentType: 'application/vnd.oci.image.index.v1+json' });
  }
  // The generator makes most entries ordinary: a good share must have taken the fast path.
  assert.ok(plain > total / 10, `plain descriptors: ${plain} of ${total}`);
});

test('every platform the tables accept as plain gives no platform finding, and every other one the same findings', () => {
  const variants = ['', 'v5', 'v6', 'v7', 'v8', 'v8.1', 'v9', 'v1', 'v4', 'power9', 'rva22u64', 'v10', '8'];
  let plain = 0;
  for (const os of [...KNOWN_OS, 'macos', 'Linux', 'unknown']) {
    for (const arch of [...KNOWN_ARCH, 'aarch64', 'x86_64', 'armhf', 'unknown']) {
      const entries = variants.map((variant) => {
        const platform = { architecture: arch, os, ...(variant ? { variant } : {}) };
        return { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${String(variants.indexOf(variant)).padStart(64, '0')}`, size: 10, platform };
      });
      const text = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: entries }, null, 2);
      same(text);
      const analysis = analyze(text);
      for (const [i, variant] of variants.entries()) {
        if (!platformIsPlain(os, arch, variant)) continue;
        plain++;
        const site = analysis.descriptors[i];
        assert.ok(site.plain, `${os}/${arch}/${variant} is plain`);
        const inEntry = analysis.findings.filter((f) => f.offset >= site.node.offset && f.offset < site.node.offset + site.node.length);
        assert.deepEqual(inEntry.map((f) => f.ruleId), [], `${os}/${arch}/${variant}`);
      }
    }
  }
  assert.ok(plain > 40, `plain platforms: ${plain}`);
});

test('an ordinary large index and manifest take the fast path for every entry', () => {
  for (const text of [makeIndex(300), makeIndex(300, { artifactType: true })]) {
    const index = analyze(text);
    assert.equal(index.descriptors.length, 300);
    assert.equal(index.descriptors.filter((d) => d.plain).length, 300);
    assert.deepEqual(index.findings, []);
  }
  const manifest = analyze(makeManifest(20_000));
  const layers = manifest.descriptors.filter((d) => d.role === 'layer');
  assert.ok(layers.length > 10);
  assert.ok(layers.every((d) => d.plain), 'every layer is plain');
});

test('duplicate platforms among plain entries are still found, with the same message as without the fast path', () => {
  const e = (hex: string, name?: string) => ({
    mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${hex.repeat(64)}`, size: 10,
    platform: { architecture: 'arm64', os: 'linux', variant: 'v8' }, ...(name ? { annotations: { 'org.opencontainers.image.ref.name': name } } : {}),
  });
  const text = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [e('a'), e('b'), e('c', 'one'), e('d', 'one'), e('e', 'two')] }, null, 2);
  assert.equal(same(text), 5);
  const dups = analyze(text).findings.filter((f) => f.ruleId === 'index-duplicate-platform');
  assert.deepEqual(dups.map((f) => f.message.split(' has')[0]), ['manifests[1]', 'manifests[3]']);
});

test('Docker v2s2 entries of an OCI index take the fast path, with the same findings as without it', () => {
  // The bench's 8 MB index has one Docker entry in nine (podman manifest push writes such indexes).
  for (const text of [makeIndex(300, { dockerEvery: 9 }), makeIndex(300, { dockerEvery: 2, artifactType: true }), makeIndex(40, { dockerEvery: 1 })]) {
    assert.equal(same(text), analyze(text).descriptors.length, 'every entry is plain');
    const docker = (text.match(/application\/vnd\.docker\.distribution\.manifest\.v2\+json/g) ?? []).length;
    assert.ok(docker > 0);
    assert.equal(analyze(text).findings.filter((f) => f.ruleId === 'mixed-index-docker-children').length, docker, 'each Docker entry is still reported');
  }
  // Every entry Docker and no annotations: the finding offers to make the index a Docker list.
  const allDocker = JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [1, 2, 3].map((i) => ({ mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: `sha256:${String(i).repeat(64)}`, size: 10 * i, platform: { architecture: ['amd64', 'arm64', 's390x'][i - 1], os: 'linux' } })),
  }, null, 2);
  assert.equal(same(allDocker), 3);
  assert.ok(analyze(allDocker).findings.every((f) => f.ruleId === 'mixed-index-docker-children' && f.fixes.length === 1));
});

test('the fast path changes no finding on generated indexes where many entries are Docker manifests (fixed seed)', () => {
  const r = rng(913);
  let docker = 0;
  for (let i = 0; i < 800; i++) {
    // Entries drawn as usual, then half of the OCI manifest types relabelled as Docker v2s2.
    const text = document(r, 'index').replace(/"application\/vnd\.oci\.image\.manifest\.v1\+json"/g, (m) => (r() < 0.5 ? (docker++, '"application/vnd.docker.distribution.manifest.v2+json"') : m));
    same(text);
    if (i % 50 === 0) same(text, { contentType: 'application/vnd.oci.image.index.v1+json' });
  }
  assert.ok(docker > 500, `Docker entries: ${docker}`);
});
