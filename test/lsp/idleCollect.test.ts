/**
 * The idle collector (server/src/lsp/idleCollect.ts): one full collection after a large document
 * closes and the server stays idle; none for small documents; opens and changes put it off.
 */
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { IDLE_MS, IdleCollector, LARGE_DOCUMENT } from '../../server/src/lsp/idleCollect';

test('a large document closed, then IDLE_MS of quiet: one collection; a small one: none', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    let collections = 0;
    const idle = new IdleCollector({ collect: () => collections++ });
    idle.closed(LARGE_DOCUMENT - 1);
    mock.timers.tick(IDLE_MS * 2);
    assert.equal(collections, 0, 'a small document leaves too little garbage to be worth it');
    idle.closed(LARGE_DOCUMENT);
    mock.timers.tick(IDLE_MS - 1);
    assert.equal(collections, 0, 'not before the server has been idle IDLE_MS');
    mock.timers.tick(1);
    assert.equal(collections, 1);
    mock.timers.tick(IDLE_MS * 3);
    assert.equal(collections, 2, 'and once more a moment later, for what the sweeper freed; then nothing: nothing more was closed');
    idle.busy();
    mock.timers.tick(IDLE_MS * 2);
    assert.equal(collections, 2, 'activity alone never collects');
  } finally {
    mock.timers.reset();
  }
});

test('opens and changes put the collection off until the user stops', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    let collections = 0;
    const idle = new IdleCollector({ collect: () => collections++ });
    idle.closed(8 * 1024 * 1024);
    for (let i = 0; i < 5; i++) {
      mock.timers.tick(IDLE_MS - 100);
      idle.busy(); // the next open of the bench's cycle, a keystroke
    }
    assert.equal(collections, 0);
    mock.timers.tick(IDLE_MS);
    assert.equal(collections, 1);
    mock.timers.tick(1000);
    assert.equal(collections, 2);
    idle.closed(LARGE_DOCUMENT);
    idle.dispose();
    mock.timers.tick(IDLE_MS * 2);
    assert.equal(collections, 2, 'disposed: nothing more');
  } finally {
    mock.timers.reset();
  }
});

test('V8\'s own collection is reached without --expose-gc, and the log says what it did', async () => {
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined', 'this test process runs without --expose-gc');
  const lines: string[] = [];
  const idle = new IdleCollector({ idleMs: 5, log: (l) => lines.push(l) });
  idle.closed(LARGE_DOCUMENT * 2);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(lines.length, 1, 'collected once');
  assert.match(lines[0], /^memory: collected after closing 4 MiB of documents, idle for 0 s \(\d+ ms\)$/);
});
