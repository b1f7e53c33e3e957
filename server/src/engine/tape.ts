/**
 * A strict JSON parser that records the document as a "tape" of typed arrays (one slot per
 * node: type, start, end, first child, next sibling; the parent on demand) instead of a tree
 * of objects.
 * Nodes with jsonc-parser's `Node` shape are created on demand and cached, so rules that look
 * at a few fields of each of 20,000 index entries do not pay for the whole tree, and property
 * lookups compare keys against the source text without making strings.
 *
 * It gives up at the first syntax error (returns undefined): the caller then falls back on
 * jsonc-parser, whose error recovery and messages are what an editor needs.
 */
import type { Node } from 'jsonc-parser';

type NodeType = Node['type'];

export const OBJECT = 1;
export const ARRAY = 2;
export const PROPERTY = 3;
export const STRING = 4;
export const NUMBER = 5;
const TRUE = 6;
const FALSE = 7;
const NULL = 8;
/** Flag on STRING: the literal has escapes, so its value needs decoding. */
export const ESCAPED = 16;
/** The type bits of a slot's type byte (without ESCAPED). */
export const TYPE_MASK = 15;

const TYPE_NAMES: readonly NodeType[] = ['null', 'object', 'array', 'property', 'string', 'number', 'boolean', 'boolean', 'null'];

const UNSET = Symbol('unset');

/**
 * The tape of a document of 2 MB or more (262,144 slots) is one ArrayBuffer of at least 33 MiB.
 * glibc's malloc serves a request that large with its own mmap and unmaps it when it is freed,
 * whatever it learned from earlier frees (its dynamic threshold stops at 32 MiB); the pages
 * never touched cost nothing. Smaller buffers come from its heap, and a long-running server that
 * opens and closes large documents kept that heap at its high-water mark (issue 13: the RSS
 * after 20 open/close cycles of an 8 MB index).
 */
const MAPPED_SLOTS = 262_144;
const MAPPED_BYTES = 33 * 1024 * 1024;

/** A tape's five slot arrays (type, start, end, first, next) of `capacity` slots each. */
function slotArrays(capacity: number): [Uint8Array, Int32Array, Int32Array, Int32Array, Int32Array] {
  if (capacity < MAPPED_SLOTS) {
    return [new Uint8Array(capacity), new Int32Array(capacity), new Int32Array(capacity), new Int32Array(capacity), new Int32Array(capacity)];
  }
  const typeBytes = (capacity + 3) & ~3;
  const buffer = new ArrayBuffer(Math.max(MAPPED_BYTES, typeBytes + 16 * capacity));
  const int32 = (k: number): Int32Array => new Int32Array(buffer, typeBytes + 4 * k * capacity, capacity);
  return [new Uint8Array(buffer, 0, capacity), int32(0), int32(1), int32(2), int32(3)];
}


export class Tape {
  count = 0;
  type: Uint8Array;
  start: Int32Array;
  end: Int32Array;
  first: Int32Array;
  next: Int32Array;
  /**
   * Node objects by slot, in chunks of 1,024 made when a slot in them is first asked for: rules
   * touch a small part of a large document, and one array of a slot per node would cost more
   * to allocate than the nodes it ends up holding.
   */
  private chunks: ((TapeNode | undefined)[] | undefined)[] = [];
  /**
   * The parent slot of each slot (-1 for the root), worked out from the child links when a node's
   * parent is first asked for: the lint of a large document rarely asks, and one array fewer to
   * fill while parsing is 4 bytes a slot less memory to touch (issue 13: fresh memory is what an
   * 8 MB open spends most on after the parse itself).
   */
  private parents: Int32Array | undefined;

  /**
   * `exact`: five arrays of exactly `capacity` slots, not one buffer mapped for a parse (a
   * splice knows its slot count). While the user types in a large document every keystroke
   * makes one such tape; from glibc's heap, their pages are the last one's, already touched, where
   * a freshly mapped 33 MiB buffer costs a page fault per 4 KiB written (issue 25: the splice of
   * an 8 MB index took 8–18 ms that way, 3–4 ms this way).
   */
  constructor(readonly text: string, capacity = Math.max(64, text.length >> 3), exact = false) {
    [this.type, this.start, this.end, this.first, this.next] = exact
      ? [new Uint8Array(capacity), new Int32Array(capacity), new Int32Array(capacity), new Int32Array(capacity), new Int32Array(capacity)]
      : slotArrays(capacity);
  }

  /** The slot just past the subtree of slot `i` (its descendants follow it on the tape). */
  subtreeEnd(i: number): number {
    if (this.next[i] !== -1) return this.next[i];
    const end = this.end[i];
    let k = i + 1;
    while (k < this.count && this.start[k] < end) k++;
    return k;
  }

  /**
   * The tape of `text`, which is this tape's text with the inside of the object or array at
   * `slot` (not the root) rewritten: the value's new text, `text.slice(start[slot], end[slot] + delta)`,
   * parsed alone onto `sub`. The slots before are copied (the value's ancestors end `delta`
   * later and their next siblings move), the value's are `sub`'s moved to its place, those after
   * are copied and moved: no character outside the value is read again (issue 25: a keystroke in
   * one entry of an 8 MB index).
   */
  splice(text: string, slot: number, sub: Tape, delta: number): Tape {
    const after = this.subtreeEnd(slot);
    const n = sub.count;
    const moved = n - (after - slot);
    const count = this.count + moved;
    const out = new Tape(text, Math.max(64, count), true);
    out.count = count;
    // Before the value: as they were.
    out.type.set(this.type.subarray(0, slot));
    out.start.set(this.start.subarray(0, slot));
    out.end.set(this.end.subarray(0, slot));
    out.first.set(this.first.subarray(0, slot));
    out.next.set(this.next.subarray(0, slot));
    // Its ancestors contain it: they end later, and their next siblings come after it. (No
    // other slot before it links past it: a sibling of an ancestor that comes earlier links to
    // the next one, which is an ancestor or comes earlier too.)
    const base = this.start[slot];
    let cur = 0;
    while (cur !== slot) {
      out.end[cur] += delta;
      if (out.next[cur] !== -1) out.next[cur] += moved;
      let k = this.first[cur];
      while (k !== -1 && !(this.start[k] <= base && base < this.end[k])) k = this.next[k];
      if (k === -1) throw new Error(`Tape.splice: slot ${slot} is not under the root`);
      cur = k;
    }
    // The value: the sub-tape, moved to its place.
    out.type.set(sub.type.subarray(0, n), slot);
    for (let i = 0; i < n; i++) {
      const j = slot + i;
      out.start[j] = sub.start[i] + base;
      out.end[j] = sub.end[i] + base;
      const f = sub.first[i];
      out.first[j] = f === -1 ? -1 : f + slot;
      const x = sub.next[i];
      out.next[j] = x === -1 ? -1 : x + slot;
    }
    const next = this.next[slot];
    out.next[slot] = next === -1 ? -1 : next + moved;
    // After the value: moved by `delta` characters and `moved` slots.
    out.type.set(this.type.subarray(after, this.count), after + moved);
    const { start, end, first } = this;
    const oldNext = this.next;
    for (let i = after, j = after + moved; i < this.count; i++, j++) {
      out.start[j] = start[i] + delta;
      out.end[j] = end[i] + delta;
      const f = first[i];
      out.first[j] = f === -1 ? -1 : f + moved;
      const x = oldNext[i];
      out.next[j] = x === -1 ? -1 : x + moved;
    }
    out.finish();
    return out;
  }

  /** Called once parsing is done: one (empty) chunk place per 1,024 slots. */
  finish(): void {
    this.chunks = new Array<(TapeNode | undefined)[] | undefined>((this.count >> 10) + 1).fill(undefined);
  }

  /** Appends a node and returns its index. */
  add(type: number, start: number): number {
    if (this.count === this.type.length) this.grow();
    const i = this.count++;
    this.type[i] = type;
    this.start[i] = start;
    this.first[i] = -1;
    this.next[i] = -1;
    return i;
  }

  private grow(): void {
    const [type, start, end, first, next] = slotArrays(this.type.length * 2);
    type.set(this.type);
    start.set(this.start);
    end.set(this.end);
    first.set(this.first);
    next.set(this.next);
    [this.type, this.start, this.end, this.first, this.next] = [type, start, end, first, next];
  }

  /** The parent slot of slot `i`: the object of a property, the property of a key or value, the array of an element; -1 for the root. */
  parentOf(i: number): number {
    let parents = this.parents;
    if (!parents) {
      parents = new Int32Array(this.count).fill(-1);
      for (let o = 0; o < this.count; o++) {
        const t = this.type[o] & TYPE_MASK;
        if (t !== OBJECT && t !== ARRAY && t !== PROPERTY) continue;
        for (let k = this.first[o]; k !== -1; k = this.next[k]) parents[k] = o;
      }
      this.parents = parents;
    }
    return parents[i];
  }

  /** The node object for slot `i`, created once. */
  node(i: number): TapeNode {
    const chunk = (this.chunks[i >> 10] ??= new Array<TapeNode | undefined>(1024).fill(undefined));
    return (chunk[i & 1023] ??= new TapeNode(this, i));
  }

  /** The decoded string of a STRING slot. */
  stringAt(i: number): string {
    const s = this.start[i];
    const e = this.end[i];
    return this.type[i] & ESCAPED ? (JSON.parse(this.text.slice(s, e)) as string) : this.text.slice(s + 1, e - 1);
  }

  /** Whether the key of property slot `p` is `key`, compared in place when it has no escapes. */
  keyIs(p: number, key: string): boolean {
    const k = this.first[p];
    if (this.type[k] & ESCAPED) return this.stringAt(k) === key;
    const s = this.start[k];
    return this.end[k] - s - 2 === key.length && this.text.startsWith(key, s + 1);
  }

  /** Whether two key slots hold the same key, compared in the source text. */
  sameKey(a: number, b: number): boolean {
    if ((this.type[a] | this.type[b]) & ESCAPED) return this.stringAt(a) === this.stringAt(b);
    const sa = this.start[a];
    const sb = this.start[b];
    const n = this.end[a] - sa;
    if (this.end[b] - sb !== n) return false;
    const text = this.text;
    for (let i = 1; i < n - 1; i++) if (text.charCodeAt(sa + i) !== text.charCodeAt(sb + i)) return false;
    return true;
  }

  /**
   * Pairs [earlier, later] of property slots with the same key in the same object. Objects
   * marked in `skip` are known to have none (engine/plain.ts checked them).
   */
  duplicateKeys(skip?: Uint8Array): [number, number][] {
    const out: [number, number][] = [];
    const props: number[] = [];
    for (let o = 0; o < this.count; o++) {
      if ((this.type[o] & 15) !== OBJECT || (skip && skip[o] === 1)) continue;
      const first = this.first[o];
      if (first === -1 || this.next[first] === -1) continue;
      props.length = 0;
      for (let p = first; p !== -1; p = this.next[p]) props.push(p);
      if (props.length <= 32) {
        // Small objects (nearly all of them): compare in place, no strings made.
        for (let j = 1; j < props.length; j++) {
          for (let i = j - 1; i >= 0; i--) {
            if (this.sameKey(this.first[props[i]], this.first[props[j]])) { out.push([props[i], props[j]]); break; }
          }
        }
      } else {
        const seen = new Map<string, number>();
        for (const p of props) {
          const key = this.stringAt(this.first[p]);
          const earlier = seen.get(key);
          if (earlier !== undefined) out.push([earlier, p]);
          seen.set(key, p);
        }
      }
    }
    return out;
  }

  /** The property slot named `key` in object slot `o` (the last one, as JSON.parse keeps), or -1. */
  findProperty(o: number, key: string): number {
    let found = -1;
    for (let p = this.first[o]; p !== -1; p = this.next[p]) if (this.keyIs(p, key)) found = p;
    return found;
  }
}

export class TapeNode implements Node {
  private v: unknown = UNSET;
  private c: Node[] | undefined;

  constructor(readonly tape: Tape, readonly index: number) {}

  get type(): NodeType {
    return TYPE_NAMES[this.tape.type[this.index] & 15];
  }

  get offset(): number {
    return this.tape.start[this.index];
  }

  get length(): number {
    return this.tape.end[this.index] - this.tape.start[this.index];
  }

  get value(): unknown {
    if (this.v !== UNSET) return this.v;
    const t = this.tape;
    const i = this.index;
    switch (t.type[i] & 15) {
      case STRING: this.v = t.stringAt(i); break;
      case NUMBER: this.v = Number(t.text.slice(t.start[i], t.end[i])); break;
      case TRUE: this.v = true; break;
      case FALSE: this.v = false; break;
      case NULL: this.v = null; break;
      default: this.v = undefined;
    }
    return this.v;
  }

  get children(): Node[] | undefined {
    if (this.c) return this.c;
    const t = this.tape;
    const kind = t.type[this.index] & 15;
    if (kind !== OBJECT && kind !== ARRAY && kind !== PROPERTY) return undefined;
    const out: Node[] = [];
    for (let k = t.first[this.index]; k !== -1; k = t.next[k]) out.push(t.node(k));
    this.c = out;
    return out;
  }

  get parent(): Node | undefined {
    const p = this.tape.parentOf(this.index);
    return p < 0 ? undefined : this.tape.node(p);
  }

  get colonOffset(): number | undefined {
    const t = this.tape;
    if ((t.type[this.index] & 15) !== PROPERTY) return undefined;
    const key = t.first[this.index];
    return t.text.indexOf(':', t.end[key]);
  }

  /** Property lookup without making the object's other nodes. */
  property(key: string): TapeNode | undefined {
    const p = this.tape.findProperty(this.index, key);
    return p < 0 ? undefined : this.tape.node(p);
  }

  /** The value node of property `key`. */
  propertyValue(key: string): TapeNode | undefined {
    const t = this.tape;
    const p = t.findProperty(this.index, key);
    return p < 0 ? undefined : t.node(t.next[t.first[p]]);
  }

  /** The key of a property node. */
  keyString(): string {
    return this.tape.stringAt(this.tape.first[this.index]);
  }
}

/** Position after the whitespace at `pos`. */
function skipWs(text: string, pos: number, len: number): number {
  while (pos < len) {
    const c = text.charCodeAt(pos);
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) break;
    pos++;
  }
  return pos;
}

/**
 * Scans the string literal whose opening quote is at `pos`: returns twice the position after
 * its closing quote, plus 1 when it has escapes; -1 when it is not valid JSON.
 */
function scanString(text: string, pos: number, len: number): number {
  let p = pos + 1;
  // Most strings have no escapes: find the closing quote natively, then check that nothing
  // before it is a backslash or a control character.
  const q = text.indexOf('"', p);
  if (q < 0) return -1;
  let k = p;
  for (; k < q; k++) {
    const c = text.charCodeAt(k);
    if (c < 32 || c === 92) break;
  }
  if (k === q) return (q + 1) * 2;
  p = k;
  for (;;) {
    if (p >= len) return -1;
    const c = text.charCodeAt(p);
    if (c === 34) return (p + 1) * 2 + 1;
    if (c === 92) {
      const e = text.charCodeAt(p + 1);
      if (e === 117) {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(p + 2, p + 6))) return -1;
        p += 6;
      } else if (e === 34 || e === 92 || e === 47 || e === 98 || e === 102 || e === 110 || e === 114 || e === 116) p += 2;
      else return -1;
      continue;
    }
    if (c < 32) return -1;
    p++;
  }
}

/** Position after the digits at `pos`, or -1 when there is none. */
function scanDigits(text: string, pos: number, len: number): number {
  let p = pos;
  while (p < len) {
    const c = text.charCodeAt(p);
    if (c < 48 || c > 57) break;
    p++;
  }
  return p === pos ? -1 : p;
}

/** Position after the number literal at `pos`, or -1 when it is not a JSON number. */
function scanNumber(text: string, pos: number, len: number): number {
  let p = pos;
  if (text.charCodeAt(p) === 45) p++;
  if (text.charCodeAt(p) === 48) p++;
  else if ((p = scanDigits(text, p, len)) < 0) return -1;
  if (text.charCodeAt(p) === 46 && (p = scanDigits(text, p + 1, len)) < 0) return -1;
  const e = text.charCodeAt(p);
  if (e === 101 || e === 69) {
    p++;
    const sign = text.charCodeAt(p);
    if (sign === 43 || sign === 45) p++;
    if ((p = scanDigits(text, p, len)) < 0) return -1;
  }
  return p;
}

/**
 * Parses strict JSON into a tape; undefined at the first syntax error.
 *
 * One loop with an explicit stack of open containers, no recursion and no closures: the
 * position and the text stay in local variables (a variable captured by a closure is loaded
 * and stored through memory on every character), and nesting depth is limited only by memory.
 */
export function tapeParseTree(text: string): Node | undefined {
  const r = tapeParse(text);
  return r === TOO_DEEP ? undefined : r;
}

/**
 * Nesting deeper than this is refused: no manifest comes near it (they nest about six deep),
 * and the tree's consumers (hover paths, the outline, jsonc-parser itself) recurse.
 */
export const MAX_DEPTH = 500;
export const TOO_DEEP = 'too-deep';

/** tapeParseTree, telling a document nested deeper than MAX_DEPTH apart from a syntax error. */
export function tapeParse(text: string): TapeNode | typeof TOO_DEEP | undefined {
  const tape = new Tape(text);
  const len = text.length;
  let pos = 0;
  /** The open container (-1 at the top level) and its last property or element (-1 for none). */
  let cur = -1;
  let last = -1;
  const stack: number[] = [];
  let root = -1;

  outer: for (;;) {
    // A value at pos; it belongs to the open property (objects) or array.
    pos = skipWs(text, pos, len);
    const c = text.charCodeAt(pos);
    let v: number;
    if (c === 123 || c === 91) {
      // The stack holds two slots per open container; this one would be level length/2 + 1.
      if (stack.length >= 2 * MAX_DEPTH) return TOO_DEEP;
      v = tape.add(c === 123 ? OBJECT : ARRAY, pos);
      pos = skipWs(text, pos + 1, len);
      if (text.charCodeAt(pos) === c + 2) {
        // {} or []: closed at once.
        pos++;
        tape.end[v] = pos;
      } else {
        stack.push(cur, last);
        cur = v;
        last = -1;
        if (c === 123 && (pos = key(tape, text, pos, len, cur, -1)) < 0) return undefined;
        if (c === 123) last = tape.count - 2;
        continue outer;
      }
    } else if (c === 34) {
      const r = scanString(text, pos, len);
      if (r < 0) return undefined;
      v = tape.add(STRING, pos);
      pos = r >> 1;
      tape.end[v] = pos;
      if (r & 1) tape.type[v] |= ESCAPED;
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      const e = scanNumber(text, pos, len);
      if (e < 0) return undefined;
      v = tape.add(NUMBER, pos);
      tape.end[v] = pos = e;
    } else {
      const word = c === 116 ? 'true' : c === 102 ? 'false' : c === 110 ? 'null' : undefined;
      if (!word || !text.startsWith(word, pos)) return undefined;
      v = tape.add(c === 116 ? TRUE : c === 102 ? FALSE : NULL, pos);
      tape.end[v] = pos += word.length;
    }
    // After a value: attach it, then a comma, or the close of its container (which is then
    // the value just finished, one level up).
    for (;;) {
      if (cur === -1) { root = v; break outer; }
      const inObject = tape.type[cur] === OBJECT;
      if (inObject) {
        tape.next[tape.first[last]] = v;
        tape.end[last] = tape.end[v];
      } else {
        if (last === -1) tape.first[cur] = v;
        else tape.next[last] = v;
        last = v;
      }
      pos = skipWs(text, pos, len);
      const d = text.charCodeAt(pos);
      if (d === 44) {
        if (inObject) {
          if ((pos = key(tape, text, pos + 1, len, cur, last)) < 0) return undefined;
          last = tape.count - 2;
        } else {
          pos++;
        }
        continue outer;
      }
      if (d !== (inObject ? 125 : 93)) return undefined;
      pos++;
      tape.end[cur] = pos;
      v = cur;
      last = stack.pop()!;
      cur = stack.pop()!;
    }
  }
  if (skipWs(text, pos, len) !== len) return undefined;
  tape.finish();
  return tape.node(root);
}

/**
 * Reads `"key":` at `pos` (after whitespace) in object `obj` whose last property is `prev`:
 * adds the property and its key, links the property, and returns the position after the
 * colon, or -1. The property is slot count-2, its key count-1.
 */
function key(tape: Tape, text: string, pos: number, len: number, obj: number, prev: number): number {
  pos = skipWs(text, pos, len);
  if (text.charCodeAt(pos) !== 34) return -1;
  const r = scanString(text, pos, len);
  if (r < 0) return -1;
  const p = tape.add(PROPERTY, pos);
  const k = tape.add(STRING, pos);
  pos = r >> 1;
  tape.end[k] = pos;
  if (r & 1) tape.type[k] |= ESCAPED;
  tape.first[p] = k;
  if (prev === -1) tape.first[obj] = p;
  else tape.next[prev] = p;
  pos = skipWs(text, pos, len);
  if (text.charCodeAt(pos) !== 58) return -1;
  return pos + 1;
}
