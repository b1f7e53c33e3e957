/**
 * The server's reader of LSP messages on stdin (issue 13). vscode-jsonrpc's reader keeps every
 * chunk of a message until it is complete, copies them into a new buffer, decodes that into a
 * string and JSON.parses it: opening an 8 MB document makes three fresh copies of ~10 MB
 * (chunks, buffer, message string) before the fourth, the text itself. A CPU profile of the
 * server opening the bench's 8 MB index showed that copying and decoding as large as the lint
 * (fresh memory is paid in page faults and garbage collection). This reader:
 *  - copies each chunk at once into one buffer that grows to the largest message and is
 *    reused for the messages after it (the chunk becomes garbage at once); a buffer grown for a
 *    large message is given back after RELEASE_AFTER_MS without another one;
 *  - decodes a large message without making the message string: its long string literals
 *    (the text of a didOpen, a full didChange) are unescaped from the bytes into a reused
 *    buffer and become strings directly, the rest is parsed by JSON.parse. A long literal that
 *    is the message's last value (VS Code sends the text last) is given to JSON.parse alone,
 *    which unescapes it in V8's native code (issue 25: 27 → 17 ms for the 8 MB index).
 * The result is what JSON.parse gives for the same bytes: any literal with an escape other
 * than the simple ones (\n \" \\ \/ \t \r \b \f), a control character, or anything unusual
 * falls back on JSON.parse of the whole message (test/lsp/stdioReader.test.ts compares both).
 * Messages are framed as vscode-jsonrpc frames them: `Content-Length` headers, UTF-8 bodies.
 */
import { AbstractMessageReader, Disposable, type DataCallback, type Message, type MessageReader } from 'vscode-languageserver/node';

/** From this body size on (bytes), a message is decoded without making the message string. */
export const LARGE_MESSAGE = 1024 * 1024;
/** String literals from this size on (bytes) are unescaped from the bytes. */
const LONG_LITERAL = 64 * 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** The byte each simple escape stands for (0: not a simple escape), by the byte after the backslash. */
const UNESCAPE = new Uint8Array(128);
UNESCAPE[0x22] = 0x22;
UNESCAPE[0x5c] = 0x5c;
UNESCAPE[0x2f] = 0x2f;
UNESCAPE[0x6e] = 0x0a; // n
UNESCAPE[0x74] = 0x09; // t
UNESCAPE[0x72] = 0x0d; // r
UNESCAPE[0x62] = 0x08; // b
UNESCAPE[0x66] = 0x0c; // f

/** Where unescaped literals are written; grows to the longest, kept for the next message. */
let scratch = Buffer.allocUnsafe(0);

/** How long buffers grown for a large message are kept without another large message (ms). */
export const RELEASE_AFTER_MS = 30_000;
const SMALL_BUFFER = 64 * 1024;

/** What unescapeLiteral wrote into `scratch`: its length, and whether every byte was ASCII. */
let written = 0;
let ascii = true;

/**
 * Unescapes the string literal whose opening quote is at `start` into `scratch` (sized by the
 * caller). Returns the position after its closing quote, or -1 when the literal is not one this
 * path decodes exactly as JSON.parse does (a \u escape, a control character, no end). No
 * object is made: it runs once for every string of the message.
 */
function unescapeLiteral(body: Buffer, start: number): number {
  const out = scratch;
  const n = body.length;
  let o = 0;
  let high = 0;
  for (let i = start + 1; i < n;) {
    const c = body[i];
    if (c === QUOTE) {
      written = o;
      ascii = high < 0x80;
      return i + 1;
    }
    if (c === BACKSLASH) {
      const e = body[i + 1];
      const u = e < 128 ? UNESCAPE[e] : 0;
      if (u === 0) return -1;
      out[o++] = u;
      i += 2;
    } else {
      if (c < 0x20) return -1;
      high |= c;
      out[o++] = c;
      i++;
    }
  }
  return -1;
}

/** Whether the literal ending at `end` is an object key: the next byte other than JSON whitespace is a colon. */
function isKey(body: Buffer, end: number): boolean {
  let i = end;
  while (i < body.length && (body[i] === 0x20 || body[i] === 0x0a || body[i] === 0x0d || body[i] === 0x09)) i++;
  return body[i] === 0x3a;
}

/**
 * Where the body's last value ends when it is a string literal (after its closing quote, before
 * the closing brackets and whitespace that end the message), or -1.
 */
function lastLiteralEnd(body: Buffer): number {
  let i = body.length - 1;
  while (i >= 0 && (body[i] === 0x7d || body[i] === 0x5d || body[i] === 0x20 || body[i] === 0x0a || body[i] === 0x0d || body[i] === 0x09)) i--;
  return i > 0 && body[i] === QUOTE ? i + 1 : -1;
}

/** The value of the bytes [start, end) when they are exactly one JSON string literal, else undefined. */
function lastLiteral(body: Buffer, start: number, end: number): string | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8', start, end));
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The end of the string literal opening at `start` (after its closing quote), or -1 (also when it is longer than `limit` bytes). */
function literalEnd(body: Buffer, start: number, limit = Infinity): number {
  const n = Math.min(body.length, start + limit);
  for (let i = start + 1; i < n; i++) {
    const c = body[i];
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) i++;
  }
  return -1;
}

/**
 * The message in a body of UTF-8 JSON: JSON.parse of its text, made without the message string
 * for a large body.
 */
export function parseMessage(body: Buffer): Message {
  if (body.length < LARGE_MESSAGE) return JSON.parse(body.toString('utf8')) as Message;
  return parseLarge(body) ?? (JSON.parse(body.toString('utf8')) as Message);
}

/**
 * A large body decoded from its bytes, or undefined when it has no long literal or one this path
 * leaves to JSON.parse (exported for the tests, which check both paths agree).
 */
export function parseLarge(body: Buffer): Message | undefined {
  // UTF-8 continuation and lead bytes are all >= 0x80, so quotes and backslashes found byte by
  // byte are the JSON text's own. One pass: every literal is unescaped as it is met, and kept
  // when it turns out long.
  if (scratch.length < body.length) scratch = Buffer.allocUnsafe(body.length);
  const long: string[] = [];
  const parts: string[] = [];
  // A placeholder no JSON-RPC message holds: a NUL and a random token.
  const token = `\u0000manifest-lens-${Math.random().toString(36).slice(2)}-`;
  let copied = 0;
  const n = body.length;
  const last = lastLiteralEnd(body);
  for (let i = 0; i < n; i++) {
    if (body[i] !== QUOTE) continue;
    if (last - i >= LONG_LITERAL && literalEnd(body, i, LONG_LITERAL) < 0) {
      // A long literal that may be the message's last value (the text of a didOpen is): V8's
      // own JSON.parse of just those bytes unescapes it about twice as fast as the loop below,
      // and succeeds only when they are one string literal, that is when it is the last one.
      const text = lastLiteral(body, i, last);
      if (text !== undefined) {
        parts.push(body.toString('utf8', copied, i), JSON.stringify(token + long.length));
        long.push(text);
        copied = last;
        i = last - 1;
        continue;
      }
    }
    let end = unescapeLiteral(body, i);
    if (end < 0) {
      // A short literal this path does not decode is JSON.parse's, with the rest of the message.
      end = literalEnd(body, i);
      if (end < 0 || end - i >= LONG_LITERAL) return undefined;
    } else if (end - i >= LONG_LITERAL) {
      // A key: JSON.parse's reviver sees values only, so a placeholder would stay the key's name.
      if (isKey(body, end)) return undefined;
      parts.push(body.toString('utf8', copied, i), JSON.stringify(token + long.length));
      // ASCII (nearly every manifest): copied as one-byte characters, no UTF-8 decoding.
      long.push(scratch.toString(ascii ? 'latin1' : 'utf8', 0, written));
      copied = end;
    }
    i = end - 1;
  }
  if (long.length === 0) return undefined;
  parts.push(body.toString('utf8', copied, n));
  const placeholder = (v: unknown): unknown =>
    typeof v === 'string' && v.startsWith(token) ? long[Number(v.slice(token.length))] : v;
  return JSON.parse(parts.join(''), (_key, value: unknown) => placeholder(value)) as Message;
}

const CRLF_CRLF = Buffer.from('\r\n\r\n', 'ascii');

/**
 * Reads `Content-Length`-framed JSON-RPC messages from a stream, like vscode-jsonrpc's
 * StreamMessageReader, into one reused buffer.
 */
export class StdioMessageReader extends AbstractMessageReader implements MessageReader {
  private buffer = Buffer.allocUnsafe(64 * 1024);
  /** Bytes [start, end) of the buffer are received and not yet read. */
  private start = 0;
  private end = 0;
  /** The body length announced by the headers just read, or -1 while reading headers. */
  private bodyLength = -1;
  private callback: DataCallback | undefined;
  /** Gives the memory of a large message back once no large message came for a while. */
  private releaseTimer: NodeJS.Timeout | undefined;

  constructor(private readonly readable: NodeJS.ReadableStream) {
    super();
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    const onData = (chunk: Buffer | string): void => this.onData(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
    const onError = (error: Error): void => this.fireError(error);
    const onClose = (): void => this.fireClose();
    this.readable.on('data', onData);
    this.readable.on('error', onError);
    this.readable.on('close', onClose);
    return Disposable.create(() => {
      this.readable.off('data', onData);
      this.readable.off('error', onError);
      this.readable.off('close', onClose);
    });
  }

  private append(chunk: Buffer): void {
    const held = this.end - this.start;
    if (this.end + chunk.length > this.buffer.length) {
      if (held + chunk.length <= this.buffer.length) {
        this.buffer.copy(this.buffer, 0, this.start, this.end);
      } else {
        // Grow to the message being received (kept for the next one): at least double.
        const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, held + chunk.length, this.bodyLength > 0 ? this.bodyLength + 1024 : 0));
        this.buffer.copy(grown, 0, this.start, this.end);
        this.buffer = grown;
      }
      this.start = 0;
      this.end = held;
    }
    chunk.copy(this.buffer, this.end);
    this.end += chunk.length;
  }

  private onData(chunk: Buffer): void {
    try {
      this.append(chunk);
      for (;;) {
        if (this.bodyLength < 0) {
          const headersEnd = this.buffer.subarray(this.start, this.end).indexOf(CRLF_CRLF);
          if (headersEnd < 0) return;
          const headers = this.buffer.toString('ascii', this.start, this.start + headersEnd);
          this.start += headersEnd + 4;
          const length = contentLength(headers);
          if (length === undefined) {
            this.fireError(new Error(`Header must provide a Content-Length property.\n${JSON.stringify(headers)}`));
            return;
          }
          this.bodyLength = length;
        }
        if (this.end - this.start < this.bodyLength) return;
        const body = this.buffer.subarray(this.start, this.start + this.bodyLength);
        this.start += this.bodyLength;
        this.bodyLength = -1;
        if (this.start === this.end) this.start = this.end = 0;
        if (this.buffer.length > SMALL_BUFFER) this.scheduleRelease();
        let message: Message;
        try {
          message = parseMessage(body);
        } catch (error) {
          this.fireError(error);
          continue;
        }
        this.callback!(message);
      }
    } catch (error) {
      this.fireError(error);
    }
  }

  private scheduleRelease(): void {
    if (this.releaseTimer) clearTimeout(this.releaseTimer);
    this.releaseTimer = setTimeout(() => {
      this.releaseTimer = undefined;
      scratch = Buffer.allocUnsafe(0);
      // A message still arriving keeps its bytes.
      if (this.start === this.end) {
        this.buffer = Buffer.allocUnsafe(SMALL_BUFFER);
        this.start = this.end = 0;
      }
    }, RELEASE_AFTER_MS);
    this.releaseTimer.unref();
  }
}

/** The Content-Length of a header block, or undefined when it has none or it is not a number. */
function contentLength(headers: string): number | undefined {
  for (const line of headers.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    if (line.slice(0, colon).trim().toLowerCase() !== 'content-length') continue;
    const n = parseInt(line.slice(colon + 1).trim(), 10);
    return Number.isNaN(n) ? undefined : n;
  }
  return undefined;
}
