/** The semantic summary and the line diff of `diff` (and the editor's Compare with…), without a registry. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareManifests, configChanges, historySummary, unifiedDiff } from '../../server/src/graph/compare';

const enc = (v: unknown, indent = 2) => Buffer.from(JSON.stringify(v, null, indent));
const d = (c: string) => `sha256:${c.repeat(64)}`;
const manifest = (layers: string[], extra: Record<string, unknown> = {}) => ({
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: d('c'), size: 10 },
  layers: layers.map((l, i) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: d(l), size: 100 + i })),
  ...extra,
});

test('the same JSON in other bytes is the same; key order does not matter', () => {
  const a = manifest(['1']);
  const b = { layers: a.layers, config: a.config, mediaType: a.mediaType, schemaVersion: 2 };
  const c = compareManifests({ label: 'a', bytes: enc(a), digest: 'x' }, { label: 'b', bytes: enc(b, 0), digest: 'y' });
  assert.equal(c.same, true);
  assert.equal(c.sameBytes, false);
  assert.deepEqual(c.changes, []);
});

test('layers added, removed and changed in place are told apart', () => {
  const c = compareManifests({ label: 'a', bytes: enc(manifest(['1', '2', '3'])), digest: 'x' }, { label: 'b', bytes: enc(manifest(['1', '4', '5', '3', '6'])), digest: 'y' });
  assert.equal(c.same, false);
  const texts = c.changes.map((ch) => `${ch.kind}: ${ch.text}`);
  assert.ok(texts.some((t) => t.startsWith('layer-changed: layers[1] changed: sha256:222222222222…')), texts.join('\n'));
  assert.ok(texts.some((t) => t.startsWith('layer-added: added layers[2] sha256:555555555555…')), texts.join('\n'));
  assert.ok(texts.some((t) => t.startsWith('layer-added: added layers[4] sha256:666666666666…')), texts.join('\n'));
  assert.ok(!texts.some((t) => t.includes('333333333333')), 'a layer that only moved is not a change');
  assert.equal(texts.filter((t) => t.startsWith('layer-removed')).length, 0);
});

test('media type changes of the manifest, its config and a layer with the same digest', () => {
  const a = manifest(['1']);
  const b = { ...manifest(['1']), mediaType: 'application/vnd.docker.distribution.manifest.v2+json' };
  b.config = { ...b.config, mediaType: 'application/vnd.docker.container.image.v1+json' };
  b.layers = [{ ...b.layers[0], mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip' }];
  const kinds = compareManifests({ label: 'a', bytes: enc(a), digest: 'x' }, { label: 'b', bytes: enc(b), digest: 'y' }).changes.map((c) => c.kind);
  assert.deepEqual(kinds, ['media-type', 'config-descriptor', 'layer-changed']);
});

test('config changes: env by name, labels, entrypoint, cmd, history appended', () => {
  const a = { os: 'linux', architecture: 'amd64', config: { Env: ['PATH=/bin', 'A=1'], Labels: { x: '1' }, Cmd: ['sh'] }, history: [{ created_by: 'ADD a' }] };
  const b = { os: 'linux', architecture: 'arm64', config: { Env: ['PATH=/bin', 'A=2', 'B=3'], Labels: { y: '2' }, Cmd: ['bash'], Entrypoint: ['/init'] }, history: [{ created_by: 'ADD a' }, { created_by: 'RUN make' }] };
  const texts = configChanges(a, b).map((c) => c.text);
  assert.deepEqual(texts, [
    'architecture: "amd64" → "arm64"',
    'env A: "1" → "2"',
    'env B added: "3"',
    'label x removed (was "1")',
    'label y added: "2"',
    'entrypoint: (none) → ["/init"]',
    'cmd: ["sh"] → ["bash"]',
    'history: 1 step added at the end (the first 1 the same)',
    'history + RUN make',
  ]);
});

test('the history summary says what changed, never "the same for the first 0"', () => {
  const h = (a: string[], b: string[]) => {
    const texts = configChanges({ history: a.map((created_by) => ({ created_by })) }, { history: b.map((created_by) => ({ created_by })) }).map((c) => c.text);
    return texts.filter((t) => t.startsWith('history:'));
  };
  // The case the issue saw: one step each, rebuilt with another command.
  assert.deepEqual(configChanges({ history: [{ created_by: 'RUN a' }] }, { history: [{ created_by: 'RUN b' }] }).map((c) => c.text), [
    'history: 1 step each, the step differs',
    'history − RUN a',
    'history + RUN b',
  ]);
  assert.deepEqual(h(['A', 'B', 'C'], ['A', 'X', 'C']), ['history: 3 steps each, step 2 differs']);
  assert.deepEqual(h(['A', 'B', 'C'], ['A', 'X', 'Y']), ['history: 3 steps each, 2 differ (the first at step 2)']);
  assert.deepEqual(h(['A', 'B', 'C'], ['A']), ['history: 2 steps removed from the end (the first 1 the same)']);
  assert.deepEqual(h([], ['A', 'B']), ['history: none → 2 steps']);
  assert.deepEqual(h(['A'], []), ['history: 1 step → none']);
  assert.deepEqual(h(['A', 'B'], ['X', 'Y', 'Z']), ['history: 2 → 3 steps, different from step 1 on']);
  for (const [a, b] of [[['A'], ['B']], [['A', 'B'], ['C']], [['A', 'B'], ['A', 'C', 'D']]]) {
    assert.doesNotMatch(historySummary(a, b, a[0] === b[0] ? 1 : 0), /the same for the first 0|first 0/);
  }
});

test('unifiedDiff: removals before additions, hunks with 3 lines of context and correct ranges', () => {
  const a = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l'].join('\n');
  const b = ['a', 'b', 'c', 'd', 'E', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm'].join('\n');
  assert.equal(unifiedDiff(a, b, 'A', 'B'), [
    '--- A', '+++ B',
    '@@ -2,7 +2,7 @@', ' b', ' c', ' d', '-e', '+E', ' f', ' g', ' h',
    '@@ -10,3 +10,4 @@', ' j', ' k', ' l', '+m',
    '',
  ].join('\n'));
});
