/**
 * The words of the explorer's rows (common/explorerRows.ts), as client/src/explorer.ts shows them:
 * the short label first (it fits the view's default width), the detail in the description;
 * referrers fallback tags apart from the tags; inspected registries not called "added".
 * The same rows in a real VS Code: test/e2e/explorer.test.ts (k).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  fallbackNote,
  fallbackTag,
  fallbackTagRow,
  LABEL_WIDTH,
  levelProblems,
  messageRow,
  oneLine,
  problemRow,
  registrySource,
  splitTags,
  supplyChainRow,
  tagDescription,
} from '../../common/explorerRows';
import type { GraphNode } from '../../common/protocol';

const hex = 'b705c4d2e1f0'.padEnd(64, '7');
const MIXED = 'The OCI manifest names a Docker v2s2 config (application/vnd.docker.container.image.v1+json): podman 4.3 refuses to pull it (unsupported image-specific operation on artifact …).';

test('a problem row: the rule id as the label (it fits), the message as the description', () => {
  const row = problemRow({ ruleId: 'mixed-config-media-type', severity: 'error', message: MIXED });
  assert.equal(row.label, 'mixed-config-media-type');
  assert.ok(row.label.length <= LABEL_WIDTH);
  assert.equal(row.description, MIXED);
  assert.equal(problemRow({ ruleId: 'x', severity: 'info', message: 'a\nb\u001b[31mc' }).description, 'a b [31mc', 'one line, no control characters');
});

test('referrers fallback tags are told from tags: sha256-<hex> and cosign\'s .sig, .att, .sbom', () => {
  assert.deepEqual(fallbackTag(`sha256-${hex}`), { subject: `sha256:${hex}`, what: 'referrers' });
  assert.deepEqual(fallbackTag(`sha256-${hex}.sig`), { subject: `sha256:${hex}`, what: 'sig' });
  assert.equal(fallbackTag(`sha256-${hex}.att`)?.what, 'att');
  assert.equal(fallbackTag(`sha256-${hex}.sbom`)?.what, 'sbom');
  for (const t of ['latest', 'sha256-b705', `sha256-${hex}.txt`, `sha512-${hex}`, `v1-sha256-${hex}`]) assert.equal(fallbackTag(t), undefined, t);
  const { tags, fallback } = splitTags(['latest', `sha256-${hex}`, 'amd64', `sha256-${hex}.sig`]);
  assert.deepEqual(tags, ['latest', 'amd64']);
  assert.deepEqual(fallback, [`sha256-${hex}`, `sha256-${hex}.sig`]);
  assert.match(fallbackNote(1), /^1 referrer tag \(sha256-…\) not listed: see "referrers" under its manifest$/);
  const row = fallbackTagRow(`sha256-${hex}.sig`, fallbackTag(`sha256-${hex}.sig`)!);
  assert.equal(row.label, 'signature (fallback tag)');
  assert.equal(row.description, 'sha256-b705c4d2e1f0….sig');
});

test('a tag row\'s description: its problems once known, then the short digest', () => {
  assert.equal(tagDescription(undefined), '');
  assert.equal(tagDescription(`sha256:${hex}`), 'sha256:b705c4d2e1f0…');
  assert.equal(tagDescription(`sha256:${hex}`, []), 'no problems · sha256:b705c4d2e1f0…');
  assert.equal(tagDescription(`sha256:${hex}`, [{ severity: 'error' }, { severity: 'warning' }, { severity: 'error' }, { severity: 'info' }]), '2 errors, 1 warning, 1 info · sha256:b705c4d2e1f0…');
  // A level's problems: its root's and its entries'.
  const node = (problems: GraphNode['problems'], children: GraphNode[] = []): GraphNode => ({ kind: 'index', digest: `sha256:${hex}`, label: 'x', problems, children } as unknown as GraphNode);
  const p = { ruleId: 'r', severity: 'error' as const, message: 'm' };
  assert.equal(levelProblems(node([p], [node([p]), node([p, p])])).length, 4);
});

test('registries: "added" only when added in the explorer; only inspected ones say so', () => {
  assert.equal(registrySource('ghcr.io', 'added', ['ghcr.io']), 'added');
  assert.equal(registrySource('127.0.0.1:5055', 'added', ['ghcr.io']), 'inspected');
  assert.equal(registrySource('quay.io', '/home/u/.docker/config.json', []), undefined);
});

test('a long note: its first clause as the label, the rest as the description', () => {
  assert.deepEqual(messageRow('Nothing here.'), { label: 'Nothing here.' });
  assert.deepEqual(messageRow(fallbackNote(2)), { label: '2 referrer tags (sha256-…) not listed', description: 'see "referrers" under their manifests' });
  const r = messageRow('127.0.0.1:5055 does not list its repositories (UNSUPPORTED). Add the repositories you want with "Add Repository…".');
  assert.equal(r.label, '127.0.0.1:5055 does not list its repositories (UNSUPPORTED)');
  assert.equal(r.description, 'Add the repositories you want with "Add Repository…".');
  assert.equal(oneLine('a\r\n\tb\u2028c'), 'a b c');
});

test('a signature\'s row: its kind, then its verdict (an invalid one with why) and the icon for it; a statement says it has no signature of its own', () => {
  assert.deepEqual(supplyChainRow({ label: 'cosign signature', verdict: { kind: 'verified', text: 'verified' } }), { label: 'cosign signature', description: 'verified', icon: 'verified' });
  assert.deepEqual(supplyChainRow({ label: 'notation signature', verdict: { kind: 'invalid', text: 'invalid', reason: 'wrong key\nor altered bytes' } }), { label: 'notation signature', description: 'invalid — wrong key or altered bytes', icon: 'error' });
  assert.equal(supplyChainRow({ label: 'Sigstore bundle', verdict: { kind: 'cannot-verify-offline', text: 'cannot verify offline', reason: 'no log proof' } }).icon, 'warning');
  assert.deepEqual(supplyChainRow({ label: 'cosign signature', verdict: { kind: 'not-verified', text: 'not verified: no trust configured', reason: 'no --key' } }), { label: 'cosign signature', description: 'not verified: no trust configured', icon: 'unverified' });
  assert.deepEqual(supplyChainRow({ label: 'buildx attestation manifest', summary: 'SPDX: 3 packages\u001b[31m' }), { label: 'buildx attestation manifest', description: 'no signature of its own · SPDX: 3 packages [31m', icon: 'note' });
});
