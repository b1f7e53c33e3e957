/**
 * The entries of an index or manifest list and the choice of one by platform, as `inspect`,
 * `digest`, `diff` and `inspect oci:DIR` use them. Apart from inspectCommand.ts so that the
 * layout reader (bundled with the engine in dist/cli-lint.js) shares it without loading the
 * registry client, and `inspect` without the engine (issue 13).
 */
import { normalizePlatform, platformText, type PlatformValues } from '../engine/platforms';
import { echoed, echoedList } from './terminalText';

/** How deep --platform follows an index whose entry is itself an index. */
export const MAX_INDEX_DEPTH = 4;

/** containerd's defaults: an entry without a variant means arm64/v8, amd64/v1, arm/v7. */
const DEFAULT_VARIANT: Readonly<Record<string, string>> = { arm64: 'v8', amd64: 'v1', arm: 'v7' };

function normalized(p: PlatformValues): PlatformValues {
  const n = normalizePlatform(p) ?? p;
  return { os: n.os, architecture: n.architecture, variant: n.variant || (DEFAULT_VARIANT[n.architecture] ?? '') };
}

/** One entry of an index or list, as far as platform selection cares. */
export interface IndexEntry {
  readonly position: number;
  readonly digest: string;
  readonly mediaType?: string;
  readonly size?: number;
  readonly platform?: PlatformValues;
  /** A BuildKit attestation manifest (or an entry with platform unknown/unknown). */
  readonly attestation: boolean;
}

/** The `manifests` entries of an index/list document, or undefined when it has none. */
export function indexEntries(bytes: Uint8Array): IndexEntry[] | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    return undefined;
  }
  const manifests = (doc as { manifests?: unknown } | null)?.manifests;
  if (!Array.isArray(manifests)) return undefined;
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  return manifests.flatMap((m: unknown, position): IndexEntry[] => {
    if (!m || typeof m !== 'object') return [];
    const e = m as Record<string, unknown>;
    const digest = str(e.digest);
    if (!digest) return [];
    const p = e.platform as Record<string, unknown> | undefined;
    const platform = p && typeof p === 'object' && str(p.os) !== undefined && str(p.architecture) !== undefined
      ? { os: str(p.os)!, architecture: str(p.architecture)!, variant: str(p.variant) ?? '' }
      : undefined;
    const annotations = e.annotations as Record<string, unknown> | undefined;
    const attestation = str(annotations?.['vnd.docker.reference.type']) === 'attestation-manifest'
      || (platform?.os === 'unknown' && platform.architecture === 'unknown');
    return [{ position, digest, mediaType: str(e.mediaType), size: typeof e.size === 'number' ? e.size : undefined, platform, attestation }];
  });
}

/** "REF has no manifest for platform P (it lists: …)", for inspect and digest alike. */
export function noPlatformMessage(label: string, entries: readonly IndexEntry[], wanted: PlatformValues): string {
  const available = entries.filter((e) => e.platform && !e.attestation).map((e) => platformText(e.platform!));
  // The platforms are the document's text: escaped, and at most MAX_ECHOED_ITEMS of them (terminalText.ts).
  return `${echoed(label, 1000)} has no manifest for platform ${platformText(wanted)} (it lists: ${available.length ? echoedList(available) : 'no platforms'})`;
}

/**
 * The first entry matching `wanted` (image-index.md: "the first matching entry SHOULD be used").
 * OS and architecture must match after normalisation; the variant only when `wanted` names one
 * (an entry without a variant counts as the architecture's default, e.g. arm64 → v8).
 * Attestation entries (platform unknown/unknown) never match.
 */
export function selectPlatform(entries: readonly IndexEntry[], wanted: PlatformValues): IndexEntry | undefined {
  const w = normalized(wanted);
  return entries.find((e) => {
    if (e.attestation || !e.platform) return false;
    const p = normalized(e.platform);
    if (p.os !== w.os || p.architecture !== w.architecture) return false;
    return wanted.variant === '' || p.variant === w.variant;
  });
}
