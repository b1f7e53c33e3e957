/** The CLI as a build pipeline runs it: exit codes and output formats. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

/** A temporary folder, removed when the file's tests are done. */
const temps: string[] = [];
after(() => { for (const d of temps) rmSync(d, { recursive: true, force: true }); });
function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
}

const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');
const SAMPLES = join(__dirname, '..', '..', 'samples');

function cli(...args: string[]) {
  assert.ok(existsSync(CLI), `${CLI} is missing: run "node scripts/build.mjs" first`);
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('a clean manifest exits 0 and prints nothing on stdout', () => {
  const r = cli('lint', join(SAMPLES, 'clean-oci-manifest.json'));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /1 file checked: 0 errors/);
});

test('the mixed manifest exits 1 with file:line:col severity rule-id message lines', () => {
  const file = join(SAMPLES, 'podman-22196-child.json');
  const r = cli('lint', file);
  assert.equal(r.code, 1);
  const lines = r.stdout.trim().split('\n');
  assert.ok(lines.includes(`${file}:5:20 error mixed-config-media-type ${lines.find((l) => l.includes('mixed-config-media-type'))!.split(' mixed-config-media-type ')[1]}`));
  for (const l of lines) assert.match(l, /^.+:\d+:\d+ (error|warning|info|hint) [a-z0-9-]+ .+$/);
});

test('--format json prints the findings as JSON', () => {
  const r = cli('lint', '--format', 'json', join(SAMPLES, 'podman-22196-child.json'), join(SAMPLES, 'clean-oci-manifest.json'));
  assert.equal(r.code, 1);
  const out = JSON.parse(r.stdout) as { file: string; kind: string; findings: { ruleId: string; line: number; column: number; severity: string }[] }[];
  assert.equal(out.length, 2);
  assert.equal(out[0].kind, 'oci-manifest');
  const f = out[0].findings.find((x) => x.ruleId === 'mixed-config-media-type')!;
  assert.deepEqual([f.line, f.column, f.severity], [5, 20, 'error']);
  assert.deepEqual(out[1].findings, []);
});

test('--rule overrides a severity; warnings alone exit 0', () => {
  const r = cli('lint', '--rule', 'mixed-config-media-type=warning', join(SAMPLES, 'podman-22196-child.json'));
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.stdout, /warning mixed-config-media-type/);
});

test('not JSON, binary bytes, a missing file and usage errors are one clear line each', () => {
  const dir = tempDir('ml-cli-');
  writeFileSync(join(dir, 'broken.json'), '{"schemaVersion": 2,');
  writeFileSync(join(dir, 'blob.json'), Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff, 0xfe, 0x00]));
  const broken = cli('lint', join(dir, 'broken.json'));
  assert.equal(broken.code, 1);
  assert.match(broken.stdout, /broken\.json:1:\d+ error json-invalid not valid JSON: /);
  const bin = cli('lint', join(dir, 'blob.json'));
  assert.equal(bin.code, 1);
  assert.match(bin.stdout, /error json-invalid not JSON: the file is binary, not UTF-8 text \(it is gzip data\)/);
  const missing = cli('lint', join(dir, 'nope.json'));
  assert.equal(missing.code, 2, 'a missing file is a usage error (test/cli/polish.test.ts)');
  assert.match(missing.stderr, /no such file or folder/);
  assert.equal(cli('lint').code, 2);
  assert.equal(cli('lint', '--format', 'xml', 'x').code, 2);
  assert.equal(cli('lint', '--rule', 'no-such-rule=error', 'x').code, 2);
  assert.equal(cli('frobnicate').code, 2);
});

test('a non-manifest JSON file is not linted', () => {
  const r = cli('lint', join(SAMPLES, 'not-a-manifest.json'));
  assert.equal(r.code, 0);
  assert.equal(r.stdout, '');
});

test('--format sarif: a SARIF 2.1.0 log whose results point at the rule, the level and the exact region', () => {
  const file = join(SAMPLES, 'podman-22196-child.json');
  const r = cli('lint', '--format', 'sarif', file, join(SAMPLES, 'clean-oci-manifest.json'));
  assert.equal(r.code, 1, r.stderr);
  const log = JSON.parse(r.stdout);
  assert.equal(log.version, '2.1.0');
  const run = log.runs[0];
  assert.equal(run.tool.driver.name, 'manifest-lens');
  assert.match(run.tool.driver.version, /^\d+\.\d+\.\d+/);
  const mixed = run.results.find((x: { ruleId: string }) => x.ruleId === 'mixed-config-media-type');
  assert.equal(mixed.level, 'error');
  assert.deepEqual(mixed.locations[0].physicalLocation.region, { startLine: 5, startColumn: 20, endLine: 5, endColumn: 68 });
  assert.equal(mixed.locations[0].physicalLocation.artifactLocation.uri, file);
  assert.equal(run.tool.driver.rules[mixed.ruleIndex].id, 'mixed-config-media-type');
  assert.match(run.tool.driver.rules[mixed.ruleIndex].helpUri, /^https:\/\/github\.com\/opencontainers\/image-spec\//);
  const layer = run.results.find((x: { ruleId: string }) => x.ruleId === 'mixed-layer-in-oci-manifest');
  assert.equal(layer.level, 'warning');
  // Every result's ruleIndex names its own rule; the clean file adds none.
  for (const x of run.results) assert.equal(run.tool.driver.rules[x.ruleIndex].id, x.ruleId);
  assert.ok(run.results.every((x: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }) => x.locations[0].physicalLocation.artifactLocation.uri === file));
});

test('--format github: one workflow command per finding, with escaped properties and message', () => {
  const dir = tempDir('ml-gh-');
  const file = join(dir, 'a,b:c.json');
  writeFileSync(file, '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:' + 'a'.repeat(64) + '","size":2},"layers":[]}');
  const r = cli('lint', '--format', 'github', file);
  assert.equal(r.code, 1);
  const lines = r.stdout.trim().split('\n');
  const mixed = lines.find((l) => l.includes('mixed-config-media-type'));
  assert.ok(mixed, r.stdout);
  assert.ok(mixed.startsWith(`::error file=${join(dir, 'a%2Cb%3Ac.json')},line=1,col=`), mixed);
  assert.match(mixed, /,title=mixed-config-media-type \(manifest-lens\)::OCI manifest with a Docker config media type/);
  assert.ok(lines.every((l) => /^::(error|warning|notice) /.test(l)), r.stdout);
});

test('--fail-on sets the exit threshold: warning fails on a warning-only file, never never fails', () => {
  const dir = tempDir('ml-failon-');
  const file = join(dir, 'warn.json');
  // Only a warning: the OCI manifest lists a layer with a Docker layer type.
  writeFileSync(file, '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:' + 'a'.repeat(64) + '","size":2},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":"sha256:' + 'b'.repeat(64) + '","size":3}]}');
  const plain = cli('lint', file);
  assert.equal(plain.code, 0, plain.stdout);
  assert.match(plain.stdout, / warning mixed-layer-in-oci-manifest /);
  assert.doesNotMatch(plain.stdout, / error /);
  assert.equal(cli('lint', '--fail-on', 'warning', file).code, 1);
  assert.equal(cli('lint', '--fail-on=info', file).code, 1);
  assert.equal(cli('lint', '--fail-on', 'never', join(SAMPLES, 'podman-22196-child.json')).code, 0);
  const bad = cli('lint', '--fail-on', 'sometimes', file);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--fail-on expects error\|warning\|info\|hint\|never/);
});

test('- lints standard input (a pipeline: crane manifest REF | manifest-lens lint -), named by --stdin-name', () => {
  const text = readFileSync(join(SAMPLES, 'podman-22196-child.json'), 'utf8');
  const r = spawnSync(process.execPath, [CLI, 'lint', '--stdin-name', 'child.json', '-'], { input: text, encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /^child\.json:5:20 error mixed-config-media-type /m);
  const anon = spawnSync(process.execPath, [CLI, 'lint', '-'], { input: '{"schemaVersion":2', encoding: 'utf8' });
  assert.equal(anon.status, 1);
  assert.match(anon.stdout, /^<stdin>:1:\d+ error json-invalid not valid JSON/m);
  const twice = cli('lint', '-', '-');
  assert.equal(twice.code, 2);
});
test('--format sarif: artifact URIs are URI references (a space is %20)', () => {
  const dir = tempDir('ml-sarif-');
  const file = join(dir, 'my manifest.json');
  writeFileSync(file, readFileSync(join(SAMPLES, 'podman-22196-child.json')));
  const log = JSON.parse(cli('lint', '--format', 'sarif', file).stdout);
  assert.equal(log.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri, join(dir, 'my%20manifest.json'));
});

test('a folder stands for the .json files under it (not node_modules, not dot-folders)', () => {
  const dir = tempDir('ml-dir-');
  for (const [rel, text] of [['a.json', '{}'], ['sub/b.json', readFileSync(join(SAMPLES, 'podman-22196-child.json'), 'utf8')], ['node_modules/c.json', '{'], ['.git/d.json', '{'], ['e.txt', '{']] as const) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  const r = cli('lint', dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^2 files checked: 1 error, 1 warning, 0 infos, 0 hints \(1 is not an OCI\/Docker document\)$/m);
  assert.match(r.stdout, new RegExp(`^${join(dir, 'sub', 'b.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5:20 error mixed-config-media-type`, 'm'));
  const empty = tempDir('ml-empty-');
  const none = cli('lint', empty);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no \.json files under/);
});

test('a reader that goes away (| head) ends the CLI quietly, exit 0, no stack trace', async () => {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [CLI, 'rules'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  await new Promise<void>((resolve) => child.stdout.once('data', () => { child.stdout.destroy(); resolve(); }));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stderr, /EPIPE|at .+:\d+:\d+/);
});
