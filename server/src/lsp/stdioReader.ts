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
 *    buffer and become strings directly, the rest is parsed by JSON.parse. That unescaping is
 *    done as the body arrives (issue 25: LargeBodyDecoder), so that by the last chunk of a
 *    didOpen of an 8 MB index only the last chunk is left to decode.
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

/** Where unescaped literals are written; grows to the longest message, kept for the next one. */
let scratch = Buffer.allocUnsafe(0);

/** How long buffers grown for a large message are kept without another large message (ms). */
export const RELEASE_AFTER_MS = 30_000;
const SMALL_BUFFER = 64 * 1024;

/** Whether the literal ending at `end` is an object key: the next byte other than JSON whitespace is a colon. */
function isKey(body: Buffer, end: number): boolean {
  let i = end;
  while (i < body.length && (body[i] === 0x20 || body[i] === 0x0a || body[i] === 0x0d || body[i] === 0x09)) i++;
  return body[i] === 0x3a;
}

/**
 * Decodes a large body as its bytes arrive (issue 25): the reader hands it each part of the body
 * as it is received, so unescaping the long text into `scratch` is done while the rest of the
 * message is still on its way (the sender writes ~10 MB through a pipe in 64 KB chunks), not
 * after it. UTF-8 continuation and lead bytes are all >= 0x80, so quotes and backslashes found
 * byte by byte are the JSON text's own. Every literal is unescaped as it is met (from where the
 * previous one started: the scratch holds the long ones until the body is complete), and kept
 * when it turns out long; a short literal this path does not decode is JSON.parse's, with the
 * rest of the message; a long one, or a long key, sends the whole body to JSON.parse.
 */
export class LargeBodyDecoder {
  private readonly out: Buffer;
  /** The next body byte to scan. */
  private i = 0;
  /** Where the literal being read opened (its quote), or -1 between literals. */
  private lit = -1;
  /** Bytes of the literal unescaped so far (at `out[0]`), and the OR of them (ASCII below 0x80). */
  private o = 0;
  private high = 0;
  /** The literal being read is one this path does not unescape: only its end is looked for. */
  private skipping = false;
  private failed = false;
  /** The long literals' strings, and their [start, end) in the body. */
  private readonly long: string[] = [];
  private readonly cuts: number[] = [];

  constructor(length: number) {
    if (scratch.length < length) scratch = Buffer.allocUnsafe(length);
    this.out = scratch;
  }

  /** Scans `body[this.i .. body.length)`: the body received so far (the same offsets each time). */
  advance(body: Buffer): void {
    if (this.failed) return;
    const out = this.out;
    const avail = body.length;
    let i = this.i;
    let o = this.o;
    let high = this.high;
    scan: while (i < avail) {
      if (this.lit < 0) {
        const q = body.indexOf(QUOTE, i);
        if (q < 0) { i = avail; break; }
        this.lit = q;
        this.skipping = false;
        o = 0;
        high = 0;
        i = q + 1;
        continue;
      }
      if (this.skipping) {
        // As far as the closing quote, stepping over escaped characters.
        for (; i < avail; i++) {
          const c = body[i];
          if (c === QUOTE) break;
          if (c === BACKSLASH) {
            if (i + 1 >= avail) break scan;
            i++;
          }
        }
        if (i >= avail) break;
        i++;
        if (i - this.lit >= LONG_LITERAL) { this.failed = true; return; }
        this.lit = -1;
        continue;
      }
      for (;;) {
        if (i >= avail) break scan;
        const c = body[i];
        if (c === QUOTE) break;
        if (c === BACKSLASH) {
          if (i + 1 >= avail) break scan;
          const e = body[i + 1];
          const u = e < 128 ? UNESCAPE[e] : 0;
          if (u === 0) { this.skipping = true; continue scan; }
          out[o++] = u;
          i += 2;
        } else {
          if (c < 0x20) { this.skipping = true; continue scan; }
          high |= c;
          out[o++] = c;
          i++;
        }
      }
      i++;
      if (i - this.lit >= LONG_LITERAL) {
        // ASCII (nearly every manifest): copied as one-byte characters, no UTF-8 decoding.
        this.long.push(out.toString(high < 0x80 ? 'latin1' : 'utf8', 0, o));
        this.cuts.push(this.lit, i);
      }
      this.lit = -1;
    }
    this.i = i;
    this.o = o;
    this.high = high;
  }

  /**
   * The message, once the whole body was given to advance(); undefined when it has no long
   * literal or one this path leaves to JSON.parse.
   */
  finish(body: Buffer): Message | undefined {
    if (this.failed || this.lit >= 0 || this.long.length === 0) return undefined;
    const { long, cuts } = this;
    // A key: JSON.parse's reviver sees values only, so a placeholder would stay the key's name.
    for (let k = 1; k < cuts.length; k += 2) if (isKey(body, cuts[k])) return undefined;
    // A placeholder no JSON-RPC message holds: a NUL and a random token.
    const token = `\u0000manifest-lens-${Math.random().toString(36).slice(2)}-`;
    const parts: string[] = [];
    let copied = 0;
    for (let k = 0; k < cuts.length; k += 2) {
      parts.push(body.toString('utf8', copied, cuts[k]), JSON.stringify(token + (k >> 1)));
      copied = cuts[k + 1];
    }
    parts.push(body.toString('utf8', copied, body.length));
    const placeholder = (v: unknown): unknown =>
      typeof v === 'string' && v.startsWith(token) ? long[Number(v.slice(token.length))] : v;
    return JSON.parse(parts.join(''), (_key, value: unknown) => placeholder(value)) as Message;
  }
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
  const decoder = new LargeBodyDecoder(body.length);
  decoder.advance(body);
  return decoder.finish(body);
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
  /** The decoder of the large body being received (issue 25): it unescapes as the bytes arrive. */
  private decoder: LargeBodyDecoder | undefined;

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
          if (length >= LARGE_MESSAGE) this.decoder = new LargeBodyDecoder(length);
        }
        const decoder = this.decoder;
        // The part of a large body received so far is decoded now, while the rest is on its way.
        if (decoder) decoder.advance(this.buffer.subarray(this.start, Math.min(this.end, this.start + this.bodyLength)));
        if (this.end - this.start < this.bodyLength) return;
        const body = this.buffer.subarray(this.start, this.start + this.bodyLength);
        this.start += this.bodyLength;
        this.bodyLength = -1;
        this.decoder = undefined;
        if (this.start === this.end) this.start = this.end = 0;
        if (this.buffer.length > SMALL_BUFFER) this.scheduleRelease();
        let message: Message;
        try {
          message = decoder ? decoder.finish(body) ?? (JSON.parse(body.toString('utf8')) as Message) : parseMessage(body);
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
