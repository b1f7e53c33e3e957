import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { dockerConfigCredentials, execCredentialHelper, normaliseRegistryKey } from '../../server/src/registry/credentials';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

let root: string;
let n = 0;
/** A fresh fake HOME with the given files (path relative to home → JSON value or raw text). */
function home(files: Record<string, unknown>): string {
  const dir = join(root, `home${n++}`);
  for (const [rel, content] of Object.entries(files)) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

before(() => {
  root = mkdtempSync(join(tmpdir(), 'ml-creds-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

describe('config files', () => {
  test('auths[host].auth is base64 user:password; the source is named', async () => {
    const h = home({ '.docker/config.json': { auths: { 'registry.example.com': { auth: b64('alice:pa:ss') } } } });
    const lookup = dockerConfigCredentials({ env: {}, homeDir: h, allowHelpers: false });
    assert.deepEqual(await lookup('registry.example.com'), { username: 'alice', password: 'pa:ss', source: '~/.docker/config.json' });
    assert.equal(await lookup('other.example.com'), undefined);
  });

  test('Docker Hub is found under every key docker uses', async () => {
    for (const key of ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io', 'https://registry-1.docker.io/v2/']) {
      const h = home({ '.docker/config.json': { auths: { [key]: { auth: b64('hub:pw') } } } });
      const lookup = dockerConfigCredentials({ env: {}, homeDir: h, allowHelpers: false });
      assert.equal((await lookup('docker.io'))?.username, 'hub', key);
      assert.equal((await lookup('index.docker.io'))?.username, 'hub', key);
      assert.equal((await lookup('quay.io'))?.username, undefined, key);
    }
  });

  test('URL keys match by host; ports must match', async () => {
    const h = home({
      '.docker/config.json': {
        auths: { 'https://registry.example.com/v1/': { auth: b64('u:p') }, 'http://localhost:5000': { auth: b64('l:p') } },
      },
    });
    const lookup = dockerConfigCredentials({ env: {}, homeDir: h, allowHelpers: false });
    assert.equal((await lookup('registry.example.com'))?.username, 'u');
    assert.equal((await lookup('localhost:5000'))?.username, 'l');
    assert.equal(await lookup('localhost:5001'), undefined);
    assert.equal(await lookup('localhost'), undefined);
  });

  test('identitytoken and registrytoken', async () => {
    const h = home({
      '.docker/config.json': {
        auths: {
          'id.example.com': { auth: b64('bob:'), identitytoken: 'refresh-abc' },
          'rt.example.com': { registrytoken: 'bearer-xyz' },
        },
      },
    });
    const lookup = dockerConfigCredentials({ env: {}, homeDir: h, allowHelpers: false });
    assert.deepEqual(await lookup('id.example.com'), { username: 'bob', identityToken: 'refresh-abc', source: '~/.docker/config.json' });
    assert.deepEqual(await lookup('rt.example.com'), { registryToken: 'bearer-xyz', source: '~/.docker/config.json' });
  });

  test('DOCKER_CONFIG points at another directory', async () => {
    const h = home({ 'elsewhere/config.json': { auths: { 'a.example': { auth: b64('x:y') } } }, '.docker/config.json': { auths: {} } });
    const lookup = dockerConfigCredentials({ env: { DOCKER_CONFIG: join(h, 'elsewhere') }, homeDir: h, allowHelpers: false });
    assert.deepEqual(await lookup('a.example'), { username: 'x', password: 'y', source: '~/elsewhere/config.json' });
  });

  test('containers auth files, after the docker config', async () => {
    const h = home({
      '.docker/config.json': { auths: { 'both.example': { auth: b64('docker:1') } } },
      '.config/containers/auth.json': { auths: { 'both.example': { auth: b64('podman:1') }, 'podman.example': { auth: b64('podman:2') } } },
      'run/containers/auth.json': { auths: { 'runtime.example': { auth: b64('rt:3') } } },
      'custom.json': { auths: { 'custom.example': { auth: b64('custom:4') }, 'quay.io/org/repo': { auth: b64('ns:5') } } },
    });
    const lookup = dockerConfigCredentials({
      env: { XDG_RUNTIME_DIR: join(h, 'run'), REGISTRY_AUTH_FILE: join(h, 'custom.json') },
      homeDir: h,
      allowHelpers: false,
    });
    assert.equal((await lookup('both.example'))?.username, 'docker');
    assert.equal((await lookup('podman.example'))?.source, '~/.config/containers/auth.json');
    assert.equal((await lookup('runtime.example'))?.username, 'rt');
    assert.equal((await lookup('custom.example'))?.username, 'custom');
    assert.equal(await lookup('quay.io'), undefined, 'namespaced keys are not registry-wide');
  });

  test('XDG_CONFIG_HOME moves the podman file', async () => {
    const h = home({ 'xdg/containers/auth.json': { auths: { 'x.example': { auth: b64('xdg:1') } } } });
    const lookup = dockerConfigCredentials({ env: { XDG_CONFIG_HOME: join(h, 'xdg') }, homeDir: h, allowHelpers: false });
    assert.equal((await lookup('x.example'))?.username, 'xdg');
  });

  test('missing files: nothing, quietly; garbled files: nothing, with a log line that holds no secret', async () => {
    const lines: string[] = [];
    const empty = home({});
    assert.equal(await dockerConfigCredentials({ env: {}, homeDir: empty, allowHelpers: false, log: (l) => lines.push(l) })('a.example'), undefined);
    assert.equal(lines.length, 0);
    const garbled = home({ '.docker/config.json': '{"auths": {"a.example": {"auth": "c2VjcmV0LXBhc3M="' });
    assert.equal(await dockerConfigCredentials({ env: {}, homeDir: garbled, allowHelpers: false, log: (l) => lines.push(l) })('a.example'), undefined);
    assert.deepEqual(lines, ['~/.docker/config.json is not valid JSON; ignoring it']);
    const weird = home({ '.docker/config.json': '[1,2]', '.config/containers/auth.json': { auths: { 'a.example': { auth: 'not base64 at all!' } } } });
    assert.equal(await dockerConfigCredentials({ env: {}, homeDir: weird, allowHelpers: false })('a.example'), undefined);
  });

  test('DOCKER_AUTH_CONFIG overlays the files', async () => {
    const h = home({ '.docker/config.json': { auths: { 'a.example': { auth: b64('file:1') } } } });
    const env = { DOCKER_AUTH_CONFIG: JSON.stringify({ auths: { 'a.example': { auth: b64('env:2') } } }) };
    assert.equal((await dockerConfigCredentials({ env, homeDir: h, allowHelpers: false })('a.example'))?.username, 'env');
  });

  test('normaliseRegistryKey', () => {
    assert.equal(normaliseRegistryKey('https://index.docker.io/v1/'), 'docker.io');
    assert.equal(normaliseRegistryKey('HTTPS://Registry.Example.com:443/v2/'), 'registry.example.com:443');
    assert.equal(normaliseRegistryKey('[::1]:5000'), '[::1]:5000');
  });
});

describe('credential helpers', () => {
  let bin: string;
  let helperLog: string;
  let env: NodeJS.ProcessEnv;
  before(() => {
    bin = join(root, 'bin');
    mkdirSync(bin, { recursive: true });
    helperLog = join(root, 'helper.log');
    const script = [
      '#!/bin/sh',
      'url=$(cat)',
      'printf "%s|%s\\n" "$*" "$url" >> "$HELPER_LOG"',
      'case "$url" in',
      '  *missing*) echo "credentials not found in native keychain"; exit 1;;',
      '  *tokenhost*) printf \'{"ServerURL":"%s","Username":"<token>","Secret":"id-tok-123"}\' "$url";;',
      '  *garbage*) echo "this is not json";;',
      '  *) printf \'{"ServerURL":"%s","Username":"helper-user","Secret":"helper-secret"}\' "$url";;',
      'esac',
    ].join('\n');
    for (const name of ['docker-credential-test', 'docker-credential-store']) {
      writeFileSync(join(bin, name), script + '\n');
      chmodSync(join(bin, name), 0o755);
    }
    env = { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, HELPER_LOG: helperLog };
  });

  const calls = (): string[] => (existsSync(helperLog) ? readFileSync(helperLog, 'utf8').trim().split('\n') : []);

  test('credHelpers[host]: `get`, the server URL on stdin, JSON on stdout', async () => {
    rmSync(helperLog, { force: true });
    const h = home({ '.docker/config.json': { credHelpers: { 'registry.example.com': 'test', 'docker.io': 'test' } } });
    const lookup = dockerConfigCredentials({ env, homeDir: h, allowHelpers: true });
    assert.deepEqual(await lookup('registry.example.com'), { username: 'helper-user', password: 'helper-secret', source: 'docker-credential-test' });
    assert.deepEqual(await lookup('docker.io'), { username: 'helper-user', password: 'helper-secret', source: 'docker-credential-test' });
    assert.deepEqual(calls(), ['get|registry.example.com', 'get|https://index.docker.io/v1/']);
  });

  test('Username <token> means an identity token; "not found" means none', async () => {
    const h = home({ '.docker/config.json': { credHelpers: { 'tokenhost.example': 'test', 'missing.example': 'test', 'garbage.example': 'test' } } });
    const lines: string[] = [];
    const lookup = dockerConfigCredentials({ env, homeDir: h, allowHelpers: true, log: (l) => lines.push(l) });
    assert.deepEqual(await lookup('tokenhost.example'), { identityToken: 'id-tok-123', source: 'docker-credential-test' });
    assert.equal(await lookup('missing.example'), undefined);
    assert.equal(await lookup('garbage.example'), undefined);
    assert.ok(lines.includes('docker-credential-test has no credentials for missing.example'));
    assert.ok(lines.some((l) => l.includes('not JSON') && l.includes('garbage.example')));
  });

  test('allowHelpers=false: the helper never runs, and a log line says so', async () => {
    rmSync(helperLog, { force: true });
    const h = home({ '.docker/config.json': { credHelpers: { 'registry.example.com': 'test' }, auths: { 'registry.example.com': {} } } });
    const lines: string[] = [];
    const lookup = dockerConfigCredentials({ env, homeDir: h, allowHelpers: false, log: (l) => lines.push(l) });
    assert.equal(await lookup('registry.example.com'), undefined);
    assert.deepEqual(calls(), []);
    assert.match(lines.join('\n'), /not running docker-credential-test for registry\.example\.com: credential helpers are disabled \(untrusted workspace\)/);
  });

  test('credsStore serves every host; inline auths still work when helpers are off', async () => {
    rmSync(helperLog, { force: true });
    const h = home({ '.docker/config.json': { credsStore: 'store', auths: { 'inline.example': { auth: b64('in:line') }, 'quay.io': {} } } });
    assert.equal((await dockerConfigCredentials({ env, homeDir: h, allowHelpers: true })('quay.io'))?.source, 'docker-credential-store');
    assert.deepEqual(calls(), ['get|quay.io']);
    const off = dockerConfigCredentials({ env, homeDir: h, allowHelpers: false });
    assert.equal((await off('inline.example'))?.username, 'in');
    assert.equal(await off('quay.io'), undefined);
    assert.deepEqual(calls(), ['get|quay.io'], 'no further helper runs');
  });

  test('a helper that is missing, fails or has a rejected name: no credentials, and a problem that says why', async () => {
    const h = home({ '.docker/config.json': { credHelpers: { 'a.example': 'does-not-exist', 'b.example': '../../bin/sh' } } });
    const lines: string[] = [];
    const lookup = dockerConfigCredentials({ env, homeDir: h, allowHelpers: true, log: (l) => lines.push(l) });
    assert.deepEqual(await lookup('a.example'), { source: 'docker-credential-does-not-exist', problem: 'docker-credential-does-not-exist could not provide credentials for a.example: not found on PATH' });
    assert.ok(lines.some((l) => l === 'docker-credential-does-not-exist could not provide credentials for a.example: not found on PATH'), lines.join('\n'));
    const rejected = await lookup('b.example');
    assert.equal(rejected?.username, undefined);
    assert.equal(rejected?.password, undefined);
    // The message names the rejected name and why (issue 10: not only "No credentials were found").
    assert.match(rejected?.problem ?? '', /credential helper name "\.\.\/\.\.\/bin\/sh" for b\.example in ~\/\.docker\/config\.json was not run: a helper name is a plain program suffix/);
    assert.ok(lines.some((l) => l.includes('plain program suffix')));
  });

  test('a helper whose own child keeps the output pipe open is stopped at the timeout, its whole process group killed', async () => {
    const bin = mkdtempSync(join(tmpdir(), 'lens-helper-'));
    const pidFile = join(bin, 'grandchild.pid');
    // The helper starts a grandchild that inherits stdout and sleeps, then the helper itself hangs too.
    writeFileSync(join(bin, 'docker-credential-hang'), `#!/bin/sh\nsleep 30 &\necho $! > ${pidFile}\nsleep 30\n`);
    chmodSync(join(bin, 'docker-credential-hang'), 0o755);
    const run = execCredentialHelper({ PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}` }, 500);
    const started = Date.now();
    await assert.rejects(run('docker-credential-hang', 'x.example'), /stopped after 0\.5 s \(timeout\)/);
    const took = Date.now() - started;
    assert.ok(took < 3000, `gave up after ${took} ms (before the fix: until the grandchild closed the pipe)`);
    // The grandchild was killed with the group: gone, or a zombie waiting for a PID 1 that reaps it.
    const pid = Number(readFileSync(pidFile, 'utf8'));
    const gone = (): boolean => {
      try {
        process.kill(pid, 0);
      } catch {
        return true;
      }
      try {
        return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return true;
      }
    };
    const until = Date.now() + 3000;
    while (!gone() && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    assert.ok(gone(), 'the grandchild is gone');
    rmSync(bin, { recursive: true, force: true });
  });

  test('an injected runner receives the program name and server URL', async () => {
    const seen: [string, string][] = [];
    const h = home({ '.docker/config.json': { credHelpers: { 'ghcr.io': 'gh' } } });
    const lookup = dockerConfigCredentials({
      homeDir: h,
      env: {},
      allowHelpers: true,
      runHelper: async (helper, url) => {
        seen.push([helper, url]);
        return JSON.stringify({ ServerURL: url, Username: 'octo', Secret: 'ghp_x' });
      },
    });
    assert.deepEqual(await lookup('ghcr.io'), { username: 'octo', password: 'ghp_x', source: 'docker-credential-gh' });
    assert.deepEqual(seen, [['docker-credential-gh', 'ghcr.io']]);
  });
});
