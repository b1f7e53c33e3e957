/** Platform selection of `inspect --platform` (image-index.md: the first match wins). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { indexEntries, parseInspectArgs, parsePlatform, selectPlatform } from '../../server/src/cli/inspectCommand';

const d = (n: number): string => 'sha256:' + String(n).repeat(64).slice(0, 64);

function index(manifests: unknown[]): Uint8Array {
  return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }));
}

const entries = indexEntries(index([
  { digest: d(1), size: 1, platform: { os: 'unknown', architecture: 'unknown' } },
  { digest: d(2), size: 1, platform: { os: 'linux', architecture: 'amd64' } },
  { digest: d(3), size: 1, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
  { digest: d(4), size: 1, platform: { os: 'linux', architecture: 'amd64' } },
  { digest: d(5), size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
  { digest: d(6), size: 1, platform: { os: 'linux', architecture: 'arm64' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } },
  { digest: d(7), size: 1 },
]))!;

test('the first matching entry wins', () => {
  assert.equal(selectPlatform(entries, parsePlatform('linux/amd64')!)?.digest, d(2));
});

test('variant is optional; an entry without a variant is the default one', () => {
  assert.equal(selectPlatform(entries, parsePlatform('linux/arm64')!)?.digest, d(3));
  assert.equal(selectPlatform(entries, parsePlatform('linux/arm64/v8')!)?.digest, d(3));
  assert.equal(selectPlatform(entries, parsePlatform('linux/arm64/v9')!), undefined);
  assert.equal(selectPlatform(entries, parsePlatform('linux/arm/v7')!)?.digest, d(5));
  assert.equal(selectPlatform(entries, parsePlatform('linux/arm/v6')!), undefined);
  assert.equal(selectPlatform(entries, parsePlatform('linux/aarch64')!)?.digest, d(3), 'aliases are normalised');
  const bare = indexEntries(index([{ digest: d(8), size: 1, platform: { os: 'linux', architecture: 'arm64' } }]))!;
  assert.equal(selectPlatform(bare, parsePlatform('linux/arm64/v8')!)?.digest, d(8));
});

test('attestation entries (unknown/unknown, or annotated) never match', () => {
  assert.equal(selectPlatform(entries, parsePlatform('unknown/unknown')!), undefined);
  const onlyAttestation = indexEntries(index([
    { digest: d(6), size: 1, platform: { os: 'linux', architecture: 's390x' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } },
  ]))!;
  assert.equal(selectPlatform(onlyAttestation, parsePlatform('linux/s390x')!), undefined);
});

test('indexEntries: not an index → undefined', () => {
  assert.equal(indexEntries(Buffer.from('{"schemaVersion":2,"config":{},"layers":[]}')), undefined);
  assert.equal(indexEntries(Buffer.from('not json')), undefined);
});

test('parsePlatform and parseInspectArgs', () => {
  assert.deepEqual(parsePlatform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64', variant: 'v8' });
  assert.equal(parsePlatform('linux'), undefined);
  assert.equal(parsePlatform('linux/arm64/v8/x'), undefined);
  assert.equal(parsePlatform('linux//v8'), undefined);
  const o = parseInspectArgs(['--lint', '--insecure', 'a:5000', '--insecure=b', '--timeout', '2.5', '--format=json', '--no-creds', 'x/y:z']);
  assert.ok(typeof o !== 'string', String(o));
  assert.deepEqual(o, { reference: 'x/y:z', platform: undefined, lint: true, insecureHosts: ['a:5000', 'b'], noCreds: true, timeoutSeconds: 2.5, format: 'json' });
  assert.equal(typeof parseInspectArgs([]), 'string');
  assert.equal(typeof parseInspectArgs(['--nope', 'x']), 'string');
  assert.equal((parseInspectArgs(['--lint', '--fail-on=warning', 'x/y:z']) as { failOn?: string }).failOn, 'warning');
  assert.match(String(parseInspectArgs(['--lint', '--fail-on', 'sometimes', 'x/y:z'])), /--fail-on expects/);
});
