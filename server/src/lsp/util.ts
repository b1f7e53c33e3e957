/** Handler plumbing shared by the server's request handlers. */
import { formatSize } from '../engine/hover';
import type { Fetched, ReferrersAsked } from './remote';

/** Runs a handler; a throw is logged and answered with `fallback`, never sent across the wire. */
export async function runSafe<T>(log: (line: string) => void, name: string, fallback: T, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    log(`${name} failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    return fallback;
  }
}

/** The provenance of a fetched document, appended to its top hover. */
export function fetchedHoverSection(f: Fetched | undefined): string {
  if (!f) return '';
  return [
    '', '---', '',
    `**Served by the registry** for \`${f.reference.replace(/`/g, "'")}\``, '',
    `- Content-Type: \`${(f.contentType ?? 'none').replace(/`/g, "'")}\``,
    `- Digest of the served bytes: \`${f.digest}\` (${f.verified === 'computed-only' ? 'computed' : 'verified'})`,
    `- Size: ${formatSize(f.bytes.length)}`,
    ...(f.referrers ? referrersAsked(f.referrers) : []),
    '', 'The editor may show an indented view; the digest is of the bytes as served. Use "Show raw bytes" for the exact form.',
  ].join('\n');
}

/** Where a referrers list was asked for, in the order asked (distribution-spec 1.1). */
function referrersAsked(a: ReferrersAsked): string[] {
  const n = a.count === 0 ? 'none' : `${a.count} referrer${a.count === 1 ? '' : 's'}`;
  const lines = ['', `**Referrers of** \`${a.subject}\`: ${a.count === 0 ? 'none found' : n}`, ''];
  lines.push(`1. the Referrers API, \`GET ${a.apiUrl}\`: ${a.viaFallback ? 'not supported by this registry' : n}`);
  if (a.viaFallback) lines.push(`2. then the fallback tag \`${a.fallbackTag}\`, \`GET ${a.fallbackUrl}\`: ${a.count === 0 ? 'no list (no such tag, or an empty list)' : n}`);
  return lines;
}
