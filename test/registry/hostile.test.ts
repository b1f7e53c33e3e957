/**
 * Hostile registries on 127.0.0.1 (issue 10): one that echoes the credentials it is sent in
 * error bodies, error JSON and Warning headers; one whose token service redirects the refresh
 * token POST to another host (127.0.0.2); one that drips a byte at a time; one that serves
 * documents nested 100,000 deep or with 400,000 annotation keys; and the CLI's own inputs
 * (/dev/zero, closed pipes, /dev/full, out-of-range timeouts). Every output of every case —
 * stdout, stderr, messages, log lines — is searched for every substring of 4 or more
 * characters of every secret held (the password, the base64 `user:password` with and without
 * padding, refresh and bearer tokens). Each case failed before the fix it names.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MANIFEST_ACCEPT_TYPES } from '../../server/src/engine/mediaTypes';
import { parseGraphArgs } from '../../server/src/cli/graphArgs';
import { parseTimeoutOption } from '../../server/src/cli/inspectCommand';
import { toRegistrySettings } from '../../server/src/lsp/settings';
import { parseReference } from '../../server/src/registry/reference';
import { assertCliBuilt, CLI_PATH, isolatedEnv, runCli, type IsolatedEnv } from '../harness/cli';
import { errorBody, sha256, startFakeRegistry, type FakeRegistry } from './fakeRegistry';
import { rejects, testClient } from './clientHelpers';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const MANIFEST = JSON.stringify({
  schemaVersion: 2,
  mediaType: OCI_MANIFEST,
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'a'.repeat(64)}`, size: 2 },
  layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${'b'.repeat(64)}`, size: 3 }],
});

// Secrets with letters no message or digest is made of, so a 4-character match means a leak.
const USER = 'hostile-user';
const PASSWORD = 'Zq7#vX9!kL2$wQ';
const SHORT_PASSWORD = 'Q7#';
const REFRESH = 'RFRSH_Kq2Xw9Zt7Vb4Yn';
const basicOf = (user: string, password: string): string => Buffer.from(`${user}:${password}`).toString('base64');

/** Every form a secret could leak in: the value, and the base64 pair with and without padding. */
function secretForms(): string[] {
  const b64 = basicOf(USER, PASSWORD);
  return [PASSWORD, REFRESH, b64, b64.replace(/=+$/, ''), Buffer.from(`${USER}:${PASSWORD}`).toString('base64url')];
}

/**
 * Fails when `text` holds any substring of 4+ characters of a secret. Digests are public and
 * made of hex, which a base64 fragment could match by chance: they are taken out first.
 */
function assertNoSecret(text: string, secrets: readonly string[], where: string): void {
  const plain = text.replace(/sha(256|384|512):[0-9a-f]+/g, 'sha:…');
  for (const secret of secrets) {
    for (let i = 0; i + 4 <= secret.length; i++) {
      const piece = secret.slice(i, i + 4);
      assert.ok(!plain.includes(piece), `${where} contains ${JSON.stringify(piece)} of a secret:\n${plain.slice(Math.max(0, plain.indexOf(piece) - 120), plain.indexOf(piece) + 60)}`);
    }
  }
}

/** A config.json for a registry, in an isolated HOME. */
function withConfig(config: object): IsolatedEnv {
  const iso = isolatedEnv();
  mkdirSync(iso.env.DOCKER_CONFIG!, { recursive: true });
  writeFileSync(join(iso.env.DOCKER_CONFIG!, 'config.json'), JSON.stringify(config));
  return iso;
}

/** What a hostile registry says back: every credential it saw, in every form, past a 200-character cut. */
function echo(req: IncomingMessage, body: string): string {
  const auth = req.headers.authorization ?? '';
  const pad = 'x'.repeat(185);
  return `${pad} Authorization: ${auth} | bare ${auth.replace(/^(Basic|Bearer) /, '')} | body ${body} | \u009b31m`;
}

before(() => assertCliBuilt());

describe('a registry that echoes credentials in error JSON, plain bodies and Warning headers', () => {
  let reg: FakeRegistry;
  before(async () => {
    reg = await startFakeRegistry({
      auth: 'basic',
      users: { [USER]: PASSWORD },
      intercept: (req, res, rec) => {
        if (!req.headers.authorization) return false; // the normal Basic challenge
        const said = echo(req, rec.body);
        if (rec.path.endsWith('/manifests/warn')) {
          // Success, with the credentials in a Warning header (299, as registries deprecate).
          res.writeHead(200, { 'content-type': OCI_MANIFEST, 'docker-content-digest': sha256(MANIFEST), warning: `299 - "${said.replace(/"/g, "'")}"` });
          res.end(MANIFEST);
          return true;
        }
        if (rec.path.endsWith('/manifests/text')) {
          res.writeHead(500, { 'content-type': 'text/plain', 'retry-after': '1' });
          res.end(said);
          return true;
        }
        if (rec.path.endsWith('/manifests/served')) {
          // A body that carries the Basic credentials back: never shown.
          const body = JSON.stringify({ ...JSON.parse(MANIFEST), annotations: { echo: req.headers.authorization } });
          res.writeHead(200, { 'content-type': OCI_MANIFEST });
          res.end(body);
          return true;
        }
        res.writeHead(403, { 'content-type': 'application/json', warning: `299 - "${said.replace(/"/g, "'")}"` });
        res.end(errorBody('DENIED', said));
        return true;
      },
    });
  });
  after(() => reg?.close());

  const lookup = async () => ({ username: USER, password: PASSWORD, source: 'test' });

  test('client: error messages, registry error entries, warnings and log lines hold no piece of the password or its base64', async () => {
    const { c, lines } = testClient(MANIFEST_ACCEPT_TYPES, { credentials: lookup });
    const denied = await rejects(c.getManifest(parseReference(`${reg.hostPort}/app/x:denied`)), 'forbidden');
    const text = await rejects(c.getManifest(parseReference(`${reg.hostPort}/app/x:text`)), 'server-error');
    const served = await rejects(c.getManifest(parseReference(`${reg.hostPort}/app/x:served`)), 'protocol');
    assert.match(served.message, /contains the credentials or token sent to it; it is not shown/);
    const warned = await c.getManifest(parseReference(`${reg.hostPort}/app/x:warn`));
    assert.equal(warned.warnings.length, 1);
    assert.match(warned.warnings[0]!, /Authorization: Basic \*\*\*/, 'the warning is kept, masked');
    assert.doesNotMatch(warned.warnings[0]!, /[\u0080-\u009f]/, 'no C1 control characters');
    assert.match(denied.message, /DENIED: x+/);
    assert.doesNotMatch(denied.message, /[\u0080-\u009f]/);
    const all = [denied.message, JSON.stringify(denied.registryErrors), text.message, served.message, ...warned.warnings, ...lines].join('\n');
    assertNoSecret(all, secretForms(), 'client output');
  });

  test('a password shorter than 4 characters is masked where it stands as a credential', async () => {
    const short = await startFakeRegistry({
      auth: 'basic',
      users: { [USER]: SHORT_PASSWORD },
      intercept: (req, res) => {
        if (!req.headers.authorization) return false;
        const said = `password: ${SHORT_PASSWORD} user ${USER}:${SHORT_PASSWORD} auth ${req.headers.authorization}`;
        res.writeHead(403, { 'content-type': 'application/json', warning: `299 - "${said}"` });
        res.end(errorBody('DENIED', said));
        return true;
      },
    });
    try {
      const { c, lines } = testClient(MANIFEST_ACCEPT_TYPES, { credentials: async () => ({ username: USER, password: SHORT_PASSWORD }) });
      const e = await rejects(c.getManifest(parseReference(`${short.hostPort}/app/x:y`)), 'forbidden');
      assert.ok(!e.message.includes(SHORT_PASSWORD), e.message);
      assert.match(e.message, /password: \*\*\* user hostile-user:\*\*\* auth Basic \*\*\*/);
      assertNoSecret([e.message, ...lines].join('\n'), [basicOf(USER, SHORT_PASSWORD)], 'short-password output');
    } finally {
      await short.close();
    }
  });

  test('CLI: inspect with config.json credentials prints no piece of a secret on stdout or stderr, and no C1 control character', async () => {
    const iso = withConfig({ auths: { [reg.hostPort]: { auth: basicOf(USER, PASSWORD) } } });
    try {
      for (const tag of ['denied', 'text', 'warn', 'served']) {
        const r = await runCli(['inspect', `${reg.hostPort}/app/x:${tag}`], { env: iso.env, timeoutMs: 20_000 });
        assert.equal(r.code, tag === 'warn' ? 0 : 3, `${tag}: ${r.stderr}`);
        assertNoSecret(r.stdout.toString('utf8') + r.stderr, secretForms(), `inspect :${tag}`);
        assert.doesNotMatch(r.stderr, /[\u0080-\u009f]/, 'no C1 control characters on stderr');
        if (tag === 'warn') assert.match(r.stderr, /warning: .*Authorization: Basic \*\*\*/);
      }
    } finally {
      iso.cleanup();
    }
  });
});

describe('a token service that redirects the refresh-token POST to another host', () => {
  let reg: FakeRegistry;
  let other: Server;
  let otherUrl: string;
  const seenElsewhere: { method: string; authorization?: string; body: string }[] = [];
  before(async () => {
    // "Another host": 127.0.0.2, a different loopback address (and port).
    other = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seenElsewhere.push({ method: req.method ?? '', authorization: req.headers.authorization, body: Buffer.concat(chunks).toString() });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ token: 'STOLEN_TOKEN_qZx' }));
      });
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.2', r));
    otherUrl = `http://127.0.0.2:${(other.address() as AddressInfo).port}/token`;
    reg = await startFakeRegistry({
      auth: 'bearer',
      anonymousPull: false,
      users: { [USER]: PASSWORD },
      identityTokens: { [REFRESH]: USER },
      intercept: (_req, res, rec) => {
        if (rec.path === '/token') {
          res.writeHead(rec.method === 'POST' ? 307 : 308, { location: otherUrl });
          res.end();
          return true;
        }
        return false;
      },
    });
    reg.putManifest('app/x', 'y', MANIFEST, OCI_MANIFEST);
  });
  after(async () => {
    await reg?.close();
    other?.close();
  });

  test('the refresh token is not sent to the other host; the error says why', async () => {
    seenElsewhere.length = 0;
    const { c, lines } = testClient(MANIFEST_ACCEPT_TYPES, { credentials: async () => ({ identityToken: REFRESH, source: 'test' }) });
    const e = await rejects(c.getManifest(parseReference(`${reg.hostPort}/app/x:y`)), 'redirect');
    assert.match(e.message, /redirected the token request \(307\) to another host, 127\.0\.0\.2:\d+; its body carries credentials, so it was not sent there/);
    assert.deepEqual(seenElsewhere, [], 'nothing reached 127.0.0.2');
    assertNoSecret([e.message, ...lines].join('\n'), [REFRESH], 'refresh-token output');
  });

  test('a Basic token GET redirected to the other host arrives there without Authorization', async () => {
    seenElsewhere.length = 0;
    const { c } = testClient(MANIFEST_ACCEPT_TYPES, { credentials: async () => ({ username: USER, password: PASSWORD, source: 'test' }) });
    await c.getManifest(parseReference(`${reg.hostPort}/app/x:y`)).catch(() => undefined);
    assert.ok(seenElsewhere.length > 0, 'the GET followed the redirect');
    for (const r of seenElsewhere) {
      assert.equal(r.authorization, undefined);
      assertNoSecret(r.body, secretForms(), 'the other host');
    }
  });

  test('CLI: inspect with an identitytoken in config.json exits 3 with the redirect message, no token anywhere', async () => {
    seenElsewhere.length = 0;
    const iso = withConfig({ auths: { [reg.hostPort]: { identitytoken: REFRESH } } });
    try {
      const r = await runCli(['inspect', `${reg.hostPort}/app/x:y`], { env: iso.env, timeoutMs: 20_000 });
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /its body carries credentials, so it was not sent there/);
      assert.deepEqual(seenElsewhere, []);
      assertNoSecret(r.stdout.toString() + r.stderr, [REFRESH], 'inspect');
    } finally {
      iso.cleanup();
    }
  });
});

describe('time limits', () => {
  let reg: FakeRegistry;
  before(async () => {
    reg = await startFakeRegistry({
      intercept: (_req, res, rec) => {
        if (!rec.path.endsWith('/manifests/drip')) return false;
        // One byte every 100 ms: the stall timer never fires.
        res.writeHead(200, { 'content-type': OCI_MANIFEST, 'content-length': String(MANIFEST.length) });
        let i = 0;
        const t = setInterval(() => {
          if (i < MANIFEST.length) res.write(MANIFEST[i++]!);
          else {
            clearInterval(t);
            res.end();
          }
        }, 100);
        res.on('close', () => clearInterval(t));
        return true;
      },
    });
  });
  after(() => reg?.close());

  test('a registry that drips a byte every 100 ms is given up at the timeout (before: it stretched the request for as long as it dripped)', async () => {
    const started = Date.now();
    const { c } = testClient(MANIFEST_ACCEPT_TYPES, {}, 1000);
    const e = await rejects(c.getManifest(parseReference(`${reg.hostPort}/app/x:drip`)), 'timeout');
    const took = Date.now() - started;
    assert.ok(took < 3000, `gave up after ${took} ms`);
    assert.match(e.message, /had sent only \d+ B of the manifest after 1 s, the longest a request may take/);
  });

  test('CLI: --timeout 1 on the drip exits 3 within a few seconds', async () => {
    const r = await runCli(['inspect', '--timeout', '1', `${reg.hostPort}/app/x:drip`], { timeoutMs: 20_000 });
    assert.equal(r.code, 3, r.stderr);
    assert.ok(r.ms < 6000, `${r.ms} ms`);
    assert.match(r.stderr, /the longest a request may take/);
  });

  test('CLI: --timeout out of range is a usage error, never a TimeoutOverflowWarning or "0 ms"', async () => {
    const commands: string[][] = [['inspect'], ['digest'], ['tree'], ['diff', `${reg.hostPort}/app/x:z`]];
    for (const [command, ...extra] of commands) for (const value of ['2147484', '0.0001', '-1', 'NaN', '']) {
      const r = await runCli([command, '--timeout', value, ...extra, `${reg.hostPort}/app/x:y`], { timeoutMs: 20_000 });
      assert.equal(r.code, 2, `${command} --timeout ${value}: ${r.stderr}`);
      assert.match(r.stderr, /--timeout expects seconds from 0\.1 to 86400/);
      assert.doesNotMatch(r.stderr, /TimeoutOverflowWarning|0 ms/);
    }
    // The setting is clamped to what a timer can wait.
    assert.equal(toRegistrySettings({ registry: { timeoutSeconds: 2147484 } }).timeoutSeconds, 86_400);
    assert.equal(toRegistrySettings({ registry: { timeoutSeconds: 0.0001 } }).timeoutSeconds, 1);
    // And the client never hands a timer more than it can hold.
    const { c } = testClient(MANIFEST_ACCEPT_TYPES, {}, 2147484 * 1000);
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.name);
    process.on('warning', onWarning);
    reg.putManifest('app/x', 'y', MANIFEST, OCI_MANIFEST);
    await c.getManifest(parseReference(`${reg.hostPort}/app/x:y`));
    await new Promise((r) => setTimeout(r, 50));
    process.off('warning', onWarning);
    assert.deepEqual(warnings.filter((w) => w === 'TimeoutOverflowWarning'), []);
  });
});

describe('deep, large and odd documents', () => {
  let reg: FakeRegistry;
  const deep = '{"schemaVersion":2,"mediaType":"' + OCI_MANIFEST + '","x":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}';
  before(async () => {
    reg = await startFakeRegistry({
      intercept: (_req, res, rec) => {
        if (rec.path.endsWith('/manifests/big')) {
          res.writeHead(200, { 'content-type': OCI_MANIFEST, 'content-length': String(4 * 1024 * 1024 + 1) });
          res.end();
          return true;
        }
        if (rec.path.endsWith('/manifests/file')) {
          res.writeHead(302, { location: 'file:///etc/passwd' });
          res.end();
          return true;
        }
        if (rec.path.endsWith('/manifests/oddigest')) {
          res.writeHead(200, { 'content-type': OCI_MANIFEST, 'docker-content-digest': 'not-a-digest\u0085' });
          res.end(rec.method === 'HEAD' ? undefined : MANIFEST);
          return true;
        }
        return false;
      },
    });
    reg.putManifest('app/deep', 'deep', deep, OCI_MANIFEST);
    const annotations: Record<string, string> = {};
    for (let i = 0; i < 200_000; i++) annotations[`K${i}`] = '';
    reg.putManifest('app/keys', 'many', JSON.stringify({ ...JSON.parse(MANIFEST), annotations }), OCI_MANIFEST);
    reg.putManifest('app/x', 'y', MANIFEST, OCI_MANIFEST);
  });
  after(() => reg?.close());

  test('inspect --format json on a document nested 100,000 deep: exit 0, manifest null, a note (before: "Maximum call stack size exceeded", exit 2)', async () => {
    const r = await runCli(['inspect', '--format', 'json', `${reg.hostPort}/app/deep:deep`], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /nested more than 500 levels deep/);
    const out = JSON.parse(r.stdout.toString('utf8')) as { manifest: unknown; text: string };
    assert.equal(out.manifest, null);
    assert.equal(out.text, deep);
    const linted = await runCli(['inspect', '--lint', '--format', 'json', `${reg.hostPort}/app/deep:deep`], { timeoutMs: 30_000 });
    assert.equal(linted.code, 1, linted.stderr);
    assert.match(linted.stderr, /nested more than 500 levels/);
  });

  test('inspect --lint on 200,000 annotation keys lists the first 1,000 findings and counts the rest', async () => {
    const r = await runCli(['inspect', '--lint', '--fail-on', 'hint', `${reg.hostPort}/app/keys:many`], { timeoutMs: 60_000 });
    assert.equal(r.code, 1, r.stderr.slice(-500));
    const findings = r.stderr.split('\n').filter((l) => / (error|warning|info|hint) [a-z-]+ /.test(l));
    assert.ok(findings.length <= 1000, `${findings.length} finding lines`);
    assert.match(r.stderr, /: 199,\d{3} more findings not shown \(the first 1,000 are; the most severe of the rest is hint\)/);
    assert.ok(r.stderr.length < 400_000, `stderr is ${r.stderr.length} characters`);
  });

  test('wording: exact bytes when sizes round alike; a file: redirect by its scheme; an unusable Docker-Content-Digest as such', async () => {
    const big = await runCli(['inspect', `${reg.hostPort}/app/x:big`], { timeoutMs: 20_000 });
    assert.equal(big.code, 3);
    assert.match(big.stderr, /is 4,194,305 bytes, over the 4,194,304 bytes \(4\.0 MB\) limit/);
    const file = await runCli(['inspect', `${reg.hostPort}/app/x:file`], { timeoutMs: 20_000 });
    assert.equal(file.code, 3);
    assert.match(file.stderr, /file:\/\/\/etc\/passwd/);
    assert.doesNotMatch(file.stderr, /null\/etc/);
    const odd = await runCli(['inspect', `${reg.hostPort}/app/x:oddigest`], { timeoutMs: 20_000 });
    assert.equal(odd.code, 0, odd.stderr);
    assert.match(odd.stderr, /Docker-Content-Digest \("not-a-digest ?"\) is not a usable digest/);
    assert.doesNotMatch(odd.stderr, /sent no Docker-Content-Digest|[\u0080-\u009f]/);
    const digest = await runCli(['digest', `${reg.hostPort}/app/x:oddigest`], { timeoutMs: 20_000 });
    assert.equal(digest.code, 0, digest.stderr);
    assert.match(digest.stderr, /HEAD gave a Docker-Content-Digest that is not a usable digest/);
  });

  test('digest REG/REPO@sha512:… is verified with sha512 (before: compared with the sha256 header, exit 3)', async () => {
    const { createHash } = await import('node:crypto');
    const sha512 = `sha512:${createHash('sha512').update(MANIFEST).digest('hex')}`;
    const shaRoute = await startFakeRegistry({
      intercept: (req, res, rec) => {
        if (!rec.path.endsWith(`/manifests/${sha512}`)) return false;
        res.writeHead(200, { 'content-type': OCI_MANIFEST, 'docker-content-digest': sha256(MANIFEST), 'content-length': String(MANIFEST.length) });
        res.end(req.method === 'HEAD' ? undefined : MANIFEST);
        return true;
      },
    });
    try {
      const r = await runCli(['digest', `${shaRoute.hostPort}/app/x@${sha512}`], { timeoutMs: 20_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.toString().trim(), sha512);
      assert.match(r.stderr, /verified: the \d+ bytes served hash to it/);
    } finally {
      await shaRoute.close();
    }
  });

  test('a rejected credential-helper name is named in the 401 message, not only "No credentials were found"', async () => {
    const locked = await startFakeRegistry({ auth: 'basic', users: { [USER]: PASSWORD } });
    const iso = withConfig({ credHelpers: { [locked.hostPort]: '../../bin/sh' } });
    try {
      const r = await runCli(['inspect', `${locked.hostPort}/app/x:y`], { env: iso.env, timeoutMs: 20_000 });
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /the credential helper name "\.\.\/\.\.\/bin\/sh" .* was not run: a helper name is a plain program suffix/);
    } finally {
      iso.cleanup();
      await locked.close();
    }
  });
});

describe('the CLI\'s own inputs and outputs', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lens-hostile-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('lint /dev/zero, lint - < /dev/zero and lint /dev/urandom stop at 64 MiB with a clear message (before: gigabytes)', async () => {
    for (const args of [['lint', '/dev/zero'], ['lint', '/dev/urandom']]) {
      const r = await runCli(args, { timeoutMs: 60_000 });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout.toString(), /file-too-large is larger than 64 MiB \(stopped reading there\)/);
    }
    const r = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [CLI_PATH, 'lint', '-'], { stdio: [openSync('/dev/zero', 'r'), 'pipe', 'pipe'] });
      let out = '';
      child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.once('error', reject);
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve({ code, out });
      });
    });
    assert.equal(r.code, 1);
    assert.match(r.out, /<stdin>:1:1 error file-too-large is larger than 64 MiB/);
  });

  test('lint with many findings into a pipe the reader closes after one line keeps exit code 1', async () => {
    const annotations: Record<string, string> = {};
    for (let i = 0; i < 900; i++) annotations[`K${i}`] = '';
    const files: string[] = [];
    for (let f = 0; f < 20; f++) {
      const file = join(dir, `many-${f}.json`);
      writeFileSync(file, JSON.stringify({ ...JSON.parse(MANIFEST), config: { ...JSON.parse(MANIFEST).config, mediaType: 'application/vnd.docker.container.image.v1+json' }, annotations }));
      files.push(file);
    }
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [CLI_PATH, 'lint', ...files], { stdio: ['ignore', 'pipe', 'ignore'] });
      // `| head -n 1`: read the first line, then close the pipe while the CLI still writes.
      child.stdout!.once('data', () => child.stdout!.destroy());
      child.once('close', (c) => resolve(c));
    });
    assert.equal(code, 1, 'the errors still decide the exit code');
  });

  test('rules > /dev/full: one line on stderr and exit 74, never a stack trace or the bundle\'s source', async () => {
    const r = await new Promise<{ code: number | null; err: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI_PATH, 'rules'], { stdio: ['ignore', openSync('/dev/full', 'w'), 'pipe'] });
      let err = '';
      child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
      child.once('close', (code) => resolve({ code, err }));
    });
    assert.equal(r.code, 74, r.err);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
    assert.match(r.err, /^manifest-lens: cannot write the output \(ENOSPC/);
    assert.doesNotMatch(r.err, /\n\s+at |throw /);
  });
});

describe('a registry that rate-limits absurdly (issue 23 item 8)', () => {
  const FOREVER = 'Fri, 31 Dec 9999 23:59:59 GMT'; // 251,605,796,990 s from now and then
  const INDEX = 'application/vnd.oci.image.index.v1+json';
  let reg: FakeRegistry;
  before(async () => {
    reg = await startFakeRegistry({
      intercept: (_req, res, rec) => {
        if (!rec.path.includes('/manifests/sha256:') && !rec.path.endsWith('/manifests/limited')) return false;
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': FOREVER });
        res.end(errorBody('TOOMANYREQUESTS', 'slow down'));
        return true;
      },
    });
    const entries = Array.from({ length: 200 }, (_, i) => ({ mediaType: OCI_MANIFEST, digest: sha256(`child ${i}`), size: 10, platform: { os: 'linux', architecture: 'amd64', variant: `v${i}` } }));
    reg.putManifest('app/storm', 'v1', JSON.stringify({ schemaVersion: 2, mediaType: INDEX, manifests: entries }), INDEX);
  });
  after(() => reg?.close());

  test('the 429 message says the capped wait and that the registry asked for more, never "Retry after 251605796990 s"', async () => {
    const { c } = testClient(MANIFEST_ACCEPT_TYPES);
    const e = await rejects(c.getManifest(parseReference(`${reg.hostPort}/app/x:limited`)), 'rate-limited');
    assert.equal(e.retryAfterSeconds, 300);
    assert.match(e.message, /It asked for more than a week; Manifest Lens waits at most 300 s, so retry after 300 s\./);
    assert.doesNotMatch(e.message, /\d{7,}/, 'no absurd number of seconds');
    // The next call is refused by the rate gate, which says the same.
    const refused = await rejects(c.getManifest(parseReference(`${reg.hostPort}/app/x:limited`)), 'rate-limited');
    assert.match(refused.message, /it asked for more than a week; Manifest Lens waits at most 300 s/);
    assert.doesNotMatch(refused.message, /\d{7,}/);
  });

  test('CLI: tree after a 429 storm counts every request sent and the ones not sent (before: "201 documents fetched in 1 requests")', async () => {
    const before = reg.requests.length;
    const r = await runCli(['tree', '--no-referrers', `${reg.hostPort}/app/storm:v1`], { timeoutMs: 20_000 });
    assert.equal(r.code, 0, r.stderr);
    const sent = reg.requests.length - before;
    const m = /: (\d+) documents? fetched in (\d+) requests? \((\d+) more not sent: the registry answered 429 Too Many Requests\)/.exec(r.stderr);
    assert.ok(m, r.stderr);
    assert.equal(Number(m[1]), 1, 'only the index was fetched');
    assert.equal(Number(m[2]), sent, `the registry saw ${sent} requests`);
    assert.equal(Number(m[3]), 200 - (sent - 1), 'every child not asked for is counted');
    assert.doesNotMatch(r.stdout.toString('utf8'), /\d{7,} s/, 'no absurd wait in the tree either');
  });
});

describe('number options take plain decimal digits only (issue 23 item 8)', () => {
  test('--depth=, --max-entries 1e3 / 0x10 and the like are usage errors; plain digits are read', () => {
    for (const [name, bad] of [['--depth', ''], ['--depth', ' 2'], ['--max-entries', '1e3'], ['--max-entries', '0x10'], ['--concurrency', '0b11'], ['--depth', '1.0'], ['--depth', '+1'], ['--max-entries', '1_000'], ['--depth', '٣']] as const) {
      for (const args of [[`${name}=${bad}`, 'r/x'], [name, bad, 'r/x']]) {
        const parsed = parseGraphArgs(args, { graph: true });
        assert.equal(typeof parsed, 'string', `${args.join(' ')} is accepted as ${JSON.stringify(parsed)}`);
        assert.match(parsed as string, new RegExp(`^${name} expects a whole number from \\d+ to \\d+, got ${JSON.stringify(JSON.stringify(bad)).slice(1, -1).replace(/[+.]/g, '\\$&')}$`));
      }
    }
    const ok = parseGraphArgs(['--depth=0', '--max-entries', '010', '--concurrency=32', 'r/x'], { graph: true });
    assert.ok(typeof ok !== 'string', String(ok));
    assert.deepEqual([ok.depth, ok.maxEntries, ok.concurrency], [0, 10, 32]);
  });

  test('--timeout takes decimal seconds only', () => {
    for (const bad of ['1e1', '0x10', ' 5', '5 ', '', '.5', 'Infinity']) assert.equal(typeof parseTimeoutOption(bad), 'string', JSON.stringify(bad));
    assert.equal(parseTimeoutOption('2.5'), 2.5);
    assert.equal(parseTimeoutOption('30'), 30);
  });

  test('CLI: tree --depth= is a usage error (exit 2), not depth 0', async () => {
    const r = await runCli(['tree', '--depth=', '127.0.0.1:9/x:y'], { timeoutMs: 20_000 });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--depth expects a whole number from 0 to 16, got ""/);
  });
});
