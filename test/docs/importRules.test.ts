/**
 * The import rules of CONTRIBUTING.md and ARCHITECTURE.md that a type checker cannot see:
 * common/ (the client–server protocol) imports nothing, the client never imports the server nor
 * the server the client, and both take the protocol from common/ instead of writing it again.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

const ROOT = join(__dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return name.endsWith('.ts') ? [p] : [];
  });
}

/** Every module specifier a file imports or re-exports (static and dynamic). */
function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]);
}

test('common/ imports nothing: pure types and constants', () => {
  const files = sources(join(ROOT, 'common'));
  assert.ok(files.length > 0, 'common/ has sources');
  for (const f of files) assert.deepEqual(specifiers(f), [], `${relative(ROOT, f)} imports something`);
});

test('client/src never imports server/src, server/src never imports client/src', () => {
  for (const f of sources(join(ROOT, 'client', 'src'))) {
    for (const s of specifiers(f)) assert.ok(!/(^|\/)server\//.test(s), `${relative(ROOT, f)} imports ${s}`);
  }
  for (const f of sources(join(ROOT, 'server', 'src'))) {
    for (const s of specifiers(f)) assert.ok(!/(^|\/)client\//.test(s), `${relative(ROOT, f)} imports ${s}`);
  }
});

test('the protocol method names are written only in common/protocol.ts', () => {
  const offenders = [...sources(join(ROOT, 'client', 'src')), ...sources(join(ROOT, 'server', 'src'))]
    .filter((f) => /['"]manifestLens\/[A-Za-z]+['"]/.test(readFileSync(f, 'utf8')))
    .map((f) => relative(ROOT, f));
  assert.deepEqual(offenders, []);
});
