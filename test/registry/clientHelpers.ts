/** Shared by the registry client suites: a client that records its log lines, and a typed rejection check. */
import assert from 'node:assert/strict';
import { createRegistryClient, type RegistryClientOptions } from '../../server/src/registry/client';
import { RegistryError } from '../../server/src/registry/errors';

/** A client with a short timeout whose log lines are kept in `lines`. */
export function testClient(accept: readonly string[], extra: Partial<RegistryClientOptions> = {}, timeoutMs = 3000) {
  const lines: string[] = [];
  const c = createRegistryClient({ accept, timeoutMs, log: (l) => lines.push(l), ...extra });
  return { c, lines };
}

/** Asserts that `p` rejects with a RegistryError of `kind` whose message carries no stack trace. */
export async function rejects(p: Promise<unknown>, kind: string): Promise<RegistryError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof RegistryError, `expected a RegistryError, got ${String(e)}`);
    assert.equal(e.kind, kind, e.message);
    assert.ok(!/\n\s+at /.test(e.message), 'no stack trace in the message');
    return e;
  }
  assert.fail(`expected a '${kind}' rejection`);
}
