/**
 * The options `tree` and `diff` share with `inspect` (--insecure, --no-creds, --timeout,
 * --format, --platform), parsed the same way: `--name value` or `--name=value`.
 */
import type { PlatformValues } from '../engine/platforms';
import { applyRegistryOption, parseTimeoutOption, type RegistryOptions } from './inspectCommand';
import { parseFailOn, type FailOn } from './failOn';

export interface GraphCliOptions {
  readonly positional: readonly string[];
  readonly insecureHosts: readonly string[];
  readonly noCreds: boolean;
  readonly timeoutSeconds?: number;
  readonly format: 'text' | 'json';
  readonly platform?: PlatformValues;
  readonly referrers: boolean;
  readonly depth?: number;
  readonly concurrency?: number;
  /** tree: exit 1 when a node has a problem at least this severe (like lint's). */
  readonly failOn?: FailOn;
  /** tree: entries of each index to fetch (--max-entries). */
  readonly maxEntries?: number;
  /** tree: seconds for the whole graph (--deadline); per request it is --timeout. */
  readonly deadlineSeconds?: number;
}

/** The most entries of one index --max-entries (and the editor's setting) may ask for. */
export const MAX_ENTRIES = 10_000;

/** The whole-number options of `tree`: the field each sets and the range it accepts. */
const COUNT_OPTIONS: ReadonlyMap<string, { readonly key: 'depth' | 'concurrency' | 'maxEntries'; readonly min: number; readonly max: number }> = new Map([
  ['--depth', { key: 'depth', min: 0, max: 16 }],
  ['--concurrency', { key: 'concurrency', min: 1, max: 32 }],
  ['--max-entries', { key: 'maxEntries', min: 1, max: MAX_ENTRIES }],
] as const);

/**
 * A whole-number option's value: plain decimal digits only (`Number` would also take '' as 0,
 * `1e3`, `0x10`, `0b1`, ' 7 ' and `1.0`), from `min` to `max`; else the usage message.
 */
export function parseWholeNumber(name: string, v: string | undefined, min: number, max: number): number | string {
  const n = v !== undefined && /^[0-9]{1,16}$/.test(v) ? Number(v) : NaN;
  return n >= min && n <= max ? n : `${name} expects a whole number from ${min} to ${max}, got ${v === undefined ? 'nothing' : JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
}

/** Which options a command takes besides the shared ones. */
export interface GraphCliSpec {
  readonly platform?: boolean;
  readonly graph?: boolean;
}

/** Parses the arguments; a string is the usage error to print. */
export function parseGraphArgs(args: readonly string[], spec: GraphCliSpec): GraphCliOptions | string {
  const shared: RegistryOptions = { noCreds: false, insecureHosts: [] };
  let referrers = true;
  const counts: { depth?: number; concurrency?: number; maxEntries?: number } = {};
  let failOn: FailOn | undefined;
  let deadlineSeconds: number | undefined;
  let format: 'text' | 'json' = 'text';
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string | undefined => (eq > 0 ? arg.slice(eq + 1) : args[++i]);
    if (name === '--platform' && !spec.platform) return `unknown option ${arg}`;
    const applied = applyRegistryOption(name, value, shared);
    if (typeof applied === 'string') return applied;
    if (applied) continue;
    const bounds = COUNT_OPTIONS.get(name);
    if (bounds) {
      if (!spec.graph) return `unknown option ${arg}`;
      const n = parseWholeNumber(name, value(), bounds.min, bounds.max);
      if (typeof n === 'string') return n;
      counts[bounds.key] = n;
      continue;
    }
    switch (name) {
      case '--no-referrers':
        if (!spec.graph) return `unknown option ${arg}`;
        referrers = false;
        break;
      case '--deadline': {
        if (!spec.graph) return `unknown option ${arg}`;
        const n = parseTimeoutOption(value());
        if (typeof n === 'string') return n.replace('--timeout', '--deadline');
        deadlineSeconds = n;
        break;
      }
      case '--fail-on': {
        if (!spec.graph) return `unknown option ${arg}`;
        const parsed = parseFailOn(value());
        if ('error' in parsed) return parsed.error;
        failOn = parsed.failOn;
        break;
      }
      case '--format': {
        const v = value();
        if (v !== 'text' && v !== 'json') return `--format must be text or json, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`;
        format = v;
        break;
      }
      case '--':
        positional.push(...args.slice(i + 1));
        i = args.length;
        break;
      default:
        if (arg.startsWith('-') && arg !== '-') return `unknown option ${arg}`;
        positional.push(arg);
    }
  }
  const { platform, insecureHosts, noCreds, timeoutSeconds } = shared;
  return { positional, insecureHosts, noCreds, timeoutSeconds, format, platform, referrers, ...counts, failOn, ...(deadlineSeconds !== undefined ? { deadlineSeconds } : {}) };
}
