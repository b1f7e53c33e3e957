/**
 * The server's stdin reader (lsp/stdioReader.ts) against what vscode-jsonrpc does: the same
 * messages from the same bytes. A large body is decoded from its bytes without the message
 * string; whatever it holds, the result must be JSON.parse's, and the fast path must engage
 * for an ordinary large didOpen.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { LARGE_MESSAGE, parseLarge, parseMessage, RELEASE_AFTER_MS, StdioMessageReader } from '../../server/src/lsp/stdioReader';
import { makeIndex } from '../../bench/generate';
import { rng } from '../harness/corpus';

const PIECES = ['{\n  "a": "b",\n', '\t', '\\', '/', '"', 'é', '😀', '中文', '\r\n', '\b\f', '\u0001', '\ud800', '\udc00x', '\u007f', 'plain text ', '</script>'];

function randomText(r: () => number, bytes: number, pieces: readonly string[]): string {
  const out: string[] = [];
  let n = 0;
  while (n < bytes) {
    const p = r() < 0.7 ? 'abcdefgh "key": [1, 2] ' : pieces[Math.floor(r() * pieces.length)];
    out.push(p);
    n += p.length;
  }
  return out.join('');
}

function didOpen(text: string): object {
  return { jsonrpc: '2.0', method: 'textDocument/didOpen', params: { textDocument: { uri: 'file:///x.json', languageId: 'json', version: 1, text } } };
}

function bytesOf(message: object): Buffer {
  return Buffer.from(JSON.stringify(message), 'utf8');
}

test('a large didOpen is decoded from its bytes, equal to JSON.parse', () => {
  const text = makeIndex(3000, { dockerEvery: 9 });
  const body = bytesOf(didOpen(text));
  assert.ok(body.length >= LARGE_MESSAGE);
  const fast = parseLarge(body);
  assert.ok(fast, 'the fast path takes an ordinary large didOpen');
  assert.deepEqual(fast, JSON.parse(body.toString('utf8')));
  assert.deepEqual(parseMessage(body), JSON.parse(body.toString('utf8')));
  // A short string with a \u escape (here in the URI) is left to JSON.parse; the long text still takes the fast path.
  const escapedUri = bytesOf({ ...didOpen(text), params: { textDocument: { uri: 'file:///a\u0001\ud800b.json', languageId: 'json', version: 1, text } } });
  assert.ok(escapedUri.includes('\\u0001'));
  const withEscape = parseLarge(escapedUri);
  assert.ok(withEscape, 'fast path with a short escaped string');
  assert.deepEqual(withEscape, JSON.parse(escapedUri.toString('utf8')));
});

test('large messages with every kind of character and escape give what JSON.parse gives (fixed seed)', () => {
  const r = rng(1313);
  let fast = 0;
  for (let i = 0; i < 24; i++) {
    // Some messages use only the simple escapes (the fast path), others need \u escapes (the fallback).
    const pieces = i % 3 === 0 ? PIECES : PIECES.filter((p) => !/[\u0000-\u0007\u000e-\u001f\ud800-\udfff]/.test(p) || p === '😀');
    const texts = Array.from({ length: 1 + (i % 3) }, () => randomText(r, 400_000 + Math.floor(r() * 500_000), pieces));
    const message = i % 2 === 0
      ? didOpen(texts.join(''))
      : { jsonrpc: '2.0', method: 'textDocument/didChange', params: { textDocument: { uri: 'file:///é.json', version: i }, contentChanges: texts.map((t, k) => ({ range: { start: { line: k, character: 0 }, end: { line: k, character: 1 } }, text: t })) } };
    const body = bytesOf(message);
    const expected = JSON.parse(body.toString('utf8'));
    assert.deepEqual(parseMessage(body), expected);
    const direct = parseLarge(body);
    if (direct) { fast++; assert.deepEqual(direct, expected); }
  }
  assert.ok(fast >= 8, `fast path taken ${fast} times`);
});

test('a large body that is not valid JSON fails as JSON.parse fails', () => {
  const good = bytesOf(didOpen('x'.repeat(LARGE_MESSAGE)));
  const cases = [
    good.subarray(0, good.length - 3), // cut inside
    Buffer.concat([good, Buffer.from(',')]),
    Buffer.from(good.toString('utf8').replace('xxxx', 'x\\qx')), // invalid escape
    Buffer.from(good.toString('utf8').replace('xxxx', 'x\nx')), // raw control character
    Buffer.from(good.toString('utf8').replace('"jsonrpc"', 'jsonrpc')),
  ];
  for (const body of cases) {
    assert.throws(() => JSON.parse(body.toString('utf8')));
    assert.throws(() => parseMessage(body), SyntaxError);
  }
});

/** Feeds `bytes` to a reader in chunks of random sizes; resolves with the messages and errors it reports. */
async function readAll(bytes: Buffer, r: () => number, maxChunk: number): Promise<{ messages: unknown[]; errors: Error[] }> {
  const stream = new PassThrough();
  const reader = new StdioMessageReader(stream);
  const messages: unknown[] = [];
  const errors: Error[] = [];
  reader.onError((e) => errors.push(e));
  reader.listen((m) => messages.push(m));
  for (let i = 0; i < bytes.length;) {
    const n = 1 + Math.floor(r() * maxChunk);
    stream.write(bytes.subarray(i, i + n));
    i += n;
    if (r() < 0.1) await new Promise((resolve) => setImmediate(resolve));
  }
  await new Promise((resolve) => setImmediate(resolve));
  return { messages, errors };
}

function frame(message: object, headers = ''): Buffer {
  const body = bytesOf(message);
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n${headers}\r\n`, 'ascii'), body]);
}

test('messages split into chunks anywhere, several in one chunk, and a large one among them arrive whole and in order', async () => {
  const r = rng(77);
  const messages = [
    { jsonrpc: '2.0', id: 1, method: 'initialize', params: { processId: 1, rootUri: null, capabilities: {} } },
    didOpen(makeIndex(2500, { dockerEvery: 3 })),
    { jsonrpc: '2.0', method: 'textDocument/didClose', params: { textDocument: { uri: 'file:///é😀.json' } } },
    didOpen('small'),
    didOpen(randomText(r, 1_200_000, PIECES)),
    { jsonrpc: '2.0', id: 2, method: 'shutdown' },
  ];
  const bytes = Buffer.concat(messages.map((m, i) => frame(m, i % 2 ? 'Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n' : '')));
  for (const maxChunk of [7, 4096, 65536, 3_000_000]) {
    const { messages: got, errors } = await readAll(bytes, r, maxChunk);
    assert.deepEqual(errors, []);
    assert.deepEqual(got, messages.map((m) => JSON.parse(JSON.stringify(m))), `chunks up to ${maxChunk} bytes`);
  }
});

test('a header without Content-Length is an error, as in vscode-jsonrpc', async () => {
  const { messages, errors } = await readAll(Buffer.from('Content-Type: application/json\r\n\r\n{}', 'ascii'), rng(1), 100);
  assert.deepEqual(messages, []);
  assert.equal(errors.length, 1);
  assert.match(errors[0].message, /Content-Length/);
});

test('the buffers grown for a large message are given back after a while without another one', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const stream = new PassThrough();
  const reader = new StdioMessageReader(stream);
  const got: unknown[] = [];
  reader.listen((m) => got.push(m));
  const large = didOpen('y'.repeat(LARGE_MESSAGE));
  stream.write(frame(large));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(got.length, 1);
  const held = (): number => (reader as unknown as { buffer: Buffer }).buffer.length;
  assert.ok(held() > LARGE_MESSAGE, 'kept for the next large message');
  t.mock.timers.tick(RELEASE_AFTER_MS - 1);
  assert.ok(held() > LARGE_MESSAGE);
  t.mock.timers.tick(1);
  assert.ok(held() <= 64 * 1024, `given back: ${held()} bytes`);
  // And it still reads what comes next.
  stream.write(frame(large));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(got.length, 2);
  assert.deepEqual(got[1], large);
});

test('a long literal used as an object key is left to JSON.parse (a placeholder would name the key)', () => {
  const key = 'k'.repeat(100 * 1024);
  const message = { jsonrpc: '2.0', method: 'x/y', params: { [key]: 'value', text: 'v'.repeat(LARGE_MESSAGE) } };
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  assert.equal(parseLarge(body), undefined, 'the fast path declines');
  assert.deepEqual(parseMessage(body), message);
  // With spaces before the colon too.
  const spaced = Buffer.from(`{"jsonrpc":"2.0","method":"x/y","params":{"${key}"  :  1, "t": "${'v'.repeat(LARGE_MESSAGE)}"}}`, 'utf8');
  assert.equal(parseLarge(spaced), undefined);
  assert.equal(Object.keys((parseMessage(spaced) as unknown as { params: object }).params)[0], key);
});

test('the last long literal is decoded by JSON.parse of its own bytes; one that is not last, or not one literal, by the loop or JSON.parse', () => {
  const text = makeIndex(3000, { dockerEvery: 9 });
  const cases: Buffer[] = [
    bytesOf(didOpen(text + '\u00e9\u2028\ud83d\ude00\u0001')), // last, with \u escapes and non-ASCII
    Buffer.concat([bytesOf(didOpen(text)), Buffer.from(' \n\t')]), // whitespace after the message
    bytesOf({ jsonrpc: '2.0', method: 'textDocument/didOpen', params: { textDocument: { text, uri: 'file:///t.json', languageId: 'json', version: 1 } } }), // not last
    bytesOf({ jsonrpc: '2.0', method: 'x', params: { a: text, b: text } }), // two long ones
    bytesOf({ jsonrpc: '2.0', method: 'x', params: { a: text, b: 'y'.repeat(70_000) } }),
  ];
  for (const body of cases) {
    assert.ok(body.length >= LARGE_MESSAGE);
    const expected = JSON.parse(body.toString('utf8'));
    assert.deepEqual(parseMessage(body), expected);
    const direct = parseLarge(body);
    assert.ok(direct, 'the fast path takes it');
    assert.deepEqual(direct, expected);
  }
  // Bytes after the last quote that are not closing brackets: not the fast path's to guess.
  const trailing = Buffer.concat([bytesOf(didOpen(text)).subarray(0, -3), Buffer.from('},"x":1}}')]);
  assert.deepEqual(parseMessage(trailing), JSON.parse(trailing.toString('utf8')));
});
