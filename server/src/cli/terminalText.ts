/**
 * Registry and document text made fit for a human-readable terminal line (issue 23 item 4), and
 * the terminal's shape for the text outputs (issue 24 item 6): colour, width, short digests.
 *
 * A manifest, a config, a tag list or an error body can carry ESC (CSI, OSC 0 which sets the
 * window title, OSC 52 which writes the user's clipboard), other C0/C1 controls, DEL, line and
 * paragraph separators, bidi overrides and isolates, and newlines that forge whole output lines
 * (`└─ linux/amd64 manifest … (verified)`, `/tmp/ok.json:1:1 error forged-rule`). They are shown
 * escaped (`\x1b`, `\u202e`, `\n`), visible, never dropped: what the document holds stays
 * readable, and nothing it holds acts on the terminal or starts a line. JSON and SARIF keep the
 * exact values (their encoders escape); GitHub workflow commands escape as that format says.
 */
import { fstatSync } from 'node:fs';

/** The characters shown escaped: C0 and C1 controls, DEL, U+2028/2029, bidi marks, overrides and isolates. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** The same, but newlines allowed (for a net over whole multi-line writes). */
const UNSAFE_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeOne(ch: string): string {
  const named = NAMED[ch];
  if (named) return named;
  const code = ch.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Text from a registry or a document, for one line of a terminal: every control character
 * (newlines included), DEL, U+2028/2029 and bidi character written as a visible escape.
 */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, escapeOne);
}

/** As {@link terminalSafe}, but newlines kept: for whole multi-line output written at once. */
export function terminalSafeLines(text: string): string {
  return text.replace(UNSAFE_BUT_NEWLINE, escapeOne);
}

/** The same, but newlines and tabs allowed: a document shown whole on a terminal. */
const UNSAFE_IN_DOCUMENT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * A document's bytes for a terminal (`inspect` with its stdout on one): decoded as UTF-8, the
 * control and bidi characters escaped but its line breaks and tabs kept. Only for a terminal:
 * in a pipe or a file the bytes stay exact, so that their sha256 is the digest.
 */
export function terminalSafeDocument(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8').replace(UNSAFE_IN_DOCUMENT, escapeOne);
}

/** Whether text has nothing {@link terminalSafe} would change. */
export function isTerminalSafe(text: string): boolean {
  UNSAFE.lastIndex = 0;
  return !UNSAFE.test(text);
}

/** The most characters of one echoed value (a tag, a platform, a name) in a message. */
export const MAX_ECHOED_CHARS = 200;
/** The most items of an echoed list (tags, platforms) in a message. */
export const MAX_ECHOED_ITEMS = 20;

/**
 * A user or registry value echoed in a message: made safe, and when longer than `max`
 * characters cut with an ellipsis and its length ("abc… (10,000 characters)").
 */
export function echoed(value: string, max = MAX_ECHOED_CHARS): string {
  const safe = terminalSafe(value);
  if (value.length <= max && safe.length <= max * 4) return safe;
  // Cut the original, then escape: an escape is never split.
  const head = terminalSafe(value.slice(0, Math.max(1, max - 1)));
  return `${head}… (${value.length.toLocaleString('en-US')} characters)`;
}

/** A list echoed in a message: each item as {@link echoed}, at most `maxItems`, then "… (N in all)". */
export function echoedList(items: readonly string[], maxItems = MAX_ECHOED_ITEMS, separator = ', '): string {
  const shown = items.slice(0, maxItems).map((i) => echoed(i, 100));
  return items.length > maxItems ? `${shown.join(separator)}${separator}… (${items.length.toLocaleString('en-US')} in all)` : shown.join(separator);
}

/**
 * A writable that escapes what it is given with {@link terminalSafeLines}: the net under every
 * human-readable stream (stderr's messages, the text formats), so that no control character a
 * message let through reaches the terminal. Values that could hold a newline are escaped where
 * they are written (a newline is only a line end here).
 */
export function safeWriter(stream: NodeJS.WritableStream): NodeJS.WritableStream {
  const safe = Object.create(stream) as NodeJS.WritableStream;
  safe.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return (stream.write as (c: string, ...r: unknown[]) => boolean).call(stream, terminalSafeLines(text), ...rest);
  }) as NodeJS.WritableStream['write'];
  return safe;
}

// ---------------------------------------------------------------------------------------------
// The terminal's shape

export type ColorMode = 'auto' | 'always' | 'never';

/** How a text output is drawn. */
export interface TerminalStyle {
  /** ANSI colour for severities and diff lines. */
  readonly color: boolean;
  /**
   * A person's terminal (a TTY, NO_COLOR unset): short digests, one line per finding, lines
   * fitted to `width`. Otherwise (a pipe, a file, NO_COLOR) full values and no cutting.
   */
  readonly compact: boolean;
  /** The columns to fit lines to (compact only). */
  readonly width: number;
  /** Whole messages even on a terminal, wrapped under their finding (--verbose). */
  readonly verbose: boolean;
}

/** The default for output that is not a terminal: full values, no colour. */
export const PLAIN_STYLE: TerminalStyle = Object.freeze({ color: false, compact: false, width: Infinity, verbose: false });

/** Parses `--color` / `--color=WHEN`; a string is the usage error. */
export function parseColorMode(value: string | undefined): ColorMode | string {
  if (value === 'auto' || value === 'always' || value === 'never') return value;
  return `--color expects auto, always or never, got ${value === undefined ? 'nothing' : JSON.stringify(echoed(value, 40))}`;
}

/**
 * The style of a text output to `stream`: compact on a TTY unless NO_COLOR is set; colour then,
 * or when FORCE_COLOR (not 0/false) or --color=always asks; never with --color=never, NO_COLOR
 * (unless --color=always) or TERM=dumb. Width: the terminal's columns, else COLUMNS, else 80.
 */
export function terminalStyle(stream: NodeJS.WritableStream, options: { color?: ColorMode; verbose?: boolean } = {}, env: NodeJS.ProcessEnv = process.env): TerminalStyle {
  const tty = isTerminal(stream);
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  const force = env.FORCE_COLOR !== undefined && !['0', 'false'].includes(env.FORCE_COLOR);
  const dumb = env.TERM === 'dumb';
  const mode = options.color ?? 'auto';
  const compact = tty && !noColor;
  const color = mode === 'always' || (mode === 'auto' && !noColor && !dumb && (compact || force));
  let width = Infinity;
  if (compact) {
    const fd = (stream as { fd?: unknown }).fd;
    let columns = (stream as { columns?: number }).columns;
    // directOutput (program.ts) has no columns: the process's own stream for that descriptor has.
    if (!columns && fd === 1) columns = process.stdout.columns;
    if (!columns && fd === 2) columns = process.stderr.columns;
    const fromEnv = Number(env.COLUMNS);
    width = Math.max(40, columns || (Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 80));
  }
  return { color, compact, width, verbose: options.verbose === true };
}

/**
 * Whether the stream is a terminal. A pipe or a file is told by fstat alone: asking `isTTY`
 * loads node:tty, and with it node:net, which `lint` in a pipeline does not pay for (issue 13).
 */
function isTerminal(stream: NodeJS.WritableStream): boolean {
  const fd = (stream as { fd?: unknown }).fd;
  if (typeof fd === 'number') {
    try {
      if (!fstatSync(fd).isCharacterDevice()) return false;
    } catch {
      return false;
    }
  }
  return (stream as { isTTY?: boolean }).isTTY === true;
}

/** SGR codes by name. */
const SGR = { red: '31', green: '32', yellow: '33', blue: '34', cyan: '36', dim: '2', bold: '1' } as const;
export type Paint = keyof typeof SGR;

/** `text` in colour when the style has colour. The text must already be safe. */
export function paint(style: TerminalStyle, what: Paint | undefined, text: string): string {
  return style.color && what && text ? `\u001b[${SGR[what]}m${text}\u001b[0m` : text;
}

/** The colour of a severity: error red, warning yellow, info cyan, hint dim. */
export const SEVERITY_PAINT: Readonly<Record<string, Paint>> = { error: 'red', warning: 'yellow', info: 'cyan', hint: 'dim' };

/** A marker per severity, distinct without colour too. */
export const SEVERITY_MARK: Readonly<Record<string, string>> = { error: '✖', warning: '▲', info: 'ℹ', hint: '·' };

/** `sha256:b705…` on a compact terminal, else the whole digest. */
export function shownDigest(style: TerminalStyle, digest: string): string {
  if (!style.compact) return terminalSafe(digest);
  const m = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([0-9a-fA-F]{4})[0-9a-fA-F]{8,}$/.exec(digest);
  return m ? `${m[1]}:${m[2]}…` : echoed(digest, 24);
}

/** The first sentence of a message (a finding's short form on a terminal). */
export function firstSentence(message: string): string {
  const m = /^(.+?(?<!\b(?:e\.g|i\.e|vs|etc))[.!?])(?=\s+\S)/.exec(message);
  return m ? m[1] : message;
}

/** Columns a code point takes: 0 for combining marks, 2 for wide East Asian and emoji, else 1. */
function columnsOf(cp: number): number {
  if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200d) || (cp >= 0xfe00 && cp <= 0xfe0f)) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3)
    || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60)
    || (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1faff) || (cp >= 0x20000 && cp <= 0x3fffd)
  ) return 2;
  return 1;
}

/** The columns text takes on a terminal (no escape sequences in it). */
export function displayWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += columnsOf(ch.codePointAt(0)!);
  return w;
}

/** A piece of a line and its colour. */
export type Segment = readonly [text: string, paint?: Paint];

/**
 * One line from safe segments: on a compact terminal cut to the width with "…" (the segments
 * come in order, so a line's guides, at its start, are kept whole), then coloured.
 */
export function fitLine(style: TerminalStyle, segments: readonly Segment[]): string {
  let room = style.compact ? style.width : Infinity;
  const total = segments.reduce((t, [s]) => t + displayWidth(s), 0);
  const cut = total > room;
  if (cut) room -= 1; // for the ellipsis
  let out = '';
  for (const [text, what] of segments) {
    if (!cut) {
      out += paint(style, what, text);
      continue;
    }
    let kept = '';
    for (const ch of text) {
      const w = columnsOf(ch.codePointAt(0)!);
      if (w > room) break;
      room -= w;
      kept += ch;
    }
    out += paint(style, what, kept);
    if (kept.length < text.length) break;
  }
  return cut ? `${out.replace(/\s+$/, '')}…` : out;
}

/** Words of `text` in lines of at most `width` columns (a word longer than that is cut). */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const candidate = line ? `${line} ${word}` : word;
    if (displayWidth(candidate) <= width || !line) line = candidate;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line) lines.push(line);
  return lines.length ? lines : [''];
}

/** The terminal options of the text outputs, taken out of a command's arguments. */
export interface TerminalOptions {
  readonly color?: ColorMode;
  readonly verbose?: boolean;
  /** The arguments left for the command's own parser. */
  readonly rest: string[];
}

/**
 * Takes `--color[=auto|always|never]` (and `--verbose` when the command has it) out of `args`
 * (not after `--`, where they would be names); a string is the usage error.
 */
export function takeTerminalOptions(args: readonly string[], accepts: { verbose?: boolean } = {}): TerminalOptions | string {
  const rest: string[] = [];
  let color: ColorMode | undefined;
  let verbose: boolean | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      rest.push(...args.slice(i));
      break;
    }
    if (a === '--color' || a.startsWith('--color=')) {
      // `--color` alone means always, as in ls and grep; `--color WHEN` when WHEN is one.
      let v: string | undefined = a === '--color' ? 'always' : a.slice('--color='.length);
      if (a === '--color' && ['auto', 'always', 'never'].includes(args[i + 1] ?? '')) v = args[++i];
      const mode = parseColorMode(v);
      if (mode !== 'auto' && mode !== 'always' && mode !== 'never') return mode;
      color = mode;
    } else if (accepts.verbose && a === '--verbose') {
      verbose = true;
    } else {
      rest.push(a);
    }
  }
  return { rest, ...(color ? { color } : {}), ...(verbose ? { verbose } : {}) };
}
