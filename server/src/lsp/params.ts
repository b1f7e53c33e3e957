/**
 * The parameters of the custom requests (common/protocol.ts), checked before a handler reads
 * them. Any LSP client may send them, not only ours: a request without its `uri`, with `null`
 * params or a number for a reference is answered with InvalidParams (-32602) and a message that
 * names the field, never with a TypeError's text, and never becomes a request to a registry
 * (an explorer listing without its `registry` used to ask Docker Hub).
 */
import { ErrorCodes, ResponseError } from 'vscode-languageserver/node';

/** What a field must be: a string, an optional string, an optional list of strings, or an object of fields. */
export type ParamField = 'string' | 'string?' | 'string[]?' | ParamShape;
export interface ParamShape {
  readonly [field: string]: ParamField;
}

/** The kind of a value, for the message: 'missing', 'null', 'a number', 'a list'… (never the value itself). */
function kindOf(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return `${/^[aeiou]/.test(typeof v) ? 'an' : 'a'} ${typeof v}`;
}

function check(method: string, path: string, value: unknown, field: ParamField): void {
  const bad = (wanted: string): never => {
    throw new ResponseError(ErrorCodes.InvalidParams, `${method}: ${path} must be ${wanted}; it is ${kindOf(value)}.`);
  };
  if (field === 'string') {
    if (typeof value !== 'string') bad('a string');
  } else if (field === 'string?') {
    if (value !== undefined && value !== null && typeof value !== 'string') bad('a string when given');
  } else if (field === 'string[]?') {
    if (value === undefined || value === null) return;
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) bad('a list of strings when given');
  } else {
    checkShape(method, path, value, field);
  }
}

function checkShape(method: string, path: string, value: unknown, shape: ParamShape): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ResponseError(ErrorCodes.InvalidParams, `${method}: ${path} must be an object; it is ${kindOf(value)}.`);
  }
  for (const [name, field] of Object.entries(shape)) check(method, `${path}.${name}`, (value as Record<string, unknown>)[name], field);
}

/**
 * `params` as `T` when it has the fields of `shape`; else throws a ResponseError with code
 * InvalidParams naming the first field that is wrong ("manifestLens/open: params.uri must be a
 * string; it is missing."). Other fields are left as they are.
 */
export function requireParams<T>(method: string, params: unknown, shape: ParamShape): T {
  checkShape(method, 'params', params, shape);
  return params as T;
}
