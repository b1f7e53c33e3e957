/**
 * A strict JSON parser that records the document as a "tape" of typed arrays (one slot per
 * node: type, start, end, parent, first child, next sibling) instead of a tree of objects.
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

class Fail extends Error {}
const FAIL = new Fail();

export class Tape {
  count = 0;
  type: Uint8Array;
  start: Int32Array;
  end: Int32Array;
  parent: Int32Array;
  first: Int32Array;
  next: Int32Array;
  /** Node objects by slot, sized once parsing is done (a dense array, not a growing sparse one). */
  nodes: (TapeNode | undefined)[] = [];

  constructor(readonly text: string) {
    const capacity = Math.max(64, text.length >> 3);
    this.type = new Uint8Array(capacity);
    this.start = new Int32Array(capacity);
    this.end = new Int32Array(capacity);
    this.parent = new Int32Array(capacity);
    this.first = new Int32Array(capacity);
    this.next = new Int32Array(capacity);
  }

  /** Appends a node and returns its index. */
  add(type: number, start: number, parent: number): number {
    if (this.count === this.type.length) this.grow();
    const i = this.count++;
    this.type[i] = type;
    this.start[i] = start;
    this.parent[i] = parent;
    this.first[i] = -1;
    this.next[i] = -1;
    return i;
  }

  private grow(): void {
    const n = this.type.length * 2;
    const g = <T extends Uint8Array | Int32Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.set(a);
      return b;
    };
    this.type = g(this.type);
    this.start = g(this.start);
    this.end = g(this.end);
    this.parent = g(this.parent);
    this.first = g(this.first);
    this.next = g(this.next);
  }

  /** The node object for slot `i`, created once. */
  node(i: number): TapeNode {
    return (this.nodes[i] ??= new TapeNode(this, i));
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
  private sameKey(a: number, b: number): boolean {
    if ((this.type[a] | this.type[b]) & ESCAPED) return this.stringAt(a) === this.stringAt(b);
    const sa = this.start[a];
    const sb = this.start[b];
    const n = this.end[a] - sa;
    if (this.end[b] - sb !== n) return false;
    const text = this.text;
    for (let i = 1; i < n - 1; i++) if (text.charCodeAt(sa + i) !== text.charCodeAt(sb + i)) return false;
    return true;
  }

  /** Pairs [earlier, later] of property slots with the same key in the same object. */
  duplicateKeys(): [number, number][] {
    const out: [number, number][] = [];
    const props: number[] = [];
    for (let o = 0; o < this.count; o++) {
      if ((this.type[o] & 15) !== OBJECT) continue;
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
    const p = this.tape.parent[this.index];
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

/** Parses strict JSON into a tape; undefined at the first syntax error. */
export function tapeParseTree(text: string): Node | undefined {
  const tape = new Tape(text);
  const len = text.length;
  let pos = 0;

  // The scanning loops work on a local copy of `pos`: a captured variable would be loaded
  // and stored on every character.
  const ws = (): void => {
    let p = pos;
    while (p < len) {
      const c = text.charCodeAt(p);
      if (c === 32 || c === 10 || c === 13 || c === 9) p++;
      else break;
    }
    pos = p;
  };

  const str = (parent: number): number => {
    const i = tape.add(STRING, pos, parent);
    let p = pos + 1;
    // Most strings have no escapes: find the closing quote natively, then check that nothing
    // before it is a backslash or a control character.
    const q = text.indexOf('"', p);
    if (q < 0) throw FAIL;
    let plain = true;
    for (let k = p; k < q; k++) {
      const c = text.charCodeAt(k);
      if (c < 32 || c === 92) { plain = false; break; }
    }
    if (plain) {
      pos = q + 1;
      tape.end[i] = pos;
      return i;
    }
    let escaped = false;
    for (;;) {
      if (p >= len) throw FAIL;
      const c = text.charCodeAt(p);
      if (c === 34) break;
      if (c === 92) {
        escaped = true;
        const e = text.charCodeAt(p + 1);
        if (e === 117) {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(p + 2, p + 6))) throw FAIL;
          p += 6;
        } else if (e === 34 || e === 92 || e === 47 || e === 98 || e === 102 || e === 110 || e === 114 || e === 116) p += 2;
        else throw FAIL;
        continue;
      }
      if (c < 32) throw FAIL;
      p++;
    }
    pos = p + 1;
    tape.end[i] = pos;
    if (escaped) tape.type[i] |= ESCAPED;
    return i;
  };

  const digits = (): void => {
    let p = pos;
    while (p < len) {
      const c = text.charCodeAt(p);
      if (c < 48 || c > 57) break;
      p++;
    }
    if (p === pos) throw FAIL;
    pos = p;
  };

  const num = (parent: number): number => {
    const i = tape.add(NUMBER, pos, parent);
    if (text.charCodeAt(pos) === 45) pos++;
    if (text.charCodeAt(pos) === 48) pos++;
    else digits();
    if (text.charCodeAt(pos) === 46) { pos++; digits(); }
    const e = text.charCodeAt(pos);
    if (e === 101 || e === 69) {
      pos++;
      const s = text.charCodeAt(pos);
      if (s === 43 || s === 45) pos++;
      digits();
    }
    tape.end[i] = pos;
    return i;
  };

  const literal = (word: string, type: number, parent: number): number => {
    if (!text.startsWith(word, pos)) throw FAIL;
    const i = tape.add(type, pos, parent);
    pos += word.length;
    tape.end[i] = pos;
    return i;
  };

  const value = (parent: number): number => {
    ws();
    const c = text.charCodeAt(pos);
    if (c === 123) return obj(parent);
    if (c === 91) return arr(parent);
    if (c === 34) return str(parent);
    if (c === 116) return literal('true', TRUE, parent);
    if (c === 102) return literal('false', FALSE, parent);
    if (c === 110) return literal('null', NULL, parent);
    if (c === 45 || (c >= 48 && c <= 57)) return num(parent);
    throw FAIL;
  };

  const obj = (parent: number): number => {
    const i = tape.add(OBJECT, pos, parent);
    pos++;
    ws();
    if (text.charCodeAt(pos) === 125) {
      pos++;
      tape.end[i] = pos;
      return i;
    }
    let last = -1;
    for (;;) {
      ws();
      if (text.charCodeAt(pos) !== 34) throw FAIL;
      const p = tape.add(PROPERTY, pos, i);
      const k = str(p);
      tape.first[p] = k;
      ws();
      if (text.charCodeAt(pos) !== 58) throw FAIL;
      pos++;
      const v = value(p);
      tape.next[k] = v;
      tape.end[p] = tape.end[v];
      if (last === -1) tape.first[i] = p;
      else tape.next[last] = p;
      last = p;
      ws();
      const c = text.charCodeAt(pos);
      if (c === 44) { pos++; continue; }
      if (c === 125) { pos++; break; }
      throw FAIL;
    }
    tape.end[i] = pos;
    return i;
  };

  const arr = (parent: number): number => {
    const i = tape.add(ARRAY, pos, parent);
    pos++;
    ws();
    if (text.charCodeAt(pos) === 93) {
      pos++;
      tape.end[i] = pos;
      return i;
    }
    let last = -1;
    for (;;) {
      const v = value(i);
      if (last === -1) tape.first[i] = v;
      else tape.next[last] = v;
      last = v;
      ws();
      const c = text.charCodeAt(pos);
      if (c === 44) { pos++; continue; }
      if (c === 93) { pos++; break; }
      throw FAIL;
    }
    tape.end[i] = pos;
    return i;
  };

  try {
    const root = value(-1);
    ws();
    if (pos !== len) return undefined;
    tape.nodes = new Array<TapeNode | undefined>(tape.count).fill(undefined);
    return tape.node(root);
  } catch (err) {
    if (err === FAIL || err instanceof RangeError) return undefined;
    throw err;
  }
}
