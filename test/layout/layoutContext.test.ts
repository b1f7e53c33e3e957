/**
 * A layout's index.json is linted as one (issue 24): the engine's rules that depend on it
 * (layout-index-entry-untagged, index-entry-platform-missing, mixed-index-docker-children) get
 * the `layout-index` context from the CLI's lint of a folder and from the walk the editor uses,
 * and the same index.json text elsewhere is linted as a registry index.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, test } from 'node:test';
import { analyze } from '../../server/src/engine/analyze';
import { stopHashWorker } from '../../server/src/layout/hashing';
import { documentFindings, walkLayout } from '../../server/src/layout/layout';
import { lintLayout } from '../../server/src/cli/layoutLint';

const root = mkdtempSync(join(tmpdir(), 'ml-layout-context-'));
after(() => { stopHashWorker(); rmSync(root, { recursive: true, force: true }); });

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

function put(dir: string, bytes: Buffer): { digest: string; size: number } {
  const digest = 'sha256:' + createHash('sha256').update(bytes).digest('hex');
  writeFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)), bytes);
  return { digest, size: bytes.length };
}

/** An image in the layout: its manifest's descriptor fields (OCI or Docker v2s2). */
function image(dir: string, n: number, docker = false): { digest: string; size: number; mediaType: string } {
  const layer = put(dir, gzipSync(Buffer.from(`layer ${n}`)));
  const config = put(dir, Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } })));
  const mediaType = docker ? DOCKER_MANIFEST : OCI_MANIFEST;
  const manifest = {
    schemaVersion: 2, mediaType,
    config: { mediaType: docker ? 'application/vnd.docker.container.image.v1+json' : 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: docker ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
  };
  return { mediaType, ...put(dir, Buffer.from(JSON.stringify(manifest))) };
}

function layout(name: string, entries: (dir: string) => object[]): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: entries(dir) }, null, 2));
  return dir;
}

const ref = (name: string) => ({ annotations: { 'org.opencontainers.image.ref.name': name } });

function indexFindings(dir: string): readonly { ruleId: string; severity: string; message: string }[] {
  return lintLayout(dir).find((r) => r.file.endsWith('index.json'))!.findings;
}

test('lint DIR: the untagged entry skopeo leaves after re-tagging is info "not reachable by tag", not a platform warning', () => {
  // skopeo copy … oci:DIR:a twice, from two images.
  const dir = layout('retagged', (d) => [image(d, 1), { ...image(d, 2), ...ref('a') }]);
  const findings = indexFindings(dir);
  assert.deepEqual(findings.filter((f) => f.ruleId === 'index-entry-platform-missing'), []);
  assert.deepEqual(findings.filter((f) => f.ruleId === 'layout-index-entry-untagged').map((f) => f.severity), ['info']);
  // The walk the editor publishes from says the same.
  const snapshot = walkLayout(dir);
  const index = snapshot.documents.find((d) => d.rel === 'index.json')!;
  const published = documentFindings(snapshot, 'index.json', index.analysis);
  assert.deepEqual(published.filter((f) => f.ruleId === 'index-entry-platform-missing'), []);
  assert.deepEqual(published.filter((f) => f.ruleId === 'layout-index-entry-untagged').map((f) => f.severity), ['info']);
  // The same text outside a layout: an index whose first entry has no platform.
  assert.ok(analyze(index.text).findings.some((f) => f.ruleId === 'index-entry-platform-missing' && f.severity === 'warning'));
});

test('lint DIR: a Docker v2s2 entry in index.json is a warning that skopeo 1.9.3 and podman cannot resolve its tag', () => {
  // skopeo copy --format v2s2 docker://… oci:DIR:t
  const dir = layout('v2s2', (d) => [{ ...image(d, 3, true), ...ref('t') }]);
  const mixed = indexFindings(dir).filter((f) => f.ruleId === 'mixed-index-docker-children');
  assert.deepEqual(mixed.map((f) => f.severity), ['warning']);
  assert.match(mixed[0].message, /skopeo 1\.9\.3 and podman skip it when resolving a tag in a layout \(`no descriptor found for reference "t"`\)/);
  assert.doesNotMatch(mixed[0].message, /accept/);
});
