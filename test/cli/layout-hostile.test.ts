/**
 * `lint DIR`, `inspect oci:` and `tree oci:` on hostile layouts built here (issue 23 items 2, 3,
 * 5, 6; issue 24 item 14). Each run is a child process held to 256 MiB of data (`ulimit -d`)
 * and killed after 8 s, so what grew without bound or hung before the fix (a blob linked to
 * /dev/zero, a FIFO, 1,000 links back to index.json, a 1.5 GB sparse index.json) fails the
 * test instead of the machine. Bounds are asserted as bytes and lines of output, not time.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { assertCliBuilt, CLI_PATH, runProgram, type RunResult } from '../harness/cli';

const hex = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const TAG = 'org.opencontainers.image.ref.name';

/** `node dist/cli.js ARGS` with at most 256 MiB of data and 8 s. */
function bounded(args: readonly string[]): Promise<RunResult> {
  return runProgram('/bin/sh', ['-c', 'ulimit -d 262144 && exec "$0" "$@"', process.execPath, CLI_PATH, ...args], { timeoutMs: 8000 });
}

const ended = (r: RunResult): string => `exit ${r.code} signal ${r.signal}: ${r.stderr.slice(0, 600)}`;

let root: string;

/** A one-image layout tagged `t`; returns the folder and the manifest's blob path and digest. */
function layout(name: string, mediaType = OCI_MANIFEST): { dir: string; manifest: string; digest: string } {
  const dir = join(root, name);
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const put = (b: Buffer): { digest: string; size: number } => {
    writeFileSync(join(dir, 'blobs', 'sha256', hex(b)), b);
    return { digest: `sha256:${hex(b)}`, size: b.length };
  };
  const layer = put(gzipSync(Buffer.alloc(100)));
  const config = put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${hex(Buffer.alloc(100))}`] } })));
  const m = put(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }] })));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType, ...m, annotations: { [TAG]: 't' } }] }));
  return { dir, manifest: join(dir, 'blobs', 'sha256', m.digest.slice(7)), digest: m.digest };
}

describe('hostile OCI layouts on the command line', () => {
  before(() => { assertCliBuilt(); root = mkdtempSync(join(tmpdir(), 'manifest-lens-hostile-cli-')); });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('lint DIR: 1,000 blobs linked back to index.json (which lists them) are 1,000 hash mismatches, not 1,000 indexes walked', async () => {
    const dir = join(root, 'links');
    mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
    writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    const names = Array.from({ length: 1000 }, (_, i) => hex(`x${i}`));
    writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: names.map((h) => ({ mediaType: 'application/vnd.oci.image.index.v1+json', digest: `sha256:${h}`, size: 1 })) }));
    for (const h of names) symlinkSync('../../index.json', join(dir, 'blobs', 'sha256', h));
    const r = await bounded(['lint', dir]);
    assert.equal(r.code, 1, ended(r));
    const lines = r.stdout.toString('utf8').split('\n').filter(Boolean);
    // Two documents (oci-layout, index.json): 1,000 mismatches and 1,000 sizes, no findings from
    // inside the links; one document lists at most 1,000 findings and counts the rest.
    const errors = lines.filter((l) => / error layout-blob-(digest|size)-mismatch /.test(l));
    assert.equal(errors.length, 1000);
    assert.ok(errors.some((l) => l.includes(' error layout-blob-digest-mismatch ')));
    assert.ok(lines.some((l) => /index\.json: [\d,]+ more findings not shown \(the first 1,000 are; the most severe of the rest is error\)$/.test(l)), lines.slice(-3).join('\n'));
    assert.ok(lines.length <= 1005, `${lines.length} lines`);
    assert.ok(r.stdout.length < 1_000_000, `${r.stdout.length} bytes`);
    assert.match(r.stderr, /^2 files checked: 1000 errors/m);
  });

  test('inspect oci: and tree oci: refuse a blob linked to /dev/zero, a FIFO, or a file outside the layout, naming it (exit 3)', async () => {
    const zero = layout('zero');
    rmSync(zero.manifest);
    symlinkSync('/dev/zero', zero.manifest);
    const fifo = layout('fifo');
    rmSync(fifo.manifest);
    execFileSync('mkfifo', [fifo.manifest]);
    const out = layout('outside');
    const secret = join(root, 'shadow');
    writeFileSync(secret, `{"root":"$6$not-for-you"}`);
    rmSync(out.manifest);
    symlinkSync(secret, out.manifest);
    const cases: [typeof zero, RegExp][] = [
      [zero, /is a symlink that leads out of the layout's folder: not followed/],
      [fifo, /is a FIFO \(named pipe\), not a regular file: not read/],
      [out, /is a symlink that leads out of the layout's folder: not followed/],
    ];
    for (const [l, why] of cases) {
      for (const command of ['inspect', 'tree']) {
        const r = await bounded([command, `oci:${l.dir}:t`]);
        assert.equal(r.code, 3, `${command} ${l.dir}: ${ended(r)}`);
        assert.ok(r.stderr.includes(`blob ${l.digest} is unreadable: blobs/sha256/${l.digest.slice(7)} `), r.stderr);
        assert.match(r.stderr, why);
        assert.ok(!r.stderr.includes('hashes to') && !r.stdout.toString('utf8').includes('not-for-you'), 'the outside file is neither hashed nor shown');
      }
    }
    const lint = await bounded(['lint', '--format', 'sarif', fifo.dir, out.dir]);
    assert.equal(lint.code, 1, ended(lint));
    const sarif = lint.stdout.toString('utf8');
    assert.ok(!sarif.includes(`sha256:${hex('{"root":"$6$not-for-you"}')}`), 'the outside file is not hashed');
    assert.match(sarif, /layout-blob-unreadable/);
  });

  test('lint --format sarif: a blobs/sha512 folder linked outside the layout is not listed; the run says it was not checked', async () => {
    const l = layout('sha512');
    const home = join(root, 'home');
    mkdirSync(home);
    writeFileSync(join(home, 'b'.repeat(128)), 'private');
    symlinkSync(home, join(l.dir, 'blobs', 'sha512'));
    const r = await bounded(['lint', '--format', 'sarif', l.dir]);
    assert.equal(r.code, 1, ended(r));
    const sarif = r.stdout.toString('utf8');
    assert.ok(!sarif.includes('b'.repeat(128)), 'nothing of the linked folder is listed');
    assert.match(sarif, /layout-walk-incomplete/);
    assert.match(sarif, /blobs\/sha512 is a symlink that leads out of the layout's folder/);
  });

  test('inspect --lint oci: never passes having checked nothing: index.json with an invalid UTF-8 byte, or nested past 500, is an error (exit 1)', async () => {
    const bad = layout('badutf8');
    const text = Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: OCI_MANIFEST, digest: bad.digest, size: statSync(bad.manifest).size, annotations: { [TAG]: 't', note: 'AB' } }] }));
    text[text.indexOf('AB')] = 0xff;
    writeFileSync(join(bad.dir, 'index.json'), text);
    const deep = layout('deep');
    const nested = '['.repeat(600) + ']'.repeat(600);
    writeFileSync(join(deep.dir, 'index.json'), `{"schemaVersion":2,"manifests":[{"mediaType":"${OCI_MANIFEST}","digest":"${deep.digest}","size":${statSync(deep.manifest).size},"annotations":{"${TAG}":"t"}}],"x":${nested}}`);
    for (const l of [bad, deep]) {
      const r = await bounded(['inspect', '--lint', `oci:${l.dir}:t`]);
      assert.equal(r.code, 1, `${l.dir}: ${ended(r)}`);
      assert.doesNotMatch(r.stderr, /^0 documents checked/m);
      assert.ok(r.stderr.includes(`${l.manifest}:1:1 error layout-walk-incomplete Not checked: the layout walk did not reach this document`), r.stderr);
    }
  });

  test('inspect --lint oci: when the walk stops at its descriptor limit, the image does not pass (the attack review: 100,000 entries hid a missing layer, exit 0)', async () => {
    const cut = layout('cut');
    const index = JSON.parse(readFileSync(join(cut.dir, 'index.json'), 'utf8')) as { manifests: Record<string, unknown>[] };
    // The tagged entry first, then more entries than the (lowered) limit; the manifest's layer is gone.
    for (let i = 0; i < 8; i++) index.manifests.push({ ...index.manifests[0], annotations: { [TAG]: `more${i}` } });
    writeFileSync(join(cut.dir, 'index.json'), JSON.stringify(index));
    const manifest = JSON.parse(readFileSync(cut.manifest, 'utf8')) as { layers: { digest: string }[] };
    rmSync(join(cut.dir, 'blobs', 'sha256', manifest.layers[0].digest.slice(7)));
    const r = await runProgram(process.execPath, [CLI_PATH, 'inspect', '--lint', `oci:${cut.dir}:t`], { timeoutMs: 8000, env: { ...process.env, MANIFEST_LENS_TEST_LAYOUT_MAX_DESCRIPTORS: '4' } });
    assert.equal(r.code, 1, ended(r));
    assert.match(r.stderr, /error layout-walk-incomplete Not (all )?checked/, r.stderr);
  });

  test('a 1.5 GB sparse index.json is refused by its size: lint exit 1, inspect and tree exit 3, each naming the 64 MiB limit', async () => {
    const l = layout('sparse');
    const fd = openSync(join(l.dir, 'index.json'), 'w');
    writeSync(fd, '{"schemaVersion":2,"manifests":[],"x":"');
    ftruncateSync(fd, 1_500_000_000);
    closeSync(fd);
    const lint = await bounded(['lint', l.dir]);
    assert.equal(lint.code, 1, ended(lint));
    assert.match(lint.stdout.toString('utf8'), /index\.json:1:1 error layout-invalid index\.json is 1500000000 bytes, more than a JSON file of a layout may be \(64 MiB\): not read/);
    for (const command of ['inspect', 'tree']) {
      const r = await bounded([command, `oci:${l.dir}`]);
      assert.equal(r.code, 3, `${command}: ${ended(r)}`);
      assert.match(r.stderr, /index\.json cannot be read: index\.json is 1500000000 bytes, more than a JSON file of a layout may be \(64 MiB\)/);
    }
  });

  test('inspect oci:DIR:t and tree oci:DIR:t on a Docker v2s2 entry fail as skopeo 1.9.3 does, saying the entry exists and who skips it (exit 3)', async () => {
    const l = layout('v2s2', DOCKER_MANIFEST);
    for (const command of ['inspect', 'tree']) {
      const r = await bounded([command, `oci:${l.dir}:t`]);
      assert.equal(r.code, 3, `${command}: ${ended(r)}`);
      assert.ok(r.stderr.includes(`index.json has an entry tagged "t" (manifests[0], ${l.digest}), but it has media type "${DOCKER_MANIFEST}", a Docker media type`), r.stderr);
      assert.match(r.stderr, /skopeo 1\.9\.3 and podman skip entries that are not OCI manifests or indexes \(skopeo: no descriptor found for reference "t"\)/);
      // Setting the entry's mediaType to OCI over a Docker manifest is podman#22196's error, not a fix.
      assert.doesNotMatch(r.stderr, /set the entry's mediaType/);
      assert.match(r.stderr, /copy the image again without --format v2s2\n/);
      assert.equal(r.stdout.length, 0);
    }
  });

  /** The layout of `layout()` with its manifest also behind an index tagged `i` (linux/amd64); the config and layer paths. */
  function layoutWithIndex(name: string): { dir: string; config: string; layer: string } {
    const l = layout(name);
    const manifest = JSON.parse(readFileSync(l.manifest, 'utf8')) as { config: { digest: string }; layers: { digest: string }[] };
    const blob = (d: string): string => join(l.dir, 'blobs', 'sha256', d.slice(7));
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: OCI_MANIFEST, digest: l.digest, size: statSync(l.manifest).size, platform: { os: 'linux', architecture: 'amd64' } }] }));
    writeFileSync(join(l.dir, 'blobs', 'sha256', hex(index)), index);
    const top = JSON.parse(readFileSync(join(l.dir, 'index.json'), 'utf8')) as { manifests: object[] };
    top.manifests.push({ mediaType: 'application/vnd.oci.image.index.v1+json', digest: `sha256:${hex(index)}`, size: index.length, annotations: { [TAG]: 'i' } });
    writeFileSync(join(l.dir, 'index.json'), JSON.stringify(top));
    return { dir: l.dir, config: blob(manifest.config.digest), layer: blob(manifest.layers[0].digest) };
  }

  /** The `✖ error RULE` lines of tree's output. */
  const treeErrors = (r: RunResult): string[] => r.stdout.toString('utf8').split('\n').filter((l) => /✖ error /.test(l)).map((l) => l.replace(/^.*✖ error (\S+) .*$/, '$1'));

  test('tree oci: reports the layout\'s own blob findings on config and layer nodes, as lint DIR does (exit 1 with --fail-on error)', async () => {
    // (a) the config a symlink out of the layout, the layer a FIFO
    const a = layoutWithIndex('tree-a');
    rmSync(a.config);
    symlinkSync('/etc/hostname', a.config);
    rmSync(a.layer);
    execFileSync('mkfifo', [a.layer]);
    // (b) a config that no longer hashes to its name (same size)
    const b = layoutWithIndex('tree-b');
    writeFileSync(b.config, readFileSync(b.config, 'utf8').replace('amd64', 'arm64'));
    // (c) a deleted layer; (d) a layer changed in place; (e) a layer of another size
    const c = layoutWithIndex('tree-c');
    rmSync(c.layer);
    const d = layoutWithIndex('tree-d');
    const bytes = readFileSync(d.layer);
    bytes[bytes.length - 1] ^= 1;
    writeFileSync(d.layer, bytes);
    const e = layoutWithIndex('tree-e');
    writeFileSync(e.layer, Buffer.concat([readFileSync(e.layer), Buffer.from('x')]));
    const cases: [string, string[]][] = [
      [a.dir, ['layout-blob-unreadable', 'layout-blob-unreadable']],
      [b.dir, ['layout-blob-digest-mismatch']],
      [c.dir, ['layout-blob-missing']],
      [d.dir, ['layout-blob-digest-mismatch']],
      [e.dir, ['layout-blob-size-mismatch']],
    ];
    for (const [dir, rules] of cases) {
      const r = await bounded(['tree', '--fail-on', 'error', `oci:${dir}:t`]);
      assert.equal(r.code, 1, `${dir}: ${ended(r)}\n${r.stdout}`);
      assert.deepEqual(treeErrors(r), rules, r.stdout.toString('utf8'));
      // lint DIR names the same blobs with the same rule ids
      const lint = await bounded(['lint', dir]);
      for (const rule of rules) assert.ok(lint.stdout.toString('utf8').includes(` error ${rule} `), `${dir}: lint: ${lint.stdout}`);
    }
    const out = (await bounded(['tree', `oci:${a.dir}:t`])).stdout.toString('utf8');
    assert.match(out, /is a symlink that leads out of the layout's folder: not followed/);
    assert.match(out, /is a FIFO \(named pipe\), not a regular file: not read/);
    // Through the index: the platform check reports the changed config as the error it is.
    const r = await bounded(['tree', '--fail-on', 'error', `oci:${b.dir}:i`]);
    assert.equal(r.code, 1, ended(r));
    assert.deepEqual(treeErrors(r), ['layout-blob-digest-mismatch', 'layout-blob-digest-mismatch'], r.stdout.toString('utf8'));
    assert.match(r.stdout.toString('utf8'), /error layout-blob-digest-mismatch the platform cannot be checked: the config blob sha256:[0-9a-f]{64} does not hash to its name/);
    assert.doesNotMatch(r.stdout.toString('utf8'), /child-unavailable/);
    // A clean layout stays clean, and the run ends once the layers are hashed.
    const clean = layoutWithIndex('tree-clean');
    const ok = await bounded(['tree', '--fail-on', 'error', `oci:${clean.dir}:i`]);
    assert.equal(ok.code, 0, `${ended(ok)}\n${ok.stdout}`);
    assert.match(ok.stderr, /problems: 0 error, 0 warning/);
  });

  /** A one-image layout whose index.json entry says `entryType` over a manifest whose own mediaType is `blobType`. */
  function mislabelled(name: string, entryType: string, blobType: string): { dir: string; digest: string } {
    const l = layout(name, blobType);
    const top = JSON.parse(readFileSync(join(l.dir, 'index.json'), 'utf8')) as { manifests: { mediaType: string }[] };
    top.manifests[0].mediaType = entryType;
    writeFileSync(join(l.dir, 'index.json'), JSON.stringify(top));
    return { dir: l.dir, digest: l.digest };
  }

  test('inspect, inspect --lint and tree oci: compare index.json\'s entry with the blob\'s own mediaType (layout-media-type-mismatch)', async () => {
    const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
    // An entry labelled an index over a manifest; an OCI entry over a Docker v2s2 manifest.
    const cases = [mislabelled('mm-index', OCI_INDEX, OCI_MANIFEST), mislabelled('mm-docker', OCI_MANIFEST, DOCKER_MANIFEST)];
    const own = [OCI_MANIFEST, DOCKER_MANIFEST];
    for (const [i, l] of cases.entries()) {
      const plain = await bounded(['inspect', `oci:${l.dir}:t`]);
      assert.equal(plain.code, 1, ended(plain));
      assert.match(plain.stderr, /error layout-media-type-mismatch index\.json's entry for oci:.* \(blob sha256:[0-9a-f]{64}\) is labelled /);
      // stderr names the blob's own type, not the entry's
      assert.ok(plain.stderr.includes(`${l.digest} ${own[i]} `), plain.stderr);
      assert.ok(plain.stdout.length > 0, 'the document is still written');
      const lint = await bounded(['inspect', '--lint', `oci:${l.dir}:t`]);
      assert.equal(lint.code, 1, ended(lint));
      assert.match(lint.stderr, /index\.json:1:\d+ error layout-media-type-mismatch manifests\[0\] \(blob /);
      const tree = await bounded(['tree', '--fail-on', 'error', `oci:${l.dir}:t`]);
      assert.equal(tree.code, 1, ended(tree));
      assert.deepEqual(treeErrors(tree).filter((x) => x === 'layout-media-type-mismatch'), ['layout-media-type-mismatch'], tree.stdout.toString('utf8'));
    }
    // A well-labelled layout: exit 0, no finding.
    const ok = layout('mm-ok');
    const r = await bounded(['inspect', `oci:${ok.dir}:t`]);
    assert.equal(r.code, 0, ended(r));
    assert.doesNotMatch(r.stderr, /layout-media-type-mismatch/);
  });

  test('lint DIR: a folder with oci-layout, or with index.json and blobs/, is a layout; what it lacks is layout-invalid (exit 1)', async () => {
    const noOciLayout = layout('no-oci-layout');
    rmSync(join(noOciLayout.dir, 'oci-layout'));
    let r = await bounded(['lint', noOciLayout.dir]);
    assert.equal(r.code, 1, ended(r));
    assert.match(r.stdout.toString('utf8'), /index\.json:1:1 error layout-invalid oci-layout is missing/);
    const noIndex = join(root, 'no-index');
    mkdirSync(noIndex);
    writeFileSync(join(noIndex, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    r = await bounded(['lint', noIndex]);
    assert.equal(r.code, 1, ended(r));
    assert.match(r.stdout.toString('utf8'), /index\.json:1:1 error layout-invalid index\.json does not exist/);
    assert.doesNotMatch(r.stderr, /no \.json files/);
    // A folder of ordinary JSON files (an index.json among them, no blobs/) is linted as before.
    const plain = join(root, 'plain-json');
    mkdirSync(plain);
    writeFileSync(join(plain, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] }));
    r = await bounded(['lint', plain]);
    assert.equal(r.code, 0, ended(r));
    assert.doesNotMatch(r.stdout.toString('utf8'), /layout-invalid/);
  });

  test('a FIFO as index.json or oci-layout is named as one by lint, inspect and tree', async () => {
    for (const name of ['index.json', 'oci-layout']) {
      const l = layout(`fifo-${name}`);
      rmSync(join(l.dir, name));
      execFileSync('mkfifo', [join(l.dir, name)]);
      const lint = await bounded(['lint', l.dir]);
      assert.equal(lint.code, 1, ended(lint));
      assert.ok(lint.stdout.toString('utf8').includes(` error layout-invalid ${name} is a FIFO (named pipe), not a regular file`), lint.stdout.toString('utf8'));
      for (const command of ['inspect', 'tree']) {
        const r = await bounded([command, `oci:${l.dir}:t`]);
        assert.equal(r.code, 3, `${command}: ${ended(r)}`);
        assert.ok(r.stderr.includes(`${name} is a FIFO (named pipe), not a regular file`), r.stderr);
      }
    }
  });
});
