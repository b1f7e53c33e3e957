/**
 * The server's text documents: vscode-languageserver-textdocument's TextDocument interface
 * with a faster line index (issue 13). Converting a diagnostic's offset to a line needs the
 * start of every line; the library finds them with a charCodeAt loop into a growing array,
 * which the CPU profile of opening an 8 MB index showed as one of the largest costs between
 * the engine's result and the published diagnostics (several times the cost of this version).
 * Here line starts are found with `indexOf('\n')` (a memchr in V8) into an Int32Array, and
 * kept up to date on incremental edits. Positions follow the library exactly: UTF-16 code
 * units, `\n`, `\r\n` and `\r` line breaks, offsets clamped, a position never between `\r`
 * and `\n` (test/lsp/textDocument.test.ts compares both on random edits).
 */
import type { Position, Range, TextDocument, TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';

const LF = 10;
const CR = 13;

/**
 * The offsets just after each line break of `text` (not 0), plus `base`; written from index
 * `first` of an array made for about `expected` of them (grown when there are more).
 */
function lineBreakEnds(text: string, base: number, first = 0, expected = 16): Int32Array {
  let out = new Int32Array(Math.max(16, first + expected));
  let n = first;
  const push = (v: number): void => {
    if (n === out.length) {
      const grown = new Int32Array(n * 2);
      grown.set(out);
      out = grown;
    }
    out[n++] = v;
  };
  if (text.indexOf('\r') === -1) {
    // The common case: `\n` only, found by a native search.
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) push(base + i + 1);
  } else {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === CR) {
        if (text.charCodeAt(i + 1) === LF) i++;
        push(base + i + 1);
      } else if (c === LF) {
        push(base + i + 1);
      }
    }
  }
  return out.subarray(0, n);
}

/**
 * Line starts (0 first) in one array sized from the text: pretty-printed JSON has a line every
 * 16 characters or so, so an 8 MB document's 560,000 line starts are written once, not copied
 * through a dozen doublings (fresh memory is the larger cost of a large open).
 */
function lineStartsOf(text: string): Int32Array {
  const starts = lineBreakEnds(text, 0, 1, (text.length >> 4) + 1);
  // A long-lined text (minified JSON) gets an array of its own size.
  return starts.length < starts.buffer.byteLength >> 3 ? starts.slice() : starts;
}

function isEol(c: number): boolean {
  return c === CR || c === LF;
}

/** A range whose start is not after its end. */
function wellFormed(range: Range): Range {
  const { start, end } = range;
  if (start.line > end.line || (start.line === end.line && start.character > end.character)) return { start: end, end: start };
  return range;
}

/** How many versions of edits a document remembers for {@link LineIndexedDocument.editSince}. */
const EDIT_HISTORY = 256;

/** The span one or more edits changed: the old text's [start, oldEnd) became the new text's [start, newEnd). */
export interface ChangedSpan {
  readonly start: number;
  readonly oldEnd: number;
  readonly newEnd: number;
}

class LineIndexedDocument implements TextDocument {
  private content: string;
  /**
   * The span each recent version changed (undefined: the whole text was replaced), so that the
   * relint of a large document can tell which entry a keystroke was in (engine/reanalyze.ts).
   */
  private edits: { version: number; span: ChangedSpan | undefined }[] = [];
  /** The oldest version from which every later edit is in `edits`. */
  private editsFrom: number;
  /** Start offset of each line; undefined until first needed (and after an edit that may split a `\r\n`). */
  private starts: Int32Array | undefined;

  constructor(
    readonly uri: string,
    readonly languageId: string,
    public version: number,
    content: string,
  ) {
    this.content = content;
    this.editsFrom = version;
  }

  /**
   * The one span of the text that changed since `version` (the union of the edits since, in
   * the current text's offsets), or undefined when that is not known (the whole text was
   * replaced, or `version` is older than the edits remembered).
   */
  editSince(version: number): ChangedSpan | undefined {
    if (version < this.editsFrom || version > this.version) return undefined;
    let span: { start: number; oldEnd: number; newEnd: number } | undefined;
    for (const e of this.edits) {
      if (e.version <= version) continue;
      if (!e.span) return undefined;
      span = span ? union(span, e.span) : { ...e.span };
    }
    return span ?? (version === this.version ? { start: 0, oldEnd: 0, newEnd: 0 } : undefined);
  }

  private remember(version: number, span: ChangedSpan | undefined): void {
    this.edits.push({ version, span });
    if (this.edits.length > EDIT_HISTORY) this.editsFrom = this.edits.shift()!.version;
  }

  getText(range?: Range): string {
    if (!range) return this.content;
    return this.content.substring(this.offsetAt(range.start), this.offsetAt(range.end));
  }

  get lineCount(): number {
    return this.lineStarts().length;
  }

  private lineStarts(): Int32Array {
    return (this.starts ??= lineStartsOf(this.content));
  }

  /** Moves an offset that lies inside a line break back to the end of the line's text. */
  private beforeEol(offset: number, lineStart: number): number {
    while (offset > lineStart && isEol(this.content.charCodeAt(offset - 1))) offset--;
    return offset;
  }

  positionAt(offset: number): Position {
    offset = Math.max(Math.min(offset, this.content.length), 0);
    const starts = this.lineStarts();
    const line = this.positionLine(starts, offset);
    return { line, character: this.beforeEol(offset, starts[line]) - starts[line] };
  }

  offsetAt(position: Position): number {
    const starts = this.lineStarts();
    if (position.line >= starts.length) return this.content.length;
    if (position.line < 0) return 0;
    const lineStart = starts[position.line];
    if (position.character <= 0) return lineStart;
    const next = position.line + 1 < starts.length ? starts[position.line + 1] : this.content.length;
    return this.beforeEol(Math.min(lineStart + position.character, next), lineStart);
  }

  getLineRange(line: number): Range {
    const starts = this.lineStarts();
    if (line >= starts.length) {
      const last = starts.length - 1;
      return { start: { line: last, character: 0 }, end: { line: last, character: this.content.length - starts[last] } };
    }
    if (line < 0) return { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    const next = line + 1 < starts.length ? starts[line + 1] : this.content.length;
    return { start: { line, character: 0 }, end: { line, character: this.beforeEol(next, starts[line]) - starts[line] } };
  }

  getEOLCharacters(line: number): string {
    const starts = this.lineStarts();
    if (line >= starts.length || line < 0) return '';
    const next = line + 1 < starts.length ? starts[line + 1] : this.content.length;
    return this.content.substring(this.beforeEol(next, starts[line]), next);
  }

  update(changes: readonly TextDocumentContentChangeEvent[], version: number): void {
    for (const change of changes) {
      if (!('range' in change) || !change.range) {
        this.content = change.text;
        this.starts = undefined;
        this.remember(version, undefined);
        continue;
      }
      const range = wellFormed(change.range);
      const startOffset = this.offsetAt(range.start);
      const endOffset = this.offsetAt(range.end);
      const old = this.content;
      this.content = old.substring(0, startOffset) + change.text + old.substring(endOffset);
      this.remember(version, { start: startOffset, oldEnd: endOffset, newEnd: startOffset + change.text.length });
      const starts = this.starts;
      // A `\r` on either side of the edit may join or split a `\r\n`: index again when next needed.
      if (!starts || old.charCodeAt(startOffset - 1) === CR || this.content.charCodeAt(startOffset - 1) === CR ||
        change.text.charCodeAt(change.text.length - 1) === CR) {
        this.starts = undefined;
        continue;
      }
      const startLine = this.positionLine(starts, startOffset);
      const endLine = this.positionLine(starts, endOffset);
      const added = lineBreakEnds(change.text, startOffset);
      const diff = change.text.length - (endOffset - startOffset);
      const next = added.length === endLine - startLine ? starts : new Int32Array(starts.length - (endLine - startLine) + added.length);
      if (next !== starts) next.set(starts.subarray(0, startLine + 1));
      next.set(added, startLine + 1);
      const tail = startLine + 1 + added.length;
      for (let i = endLine + 1, j = tail; i < starts.length; i++, j++) next[j] = starts[i] + diff;
      this.starts = next;
    }
    this.version = version;
  }

  /** The line an offset is on, by the line starts (the offset is already a valid one). */
  private positionLine(starts: Int32Array, offset: number): number {
    let low = 0;
    let high = starts.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (starts[mid] > offset) high = mid;
      else low = mid + 1;
    }
    return low - 1;
  }
}

/**
 * Two changed spans one after the other as one: `a` (in the text before `b`) then `b` (in the
 * text `a` made). The result is in the offsets of the text before `a` (start, oldEnd) and after
 * `b` (newEnd).
 */
function union(a: { start: number; oldEnd: number; newEnd: number }, b: ChangedSpan): { start: number; oldEnd: number; newEnd: number } {
  const da = a.newEnd - a.oldEnd;
  const start = Math.min(a.start, b.start);
  // b's end in the text before a: after a's new text it moves back by da; inside it, a's old end.
  const bOldEnd = b.oldEnd >= a.newEnd ? b.oldEnd - da : a.oldEnd;
  const oldEnd = Math.max(a.oldEnd, bOldEnd);
  // a's new end in the text after b: after b's old text it moves by b's delta; inside it, b's new end.
  const aNewEnd = a.newEnd >= b.oldEnd ? a.newEnd + (b.newEnd - b.oldEnd) : b.newEnd;
  const newEnd = Math.max(aNewEnd, b.newEnd);
  return { start, oldEnd, newEnd };
}

/** The changed span since `version` of a server text document, when it knows it. */
export function editSince(doc: TextDocument, version: number): ChangedSpan | undefined {
  return doc instanceof LineIndexedDocument ? doc.editSince(version) : undefined;
}

/**
 * The TextDocuments configuration of the server: `new TextDocuments(FastTextDocument)` in place
 * of the library's TextDocument, with the same behaviour.
 */
export const FastTextDocument = {
  create(uri: string, languageId: string, version: number, content: string): TextDocument {
    return new LineIndexedDocument(uri, languageId, version, content);
  },
  update(document: TextDocument, changes: TextDocumentContentChangeEvent[], version: number): TextDocument {
    if (!(document instanceof LineIndexedDocument)) throw new Error('FastTextDocument.update: not one of its documents');
    document.update(changes, version);
    return document;
  },
};
