/**
 * `lint DIR` on a layout whose index.json has 2,000 entries naming one manifest with a wrong
 * size: 2,000 layout findings on one document. The text output lists at most 1,000 findings for
 * it, the most severe, and then one line saying how many more there are, as for any document.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, test } from 'node:test';
import { lintLayout } from '../../server/src/cli/layoutLint';
import { MAX_FINDINGS, writeFindings } from '../../server/src/cli/lint';

const dir = mkdtempSync(join(tmpdir(), 'manifest-lens-layoutcap-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('layout findings are capped per document, with a line saying how many were left out', () => {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = (bytes: Buffer): string => {
    const digest = 'sha256:' + createHash('sha256').update(bytes).digest('hex');
    writeFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)), bytes);
    return digest;
  };
  const config = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: put(config), size: config.length }, layers: [] }));
  const entry = JSON.stringify({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: put(manifest), size: manifest.length + 1 });
  writeFileSync(join(dir, 'index.json'), `{"schemaVersion":2,"manifests":[${new Array<string>(2000).fill(entry).join(',\n')}]}`);
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');

  const results = lintLayout(dir);
  const index = results.find((r) => r.file === join(dir, 'index.json'))!;
  assert.equal(index.findings.length, MAX_FINDINGS);
  assert.ok(index.findings.every((f) => f.ruleId === 'layout-blob-size-mismatch' && f.severity === 'error'));
  assert.ok(index.omitted && index.omitted.count >= 1000, JSON.stringify(index.omitted));
  assert.equal(index.omitted.worst, 'error');
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => { text += c.toString('utf8'); });
  writeFindings(results, out);
  const lines = text.split('\n').filter((l) => l.startsWith(join(dir, 'index.json')));
  assert.equal(lines.length, MAX_FINDINGS + 1);
  assert.match(lines[lines.length - 1], /: [\d,]+ more findings not shown \(the first 1,000 are; the most severe of the rest is error\)$/);
});
