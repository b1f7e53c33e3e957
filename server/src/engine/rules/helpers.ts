/** Small helpers shared by the rule files. */
import { propertyOf, quote, type Node } from '../json';
import type { Edit, Fix } from '../types';

export const IS_SPEC = 'https://github.com/opencontainers/image-spec/blob/v1.1.1/';
export const DIST_SPEC = 'https://github.com/opencontainers/distribution-spec/blob/v1.1.1/spec.md';
export const DOCKER_V22 = 'https://github.com/distribution/distribution/blob/main/docs/content/spec/manifest-v2-2.md';

/** Replace a node's text with a JSON value. */
export function replaceEdit(node: Node, value: unknown): Edit {
  return { offset: node.offset, length: node.length, newText: typeof value === 'string' ? quote(value) : JSON.stringify(value) };
}

export const DIGEST_NOTE = ' (changes the manifest digest)';

export function fix(title: string, edits: Edit[], changesDigest = true, preferred = false): Fix {
  return { title: changesDigest ? title + DIGEST_NOTE : title, edits, changesDigest, preferred };
}

/**
 * Where to underline something that is missing from an object: the key of the property
 * holding it (`"config"`), or its opening brace when it is an array element or the root.
 */
export function anchorOfObject(obj: Node): { offset: number; length: number } {
  const parent = obj.parent;
  if (parent?.type === 'property' && parent.children?.[0]) {
    const key = parent.children[0];
    return { offset: key.offset, length: key.length };
  }
  return { offset: obj.offset, length: 1 };
}

/** The key node of property `name` in `obj`. */
export function keyNode(obj: Node, name: string): Node | undefined {
  return propertyOf(obj, name)?.children?.[0];
}

/**
 * An edit inserting `"key": value` as the first property of an object, matching the
 * indentation of the existing properties.
 */
export function insertPropertyEdit(text: string, obj: Node, key: string, value: unknown): Edit {
  const first = obj.children?.[0];
  const json = `${quote(key)}: ${JSON.stringify(value)}`;
  if (!first) return { offset: obj.offset + 1, length: 0, newText: json };
  const lineStart = text.lastIndexOf('\n', first.offset - 1) + 1;
  const between = text.slice(obj.offset + 1, first.offset);
  if (between.includes('\n')) {
    const indent = text.slice(lineStart, first.offset);
    return { offset: first.offset, length: 0, newText: `${json},\n${indent}` };
  }
  return { offset: first.offset, length: 0, newText: `${json}, ` };
}

/** An edit deleting a property with its separating comma. */
export function deletePropertyEdit(_text: string, prop: Node): Edit {
  const obj = prop.parent!;
  const siblings = obj.children!;
  const i = siblings.indexOf(prop);
  let start = prop.offset;
  let end = prop.offset + prop.length;
  if (i < siblings.length - 1) {
    end = siblings[i + 1].offset;
  } else if (i > 0) {
    const prev = siblings[i - 1];
    start = prev.offset + prev.length;
  } else {
    // Only property: remove up to the braces' inner whitespace.
    start = obj.offset + 1;
    end = obj.offset + obj.length - 1;
  }
  return { offset: start, length: end - start, newText: '' };
}

/** A value cut to `max` characters with an ellipsis, for messages. */
export function shorten(value: string, max = 80): string {
  return value.length > max ? value.slice(0, max) + '…' : value;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
