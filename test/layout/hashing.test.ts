/**
 * Hashing blob files for layouts: the worker's result equals node:crypto's over the whole file,
 * the main thread keeps running while a large blob is hashed, an abort stops it, and the cache
 * is keyed by size and mtime (a file whose bytes changed under the same size and mtime is not
 * hashed again — which is exactly what the cache promises, and what this test detects).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { clearDigestCache, hashFile, HashCancelled, stopHashWorker } from '../../server/src/layout/hashing';

let dir: string;
let big: string;
let bigDigest: string;
const BIG = 48 * 1024 * 1024;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'manifest-lens-hash-'));
  big = join(dir, 'big');
  const bytes = randomBytes(BIG);
  writeFileSync(big, bytes);
  bigDigest = 'sha256:' + createHash('sha256').update(bytes).digest('hex');
});
after(async () => {
  await stopHashWorker();
  rmSync(dir, { recursive: true, force: true });
});

test('a 48 MiB blob hashes to what node:crypto says, with progress, while the main thread keeps ticking', async () => {
  clearDigestCache();
  const progress: number[] = [];
  let ticks = 0;
  let running = true;
  const tick = (): void => { ticks++; if (running) setImmediate(tick); };
  setImmediate(tick);
  const digest = await hashFile(big, 'sha256', statSync(big), { onBytes: (n) => progress.push(n) });
  running = false;
  assert.equal(digest, bigDigest);
  assert.ok(progress.length >= 3, `progress reports: ${progress.join(', ')}`);
  assert.ok(progress.every((n, i) => i === 0 || n > progress[i - 1]), 'progress only grows');
  // The event loop turned over many times during the hash: nothing blocked it.
  assert.ok(ticks > 20, `event loop turns while hashing: ${ticks}`);
});

test('an aborted hash rejects with HashCancelled and is not cached', async () => {
  clearDigestCache();
  const ac = new AbortController();
  const p = hashFile(big, 'sha256', statSync(big), { signal: ac.signal, onBytes: () => ac.abort() });
  await assert.rejects(p, (e) => e instanceof HashCancelled);
  // Not cached: the next hash computes the real digest again.
  assert.equal(await hashFile(big, 'sha256', statSync(big)), bigDigest);
  // An already aborted signal never starts.
  await assert.rejects(hashFile(join(dir, 'does-not-matter'), 'sha256', { size: 1, mtimeMs: 1 }, { signal: AbortSignal.abort() }), (e) => e instanceof HashCancelled);
});

test('the cache is keyed by path, size and mtime, and by ctime and inode when the caller gives them', async () => {
  clearDigestCache();
  const file = join(dir, 'small');
  writeFileSync(file, 'aaaa');
  // Whole seconds, so setting the same mtime again gives the same mtimeMs.
  const mtime = new Date('2025-01-02T03:04:05Z');
  utimesSync(file, mtime, mtime);
  const first = await hashFile(file, 'sha256', statSync(file));
  assert.equal(first, 'sha256:' + createHash('sha256').update('aaaa').digest('hex'));
  // Same size, same mtime, other bytes: from size and mtime alone the cached digest comes back
  // (the file was not read); a whole Stats also has the ctime, which the write moved: hashed again.
  await new Promise((r) => setTimeout(r, 20)); // the ctime is kept on a coarse clock
  writeFileSync(file, 'bbbb');
  utimesSync(file, mtime, mtime);
  const st = statSync(file);
  assert.equal(await hashFile(file, 'sha256', { size: st.size, mtimeMs: st.mtimeMs }), first);
  assert.equal(await hashFile(file, 'sha256', st), 'sha256:' + createHash('sha256').update('bbbb').digest('hex'));
  // A new mtime: hashed again.
  utimesSync(file, mtime, new Date(mtime.getTime() + 5000));
  assert.equal(await hashFile(file, 'sha256', statSync(file)), 'sha256:' + createHash('sha256').update('bbbb').digest('hex'));
});

test('a missing file rejects with its error code', async () => {
  await assert.rejects(hashFile(join(dir, 'gone'), 'sha256', { size: 3, mtimeMs: 7 }), /ENOENT/);
});
