/**
 * Registry and document text never reaches a terminal raw (issue 23 item 4): a hostile registry
 * on 127.0.0.1 and a hostile OCI layout / files written by the test carry OSC 52 (the clipboard),
 * OSC 0 (the window title), CSI, U+202E and newlines that would forge a `tree` line or a `lint`
 * finding, in platforms, media types, artifactType, annotations, label keys, history and tags.
 * Every human-readable output of every command is checked: no control byte but the line ends,
 * no ESC, no bidi character, no forged line, and the hostile text is shown escaped, not dropped.
 * Echoed values are bounded (issue 23 item 8): a 10,000-character tag and a 100,000-tag list.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assertCliBuilt, hasScript, isolatedEnv, runCli, runCliInTerminal, type IsolatedEnv, type RunResult } from '../harness/cli';
import { echoed, echoedList, firstSentence, fitLine, takeTerminalOptions, terminalSafe, terminalStyle, type TerminalStyle } from '../../server/src/cli/terminalText';

const OSC52 = '\u001b]52;c;SGVsbG8gY2xpcGJvYXJk\u0007';
const OSC0 = '\u001b]0;pwned\u0007';
const CSI = '\u001b[2J\u001b[31m';
const FORGED_TREE = '└─ linux/amd64  manifest  sha256:0000  (verified)';
const FORGED_LINT = '/tmp/ok.json:1:1 error forged-rule all good';
/** A file name cannot hold a slash: the forged finding a folder's file name would make. */
const FORGED_FILE = 'ok.json:1:1 error forged-rule all good';
/** Everything at once, as a value a document may hold. */
const HOSTILE = `x${OSC52}${OSC0}${CSI}\u202e\u2066\u0085\u007f\u2028\n${FORGED_TREE}\r\n${FORGED_LINT}`;

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
/** A manifest served with raw control characters in it (not valid JSON, served all the same). */
const RAW = Buffer.from(`{"schemaVersion":2,"mediaType":"${OCI_MANIFEST}","x":"${HOSTILE.replace(/\n|\r/g, '')}"}`);
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

function digestOf(b: Buffer): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

/** Asserts that text is safe for a terminal: the only control character is the line end, no bidi, no forged line. */
function assertSafe(text: string, what: string): void {
  const bad = [...text].filter((c) => /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(c));
  assert.deepEqual(bad.map((c) => c.codePointAt(0)!.toString(16)), [], `${what}: raw control or bidi characters:\n${JSON.stringify(text).slice(0, 3000)}`);
  for (const line of text.split('\n')) {
    const plain = line.replace(/^[│├└─\s]+/, '');
    assert.ok(!plain.startsWith(FORGED_TREE.slice(3)) && !line.startsWith(FORGED_TREE), `${what}: a forged tree line: ${JSON.stringify(line)}`);
    assert.ok(!line.startsWith('/tmp/ok.json') && !line.startsWith(FORGED_FILE), `${what}: a forged lint line: ${JSON.stringify(line)}`);
  }
}

function assertRunSafe(r: RunResult, what: string, stdoutIsText = true): void {
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+/, `${what}: a stack trace`);
  assertSafe(r.stderr, `${what} (stderr)`);
  if (stdoutIsText) assertSafe(r.stdout.toString('utf8'), `${what} (stdout)`);
}

/** The hostile documents: two manifests (configs with hostile labels and history) and an index over them. */
function documents(): { blobs: Map<string, Buffer>; manifests: Map<string, Buffer>; index: Buffer; a: string; b: string } {
  const blobs = new Map<string, Buffer>();
  const manifests = new Map<string, Buffer>();
  const layer = Buffer.from('not really a layer');
  blobs.set(digestOf(layer), layer);
  const manifest = (n: number): string => {
    const config = Buffer.from(JSON.stringify({
      architecture: 'amd64', os: 'linux',
      config: { Labels: { [`label${n}${HOSTILE}`]: HOSTILE }, Env: [`V${n}=${HOSTILE}`], Entrypoint: [HOSTILE] },
      history: [{ created_by: `step ${n} ${HOSTILE}` }],
      rootfs: { type: 'layers', diff_ids: [digestOf(layer)] },
    }));
    blobs.set(digestOf(config), config);
    const m = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: `application/vnd.x${n}${HOSTILE}`,
      config: { mediaType: `application/vnd.oci.image.config.v1+json${n === 2 ? HOSTILE : ''}`, digest: digestOf(config), size: config.length },
      layers: [{ mediaType: `application/vnd.oci.image.layer.v1.tar${HOSTILE}`, digest: digestOf(layer), size: layer.length, annotations: { [HOSTILE]: HOSTILE } }],
      annotations: { 'org.opencontainers.image.title': HOSTILE },
    }, null, 2));
    manifests.set(digestOf(m), m);
    return digestOf(m);
  };
  const a = manifest(1);
  const b = manifest(2);
  const index = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: OCI_INDEX, artifactType: HOSTILE,
    manifests: [
      { mediaType: OCI_MANIFEST, digest: a, size: manifests.get(a)!.length, platform: { os: 'linux', architecture: `amd64${HOSTILE}` }, annotations: { 'org.opencontainers.image.ref.name': `tag${HOSTILE}` } },
      { mediaType: OCI_MANIFEST, digest: b, size: manifests.get(b)!.length, platform: { os: `linux${HOSTILE}`, architecture: 'arm64', variant: HOSTILE } },
      { mediaType: OCI_MANIFEST, digest: `sha256:${'e'.repeat(64)}\n${FORGED_LINT}`, size: 1, platform: { os: 'linux', architecture: 's390x' } },
    ],
  }, null, 2));
  manifests.set(digestOf(index), index);
  return { blobs, manifests, index, a, b };
}

/** A registry that serves the documents (any repository; `latest` is the index); no Referrers API. */
function hostileRegistry(docs: ReturnType<typeof documents>): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, body: Buffer, type = 'application/json', extra: Record<string, string> = {}): void => {
      res.writeHead(status, { 'Content-Type': type, 'Content-Length': String(body.length), ...extra });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (url.pathname === '/v2/') return send(200, Buffer.from('{}'));
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/(.+)$/.exec(url.pathname);
    if (m) {
      const ref = decodeURIComponent(m[3]);
      const doc = m[2] === 'blobs' ? docs.blobs.get(ref) : ref === 'latest' ? docs.index : ref === 'raw' ? RAW : docs.manifests.get(ref);
      if (doc) {
        const type = m[2] === 'blobs' ? 'application/octet-stream' : OCI_MANIFEST;
        return send(200, doc, type, { 'Docker-Content-Digest': digestOf(doc) });
      }
    }
    send(404, Buffer.from(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: `unknown ${HOSTILE}` }] })));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('registry and document text in terminal output (issue 23 item 4)', () => {
  let server: Server;
  let env: IsolatedEnv;
  let dir: string;
  let ref: string;
  let docs: ReturnType<typeof documents>;
  const cli = (...args: string[]) => runCli(args, { env: env.env, timeoutMs: 20_000 });
  before(async () => {
    assertCliBuilt();
    env = isolatedEnv();
    docs = documents();
    server = await hostileRegistry(docs);
    ref = `127.0.0.1:${(server.address() as AddressInfo).port}/evil`;
    dir = mkdtempSync(join(tmpdir(), 'manifest-lens-terminal-'));
    // The same documents as an OCI image layout.
    const layout = join(dir, 'layout');
    mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });
    writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    for (const [d, b] of [...docs.blobs, ...docs.manifests]) writeFileSync(join(layout, 'blobs', 'sha256', d.slice(7)), b);
    writeFileSync(join(layout, 'index.json'), JSON.stringify({
      schemaVersion: 2, mediaType: OCI_INDEX,
      manifests: [{ mediaType: OCI_INDEX, digest: digestOf(docs.index), size: docs.index.length, annotations: { 'org.opencontainers.image.ref.name': `v1${HOSTILE}` } }],
    }));
    // Files to lint: a hostile manifest, and a file whose name forges a finding.
    mkdirSync(join(dir, 'files'));
    writeFileSync(join(dir, 'files', 'm.json'), docs.manifests.get(docs.b)!);
    writeFileSync(join(dir, 'files', `n\n${FORGED_FILE}.json`), docs.manifests.get(docs.a)!);
  });
  after(async () => {
    await new Promise((r) => server?.close(r));
    env?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('tree (registry and layout): labels, platforms, artifactType, media types and problems escaped', async () => {
    for (const target of [`${ref}:latest`, `oci:${join(dir, 'layout')}`]) {
      const r = await cli('tree', target);
      assert.equal(r.code, 0, r.stderr);
      assertRunSafe(r, `tree ${target}`);
      const out = r.stdout.toString('utf8');
      assert.ok(out.includes('\\x1b]52;c;'), `the OSC 52 is shown escaped, not dropped:\n${out}`);
      assert.ok(out.includes('\\u202e') && out.includes('\\n└─ linux/amd64'), out);
      // Each node and finding is one line of the tree: every line after the root starts with a guide.
      const lines = out.split('\n').slice(1, -1);
      assert.deepEqual(lines.filter((l) => !/^[│├└ ]/.test(l)), [], `every line after the root is in the tree:\n${out}`);
    }
  });

  test('diff: the JSON diff and the summary (label keys, env, history, artifactType) escaped', async () => {
    const r = await cli('diff', `${ref}@${docs.a}`, `${ref}@${docs.b}`);
    assert.equal(r.code, 1, r.stderr);
    assertRunSafe(r, 'diff');
    const out = r.stdout.toString('utf8');
    assert.match(out, /changes?:\n/);
    assert.ok(out.includes('label1x\\x1b]52'), `the label key is shown escaped:\n${out}`);
  });

  test('fix and push: the lines written, the refusals, the diffs and the file names escaped (the review found them raw)', async () => {
    const runs = [
      ['fix', '--to', 'docker', '--dry-run', `${ref}:latest`],
      ['fix', '--to', 'docker', '--dry-run', `${ref}@${docs.a}`],
      ['fix', '--to', 'oci', '--dry-run', `${ref}@${docs.b}`],
      ['push', join(dir, 'files', `n\n${FORGED_FILE}.json`), `${ref}:pushed`],
    ];
    for (const args of runs) {
      const r = await cli(...args);
      assert.notEqual(r.code, 70, `${args.join(' ')}: ${r.stderr}`);
      assertRunSafe(r, args.slice(0, 4).join(' '));
    }
  });

  test('--platform errors list the platforms escaped (inspect, digest, diff, inspect oci:)', async () => {
    for (const args of [
      ['inspect', '--platform', 'linux/riscv64', `${ref}:latest`],
      ['digest', '--platform', 'linux/riscv64', `${ref}:latest`],
      ['diff', '--platform', 'linux/riscv64', `${ref}:latest`, `${ref}:latest`],
      ['inspect', '--platform', 'linux/riscv64', `oci:${join(dir, 'layout')}`],
    ]) {
      const r = await cli(...args);
      assert.equal(r.code, 3, `${args.join(' ')}: ${r.stderr}`);
      assertRunSafe(r, args.join(' '), false);
      assert.match(r.stderr, /has no manifest for platform linux\/riscv64 \(it lists: .*amd64x\\x1b\]52/);
    }
    // The index entry whose digest forges a line: shown escaped when selected.
    const s390 = await cli('inspect', '--platform', 'linux/s390x', `${ref}:latest`);
    assertRunSafe(s390, 'inspect --platform linux/s390x', false);
  });

  test('inspect --lint (registry and layout): findings on stderr escaped', async () => {
    for (const target of [`${ref}:latest`, `oci:${join(dir, 'layout')}`]) {
      // The registry's index has an entry whose digest is not one: inspect stops there (exit 2).
      const r = await cli('inspect', '--lint', '--fail-on', 'never', target);
      assert.ok(r.code === 0 || r.code === 2, r.stderr);
      assertRunSafe(r, `inspect --lint ${target}`, false);
      assert.match(r.stderr, /\\x1b/, `the hostile text is shown escaped:\n${r.stderr}`);
    }
  });

  test('lint: text escapes messages and file names; github escapes %0A and the rest; json keeps exact values', async () => {
    const text = await cli('lint', '--fail-on', 'never', join(dir, 'files'));
    assertRunSafe(text, 'lint (text)');
    const out = text.stdout.toString('utf8');
    assert.ok(out.includes(`n\\n${FORGED_FILE}.json:`), `the file name is escaped:\n${out}`);
    const gh = await cli('lint', '--format', 'github', '--fail-on', 'never', join(dir, 'files'));
    assertRunSafe(gh, 'lint --format github');
    assert.match(gh.stdout.toString('utf8'), /%0A/);
    for (const line of gh.stdout.toString('utf8').split('\n').filter(Boolean)) assert.match(line, /^::(error|warning|notice) file=/, line);
    const json = await cli('lint', '--format', 'json', '--fail-on', 'never', join(dir, 'files', 'm.json'));
    const results = JSON.parse(json.stdout.toString('utf8')) as { findings: { message: string }[] }[];
    assert.ok(results[0].findings.some((f) => f.message.includes('\u001b]52;c;')), 'JSON keeps the exact text');
  });

  test('inspect: on a terminal the document with its controls escaped; in a pipe the exact bytes', { skip: hasScript() ? false : 'util-linux script is not installed' }, async () => {
    for (const target of [`${ref}:raw`, `${ref}@${docs.a}`]) {
      const tty = await runCliInTerminal(['inspect', target], { env: env.env });
      assert.equal(tty.code, 0, tty.text);
      assertSafe(tty.text, `inspect ${target} on a terminal`);
      assert.ok(tty.text.includes('\\x1b') || tty.text.includes('\\u202e'), `shown escaped:\n${tty.text}`);
      const pipe = await cli('inspect', target);
      assert.equal(pipe.code, 0, pipe.stderr);
      assertSafe(pipe.stderr, `inspect ${target} (stderr)`);
      assert.ok(pipe.stdout.equals(target.endsWith(':raw') ? RAW : docs.manifests.get(docs.a)!), 'the exact bytes in a pipe');
    }
  });

  test('echoed values are bounded: a 10,000-character tag, a 100,000-tag list (issue 23 item 8)', async () => {
    const layout = join(dir, 'many-tags');
    mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });
    writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    const entry = (tag: string) => ({ digest: docs.a, annotations: { 'org.opencontainers.image.ref.name': tag } });
    const manifests = [entry(`long${'t'.repeat(10_000)}`), ...Array.from({ length: 99_999 }, (_, i) => entry(`t${i}`))];
    writeFileSync(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests }));
    const r = await cli('inspect', `oci:${layout}:nope`);
    assert.equal(r.code, 3, r.stderr);
    assertRunSafe(r, 'inspect oci: with 100,000 tags', false);
    assert.ok(r.stderr.length < 1500, `stderr is bounded, got ${r.stderr.length} characters:\n${r.stderr.slice(0, 500)}`);
    assert.match(r.stderr, /no image tagged "nope" in index\.json \(tags: longt+… \(10,004 characters\), t0, t1, /);
    assert.match(r.stderr, /, t18, … \(100,000 in all\)\)/);
    // A 10,000-character tag of the user's own: the message is cut, with its length.
    const own = await cli('inspect', `oci:${join(dir, 'layout')}:${'q'.repeat(10_000)}`);
    assert.equal(own.code, 3, own.stderr);
    assert.ok(own.stderr.length < 1500, `stderr is bounded, got ${own.stderr.length} characters`);
    assert.match(own.stderr, /… \(\d{2},\d{3} characters\)/);
  });
});

describe('terminalText', () => {
  test('terminalSafe shows every control and bidi character escaped', () => {
    assert.equal(terminalSafe('a\u001b]0;t\u0007b\n\r\t\u202e\u2069\u200f\u061c\u2028\u0085\u007f'), 'a\\x1b]0;t\\x07b\\n\\r\\t\\u202e\\u2069\\u200f\\u061c\\u2028\\x85\\x7f');
    assert.equal(terminalSafe('linux/amd64 → ok ├─ é 中'), 'linux/amd64 → ok ├─ é 中');
  });
  test('echoed cuts with the length; echoedList says how many in all', () => {
    assert.equal(echoed('abc'), 'abc');
    assert.equal(echoed('x'.repeat(300), 10), `${'x'.repeat(9)}… (300 characters)`);
    assert.equal(echoedList(['a', 'b', 'c'], 2), 'a, b, … (3 in all)');
  });
  test('fitLine cuts at the width with an ellipsis, colours after cutting, and never cuts a plain line', () => {
    const tty: TerminalStyle = { color: true, compact: true, width: 20, verbose: false };
    const line = fitLine(tty, [['│  ├─ '], ['✖ error', 'red'], [' some-rule a long message']]);
    const visible = line.replace(/\u001b\[[0-9;]*m/g, '');
    assert.equal(visible, '│  ├─ ✖ error some-…');
    assert.ok(line.includes('\u001b[31m✖ error\u001b[0m'));
    const plain = fitLine({ color: false, compact: false, width: Infinity, verbose: false }, [['a'.repeat(300)]]);
    assert.equal(plain, 'a'.repeat(300));
  });
  test('terminalStyle: a TTY is compact and coloured unless NO_COLOR; FORCE_COLOR and --color=always colour a pipe; TERM=dumb and --color=never do not', () => {
    const tty = { isTTY: true, columns: 100, write: () => true } as unknown as NodeJS.WritableStream;
    const pipe = { isTTY: false, write: () => true } as unknown as NodeJS.WritableStream;
    assert.deepEqual(terminalStyle(tty, {}, {}), { color: true, compact: true, width: 100, verbose: false });
    assert.deepEqual(terminalStyle(tty, {}, { NO_COLOR: '1' }), { color: false, compact: false, width: Infinity, verbose: false });
    assert.equal(terminalStyle(tty, {}, { NO_COLOR: '' }).color, true, 'an empty NO_COLOR is unset (no-color.org)');
    assert.equal(terminalStyle(tty, {}, { TERM: 'dumb' }).color, false);
    assert.equal(terminalStyle(tty, { color: 'never' }, {}).color, false);
    assert.deepEqual(terminalStyle(pipe, {}, {}), { color: false, compact: false, width: Infinity, verbose: false });
    assert.equal(terminalStyle(pipe, {}, { FORCE_COLOR: '1' }).color, true);
    assert.equal(terminalStyle(pipe, {}, { FORCE_COLOR: '0' }).color, false);
    assert.deepEqual(terminalStyle(pipe, { color: 'always' }, {}), { color: true, compact: false, width: Infinity, verbose: false });
    assert.equal(terminalStyle({ isTTY: true, write: () => true } as unknown as NodeJS.WritableStream, {}, { COLUMNS: '120' }).width, 120);
  });
  test('takeTerminalOptions takes --color and --verbose before --, and refuses an unknown colour mode', () => {
    assert.deepEqual(takeTerminalOptions(['--color=never', 'x', '--verbose', '--', '--color'], { verbose: true }), { rest: ['x', '--', '--color'], color: 'never', verbose: true });
    assert.deepEqual(takeTerminalOptions(['--color', 'auto', 'ref']), { rest: ['ref'], color: 'auto' });
    assert.deepEqual(takeTerminalOptions(['--color', 'ref']), { rest: ['ref'], color: 'always' });
    assert.deepEqual(takeTerminalOptions(['--verbose']), { rest: ['--verbose'] }, 'only where the command has it');
    assert.match(String(takeTerminalOptions(['--color=sometimes'])), /--color expects auto, always or never/);
  });
  test('firstSentence stops at the first full stop that ends a sentence', () => {
    assert.equal(firstSentence('Mixed media types: a Docker config ("x"). podman refuses it. Use y.'), 'Mixed media types: a Docker config ("x").');
    assert.equal(firstSentence('Use e.g. v1.0 here. More.'), 'Use e.g. v1.0 here.');
    assert.equal(firstSentence('no stop at all'), 'no stop at all');
  });
});
