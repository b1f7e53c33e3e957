/**
 * The idle collector (server/src/lsp/idleCollect.ts): a round of three full collections after a
 * large document closes and the server stays idle; none for small documents; opens and changes
 * put it off, even a round under way.
 */
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { IDLE_MS, IdleCollector, LARGE_DOCUMENT, SECOND_COLLECTION_MS, SETTLED_MS, YOUNG_SHRINK_MS } from '../../server/src/lsp/idleCollect';

/** Mock timers run a timer set by another only at a later tick: one tick per step. */
function ticks(...steps: number[]): void {
  for (const ms of steps) mock.timers.tick(ms);
}

test('a large document closed, then IDLE_MS of quiet: three collections by SETTLED_MS; a small one: none', () => {
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
    ticks(SECOND_COLLECTION_MS);
    assert.equal(collections, 2, 'once more a moment later, for what the sweeper freed');
    ticks(YOUNG_SHRINK_MS - 1);
    assert.equal(collections, 2, 'the last not before SETTLED_MS');
    ticks(1);
    assert.equal(collections, 3, 'and the last, for the young generation');
    assert.equal(IDLE_MS + SECOND_COLLECTION_MS + YOUNG_SHRINK_MS, SETTLED_MS);
    mock.timers.tick(IDLE_MS * 3);
    assert.equal(collections, 3, 'then nothing: nothing more was closed');
    idle.busy();
    mock.timers.tick(SETTLED_MS * 2);
    assert.equal(collections, 3, 'activity alone never collects');
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
    ticks(SECOND_COLLECTION_MS);
    assert.equal(collections, 2);
    idle.busy(); // the user is back before the last collection of the round
    ticks(YOUNG_SHRINK_MS, IDLE_MS - YOUNG_SHRINK_MS - 1);
    assert.equal(collections, 2, 'the rest of the round waits for the next quiet period, which starts over');
    ticks(1, SECOND_COLLECTION_MS, YOUNG_SHRINK_MS);
    assert.equal(collections, 5, 'a whole round again: what was closed had not settled yet');
    idle.busy();
    mock.timers.tick(SETTLED_MS * 2);
    assert.equal(collections, 5, 'settled: activity alone collects nothing');
    idle.closed(LARGE_DOCUMENT);
    idle.dispose();
    mock.timers.tick(SETTLED_MS * 2);
    assert.equal(collections, 5, 'disposed: nothing more');
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
