/**
 * What Compare with… puts at the top of both sides of its diff (common/compareSummary.ts), and the
 * platforms it offers for two indexes. The diff itself in a real VS Code: test/e2e/explorer.test.ts (m), (n).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { childReference, compareHeader, HEADER_CHANGES, sharedPlatforms } from '../../common/compareSummary';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const base = { leftLabel: 'r/a:1', rightLabel: 'r/a:2', same: false, sameBytes: false, notes: [] as string[] };

test('the header: which two, how many changes, every change whole (no "…" cut), as comment lines', () => {
  const long = `media type: application/vnd.oci.image.index.v1+json → application/vnd.oci.image.manifest.v1+json`;
  const lines = compareHeader({ ...base, changes: [{ kind: 'media-type', text: long }, { kind: 'config', text: 'env A: "1" → "2"' }, { kind: 'config', text: 'label x added: "y"' }, { kind: 'config', text: 'cmd: ["a"] → ["b"]' }] });
  assert.equal(lines[0], '// Compare r/a:1 ↔ r/a:2: 4 changes (the list is in the "Manifest Lens" output too)');
  assert.deepEqual(lines.slice(1), [`//   ${long}`, '//   env A: "1" → "2"', '//   label x added: "y"', '//   cmd: ["a"] → ["b"]']);
  assert.deepEqual(compareHeader({ ...base, same: true, sameBytes: true, changes: [] }), ['// Compare r/a:1 ↔ r/a:2: the same bytes']);
});

test('the header: registry text cannot start a line of its own; a long list ends with how many more', () => {
  const lines = compareHeader({ ...base, changes: [{ kind: 'config', text: 'label x\n{"injected": true}\u2028y added: "z"' }], notes: ['r/a:2: the config\r\nnot fetched'] });
  assert.ok(lines.every((l) => l.startsWith('// ') && !/[\n\r\u2028]/.test(l)), lines.join('|'));
  const many = compareHeader({ ...base, changes: Array.from({ length: HEADER_CHANGES + 5 }, (_, i) => ({ kind: 'layer-added', text: `added layers[${i}]` })) });
  assert.equal(many.length, 1 + HEADER_CHANGES + 1);
  assert.equal(many.at(-1), '//   … 5 more in the "Manifest Lens" output');
});

test('two indexes: the platforms both list, attestations left out, variants by their defaults', () => {
  const index = (entries: object[]) => JSON.stringify({ schemaVersion: 2, manifests: entries });
  const left = index([
    { digest: d('1'), platform: { os: 'linux', architecture: 'amd64' } },
    { digest: d('2'), platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    { digest: d('3'), platform: { os: 'unknown', architecture: 'unknown' } },
    { digest: d('4'), platform: { os: 'linux', architecture: 's390x' } },
  ]);
  const right = index([
    { digest: d('5'), platform: { os: 'linux', architecture: 'arm64' } },
    { digest: d('1'), platform: { os: 'linux', architecture: 'amd64' } },
    { digest: d('6'), platform: { os: 'unknown', architecture: 'unknown' } },
  ]);
  assert.deepEqual(sharedPlatforms(left, right), [
    { platform: 'linux/amd64', left: d('1'), right: d('1') },
    { platform: 'linux/arm64/v8', left: d('2'), right: d('5') },
  ]);
  assert.equal(sharedPlatforms(left, JSON.stringify({ schemaVersion: 2, layers: [] })), undefined, 'a manifest on one side: no platforms to offer');
  assert.equal(sharedPlatforms('{', right), undefined);
});

test('a child of an index is named in the index\'s repository', () => {
  assert.equal(childReference('127.0.0.1:5055/samples/podman-22196:mixed', d('a')), `127.0.0.1:5055/samples/podman-22196@${d('a')}`);
  assert.equal(childReference(`127.0.0.1:5055/samples/x@${d('b')}`, d('a')), `127.0.0.1:5055/samples/x@${d('a')}`);
  assert.equal(childReference('localhost:5000/x', d('a')), `localhost:5000/x@${d('a')}`);
});
