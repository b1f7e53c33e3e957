/** rules.md §10: platform objects and the config's platform fields. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../server/src/engine/analyze';
import { MT } from '../../server/src/engine/mediaTypes';
import { normalizePlatform } from '../../server/src/engine/platforms';
import type { Fix } from '../../server/src/engine/types';
import { findingsOf, ruleCases } from './ruleCases';

const D = 'sha256:' + 'a'.repeat(64);
const D2 = 'sha256:' + 'b'.repeat(64);
/** An OCI index with one entry whose platform object is `platform` (raw JSON). */
const idx = (platform: string, extra = '') => `{"schemaVersion":2,"mediaType":"${MT.ociIndex}","manifests":[{"mediaType":"${MT.ociManifest}","digest":"${D}","size":7${extra},"platform":${platform}}]}`;
const list = (platform: string) => `{"schemaVersion":2,"mediaType":"${MT.dockerList}","manifests":[{"mediaType":"${MT.dockerManifest}","digest":"${D}","size":7,"platform":${platform}}]}`;
const attestationIdx = `{"schemaVersion":2,"mediaType":"${MT.ociIndex}","manifests":[{"mediaType":"${MT.ociManifest}","digest":"${D2}","size":7,"platform":{"architecture":"amd64","os":"linux"}},{"mediaType":"${MT.ociManifest}","digest":"${D}","size":7,"annotations":{"vnd.docker.reference.digest":"${D2}","vnd.docker.reference.type":"attestation-manifest"},"platform":{"architecture":"unknown","os":"unknown"}}]}`;
/** An image config; `platform` holds its architecture/os/variant fields (raw JSON, no braces). */
const cfg = (platform: string) => `{${platform},"rootfs":{"type":"layers","diff_ids":["${D}"]}}`;
const withSubject = (platform: string) => `{"schemaVersion":2,"mediaType":"${MT.ociManifest}","config":{"mediaType":"${MT.ociConfig}","digest":"${D}","size":2},"layers":[{"mediaType":"${MT.ociLayerGzip}","digest":"${D}","size":3}],"subject":{"mediaType":"${MT.ociManifest}","digest":"${D}","size":4,"platform":${platform}}}`;

function apply(text: string, fix: Fix): string {
  for (const e of [...fix.edits].sort((a, b) => b.offset - a.offset)) text = text.slice(0, e.offset) + e.newText + text.slice(e.offset + e.length);
  return text;
}

ruleCases([
  {
    rule: 'platform-required-field',
    invalid: [
      `{"schemaVersion":2,"mediaType":"${MT.ociIndex}","manifests":[{"mediaType":"${MT.ociManifest}","digest":"${D}","size":7,⟦"platform"⟧:{"os":"linux"}}]}`,
      `{"schemaVersion":2,"mediaType":"${MT.dockerList}","manifests":[{"mediaType":"${MT.dockerManifest}","digest":"${D}","size":7,⟦"platform"⟧:{}}]}`,
    ],
    valid: [idx('{"architecture":"amd64","os":"linux"}'), attestationIdx, cfg('"architecture":"amd64","os":"linux"')],
  },
  {
    rule: 'platform-field-type',
    invalid: [
      idx('{"architecture":⟦1⟧,"os":"linux"}'),
      idx('{"architecture":"amd64","os":"windows","os.features":⟦"win32k"⟧}'),
      idx('{"architecture":"amd64","os":"linux","os.features":[⟦7⟧],"os.version":⟦10⟧}'),
      idx('⟦"linux/amd64"⟧'),
    ],
    valid: [idx('{"architecture":"amd64","os":"windows","os.version":"10.0.17763.1","os.features":["win32k"]}'), cfg('"architecture":1,"os":"linux"')],
  },
  {
    rule: 'platform-nonnormalized',
    message: '"linux/arm64"',
    invalid: [idx('{"architecture":⟦"aarch64"⟧,"os":"linux"}')],
    valid: [idx('{"architecture":"arm64","os":"linux","variant":"v8"}'), idx('{"architecture":"amd64","os":"linux","variant":"v1"}'), attestationIdx, cfg('"architecture":"unknown","os":"unknown"')],
  },
  {
    rule: 'platform-nonnormalized',
    invalid: [
      cfg('"architecture":⟦"x86_64"⟧,"os":"linux"'),
      idx('{"architecture":⟦"armhf"⟧,"os":"linux"}'),
      idx('{"architecture":"amd64","os":⟦"Linux"⟧}'),
      idx('{"architecture":"arm","os":"linux","variant":⟦"7"⟧}'),
      list('{"architecture":"amd64","os":⟦"macos"⟧}'),
    ],
    valid: [cfg('"architecture":"amd64","os":"linux"'), idx('{"architecture":"arm","os":"linux","variant":"v7"}')],
  },
  {
    rule: 'platform-unknown-os',
    invalid: [idx('{"architecture":"amd64","os":⟦"sunos"⟧}'), cfg('"architecture":"amd64","os":⟦"ubuntu"⟧'), idx('{"architecture":"unknown","os":⟦"unknown"⟧}')],
    valid: [idx('{"architecture":"amd64","os":"linux"}'), attestationIdx, cfg('"architecture":"unknown","os":"unknown"'), idx('{"architecture":"amd64","os":"Linux"}'), idx('{"architecture":"wasm","os":"wasip1"}')],
  },
  {
    rule: 'platform-unknown-arch',
    invalid: [idx('{"architecture":⟦"x86"⟧,"os":"linux"}'), withSubject('{"architecture":⟦"sun4m"⟧,"os":"linux"}')],
    valid: [idx('{"architecture":"aarch64","os":"linux"}'), attestationIdx, idx('{"architecture":"riscv64","os":"linux"}')],
  },
  {
    rule: 'platform-invalid-pair',
    invalid: [idx('{"architecture":⟦"s390x"⟧,"os":"windows"}'), cfg('"architecture":⟦"386"⟧,"os":"darwin"')],
    valid: [idx('{"architecture":"s390x","os":"linux"}'), idx('{"architecture":"arm64","os":"darwin"}'), idx('{"architecture":"amd64","os":"sunos"}')],
  },
  {
    rule: 'platform-variant-unknown',
    invalid: [
      idx('{"architecture":"arm","os":"linux","variant":⟦"armv7"⟧}'),
      idx('{"architecture":"amd64","os":"linux","variant":⟦"v5"⟧}'),
      idx('{"architecture":"s390x","os":"linux","variant":⟦"z14"⟧}'),
    ],
    valid: [
      idx('{"architecture":"arm","os":"linux","variant":"v7"}'),
      idx('{"architecture":"arm64","os":"linux","variant":"v8.2"}'),
      idx('{"architecture":"amd64","os":"linux","variant":"v3"}'),
      idx('{"architecture":"ppc64le","os":"linux","variant":"power9"}'),
      idx('{"architecture":"riscv64","os":"linux","variant":"rva22u64"}'),
      idx('{"architecture":"arm","os":"linux","variant":"7"}'),
    ],
  },
  {
    rule: 'platform-arm-variant-missing',
    invalid: [idx('{"architecture":⟦"arm"⟧,"os":"linux"}'), cfg('"architecture":⟦"arm"⟧,"os":"linux"')],
    valid: [idx('{"architecture":"arm","os":"linux","variant":"v6"}'), idx('{"architecture":"armhf","os":"linux"}')],
  },
  {
    rule: 'platform-features-reserved',
    invalid: [withSubject('{"architecture":"amd64","os":"linux",⟦"features"⟧:["sse4"]}'), `{"mediaType":"${MT.ociManifest}","digest":"${D}","size":7,"platform":{"architecture":"amd64","os":"linux",⟦"features"⟧:["sse4"]}}`],
    valid: [withSubject('{"architecture":"amd64","os":"linux"}'), idx('{"architecture":"amd64","os":"linux","features":["sse4"]}'), list('{"architecture":"amd64","os":"linux","features":["sse4"]}')],
  },
  {
    rule: 'platform-os-features',
    invalid: [idx('{"architecture":"amd64","os":"windows","os.features":["win32k",⟦"foo"⟧]}'), idx('{"architecture":"amd64","os":"linux","os.features":⟦["sse4"]⟧}')],
    valid: [idx('{"architecture":"amd64","os":"windows","os.features":["win32k"]}'), idx('{"architecture":"amd64","os":"linux","os.features":[]}')],
  },
]);

test('platform-nonnormalized fixes: aarch64/v8 → arm64 (variant dropped), armhf → arm/v7, x86_64 in a config', () => {
  const cases: [string, string, Record<string, string>][] = [
    [idx('{"architecture":"aarch64","os":"linux","variant":"v8"}'), 'manifests', { architecture: 'arm64', os: 'linux' }],
    [idx('{"architecture":"armhf","os":"linux"}'), 'manifests', { architecture: 'arm', os: 'linux', variant: 'v7' }],
    [idx('{"variant":"9","architecture":"AArch64","os":"Linux"}'), 'manifests', { architecture: 'arm64', os: 'linux', variant: 'v9' }],
    [cfg('"architecture":"x86_64","os":"linux"'), 'config', { architecture: 'amd64', os: 'linux' }],
  ];
  for (const [text, where, expected] of cases) {
    const [f] = findingsOf(text, 'platform-nonnormalized');
    assert.ok(f, `finding on ${text}`);
    const fixed = JSON.parse(apply(text, f.fixes[0]));
    const p = where === 'config' ? { architecture: fixed.architecture, os: fixed.os, ...(fixed.variant ? { variant: fixed.variant } : {}) } : fixed.manifests[0].platform;
    assert.deepEqual(p, expected);
    if (where === 'config') assert.match(f.fixes[0].title, /config digest/);
  }
});

test('normalizePlatform follows containerd for the aliases rules.md lists', () => {
  const n = (architecture: string, variant = '', os = 'linux') => normalizePlatform({ os, architecture, variant });
  assert.deepEqual(n('i386'), { os: 'linux', architecture: '386', variant: '' });
  assert.deepEqual(n('x86-64', 'v1'), { os: 'linux', architecture: 'amd64', variant: '' });
  assert.deepEqual(n('aarch64', 'v8.0'), { os: 'linux', architecture: 'arm64', variant: '' });
  assert.deepEqual(n('aarch64', '9.0'), { os: 'linux', architecture: 'arm64', variant: 'v9' });
  assert.deepEqual(n('armel'), { os: 'linux', architecture: 'arm', variant: 'v6' });
  assert.deepEqual(n('arm', '5'), { os: 'linux', architecture: 'arm', variant: 'v5' });
  assert.deepEqual(n('amd64', '', 'macos'), { os: 'darwin', architecture: 'amd64', variant: '' });
  assert.equal(n('amd64'), undefined);
  assert.equal(n('arm'), undefined, 'a bare arm is platform-arm-variant-missing, not a rename');
});

test('attestation entries raise no platform rule at all', () => {
  const platformFindings = analyze(attestationIdx).findings.filter((f) => f.ruleId.startsWith('platform-'));
  assert.deepEqual(platformFindings, []);
});
