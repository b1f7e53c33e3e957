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
import { document, pick } from '../harness/trickyDocuments';

/** Asserts identical findings with and without the fast path; returns how many descriptors were plain. */
function same(text: string, options: AnalyzeOptions = {}): number {
  const fast = analyze(text, options);
  const slow = analyze(text, { ...options, plainEntries: false });
  assert.deepEqual(fast.findings, slow.findings, `findings differ with the fast path for:\n${text.slice(0, 2000)}`);
  assert.equal(slow.descriptors.filter((d) => d.plain).length, 0, 'plainEntries: false marks nothing plain');
  return fast.descriptors.filter((d) => d.plain).length;
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
