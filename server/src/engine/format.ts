/**
 * Display form of served bytes: indented token by token, so nothing but whitespace changes.
 *
 * Registries often serve a manifest or an index on one line (quay serves compact JSON), and
 * the editor shows it indented. The text is hostile input: this is one linear, iterative scan
 * (no recursion on depth, output built in one join), with a depth limit and an output budget,
 * so a compact 4,000-entry index takes milliseconds and a document nested 100,000 deep is
 * refused at once instead of growing an indentation the size of its square.
 */
import { DepthScan } from './nesting';
import { MAX_DEPTH } from './tape';

/** Why a text was left as served. */
export type NotIndented = 'has-line-breaks' | 'too-large' | 'too-deep' | 'output-too-large' | 'not-json';

export interface PrettyPrinted {
  readonly text: string;
  /** True when `text` differs from the input (only in whitespace). */
  readonly changed: boolean;
  /** Set when the text was not indented for a reason other than already having line breaks. */
  readonly refused?: Exclude<NotIndented, 'has-line-breaks'>;
}

/** Inputs longer than this (in UTF-16 units) are shown as served. */
export const MAX_PRETTY_INPUT = 8 * 1024 * 1024;
/** The indented form may be at most this many times the input (plus a little), and at most MAX_PRETTY_OUTPUT. */
const OUTPUT_FACTOR = 4;
const MAX_PRETTY_OUTPUT = 16 * 1024 * 1024;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8');

/** A bigger copy of `out` holding at least `need` bytes, or undefined past `budget`. */
function grow(out: Uint8Array, size: number, need: number, budget: number): Uint8Array | undefined {
  if (need > budget) return undefined;
  const next = new Uint8Array(Math.min(budget, Math.max(need, out.length * 2)));
  next.set(out.subarray(0, size));
  return next;
}

/**
 * Indents single-line JSON (two spaces, `"key": value`, empty `{}` and `[]` kept on one line,
 * a final newline), as jsonc-parser's formatter does; text that already has line breaks is
 * returned as it is. Text nested deeper than the engine reads (MAX_DEPTH), larger than
 * MAX_PRETTY_INPUT, whose indented form would exceed the output budget, or that is not one
 * JSON value, is returned unchanged with `refused` saying why.
 */
export function prettyPrint(text: string, maxDepth = MAX_DEPTH): PrettyPrinted {
  if (text.includes('\n')) return { text, changed: false };
  if (text.length > MAX_PRETTY_INPUT) return { text, changed: false, refused: 'too-large' };
  const r = prettyPrintBytes(utf8Encoder.encode(text), maxDepth);
  if (r.refused) return { text, changed: false, refused: r.refused };
  return r.changed ? { text: utf8Decoder.decode(r.bytes), changed: true } : { text, changed: false };
}

/**
 * prettyPrint over UTF-8 bytes (what a registry served): one pass over the bytes into one
 * growing byte array, so a megabyte index takes milliseconds and makes no string per token.
 * Only ASCII bytes are looked at (a UTF-8 multi-byte sequence never contains one), so the
 * bytes of every token are copied unchanged.
 */
export function prettyPrintBytes(bytes: Uint8Array, maxDepth = MAX_DEPTH): PrettyBytes {
  const steps = prettyPrintSteps(bytes, maxDepth);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** The result of prettyPrintBytes: the indented bytes, or the input with `refused` saying why not. */
export interface PrettyBytes {
  readonly bytes: Uint8Array;
  readonly changed: boolean;
  readonly refused?: PrettyPrinted['refused'];
}

/** Input bytes formatted between two pauses of prettyPrintSteps. */
const SLICE = 64 * 1024;

/**
 * prettyPrintBytes in steps: the generator pauses (yields) after every slice of input (64 KiB)
 * and returns the result, so a server can give its event loop back between slices while it
 * formats a large fetched document (the engine itself never waits on anything).
 */
export function* prettyPrintSteps(bytes: Uint8Array, maxDepth = MAX_DEPTH): Generator<void, PrettyBytes> {
  const printer = new SlicedPrinter(bytes, maxDepth);
  let result: PrettyBytes | undefined;
  while (!(result = printer.step())) yield;
  return result;
}

/**
 * The formatter's state between slices. The work is in plain methods (not in the generator)
 * so V8 optimises their loops while they run; a generator's loop stays interpreted, several
 * times slower on a megabyte.
 */
class SlicedPrinter {
  private readonly n: number;
  private readonly depthScan = new DepthScan();
  private scanned = 0;
  private readonly budget: number;
  private out: Uint8Array | undefined;
  private size = 0;
  private depth = 0;
  /** What goes before the next value: 0 nothing, 1 a line break at the current depth, 2 a space (after a colon). */
  private pending = 0;
  /** An opening bracket was just written: a closing one right after it stays on the same line. */
  private justOpened = false;
  private values = 0; // top-level values seen
  private i = 0;

  constructor(private readonly bytes: Uint8Array, private readonly maxDepth: number) {
    this.n = bytes.length;
    this.budget = Math.min(MAX_PRETTY_OUTPUT, OUTPUT_FACTOR * this.n + 4096);
  }

  private unchanged(refused?: PrettyPrinted['refused']): PrettyBytes {
    return refused ? { bytes: this.bytes, changed: false, refused } : { bytes: this.bytes, changed: false };
  }

  /** One slice of work: the result when done, else undefined. */
  step(): PrettyBytes | undefined {
    const { bytes, n } = this;
    if (this.scanned === 0) {
      if (bytes.indexOf(0x0a) >= 0) return this.unchanged();
      if (n > MAX_PRETTY_INPUT) return this.unchanged('too-large');
    }
    // One cheap scan first (in slices too), so a deep document is refused for its depth, whatever
    // its indentation would have cost.
    if (this.scanned < n) {
      const to = Math.min(n, this.scanned + SLICE);
      if (this.depthScan.run(bytes, this.scanned, to, this.maxDepth)) return this.unchanged('too-deep');
      this.scanned = to;
      if (this.scanned < n) return undefined;
    }
    this.out ??= new Uint8Array(Math.min(this.budget, 2 * n + 64));
    return this.format(Math.min(n, this.i + SLICE));
  }

  /** Formats up to input offset `stop`; the result when the input is done or refused. */
  private format(stop: number): PrettyBytes | undefined {
    const { bytes, n, budget, maxDepth } = this;
    let out = this.out!;
    let { size, depth, pending, justOpened, values, i } = this;
    const save = (): undefined => {
      this.out = out;
      Object.assign(this, { size, depth, pending, justOpened, values, i });
      return undefined;
    };
    while (i < n) {
      if (i >= stop) return save();
      const c = bytes[i]!;
      // Whitespace between tokens is dropped.
      if (c === 0x20 || c === 0x09 || c === 0x0d) {
        i++;
        continue;
      }
      if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
        if (depth === 0) return this.unchanged('not-json');
        depth--;
        const need = size + 2 + 2 * depth;
        if (need > out.length) {
          const grown = grow(out, size, need, budget);
          if (!grown) return this.unchanged('output-too-large');
          out = grown;
        }
        if (!justOpened) {
          out[size++] = 0x0a;
          out.fill(0x20, size, size + 2 * depth);
          size += 2 * depth;
        }
        out[size++] = c;
        justOpened = false;
        pending = 0;
        i++;
        continue;
      }
      if (c === 0x2c /* , */ || c === 0x3a /* : */) {
        if (depth === 0) return this.unchanged('not-json');
        if (size + 1 > out.length) {
          const grown = grow(out, size, size + 1, budget);
          if (!grown) return this.unchanged('output-too-large');
          out = grown;
        }
        out[size++] = c;
        justOpened = false;
        pending = c === 0x2c ? 1 : 2;
        i++;
        continue;
      }
      // A value starts here: a bracket, a string or a literal.
      if (depth === 0 && values++ > 0) return this.unchanged('not-json');
      let j = i + 1;
      if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
        if (depth + 1 > maxDepth) return this.unchanged('too-deep');
      } else if (c === 0x22 /* " */) {
        for (; j < n; j++) {
          const d = bytes[j]!;
          if (d === 0x5c /* \ */) j++;
          else if (d === 0x22) break;
        }
        if (j >= n) return this.unchanged('not-json');
        j++;
      } else if (c === 0x2f /* / */) {
        return this.unchanged('not-json'); // a comment: not what a registry serves
      } else {
        // A number or true/false/null: up to the next delimiter.
        for (; j < n; j++) {
          const d = bytes[j]!;
          if (d === 0x20 || d === 0x09 || d === 0x0d || d === 0x2c || d === 0x3a || d === 0x7d || d === 0x5d || d === 0x7b || d === 0x5b || d === 0x22 || d === 0x2f) break;
        }
      }
      const lineBreak = justOpened || pending === 1;
      const need = size + (lineBreak ? 1 + 2 * depth : pending === 2 ? 1 : 0) + (j - i);
      if (need > out.length) {
        const grown = grow(out, size, need, budget);
        if (!grown) return this.unchanged('output-too-large');
        out = grown;
      }
      if (lineBreak) {
        out[size++] = 0x0a;
        out.fill(0x20, size, size + 2 * depth);
        size += 2 * depth;
      } else if (pending === 2) {
        out[size++] = 0x20;
      }
      if (j - i === 1) out[size++] = c;
      else {
        out.set(bytes.subarray(i, j), size);
        size += j - i;
      }
      if (c === 0x7b || c === 0x5b) {
        depth++;
        justOpened = true;
      } else {
        justOpened = false;
      }
      pending = 0;
      i = j;
    }
    if (depth !== 0 || values === 0) return this.unchanged('not-json');
    if (size + 1 > out.length) {
      const grown = grow(out, size, size + 1, budget);
      if (!grown) return this.unchanged('output-too-large');
      out = grown;
    }
    out[size++] = 0x0a;
    const result = out.subarray(0, size);
    if (size === n) {
      let k = 0;
      while (k < n && result[k] === bytes[k]) k++;
      if (k === n) return this.unchanged();
    }
    return { bytes: result, changed: true };
  }
}

/** Words for a refusal, for the warning shown with the document. */
export function notIndentedReason(refused: NonNullable<PrettyPrinted['refused']>): string {
  switch (refused) {
    case 'too-deep':
      return `it nests more than ${MAX_DEPTH} levels deep (manifests nest about six)`;
    case 'too-large':
      return `it is larger than ${MAX_PRETTY_INPUT / (1024 * 1024)} MiB`;
    case 'output-too-large':
      return 'its indented form would be many times its size';
    case 'not-json':
      return 'it is not one JSON value';
  }
}
