import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseChallenges, type AuthChallenge } from '../../server/src/registry/challenge';

const table: [string | string[], AuthChallenge[]][] = [
  [
    'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push"',
    [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:samalba/my-app:pull,push' } }],
  ],
  ['Basic realm="Registry Realm"', [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]],
  ['basic', [{ scheme: 'basic', params: {} }]],
  ['BEARER Realm=https://a/t , Service = svc', [{ scheme: 'bearer', params: { realm: 'https://a/t', service: 'svc' } }]],
  [
    'Basic realm="a, b", Bearer realm="https://auth/token",service="x"',
    [
      { scheme: 'basic', params: { realm: 'a, b' } },
      { scheme: 'bearer', params: { realm: 'https://auth/token', service: 'x' } },
    ],
  ],
  ['Bearer realm="say \\"hi\\", then go",error="invalid_token"', [{ scheme: 'bearer', params: { realm: 'say "hi", then go', error: 'invalid_token' } }]],
  ['Bearer realm="back\\\\slash"', [{ scheme: 'bearer', params: { realm: 'back\\slash' } }]],
  ['Negotiate abc123==', [{ scheme: 'negotiate', params: {}, token68: 'abc123==' }]],
  ['Negotiate abc==, Basic realm="r"', [{ scheme: 'negotiate', params: {}, token68: 'abc==' }, { scheme: 'basic', params: { realm: 'r' } }]],
  [', , Basic realm="x",, ,', [{ scheme: 'basic', params: { realm: 'x' } }]],
  [['Basic realm="one"', 'Bearer realm="https://two/token"'], [{ scheme: 'basic', params: { realm: 'one' } }, { scheme: 'bearer', params: { realm: 'https://two/token' } }]],
  ['Bearer realm="x", realm="second-ignored"', [{ scheme: 'bearer', params: { realm: 'x' } }]],
  ['Bearer realm="unterminated', [{ scheme: 'bearer', params: {} }]],
  [
    'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:user/image:pull"',
    [{ scheme: 'bearer', params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:user/image:pull' } }],
  ],
  [
    'Bearer realm="https://r/token",scope="repository:a:pull repository:b:pull"',
    [{ scheme: 'bearer', params: { realm: 'https://r/token', scope: 'repository:a:pull repository:b:pull' } }],
  ],
  ['', []],
];

describe('parseChallenges', () => {
  for (const [input, expected] of table) {
    test(JSON.stringify(input), () => {
      assert.deepEqual(parseChallenges(input), expected);
    });
  }
  test('undefined header gives no challenges', () => {
    assert.deepEqual(parseChallenges(undefined), []);
  });
});
