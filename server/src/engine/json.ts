/**
 * The JSON layer of the engine: one parse per text, and small helpers to read the tree.
 * Everything is offset based; nothing here knows about LSP positions.
 */
import { parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { nestsDeeperThan } from './nesting';
import { MAX_DEPTH, TapeNode, TOO_DEEP, tapeParse } from './tape';

export type { Node };

export interface SyntaxError {
  readonly message: string;
  readonly offset: number;
  readonly length: number;
  /** jsonc-parser's error code (`CommaExpected`, …); absent for the engine's own errors. */
  readonly code?: string;
  /** Not a syntax error: the document nests deeper than the parser follows (valid JSON, not read). */
  readonly tooDeep?: boolean;
}

export interface ParsedJson {
  readonly text: string;
  /** Undefined when the text holds no JSON value at all. */
  readonly root: Node | undefined;
  /** Syntax errors, strict JSON (no comments, no trailing commas). */
  readonly errors: readonly SyntaxError[];
}

const MESSAGES: Record<string, string> = {
  InvalidSymbol: 'invalid symbol',
  InvalidNumberFormat: 'invalid number format',
  PropertyNameExpected: 'property name expected',
  ValueExpected: 'value expected',
  ColonExpected: 'colon expected',
  CommaExpected: 'comma expected',
  CloseBraceExpected: 'closing brace expected',
  CloseBracketExpected: 'closing bracket expected',
  EndOfFileExpected: 'end of file expected',
  InvalidCommentToken: 'comments are not allowed in JSON',
  UnexpectedEndOfComment: 'unexpected end of comment',
  UnexpectedEndOfString: 'unexpected end of string',
  UnexpectedEndOfNumber: 'unexpected end of number',
  InvalidUnicode: 'invalid unicode sequence',
  InvalidEscapeCharacter: 'invalid escape character',
  InvalidCharacter: 'invalid character in string',
};

export function parseJson(text: string): ParsedJson {
  // Well-formed JSON (the common case, and the only one in large fetched documents) takes the
  // fast path; anything else gets jsonc-parser's recovery and messages.
  const fast = tapeParse(text);
  const tooDeep: ParsedJson = { text, root: undefined, errors: [{ message: `nested more than ${MAX_DEPTH} levels deep (manifests nest about six); not read`, offset: 0, length: 0, tooDeep: true }] };
  if (fast === TOO_DEEP) return tooDeep;
  if (fast) return { text, root: fast, errors: [] };
  // jsonc-parser recurses once per level: a deep text with a syntax error is refused before it
  // gets there (one linear scan), not left to overflow the stack.
  if (nestsDeeperThan(text, MAX_DEPTH)) return tooDeep;
  const raw: ParseError[] = [];
  let root: Node | undefined;
  try {
    root = parseTree(text, raw, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: true });
  } catch (err) {
    if (err instanceof RangeError) return { text, root: undefined, errors: [{ message: 'nested too deeply to parse', offset: 0, length: 0, tooDeep: true }] };
    throw err;
  }
  const errors = raw.map((e) => {
    const code = printParseErrorCode(e.error);
    return { message: MESSAGES[code] ?? code, offset: e.offset, length: e.length, code };
  });
  if (root === undefined && text.trim() === '') {
    return { text, root, errors: [{ message: 'empty document', offset: 0, length: 0 }] };
  }
  return { text, root, errors };
}

/** The property node (key + value) named `key` of an object node. Last one wins, as in JSON.parse. */
export function propertyOf(node: Node | undefined, key: string): Node | undefined {
  if (!node || node.type !== 'object') return undefined;
  if (node instanceof TapeNode) return node.property(key);
  let found: Node | undefined;
  for (const p of node.children ?? []) {
    if (p.children && p.children[0]?.value === key) found = p;
  }
  return found;
}

/** The value node of property `key`. */
export function valueOf(node: Node | undefined, key: string): Node | undefined {
  if (node instanceof TapeNode) return node.type === 'object' ? node.propertyValue(key) : undefined;
  return propertyOf(node, key)?.children?.[1];
}

/** The string value of property `key`, when it is a string. */
export function stringOf(node: Node | undefined, key: string): string | undefined {
  const v = valueOf(node, key);
  return v?.type === 'string' ? (v.value as string) : undefined;
}

export function has(node: Node | undefined, key: string): boolean {
  return propertyOf(node, key) !== undefined;
}

/** Property nodes of an object, in document order. */
export function properties(node: Node | undefined): Node[] {
  return node?.type === 'object' && node.children ? node.children : [];
}

/** Element nodes of an array. */
export function elements(node: Node | undefined): Node[] {
  return node?.type === 'array' && node.children ? node.children : [];
}

/**
 * Whether `node` is an array with no elements, without making a node for each element (the
 * `manifests` of a 20,000-entry index parsed onto the tape).
 */
export function isEmptyArray(node: Node | undefined): node is Node {
  if (node instanceof TapeNode) return node.type === 'array' && node.tape.first[node.index] === -1;
  return node?.type === 'array' && (node.children?.length ?? 0) === 0;
}

export function keyOf(prop: Node): string {
  return prop instanceof TapeNode ? prop.keyString() : (prop.children?.[0]?.value as string);
}

/** Path from the root to a node, as JSON pointer segments. */
export function pathOf(node: Node): (string | number)[] {
  const path: (string | number)[] = [];
  let cur: Node | undefined = node;
  while (cur?.parent) {
    const parent: Node = cur.parent;
    if (parent.type === 'property') {
      path.unshift(keyOf(parent));
      cur = parent.parent;
    } else if (parent.type === 'array') {
      path.unshift(parent.children!.indexOf(cur));
      cur = parent;
    } else {
      cur = parent;
    }
  }
  return path;
}

/** The innermost node that contains `offset` (a key's node for a key, a value's for a value). */
export function nodeAt(root: Node | undefined, offset: number): Node | undefined {
  if (!root || offset < root.offset || offset > root.offset + root.length) return undefined;
  if (root.children) {
    for (const c of root.children) {
      if (offset >= c.offset && offset <= c.offset + c.length) {
        const inner = nodeAt(c, offset);
        if (inner) return inner;
      }
    }
  }
  return root;
}

/** The raw text of a node (for numbers this keeps precision JSON.parse would lose). */
export function rawText(text: string, node: Node): string {
  return text.slice(node.offset, node.offset + node.length);
}

/** A JSON string literal for `value`, as it would be written into the document. */
export function quote(value: string): string {
  return JSON.stringify(value);
}
