/** The CLI as a build pipeline runs it: exit codes and output formats. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

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
  const dir = mkdtempSync(join(tmpdir(), 'ml-cli-'));
  writeFileSync(join(dir, 'broken.json'), '{"schemaVersion": 2,');
  writeFileSync(join(dir, 'blob.json'), Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff, 0xfe, 0x00]));
  const broken = cli('lint', join(dir, 'broken.json'));
  assert.equal(broken.code, 1);
  assert.match(broken.stdout, /broken\.json:1:\d+ error json-invalid not valid JSON: /);
  const bin = cli('lint', join(dir, 'blob.json'));
  assert.equal(bin.code, 1);
  assert.match(bin.stdout, /error json-invalid not JSON: the file is binary, not UTF-8 text \(it is gzip data\)/);
  const missing = cli('lint', join(dir, 'nope.json'));
  assert.equal(missing.code, 1);
  assert.match(missing.stdout, /file-unreadable no such file/);
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
