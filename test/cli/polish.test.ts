/**
 * The command line as a newcomer meets it (issue 12): --help on every command, a missing file
 * as a usage error, a note for JSON that is not a manifest, a local file given to digest, and
 * line breaks where stdout and stderr share a terminal or a file.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CLI_PATH, assertCliBuilt } from '../harness/cli';
import { useSeededRegistry } from '../harness/seed';
import { skipUnlessTools } from '../harness/tools';

const SAMPLES = join(__dirname, '..', '..', 'samples');
/** Nothing these tests run may leave the machine: any proxied request would go to a closed port. */
const ENV = { ...process.env, HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9', NO_PROXY: '' };

function cli(...args: string[]) {
  assertCliBuilt();
  const r = spawnSync(process.execPath, [CLI_PATH, ...args], { encoding: 'utf8', env: ENV });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** stdout and stderr into one pipe, as `2>&1 | less` or a log file gets them. */
function merged(args: string[], env: NodeJS.ProcessEnv = ENV): { code: number | null; text: string } {
  const quoted = [process.execPath, CLI_PATH, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const r = spawnSync('sh', ['-c', `${quoted} 2>&1`], { encoding: 'utf8', env });
  return { code: r.status, text: r.stdout };
}

/** Through a real terminal (util-linux `script`), as a person runs it. Undefined without `script`. */
function inTerminal(args: string[], env: NodeJS.ProcessEnv = ENV): string | undefined {
  if (!existsSync('/usr/bin/script')) return undefined;
  const quoted = [process.execPath, CLI_PATH, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const r = spawnSync('/usr/bin/script', ['-qec', quoted, '/dev/null'], { encoding: 'utf8', env });
  return r.stdout.replace(/\r\n/g, '\n');
}

test('every command answers --help (and -h) with its own usage, exit 0', () => {
  for (const command of ['lint', 'inspect', 'digest', 'rules']) {
    for (const flag of ['--help', '-h']) {
      const r = cli(command, flag);
      assert.equal(r.code, 0, `${command} ${flag}: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^Usage:\\n  \\S.* ${command} `), `${command} ${flag}`);
      assert.doesNotMatch(r.stdout, /unknown option/);
    }
  }
  // Only its own section: lint's help does not describe inspect.
  assert.doesNotMatch(cli('lint', '--help').stdout, / inspect /);
  // --help among other options still wins; after `--` it is a file name.
  assert.equal(cli('lint', '--format', 'json', '--help').code, 0);
  const after = cli('lint', '--', '--help');
  assert.equal(after.code, 2);
  assert.match(after.stderr, /--help: no such file or folder/);
});

test('a missing file is a usage error: exit 2, a clear message on stderr, nothing linted', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ml-missing-'));
  const r = cli('lint', join(dir, 'nope.json'), join(SAMPLES, 'podman-22196-child.json'));
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '', 'no findings: nothing was linted');
  assert.equal(r.stderr, `lint: ${join(dir, 'nope.json')}: no such file or folder\n`);
});

test('JSON that is not an OCI/Docker document gets a note: nothing to check', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ml-notdoc-'));
  const array = join(dir, 'array.json');
  writeFileSync(array, '[1,2,3]\n');
  const pkg = join(__dirname, '..', '..', 'package.json');
  for (const file of [pkg, array]) {
    const r = cli('lint', file);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: note: not an OCI/Docker document .*: nothing to check\\n1 file checked: 0 errors, 0 warnings, 0 infos, 0 hints \\(it is not an OCI/Docker document\\)\\n$`));
  }
  // A manifest next to them gets no note.
  const both = cli('lint', array, join(SAMPLES, 'clean-oci-manifest.json'));
  assert.equal(both.stderr.match(/note:/g)?.length, 1);
  assert.match(both.stderr, /2 files checked: .* \(1 is not an OCI\/Docker document\)/);
});

test('digest (and inspect) of a local file says it is a file and what to run; no request is made', () => {
  const file = join(SAMPLES, 'podman-22196-child.json');
  const started = Date.now();
  const r = cli('digest', file);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^digest: .*podman-22196-child\.json is a local file, not an image reference \(nothing was fetched\)/);
  assert.match(r.stderr, /sha256sum .*podman-22196-child\.json/);
  assert.match(r.stderr, / lint .*podman-22196-child\.json/);
  assert.doesNotMatch(r.stderr, /docker\.io|registry-1|proxy|connect/i, 'it never tried a registry');
  assert.ok(Date.now() - started < 10_000);
  // A relative name that is also a valid repository name: the hint says how to mean the image.
  const rel = spawnSync(process.execPath, [CLI_PATH, 'digest', 'package.json'], { encoding: 'utf8', env: ENV, cwd: join(__dirname, '..', '..') });
  assert.equal(rel.status, 2);
  assert.match(rel.stderr, /write it with its registry \(docker\.io\/package\.json\)/);
  const inspect = cli('inspect', SAMPLES);
  assert.equal(inspect.code, 2);
  assert.match(inspect.stderr, /^inspect: .*samples is a local folder, not an image reference; to check the manifests in it: .* lint /);
});

test('lint of a file with a JSON syntax error: the finding and the summary are two lines, in a pipe and in a terminal', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ml-syntax-'));
  const file = join(dir, 'bad.json');
  writeFileSync(file, '{"schemaVersion": 2, x}');
  const m = merged(['lint', file]);
  assert.equal(m.code, 1);
  const lines = m.text.split('\n');
  assert.ok(lines.some((l) => /^.*bad\.json:1:\d+ error json-invalid not valid JSON: invalid symbol/.test(l) && !/checked/.test(l)), m.text);
  assert.ok(lines.some((l) => /^1 file checked: 1 error/.test(l)), m.text);
  const t = inTerminal(['lint', file]);
  if (t !== undefined) {
    assert.match(t, /invalid symbol[^\n]*\n1 file checked: 1 error/);
  }
});

const skip = skipUnlessTools({ registry: true });
describe('inspect --lint: the findings start on their own line', { skip }, () => {
  const ctx = useSeededRegistry({ cli: true });
  test('in a terminal and with stdout and stderr in one pipe; stdout alone stays byte-exact', () => {
    const child = ctx.seeds.podman22196.amd64;
    const env = { ...ctx.home.env, HTTPS_PROXY: '', HTTP_PROXY: '' };
    assert.notEqual(Buffer.from(child.bytes).at(-1), 0x0a, 'the served bytes end without a line break (the case that went wrong)');
    const m = merged(['inspect', '--lint', child.byDigest], env);
    assert.equal(m.code, 1, m.text);
    const served = Buffer.from(child.bytes).toString('utf8');
    const at = m.text.indexOf(served);
    assert.ok(at >= 0, m.text);
    assert.equal(m.text[at + served.length], '\n', `a line break after the closing brace:\n${m.text}`);
    assert.match(m.text.slice(at + served.length + 1), /^\S+@sha256:[0-9a-f]{64}:\d+:\d+ error mixed-config-media-type /m);
    const t = inTerminal(['inspect', '--lint', child.byDigest], env);
    if (t !== undefined) assert.match(t, /\}\n\S+@sha256:[0-9a-f]{64}:\d+:\d+ (error|warning) /);
    // A pipe of stdout alone: exactly the served bytes, no line break added.
    const alone = spawnSync(process.execPath, [CLI_PATH, 'inspect', '--lint', child.byDigest], { env });
    assert.ok(alone.stdout.equals(Buffer.from(child.bytes)));
  });
});
