/**
 * Hostile layouts (issue 23 items 2, 3, 5, 6, 8; issue 24 item 14), in process and bounded by
 * counts: a blob that fails its hash is reported and never parsed or followed; the walk stops
 * at its descriptor limit and says what it left out; files are read only inside the layout's
 * folder and only when they are regular files no larger than the limit; oci-layout's
 * imageLayoutVersion is checked; a tag resolves as skopeo 1.9.3 resolves it (Docker entries
 * skipped). The cases that would hang or grow without bound before the fix (a FIFO, /dev/zero)
 * are in test/cli/layout-hostile.test.ts, where a child process can be killed.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { readLayoutBlob } from '../../server/src/layout/graphSource';
import { clearDigestCache, stopHashWorker } from '../../server/src/layout/hashing';
import { layoutOnlyFindings, verifyPendingSync, walkLayout } from '../../server/src/layout/layout';
import { LayoutReadError, readLayoutFile } from '../../server/src/layout/readFile';
import { resolveTag } from '../../server/src/cli/inspectLayout';

let root: string;
const hex = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

function layout(name: string): { dir: string; put(b: Buffer): { digest: string; size: number } } {
  const dir = join(root, name);
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  return {
    dir,
    put(b) {
      writeFileSync(join(dir, 'blobs', 'sha256', hex(b)), b);
      return { digest: `sha256:${hex(b)}`, size: b.length };
    },
  };
}

/** A one-image layout: a manifest, its config and a layer; returns the manifest's descriptor. */
function image(l: ReturnType<typeof layout>, mediaType = OCI_MANIFEST): { digest: string; size: number } {
  const layer = l.put(gzipSync(Buffer.alloc(100)));
  const config = l.put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${hex(Buffer.alloc(100))}`] } })));
  return l.put(Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
  })));
}

const writeIndex = (dir: string, manifests: unknown[]): void => writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests }));

before(() => { root = mkdtempSync(join(tmpdir(), 'manifest-lens-hostile-')); clearDigestCache(); });
after(async () => { await stopHashWorker(); rmSync(root, { recursive: true, force: true }); });

test('blobs that are symlinks to index.json (which lists them) fail their hash: reported on their entries, never read as documents or followed', () => {
  const { dir } = layout('symlinks');
  const names = Array.from({ length: 50 }, (_, i) => hex(`x${i}`));
  writeIndex(dir, names.map((h) => ({ mediaType: 'application/vnd.oci.image.index.v1+json', digest: `sha256:${h}`, size: 10 })));
  for (const h of names) symlinkSync('../../index.json', join(dir, 'blobs', 'sha256', h));
  const s = walkLayout(dir);
  // Before: each link was read as a 50-entry index and followed (52 documents, 50 × 50 descriptors looked at).
  assert.deepEqual(s.documents.map((d) => d.rel).sort(), ['index.json', 'oci-layout']);
  assert.equal(s.facts.size, 50);
  for (const f of s.facts.values()) {
    assert.equal(f.hash, 'mismatch');
    assert.equal(f.content, undefined, 'what a blob that is not itself holds is not judged');
  }
  const index = s.documents.find((d) => d.rel === 'index.json')!;
  const findings = layoutOnlyFindings(s, 'index.json', index.analysis);
  assert.equal(findings.filter((f) => f.ruleId === 'layout-blob-digest-mismatch').length, 50);
  assert.equal(findings.filter((f) => f.ruleId === 'layout-media-type-mismatch').length, 0);
});

test('the walk stops at its descriptor limit and says how many descriptors it left unchecked (an error on index.json)', () => {
  const l = layout('capped');
  const entries = Array.from({ length: 30 }, (_, i) => ({ mediaType: OCI_MANIFEST, ...l.put(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${hex(`c${i}`)}`, size: 2 }, layers: [] }))) }));
  writeIndex(l.dir, entries);
  const s = walkLayout(l.dir, {}, { maxDescriptors: 10 });
  assert.equal(s.facts.size, 10, 'ten descriptors looked at, no more');
  assert.equal(s.incomplete.length, 1);
  assert.match(s.incomplete[0], /stopped at its limit of 10 descriptors: 30 more descriptors/);
  const index = s.documents.find((d) => d.rel === 'index.json')!;
  const f = layoutOnlyFindings(s, 'index.json', index.analysis).filter((x) => x.ruleId === 'layout-walk-incomplete');
  assert.equal(f.length, 1);
  assert.equal(f[0].severity, 'error');
});

test('past the walk\'s budget of JSON bytes, JSON blobs are hashed but not read as documents, and the walk says how many', () => {
  const l = layout('budget');
  // The second manifest's mediaType has a trailing space: other bytes, another digest, the same config.
  writeIndex(l.dir, [image(l), image(l, 'application/vnd.oci.image.manifest.v1+json ')].map((m) => ({ mediaType: OCI_MANIFEST, ...m })));
  const s = walkLayout(l.dir, {}, { maxDocumentBytes: 1 });
  verifyPendingSync(s);
  // The first manifest is read (the budget is checked before a read); its config and the second manifest are not.
  assert.equal(s.documents.filter((d) => d.digest).length, 1);
  assert.deepEqual([...s.facts.values()].filter((f) => f.hash !== 'verified'), [], 'every blob hashed');
  assert.deepEqual(s.incomplete, ['2 blobs that may be JSON were hashed but not read as documents: a walk reads at most 5,000 documents and 1 bytes of JSON blobs']);
});

test('a blob symlinked to a file outside the layout is not read: unreadable on its entry, and readLayoutBlob refuses it naming why', () => {
  const l = layout('outside');
  const m = image(l);
  writeIndex(l.dir, [{ mediaType: OCI_MANIFEST, ...m }]);
  const secret = join(root, 'secret.json');
  writeFileSync(secret, '{"schemaVersion":2,"secret":"not yours"}');
  const blob = join(l.dir, 'blobs', 'sha256', m.digest.slice(7));
  rmSync(blob);
  symlinkSync(secret, blob);
  const s = walkLayout(l.dir);
  const fact = s.facts.get(m.digest)!;
  assert.equal(fact.hash, 'unchecked', 'not hashed');
  assert.match(fact.unreadable ?? '', /symlink that leads out of the layout's folder/);
  assert.throws(() => readLayoutBlob(l.dir, m.digest), (e: Error) => /leads out of the layout's folder: not followed/.test(e.message) && !/hash/.test(e.message));
  assert.throws(() => readLayoutFile(l.dir, `blobs/sha256/${m.digest.slice(7)}`), (e: unknown) => e instanceof LayoutReadError && e.reason === 'outside');
  // A link inside the layout is still followed.
  const inside = join(l.dir, 'copy.json');
  symlinkSync('index.json', inside);
  assert.ok(readLayoutFile(l.dir, 'copy.json').bytes.length > 0);
});

test('blobs/sha512 linked to a folder outside the layout: nothing in it is listed, sized or hashed; the walk says so', () => {
  const l = layout('sha512');
  writeIndex(l.dir, [{ mediaType: OCI_MANIFEST, ...image(l) }]);
  const home = join(root, 'home');
  mkdirSync(home);
  writeFileSync(join(home, 'a'.repeat(128)), 'private');
  symlinkSync(home, join(l.dir, 'blobs', 'sha512'));
  const s = walkLayout(l.dir);
  verifyPendingSync(s);
  assert.deepEqual(s.unreferenced.filter((u) => u.digest.startsWith('sha512:')), []);
  assert.ok(s.incomplete.some((x) => /^blobs\/sha512 is a symlink that leads out of the layout's folder/.test(x)), s.incomplete.join('\n'));
});

test('readLayoutFile: larger than the limit is refused by its size without reading; a file that grows is cut at limit + 1', () => {
  const l = layout('large');
  writeFileSync(join(l.dir, 'big.json'), Buffer.alloc(1001, 0x20));
  assert.throws(() => readLayoutFile(l.dir, 'big.json', 1000), (e: unknown) => e instanceof LayoutReadError && e.reason === 'too-large' && /big\.json is 1001 bytes, more than .* \(1000 bytes\)/.test(e.message));
  assert.equal(readLayoutFile(l.dir, 'big.json', 1001).bytes.length, 1001);
  assert.throws(() => readLayoutFile(l.dir, 'blobs'), (e: unknown) => e instanceof LayoutReadError && e.reason === 'not-file');
  assert.throws(() => readLayoutFile(l.dir, 'nothing.json'), (e: unknown) => e instanceof LayoutReadError && e.reason === 'missing');
});

test('an index.json larger than 64 MiB (sparse: no disk, no memory) is a layout problem, not read', () => {
  const l = layout('sparse');
  writeFileSync(join(l.dir, 'index.json'), '{"schemaVersion":2,"manifests":[]}');
  // 64 MiB + 1 byte: the size is checked before reading, so this costs nothing.
  truncateSync(join(l.dir, 'index.json'), 64 * 1024 * 1024 + 1);
  const s = walkLayout(l.dir);
  assert.ok(s.problems.some((p) => /^index\.json is 67108865 bytes, more than a JSON file of a layout may be \(64 MiB\): not read$/.test(p)), s.problems.join('\n'));
  assert.equal(s.documents.filter((d) => d.rel === 'index.json').length, 0);
  assert.throws(() => resolveTag(l.dir, undefined, 'oci:x'), /index\.json cannot be read: index\.json is 67108865 bytes/);
});

test('oci-layout: imageLayoutVersion other than "1.0.0", missing or not a string is a warning on it; "1.0.0" is clean', () => {
  const cases: [string, RegExp | undefined][] = [
    ['{"imageLayoutVersion":"1.0.0"}', undefined],
    ['{"imageLayoutVersion":"2.0.0"}', /imageLayoutVersion is "2\.0\.0", not "1\.0\.0"/],
    ['{"imageLayoutVersion":1}', /imageLayoutVersion is a number/],
    ['{}', /oci-layout has no imageLayoutVersion/],
  ];
  for (const [text, want] of cases) {
    const l = layout(`version-${hex(text).slice(0, 8)}`);
    writeIndex(l.dir, [{ mediaType: OCI_MANIFEST, ...image(l) }]);
    writeFileSync(join(l.dir, 'oci-layout'), text);
    const s = walkLayout(l.dir);
    const doc = s.documents.find((d) => d.rel === 'oci-layout')!;
    const f = layoutOnlyFindings(s, 'oci-layout', doc.analysis).filter((x) => x.ruleId === 'layout-version-unsupported');
    if (!want) { assert.deepEqual(f, [], text); continue; }
    assert.equal(f.length, 1, text);
    assert.equal(f[0].severity, 'warning');
    assert.match(f[0].message, want);
    assert.match(f[0].message, /skopeo 1\.9\.3 reads the layout anyway/);
  }
});

test('resolveTag as skopeo 1.9.3: a Docker v2s2 entry with the tag is skipped, and when it is the only one the error names it and says who refuses it', () => {
  const l = layout('v2s2');
  const docker = image(l, DOCKER_MANIFEST);
  writeIndex(l.dir, [{ mediaType: DOCKER_MANIFEST, ...docker, annotations: { 'org.opencontainers.image.ref.name': 't' } }]);
  assert.throws(() => resolveTag(l.dir, 't', 'oci:D:t'), (e: Error) =>
    e.message.includes(`index.json has an entry tagged "t" (manifests[0], ${docker.digest})`)
    && e.message.includes(`media type "${DOCKER_MANIFEST}", a Docker media type`)
    && e.message.includes('skopeo 1.9.3 and podman skip entries that are not OCI manifests or indexes')
    && e.message.includes('(skopeo: no descriptor found for reference "t")'));
  // Without a tag the only entry is read whatever its type, as skopeo reads it.
  assert.equal(resolveTag(l.dir, undefined, 'oci:D').digest, docker.digest);
  // The same tag on a Docker entry and then an OCI entry: the OCI one.
  const oci = image(l);
  writeIndex(l.dir, [
    { mediaType: DOCKER_MANIFEST, ...docker, annotations: { 'org.opencontainers.image.ref.name': 't' } },
    { mediaType: OCI_MANIFEST, ...oci, annotations: { 'org.opencontainers.image.ref.name': 't' } },
  ]);
  assert.equal(resolveTag(l.dir, 't', 'oci:D:t').digest, oci.digest);
  // An entry without mediaType is skipped too (skopeo compares it with the two OCI types).
  writeIndex(l.dir, [{ ...oci, annotations: { 'org.opencontainers.image.ref.name': 't' } }]);
  assert.throws(() => resolveTag(l.dir, 't', 'oci:D:t'), /but it has no mediaType: skopeo 1\.9\.3 and podman skip/);
});

test('a layout named by a relative path (oci:L/clean:t from its parent folder) reads its files: the paths built from it are not joined to it twice (the attack review: "missing from the layout")', () => {
  // Under the working directory, so that the relative path goes down into folders (a path that
  // climbs out with ../ first would come back to the right place by chance).
  const root = mkdtempSync(join(process.cwd(), '.ml-relative-layout-'));
  try {
    writeFileSync(join(root, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    const manifest = Buffer.from('{"schemaVersion":2}');
    const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
    mkdirSync(join(root, 'blobs', 'sha256'), { recursive: true });
    writeFileSync(join(root, 'blobs', 'sha256', digest.slice(7)), manifest);
    const rel = relative(process.cwd(), root);
    assert.ok(!isAbsolute(rel) && !rel.startsWith('..'), rel);
    assert.equal(readLayoutFile(rel, join(rel, 'oci-layout')).bytes.toString(), '{"imageLayoutVersion":"1.0.0"}', 'a path built from the relative root');
    assert.equal(readLayoutFile(rel, 'oci-layout').bytes.toString(), '{"imageLayoutVersion":"1.0.0"}', 'a path relative to the root');
    assert.deepEqual(readLayoutBlob(rel, digest), manifest, 'a blob of a layout named by a relative path');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
