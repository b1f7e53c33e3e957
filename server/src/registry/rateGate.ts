/**
 * After a registry answers 429 Too Many Requests, nothing more is sent to that host until the
 * time it asked for has passed: not by the call that got the 429, not by any other client of
 * this process (the explorer's next level, a deep inspection, Inspect, `tree`'s next child).
 * A rate-limited registry counts what it is sent next against the same limit, and Docker Hub's
 * pull limit resets over hours, so sending more only keeps the limit in force. The refusal is
 * at once and says when the host may be asked again; restarting the server (or the next CLI
 * run) forgets it.
 *
 * How long: the response's Retry-After (seconds or an HTTP date), at most MAX_WAIT_S; without
 * one, DEFAULT_WAIT_S. Hosts are `host:port` as in the request URL, so a limit of one registry
 * never blocks another, nor its token service on another host.
 */
import { RegistryError } from './errors';

/** Without Retry-After, how long a 429 keeps the host from being asked again. */
export const DEFAULT_WAIT_S = 30;
/**
 * The longest wait honoured, whatever Retry-After says. Docker Hub's pull limit lasts hours, and a
 * user who runs `docker login` to raise it should not stay locked out until a restart: one request
 * every five minutes finds out whether the limit still holds.
 */
export const MAX_WAIT_S = 300;

interface Limit {
  /** When the 429 arrived (ms since the epoch). */
  readonly at: number;
  /** Until when nothing is sent (ms since the epoch). */
  readonly until: number;
  /** The wait the registry asked for (Retry-After), in seconds; undefined when it named none. */
  readonly asked: number | undefined;
}

export class RateGate {
  private readonly limits = new Map<string, Limit>();

  constructor(private readonly now: () => number = Date.now) {}

  /** `host` answered 429 with this Retry-After header value (or none). */
  record(host: string, retryAfter: string | undefined): void {
    const at = this.now();
    const asked = parseRetryAfter(retryAfter, at);
    const seconds = heldSeconds(asked);
    const until = at + seconds * 1000;
    const previous = this.limits.get(host);
    if (previous && previous.until >= until) return;
    this.limits.set(host, { at, until, asked });
  }

  /** The error to throw instead of sending to `host`, or undefined when it may be asked. */
  refusal(host: string): RegistryError | undefined {
    const limit = this.limits.get(host);
    if (!limit) return undefined;
    const now = this.now();
    if (now >= limit.until) {
      this.limits.delete(host);
      return undefined;
    }
    const ago = Math.max(0, Math.round((now - limit.at) / 1000));
    const left = Math.max(1, Math.ceil((limit.until - now) / 1000));
    const asked =
      limit.asked === undefined
        ? `it named no time, so Manifest Lens waits ${DEFAULT_WAIT_S} s (until ${clock(limit.until)})`
        : limit.asked > MAX_WAIT_S
          ? `it asked for ${askedWait(limit.asked)}; Manifest Lens waits at most ${MAX_WAIT_S} s (until ${clock(limit.until)})`
          : `it asked to be left alone until ${clock(limit.until)}`;
    return new RegistryError(
      'rate-limited',
      `Not sent: ${host} answered 429 Too Many Requests ${ago} s ago and ${asked}. Nothing more is asked of it until then: try again in ${left} s.`,
      { host, status: 429, retryAfterSeconds: left },
    );
  }

  /** Forgets every limit (tests). */
  clear(): void {
    this.limits.clear();
  }
}

/** Retry-After as seconds from `now`: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d{1,10}$/.test(v)) return Number(v);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/** How long a 429 holds its host back: the wait asked for (seconds), at most MAX_WAIT_S; DEFAULT_WAIT_S when none. */
export function heldSeconds(asked: number | undefined): number {
  return Math.min(MAX_WAIT_S, asked ?? DEFAULT_WAIT_S);
}

/**
 * The wait a registry asked for, in words fit for a message: seconds up to a week, beyond that
 * "more than a week" (a Retry-After date in the year 9999 is 251,605,796,990 s, which tells a
 * person nothing; the wait honoured is capped anyway).
 */
export function askedWait(seconds: number): string {
  return seconds <= WEEK_S ? `${seconds} s` : 'more than a week';
}

const WEEK_S = 7 * 24 * 3600;

/** `HH:MM:SS UTC`: a time a person can compare with their clock, whatever the locale. */
function clock(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 19)} UTC`;
}

/** The gate every session of this process shares unless given its own. */
export const processRateGate = new RateGate();
