import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RegistryError } from '../../server/src/registry/errors';
import {
  formatReference,
  parseReference,
  referenceWithDigest,
  referrersFallbackTag,
  validateReference,
  type ImageReference,
} from '../../server/src/registry/reference';

const D = 'sha256:' + 'a'.repeat(64);
const HEX = 'f'.repeat(64);

type Expected = Partial<Pick<ImageReference, 'registry' | 'apiHost' | 'repository' | 'tag' | 'digest'>> & { formatted?: string };

// input → normalised fields (distribution/reference ParseNormalizedNamed + docker's Hub quirks)
const valid: [string, Expected][] = [
  ['alpine', { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'library/alpine', tag: 'latest', formatted: 'docker.io/library/alpine:latest' }],
  ['alpine:3.20', { registry: 'docker.io', repository: 'library/alpine', tag: '3.20' }],
  ['library/alpine', { registry: 'docker.io', repository: 'library/alpine', tag: 'latest' }],
  ['docker.io/alpine', { registry: 'docker.io', repository: 'library/alpine' }],
  ['index.docker.io/alpine', { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'library/alpine' }],
  ['index.docker.io/foo/bar', { registry: 'docker.io', repository: 'foo/bar' }],
  ['registry-1.docker.io/library/alpine', { registry: 'registry-1.docker.io', apiHost: 'registry-1.docker.io', repository: 'library/alpine' }],
  ['bitnami/redis:7.2', { registry: 'docker.io', repository: 'bitnami/redis', tag: '7.2' }],
  ['foo/bar/baz', { registry: 'docker.io', repository: 'foo/bar/baz' }],
  ['quay.io/podman/stable', { registry: 'quay.io', apiHost: 'quay.io', repository: 'podman/stable', tag: 'latest' }],
  ['quay.io/alpine', { registry: 'quay.io', repository: 'alpine' }], // library/ is a Docker Hub thing only
  ['ghcr.io/owner/repo:v1.0.0-rc.1', { registry: 'ghcr.io', repository: 'owner/repo', tag: 'v1.0.0-rc.1' }],
  ['localhost/foo', { registry: 'localhost', apiHost: 'localhost', repository: 'foo', tag: 'latest' }],
  ['localhost:5000/foo/bar:dev', { registry: 'localhost:5000', apiHost: 'localhost:5000', repository: 'foo/bar', tag: 'dev' }],
  ['127.0.0.1:5000/x', { registry: '127.0.0.1:5000', repository: 'x' }],
  ['10.1.2.3/team/app', { registry: '10.1.2.3', repository: 'team/app' }],
  ['[::1]:5000/foo', { registry: '[::1]:5000', apiHost: '[::1]:5000', repository: 'foo' }],
  ['[2001:db8::1]/foo:1', { registry: '[2001:db8::1]', repository: 'foo', tag: '1' }],
  ['myhost:5000/app', { registry: 'myhost:5000', repository: 'app' }],
  ['Registry/app', { registry: 'Registry', repository: 'app' }], // uppercase first component ⇒ a domain
  ['example.com/a_b/c__d/e-f/g---h/i.j', { registry: 'example.com', repository: 'a_b/c__d/e-f/g---h/i.j' }],
  [`alpine@${D}`, { registry: 'docker.io', repository: 'library/alpine', tag: undefined, digest: D, formatted: `docker.io/library/alpine@${D}` }],
  [`alpine:3.20@${D}`, { repository: 'library/alpine', tag: '3.20', digest: D, formatted: `docker.io/library/alpine:3.20@${D}` }],
  [`localhost:5000/foo@sha512:${'b'.repeat(128)}`, { registry: 'localhost:5000', digest: `sha512:${'b'.repeat(128)}`, tag: undefined }],
  ['foo:_tag', { tag: '_tag' }],
  ['foo:' + 'x'.repeat(128), { tag: 'x'.repeat(128) }],
  ['  alpine:edge \n', { repository: 'library/alpine', tag: 'edge' }],
  [HEX.slice(0, 63), { repository: 'library/' + HEX.slice(0, 63) }], // only exactly 64 hex is refused
  [`docker.io/library/${HEX}`, { repository: `library/${HEX}` }],
  ['a/' + 'b'.repeat(253), { registry: 'docker.io', repository: 'a/' + 'b'.repeat(253) }], // 255 exactly
];

// input → the message's start (the distribution/reference text)
const invalid: [string, string][] = [
  ['', 'invalid reference format: repository name must have at least one component'],
  ['   ', 'invalid reference format: repository name must have at least one component'],
  ['Alpine', 'invalid reference format: repository name (Alpine) must be lowercase'],
  ['docker.io/Library/alpine', 'invalid reference format: repository name (Library/alpine) must be lowercase'],
  ['quay.io/Foo/Bar:tag', 'invalid reference format: repository name (Foo/Bar) must be lowercase'],
  ['foo:', 'invalid tag format'],
  ['foo:-bad', 'invalid tag format'],
  ['foo:.bad', 'invalid tag format'],
  ['foo:' + 'x'.repeat(129), 'invalid tag format'],
  ['foo:bad!tag', 'invalid tag format'],
  ['foo@sha256:abc', 'invalid digest format'],
  ['foo@sha256:' + 'A'.repeat(64), 'invalid digest format: sha256 digests are lowercase hex'],
  ['foo@sha256:' + 'a'.repeat(63) + 'a'.repeat(2), 'invalid digest format: sha256 digests have 64 hex digits'],
  ['foo@md5:' + 'a'.repeat(32), 'invalid digest format: unsupported digest algorithm "md5"'],
  ['foo@', 'invalid digest format'],
  [HEX, `invalid repository name (${HEX}), cannot specify 64-byte hexadecimal strings`],
  ['a/' + 'b'.repeat(254), 'repository name must not be more than 255 characters'],
  ['b'.repeat(250), 'repository name must not be more than 255 characters'], // library/ counts
  ['foo//bar', 'invalid reference format'],
  ['foo/', 'invalid reference format'],
  ['/foo', 'invalid reference format'],
  ['foo_/bar', 'invalid reference format'],
  ['foo___bar', 'invalid reference format'],
  ['-foo', 'invalid reference format'],
  ['foo bar', 'invalid reference format'],
  ['https://ghcr.io/owner/repo', 'invalid reference format: leave out the scheme'],
  ['::1/foo', 'invalid reference format'],
  ['[::1/foo', 'invalid reference format'],
  ['host:99999/foo', 'invalid reference format: port 99999'],
  ['-host.com/foo', 'invalid reference format'],
  ['localhost:5000/', 'invalid reference format'],
];

describe('parseReference', () => {
  for (const [input, expected] of valid) {
    test(`parses ${JSON.stringify(input.length > 60 ? input.slice(0, 60) + '…' : input)}`, () => {
      const ref = parseReference(input);
      for (const key of ['registry', 'apiHost', 'repository', 'tag', 'digest'] as const) {
        if (key in expected) assert.equal(ref[key], expected[key], `${key} of ${input}`);
      }
      if (expected.formatted) assert.equal(formatReference(ref), expected.formatted);
      assert.equal(validateReference(input), undefined);
      // The canonical form parses back to the same reference.
      assert.deepEqual(parseReference(formatReference(ref)), ref);
    });
  }

  for (const [input, message] of invalid) {
    test(`refuses ${JSON.stringify(input.length > 60 ? input.slice(0, 60) + '…' : input)}`, () => {
      assert.throws(
        () => parseReference(input),
        (e: unknown) => {
          assert.ok(e instanceof RegistryError);
          assert.equal(e.kind, 'invalid-reference');
          assert.ok(e.message.startsWith(message), `"${e.message}" should start with "${message}"`);
          return true;
        },
      );
      assert.ok(validateReference(input)?.startsWith(message));
    });
  }

  test('apiHost differs from registry only for Docker Hub', () => {
    assert.equal(parseReference('docker.io/x/y').apiHost, 'registry-1.docker.io');
    assert.equal(parseReference('quay.io/x/y').apiHost, 'quay.io');
  });

  test('the default tag is only added without a digest', () => {
    assert.equal(parseReference('alpine').tag, 'latest');
    assert.equal(parseReference(`alpine@${D}`).tag, undefined);
  });
});

describe('reference helpers', () => {
  test('referenceWithDigest keeps the tag and validates the digest', () => {
    const ref = referenceWithDigest(parseReference('quay.io/a/b:1'), D);
    assert.equal(ref.digest, D);
    assert.equal(ref.tag, '1');
    assert.equal(formatReference(ref), `quay.io/a/b:1@${D}`);
    assert.throws(() => referenceWithDigest(ref, 'sha256:nope'), /invalid digest format/);
  });

  test('referrers fallback tag is <alg>-<hex>', () => {
    assert.equal(referrersFallbackTag(D), 'sha256-' + 'a'.repeat(64));
    assert.equal(referrersFallbackTag('sha512:' + 'c'.repeat(128)), 'sha512-' + 'c'.repeat(64));
  });
});

test('a 10,000-character tag, repository or digest is not echoed whole, and control characters are escaped (issue 23 item 8)', () => {
  const long = 'a'.repeat(10_000);
  for (const input of [`r.example/x:${long}`, `r.example/${long.toUpperCase()}`, `r.example/x_-${long}`, `r.example/x@sha256:${'0'.repeat(10_000)}z`, `${'r'.repeat(10_000)}.example:99999/x`]) {
    const message = validateReference(input) ?? '';
    assert.ok(message.length < 400, `${message.length} characters: ${message.slice(0, 200)}`);
    assert.match(message, /… \(\d+ characters\)/);
  }
  const osc = validateReference('r.example/x:a\u001b]52;c;Zm9v\u0007\u202e') ?? '';
  assert.match(osc, /invalid tag format: "a\\u001b\]52;c;Zm9v\\u0007\\u202e"/);
  assert.doesNotMatch(osc, /[\u0000-\u001f\u202e]/);
});
