/**
 * `lint DIR` on OCI image layouts written by skopeo (`skopeo copy docker://127.0.0.1:PORT/…
 * oci:DIR:t1`, and `--all` for an index) from the seeded docker-registry: clean ones give no
 * warning and no error; each injected fault (deleted blob, changed blob, truncated layer, a
 * config labelled as a manifest) exits 1 and names the blob by its digest, on the line of the
 * descriptor that points at it. `inspect oci:DIR[:TAG]` prints the bytes skopeo's oci: transport
 * reads (`skopeo inspect --raw oci:DIR:TAG`).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, runProgram } from '../harness/cli';
import { sha256Digest } from '../harness/blobs';
import { blobFile, buildahBinary, buildahPushToLayout, changeBlob, copyLayout, deleteBlob, imageOf, readJson, truncateBlob, writeSkopeoLayouts, type Descriptor, type SkopeoLayouts } from '../harness/layouts';
import { useSeededRegistry } from '../harness/seed';
import { skipUnlessTools, skopeoBinary } from '../harness/tools';

const skip = skipUnlessTools({ registry: true, skopeo: true });

interface JsonFinding { ruleId: string; severity: string; message: string; line: number; column: number }
interface JsonResult { file: string; kind: string; findings: JsonFinding[] }

async function lintJson(dir: string): Promise<{ code: number | null; results: JsonResult[]; stderr: string }> {
  const r = await runCli(['lint', '--format', 'json', dir]);
  return { code: r.code, results: JSON.parse(r.stdout.toString('utf8')) as JsonResult[], stderr: r.stderr };
}

/** The 1-based line and column of the first occurrence of `needle` in a file. */
function lineColumnOf(file: string, needle: string): { line: number; column: number } {
  const text = readFileSync(file, 'utf8');
  const at = text.indexOf(needle);
  assert.ok(at >= 0, `${needle} in ${file}`);
  const before = text.slice(0, at).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

if (skip) {
  test('lint on skopeo-written OCI layouts', { skip }, () => {});
} else {
  describe('lint DIR on OCI image layouts written by skopeo', () => {
    const ctx = useSeededRegistry({ cli: true });
    let layouts: SkopeoLayouts;
    before(async () => { layouts = await writeSkopeoLayouts(ctx.home, ctx.seeds); });
    after(() => layouts?.cleanup());

    test('a clean skopeo layout (one image, an --all index, a converted Docker image): no warning and no error, exit 0', async () => {
      for (const dir of [layouts.single, layouts.multi, layouts.converted]) {
        const { code, results, stderr } = await lintJson(dir);
        assert.equal(code, 0, stderr);
        const bad = results.flatMap((r) => r.findings.filter((f) => f.severity === 'error' || f.severity === 'warning').map((f) => `${r.file}: ${f.ruleId} ${f.message}`));
        assert.deepEqual(bad, [], dir);
        // The whole layout was read: oci-layout, index.json and every JSON blob (manifests, index, configs).
        const files = results.map((r) => r.file.slice(dir.length + 1));
        assert.ok(files.includes('oci-layout') && files.includes('index.json'), files.join(', '));
        assert.ok(results.some((r) => r.kind === 'oci-manifest') && results.some((r) => r.kind === 'config'), results.map((r) => r.kind).join(', '));
      }
      const multi = (await lintJson(layouts.multi)).results;
      assert.ok(multi.some((r) => r.kind === 'oci-index' && r.file.includes('blobs/sha256/')), 'the nested index blob is followed');
      assert.equal(multi.filter((r) => r.kind === 'oci-manifest').length, 2, 'both children of the nested index are followed');
    });

    test('a deleted config blob: exit 1, layout-blob-missing on the config digest of the manifest, naming the blob', async () => {
      const dir = copyLayout(layouts.single, 'deleted');
      const { manifest, config } = imageOf(dir);
      deleteBlob(dir, config.digest);
      const r = await runCli(['lint', dir]);
      assert.equal(r.code, 1, r.stderr);
      const out = r.stdout.toString('utf8');
      const where = lineColumnOf(blobFile(dir, manifest.digest), `"${config.digest}"`);
      const line = out.split('\n').find((l) => l.includes('layout-blob-missing'));
      assert.ok(line, out);
      assert.ok(line.startsWith(`${blobFile(dir, manifest.digest)}:${where.line}:${where.column} error layout-blob-missing`), line);
      assert.ok(line.includes(config.digest), line);
    });

    test('--rule sets a layout check like a rule of the table: warning passes --fail-on error, off drops it; rules ID explains it', async () => {
      const dir = copyLayout(layouts.single, 'rule-setting');
      const { config } = imageOf(dir);
      deleteBlob(dir, config.digest);
      const warned = await runCli(['lint', '--rule', 'layout-blob-missing=warning', dir]);
      assert.equal(warned.code, 0, warned.stdout.toString('utf8') + warned.stderr);
      assert.match(warned.stdout.toString('utf8'), / warning layout-blob-missing /);
      const off = await runCli(['lint', '--rule', 'layout-blob-missing=off', dir]);
      assert.equal(off.code, 0);
      assert.doesNotMatch(off.stdout.toString('utf8'), /layout-blob-missing/);
      const explained = await runCli(['rules', 'layout-blob-missing']);
      assert.equal(explained.code, 0, explained.stderr);
      assert.match(explained.stdout.toString('utf8'), /^layout-blob-missing \(error\)\n {2}A descriptor points at a blob that is not in the layout/m);
      const typo = await runCli(['lint', '--rule', 'layout-blob-gone=off', dir]);
      assert.equal(typo.code, 2);
    });

    test('tree oci:DIR: the layout\'s graph, read from disk (nested index, platforms, config and layers), and a referrer found in the layout', async () => {
      const multi = await runCli(['tree', '--no-referrers', `oci:${layouts.multi}:t1`]);
      assert.equal(multi.code, 0, multi.stderr);
      const text = multi.stdout.toString('utf8');
      const top = readJson<{ manifests: Descriptor[] }>(join(layouts.multi, 'index.json')).manifests[0];
      const children = readJson<{ manifests: Descriptor[] }>(blobFile(layouts.multi, top.digest)).manifests;
      assert.ok(text.split('\n')[0].startsWith(`oci:${layouts.multi}:t1  index  ${top.digest}`), text);
      for (const c of children) assert.ok(text.includes(c.digest), `child ${c.digest} in:\n${text}`);
      assert.match(text, /config {2}sha256:[0-9a-f]{64}/);
      assert.match(multi.stderr, /read from the layout; problems: 0 error, 0 warning/);

      // An SBOM attached to the image, stored the way oras stores referrers in a layout: a manifest
      // with a subject, listed in index.json without a tag.
      const dir = copyLayout(layouts.single, 'tree-referrer');
      const { manifest } = imageOf(dir);
      const empty = Buffer.from('{}');
      const sbom = Buffer.from(JSON.stringify({
        schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'application/spdx+json',
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256Digest(empty), size: 2 },
        layers: [{ mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256Digest(empty), size: 2 }],
        subject: { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size },
      }));
      for (const blob of [empty, sbom]) writeFileSync(blobFile(dir, sha256Digest(blob)), blob);
      const index = readJson<{ manifests: unknown[] }>(join(dir, 'index.json'));
      index.manifests.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256Digest(sbom), size: sbom.length, artifactType: 'application/spdx+json' });
      writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
      const r = await runCli(['tree', '--format', 'json', `oci:${dir}:t1`]);
      assert.equal(r.code, 0, r.stderr);
      const g = JSON.parse(r.stdout.toString('utf8')) as { digest: string; root: { referrers?: { via: string; nodes: { digest: string; artifactType?: string }[] } } };
      assert.equal(g.digest, manifest.digest);
      assert.equal(g.root.referrers?.via, 'layout');
      assert.deepEqual(g.root.referrers?.nodes.map((n) => [n.digest, n.artifactType]), [[sha256Digest(sbom), 'application/spdx+json']]);
      const shown = await runCli(['tree', `oci:${dir}:t1`]);
      assert.match(shown.stdout.toString('utf8'), /referrers \(in the layout\): 1\n.*application\/spdx\+json/);

      // Without a tag the layout now holds two images: as `inspect oci:`, name one; a missing image blob: exit 3.
      const ambiguous = await runCli(['tree', `oci:${dir}`]);
      assert.equal(ambiguous.code, 3);
      assert.match(ambiguous.stderr, /index\.json lists 2 images; name one as oci:DIR:TAG \(tags: t1\)/);
      deleteBlob(dir, manifest.digest);
      const gone = await runCli(['tree', `oci:${dir}:t1`]);
      assert.equal(gone.code, 3);
      assert.match(gone.stderr, /^tree: blob sha256:[0-9a-f]{64} is missing from the layout/m);
    });

    test('a changed manifest blob (same size): exit 1, layout-blob-digest-mismatch on the index.json entry, naming the blob and what it hashes to', async () => {
      const dir = copyLayout(layouts.single, 'changed');
      const { manifest } = imageOf(dir);
      changeBlob(dir, manifest.digest);
      const { code, results } = await lintJson(dir);
      assert.equal(code, 1);
      const index = results.find((r) => r.file === join(dir, 'index.json'))!;
      const f = index.findings.find((x) => x.ruleId === 'layout-blob-digest-mismatch');
      assert.ok(f, JSON.stringify(index.findings));
      assert.equal(f.severity, 'error');
      assert.ok(f.message.includes(manifest.digest) && /hashes to sha256:[0-9a-f]{64}/.test(f.message), f.message);
      assert.deepEqual({ line: f.line, column: f.column }, lineColumnOf(join(dir, 'index.json'), `"${manifest.digest}"`));
      assert.ok(!index.findings.some((x) => x.ruleId === 'layout-blob-size-mismatch'), 'same size: no size finding');
    });

    test('a truncated layer in the --all layout: exit 1, digest and size findings on the layer descriptor of its manifest', async () => {
      const dir = copyLayout(layouts.multi, 'truncated');
      const index = readJson<{ manifests: Descriptor[] }>(join(dir, 'index.json'));
      const inner = readJson<{ manifests: Descriptor[] }>(blobFile(dir, index.manifests[0].digest));
      const child = inner.manifests[1].digest;
      const layer = readJson<{ layers: Descriptor[] }>(blobFile(dir, child)).layers[0];
      truncateBlob(dir, layer.digest, 64);
      const { code, results } = await lintJson(dir);
      assert.equal(code, 1);
      const doc = results.find((r) => r.file === blobFile(dir, child))!;
      const ids = doc.findings.filter((f) => f.message.includes(layer.digest)).map((f) => f.ruleId).sort();
      assert.deepEqual(ids, ['layout-blob-digest-mismatch', 'layout-blob-size-mismatch']);
      const size = doc.findings.find((f) => f.ruleId === 'layout-blob-size-mismatch')!;
      assert.match(size.message, /is 64 bytes on disk, the descriptor says \d+/);
      const text = readFileSync(blobFile(dir, child), 'utf8').split('\n');
      assert.match(text[size.line - 1].slice(size.column - 1), /^\d+/, 'reported on the size value');
    });

    test('a config labelled as a manifest in index.json: layout-media-type-mismatch on that mediaType', async () => {
      const dir = copyLayout(layouts.single, 'relabelled');
      const { config } = imageOf(dir);
      const indexFile = join(dir, 'index.json');
      const index = readJson<{ manifests: Descriptor[] }>(indexFile);
      index.manifests.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: config.digest, size: config.size, annotations: { 'org.opencontainers.image.ref.name': 'cfg' } });
      writeFileSync(indexFile, JSON.stringify(index, null, 2));
      const { code, results } = await lintJson(dir);
      assert.equal(code, 1);
      const f = results.find((r) => r.file === indexFile)!.findings.find((x) => x.ruleId === 'layout-media-type-mismatch');
      assert.ok(f, JSON.stringify(results));
      assert.match(f.message, /labelled OCI image manifest, but the blob is Image config/);
      assert.ok(f.message.includes(config.digest));
    });

    test('an unreferenced blob is info (exit 0), named by its digest', async () => {
      const dir = copyLayout(layouts.single, 'unreferenced');
      const stray = 'sha256:' + '0'.repeat(64);
      writeFileSync(blobFile(dir, stray), 'left over');
      const r = await runCli(['lint', dir]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout.toString('utf8'), new RegExp(`info layout-blob-unreferenced blob ${stray} `));
    });

    test('a plain folder of JSON files (index.json, no oci-layout, no blobs/) keeps the old behaviour: only the .json files', async () => {
      const dir = join(layouts.dir, 'plain');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'index.json'), readFileSync(join(layouts.single, 'index.json')));
      const r = await runCli(['lint', '--format', 'json', dir]);
      const results = JSON.parse(r.stdout.toString('utf8')) as JsonResult[];
      assert.deepEqual(results.map((x) => x.file), [join(dir, 'index.json')]);
      assert.ok(!results[0].findings.some((f) => f.ruleId.startsWith('layout-')), 'no layout findings');
    });

    test('index.json and blobs/ without oci-layout is a broken layout: layout-invalid names oci-layout (exit 1)', async () => {
      const dir = join(layouts.dir, 'no-oci-layout');
      mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
      writeFileSync(join(dir, 'index.json'), readFileSync(join(layouts.single, 'index.json')));
      const r = await runCli(['lint', '--format', 'json', dir]);
      assert.equal(r.code, 1, r.stderr);
      const results = JSON.parse(r.stdout.toString('utf8')) as JsonResult[];
      const invalid = results.flatMap((x) => x.findings).filter((f) => f.ruleId === 'layout-invalid');
      assert.equal(invalid.length, 1);
      assert.match(invalid[0].message, /^oci-layout is missing/);
    });

    test('inspect oci:DIR:TAG prints the same bytes as skopeo inspect --raw oci:DIR:TAG; without TAG the only image', async () => {
      for (const dir of [layouts.single, layouts.multi, layouts.converted]) {
        const sk = await runProgram(skopeoBinary()!, ['inspect', '--raw', `oci:${dir}:t1`], { env: ctx.home.env });
        assert.equal(sk.code, 0, sk.stderr);
        const ours = await runCli(['inspect', `oci:${dir}:t1`]);
        assert.equal(ours.code, 0, ours.stderr);
        assert.ok(ours.stdout.equals(sk.stdout), `${dir}: bytes differ from skopeo's`);
        const digest = readJson<{ manifests: Descriptor[] }>(join(dir, 'index.json')).manifests[0].digest;
        assert.equal(sha256Digest(ours.stdout), digest);
        assert.ok(ours.stderr.includes(digest) && ours.stderr.includes('verified'), ours.stderr);
        const untagged = await runCli(['inspect', `oci:${dir}`]);
        assert.ok(untagged.code === 0 && untagged.stdout.equals(sk.stdout), untagged.stderr);
      }
    });

    test('inspect oci:DIR:TAG --platform follows the nested index to the matching child blob', async () => {
      const inner = readJson<{ manifests: (Descriptor & { platform: { architecture: string } })[] }>(blobFile(layouts.multi, readJson<{ manifests: Descriptor[] }>(join(layouts.multi, 'index.json')).manifests[0].digest));
      const arm = inner.manifests.find((m) => m.platform.architecture === 'arm64')!;
      const ours = await runCli(['inspect', '--platform', 'linux/arm64', `oci:${layouts.multi}:t1`]);
      assert.equal(ours.code, 0, ours.stderr);
      assert.equal(sha256Digest(ours.stdout), arm.digest);
      assert.ok(ours.stdout.equals(readFileSync(blobFile(layouts.multi, arm.digest))));
    });

    test('inspect oci: errors: no such tag lists the tags (exit 3); not a layout (exit 3); a changed blob is refused, naming it (exit 3)', async () => {
      const none = await runCli(['inspect', `oci:${layouts.single}:nope`]);
      assert.equal(none.code, 3);
      assert.match(none.stderr, /no image tagged "nope" in index\.json \(tags: t1\)/);
      const notLayout = await runCli(['inspect', `oci:${join(layouts.dir, 'nowhere')}:t1`]);
      assert.equal(notLayout.code, 3);
      assert.match(notLayout.stderr, /is not an OCI image layout/);
      const dir = copyLayout(layouts.single, 'inspect-changed');
      const { manifest } = imageOf(dir);
      changeBlob(dir, manifest.digest);
      const r = await runCli(['inspect', `oci:${dir}:t1`]);
      assert.equal(r.code, 3);
      assert.equal(r.stdout.length, 0, 'nothing on stdout');
      assert.ok(r.stderr.includes(`blob ${manifest.digest} does not hash to its name`), r.stderr);
    });

    test('inspect --lint oci:DIR:TAG on an --all layout with a truncated layer: exit 1, the finding names the layer', async () => {
      const dir = copyLayout(layouts.multi, 'inspect-truncated');
      const inner = readJson<{ manifests: Descriptor[] }>(blobFile(dir, readJson<{ manifests: Descriptor[] }>(join(dir, 'index.json')).manifests[0].digest));
      const layer = readJson<{ layers: Descriptor[] }>(blobFile(dir, inner.manifests[0].digest)).layers[0];
      truncateBlob(dir, layer.digest, 10);
      const r = await runCli(['inspect', '--lint', `oci:${dir}:t1`]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`error layout-blob-size-mismatch blob ${layer.digest} `));
      const clean = await runCli(['inspect', '--lint', `oci:${layouts.multi}:t1`]);
      assert.equal(clean.code, 0, clean.stderr);
      assert.match(clean.stderr, /3 documents checked: 0 errors, 0 warnings/);
    });

    const noBuildah = buildahBinary() ? undefined : 'buildah is not installed: run node scripts/ensure-deps.mjs (needs root/apt)';
    if (noBuildah) process.stderr.write(`WARNING: SKIPPING the buildah layout test: ${noBuildah}\n`);
    test('a layout written by buildah push … oci:DIR:TAG: no warning and no error; inspect oci: prints what skopeo reads', { skip: noBuildah }, async () => {
      const dir = join(layouts.dir, 'buildah');
      await buildahPushToLayout(ctx.home, ctx.seeds.cleanOci.amd64Tag.reference, dir, 't1', join(layouts.dir, 'buildah-storage'));
      const { code, results, stderr } = await lintJson(dir);
      assert.equal(code, 0, stderr);
      assert.deepEqual(results.flatMap((r) => r.findings.filter((f) => f.severity === 'error' || f.severity === 'warning').map((f) => `${r.file}: ${f.ruleId}`)), []);
      assert.ok(results.some((r) => r.kind === 'oci-manifest') && results.some((r) => r.kind === 'config'));
      const sk = await runProgram(skopeoBinary()!, ['inspect', '--raw', `oci:${dir}:t1`], { env: ctx.home.env });
      const ours = await runCli(['inspect', `oci:${dir}:t1`]);
      assert.equal(ours.code, 0, ours.stderr);
      assert.ok(ours.stdout.equals(sk.stdout), 'same bytes as skopeo');
    });
  });
}
