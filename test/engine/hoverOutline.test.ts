/** Hovers (cursor marked with ‸), completions and the outline, straight from the engine. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../server/src/engine/analyze';
import { completionsAt } from '../../server/src/engine/completion';
import { hoverAt } from '../../server/src/engine/hover';
import { outline } from '../../server/src/engine/symbols';

function at(marked: string): { text: string; offset: number } {
  const offset = marked.indexOf('‸');
  assert.ok(offset >= 0, 'cursor marker');
  return { text: marked.slice(0, offset) + marked.slice(offset + 1), offset };
}

const D = 'sha256:' + 'b'.repeat(64);
const manifest = (cfg: string, size = '1469') => `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":${cfg},"digest":"${D}","size":${size}},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"${D}","size":32654}]}`;

test('hover on a media type: family, counterpart, spec, and the rule that flags it', () => {
  const { text, offset } = at(manifest('"application/vnd.docker.‸container.image.v1+json"'));
  const h = hoverAt(analyze(text), offset)!;
  assert.ok(h);
  assert.equal(text.slice(h.offset, h.offset + h.length), '"application/vnd.docker.container.image.v1+json"');
  assert.match(h.markdown, /\*\*Docker image config\*\* — Docker v2 schema 2 family/);
  assert.match(h.markdown, /OCI equivalent: `application\/vnd\.oci\.image\.config\.v1\+json`/);
  assert.match(h.markdown, /the config should be `application\/vnd\.oci\.image\.config\.v1\+json`/);
  assert.match(h.markdown, /\*\*mixed-config-media-type\*\* \(error\)/);
});

test('hover on a digest and on a size', () => {
  const d = at(manifest('"application/vnd.oci.image.config.v1+json"').replace(`"digest":"${D}"`, `"digest":"‸${D}"`));
  assert.match(hoverAt(analyze(d.text), d.offset)!.markdown, /Algorithm `sha256`.*\n.*64 characters — well-formed/);
  const s = at(manifest('"application/vnd.oci.image.config.v1+json"', '‸1048576'));
  assert.match(hoverAt(analyze(s.text), s.offset)!.markdown, /\*\*Size\*\*: 1\.00 MiB \(1,048,576 bytes\)/);
});

test('hover on the top of a mediaType-less document reports both tools\' guesses', () => {
  const { text, offset } = at(`‸{"schemaVersion":2,"config":{"mediaType":"application/vnd.example+json","digest":"${D}","size":1},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":"${D}","size":1}]}`);
  const h = hoverAt(analyze(text), offset)!;
  assert.match(h.markdown, /detected from its fields/);
  assert.match(h.markdown, /containers\/image \(podman, skopeo\) reads it as \*\*OCI image manifest\*\*, regclient as \*\*Docker image manifest \(v2 schema 2\)\*\*/);
  assert.match(h.markdown, /Digest of this text as it stands: `sha256:[a-f0-9]{64}`/);
});

test('no hover at all on JSON that is not a manifest', () => {
  const { text, offset } = at('{"name":"x","mediaType":"‸application/json"}');
  assert.equal(hoverAt(analyze(text), offset), undefined);
});

test('completions: layer types for a layer, Docker first in a Docker manifest', () => {
  const { text, offset } = at(`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"${D}","size":1},"layers":[{"mediaType":"‸","digest":"${D}","size":1}]}`);
  const items = completionsAt(analyze(text), offset).sort((a, b) => a.sortText.localeCompare(b.sortText));
  assert.ok(items.length > 4);
  assert.ok(items.every((i) => /layer|rootfs|empty/.test(i.label)), items.map((i) => i.label).join());
  assert.equal(items[0].label.startsWith('application/vnd.docker.image.rootfs'), true, items[0].label);
  assert.equal(items[0].insertText, JSON.stringify(items[0].label));
});

test('outline: index entries by platform, layers by position and size', () => {
  const index = `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[` +
    `{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"${D}","size":7,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}},` +
    `{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"${D}","size":7,"platform":{"architecture":"unknown","os":"unknown"},"annotations":{"vnd.docker.reference.type":"attestation-manifest","vnd.docker.reference.digest":"${D}"}}]}`;
  const [top] = outline(analyze(index));
  assert.equal(top.name, 'OCI image index');
  assert.deepEqual(top.children.map((c) => c.name), ['linux/arm64/v8', 'attestation manifests[1]']);
  const [m] = outline(analyze(manifest('"application/vnd.oci.image.config.v1+json"')));
  assert.deepEqual(m.children.map((c) => c.name), ['config · 1.43 KiB', 'layer 0 · 31.9 KiB']);
  assert.deepEqual(outline(analyze('{"name":"x"}')), []);
});

test('completions: platform values fit the sibling fields', () => {
  const idx = (platform: string) => `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"${D}","size":1,"platform":${platform}}]}`;
  const arch = at(idx('{"os":"windows","architecture":"‸"}'));
  const archItems = completionsAt(analyze(arch.text), arch.offset).map((i) => i.label);
  assert.ok(archItems.includes('amd64') && archItems.includes('arm64'));
  assert.ok(!archItems.includes('s390x'), 'windows/s390x is not a valid pair');
  const os = at(idx('{"architecture":"s390x","os":"‸"}'));
  assert.deepEqual(completionsAt(analyze(os.text), os.offset).map((i) => i.label), ['linux']);
  const variant = at(idx('{"os":"linux","architecture":"arm","variant":"‸"}'));
  assert.deepEqual(completionsAt(analyze(variant.text), variant.offset).map((i) => i.label), ['v5', 'v6', 'v7', 'v8']);
});

test('completions: predefined annotation keys not yet present, with their documentation', () => {
  const { text, offset } = at(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"${D}","size":1},"layers":[],"annotations":{"org.opencontainers.image.created":"2026-01-01T00:00:00Z",‸}}`);
  const items = completionsAt(analyze(text), offset);
  const labels = items.map((i) => i.label);
  assert.ok(labels.includes('org.opencontainers.image.source'));
  assert.ok(!labels.includes('org.opencontainers.image.created'), 'already present');
  const source = items.find((i) => i.label === 'org.opencontainers.image.source')!;
  assert.ok(source.snippet && source.insertText.startsWith('"org.opencontainers.image.source": "$1"'));
  assert.ok(source.documentation.length > 20, 'documented from the schema');
});

test('completions: snippets for a new layer and a new index entry', () => {
  const layer = at(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"${D}","size":1},"layers":[‸]}`);
  const items = completionsAt(analyze(layer.text), layer.offset);
  assert.equal(items[0].label, 'New layer descriptor');
  assert.match(items[0].insertText, /"mediaType": "\$\{1:application\/vnd\.oci\.image\.layer\.v1\.tar\+gzip\}"/);
  assert.ok(items.some((i) => i.insertText === JSON.stringify({ mediaType: 'application/vnd.oci.empty.v1+json', digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', size: 2, data: 'e30=' })));
  const entry = at('{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[‸]}');
  const e = completionsAt(analyze(entry.text), entry.offset);
  assert.equal(e[0].label, 'New index entry');
  assert.match(e[0].insertText, /application\/vnd\.docker\.distribution\.manifest\.v2\+json/);
});
