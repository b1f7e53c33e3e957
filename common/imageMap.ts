/**
 * The Image Map's data (Show Image Map, issue 22): what the server builds from the image graph
 * (server/src/graph/imageMap.ts) and the webview draws (client/src/webview/renderMap.ts). Plain
 * data: every string from a registry stays a string here and is set as text where it is shown.
 * Imports nothing, like the rest of common/.
 */

/** Problems deep inspection found on a node (and, for a platform, below it): their count and some messages. */
export interface MapProblems {
  readonly count: number;
  /** At most {@link MAP_MAX_MESSAGES}, the most severe first: `rule-id: message`. */
  readonly messages: readonly string[];
  /** The most severe, when any. */
  readonly severity?: 'error' | 'warning' | 'info' | 'hint';
}

/** A referrer or an attestation manifest, drawn as a badge on the node it refers to. */
export interface MapBadge {
  /** supplychain/classify.ts's kind: cosign-signature, sbom, buildx-attestation-manifest, artifact… */
  readonly kind: string;
  /** The kind in words (`SBOM`, `cosign signature`). */
  readonly label: string;
  readonly digest: string;
  readonly artifactType?: string;
  readonly mediaType?: string;
  readonly size?: number;
  /** `referrer` (Referrers API or fallback tag) or `attestation` (an index entry describing this platform). */
  readonly via: 'referrer' | 'attestation';
  /** Opens it read-only (the `oci-image:` URI Inspect opens). */
  readonly uri?: string;
}

export interface MapLayer {
  readonly digest: string;
  readonly size: number;
  readonly mediaType?: string;
  /** The config's history line (`created_by`) that made it: history entries with empty_layer skipped, matched in order. */
  readonly history?: string;
  /** Its share of its platform's bar, 0..1 (size / the layers' total; 0 when the total is 0). */
  readonly share: number;
  /** Hue 0..359 from the digest: the same layer has the same colour on every card. */
  readonly hue: number;
  /** The layer is in more than one platform of this map. */
  readonly shared: boolean;
}

/** One platform manifest. */
export interface MapCard {
  /** `linux/amd64`, or the entry's label when it names no platform. */
  readonly platform: string;
  readonly digest: string;
  readonly mediaType?: string;
  readonly uri?: string;
  /** Config + layers, compressed (descriptor sizes), bytes. */
  readonly totalSize: number;
  /** The layers' total, bytes (the bar's 100 %). */
  readonly layersSize: number;
  /** The bar's length against the largest platform of the map, 0..1. */
  readonly scale: number;
  readonly config?: { readonly digest: string; readonly size?: number; readonly mediaType?: string; readonly uri?: string };
  readonly layers: readonly MapLayer[];
  readonly badges: readonly MapBadge[];
  readonly problems: MapProblems;
  /** The index entry's annotations, as served (shown as text). */
  readonly annotations: readonly (readonly [string, string])[];
  /** The accessible name: `linux/amd64, 3 layers, 12.4 MiB, 1 problem`. */
  readonly name: string;
}

/** An index (the root, or a nested one): its platforms and nested indexes. */
export interface MapGroup {
  readonly label: string;
  readonly digest: string;
  readonly mediaType?: string;
  readonly uri?: string;
  readonly cards: readonly MapCard[];
  readonly groups: readonly MapGroup[];
  /** Its own referrers, and attestations describing no platform of it. */
  readonly badges: readonly MapBadge[];
  /** Its own problems (the index document and its entry's cross-checks). */
  readonly problems: MapProblems;
  readonly annotations: readonly (readonly [string, string])[];
}

export interface ImageMapModel {
  readonly reference: string;
  readonly digest: string;
  readonly mediaType?: string;
  readonly uri?: string;
  readonly platformCount: number;
  /** Compressed, each distinct blob once, bytes. */
  readonly totalSize: number;
  readonly root: MapGroup;
  /** What the graph left out, in a sentence, when it did. */
  readonly leftOut?: string;
}

/** Show Image Map's request params: a reference, or the URI of a fetched document. */
export interface ImageMapParams {
  readonly reference?: string;
  readonly uri?: string;
}

/** A layer's mark in a comparison of two maps. */
export type MapChange = 'added' | 'removed' | 'same';

/** Two maps side by side (Compare with… → Show as Image Maps). */
export interface ImageMapPair {
  readonly left: ImageMapModel;
  readonly right: ImageMapModel;
  /** The compare summary in words. */
  readonly summary: readonly string[];
}

/** What the webview gets: one map, or two side by side. */
export type MapMessage = { readonly type: 'map'; readonly map: ImageMapModel } | { readonly type: 'pair'; readonly pair: ImageMapPair };

/** What the webview asks of the extension: open a node's document, or copy a digest. */
export type MapRequest = { readonly type: 'open'; readonly uri: string } | { readonly type: 'copy'; readonly digest: string } | { readonly type: 'ready' };

export const MAP_MAX_MESSAGES = 10;

/** The hue of a digest: the first 8 hex digits, mod 360 (FNV-1a of the text for a digest without hex). */
export function hueOf(digest: string): number {
  const hex = /:([0-9a-f]{8})/i.exec(digest)?.[1];
  if (hex) return parseInt(hex, 16) % 360;
  let h = 0x811c9dc5;
  for (let i = 0; i < digest.length; i++) h = Math.imul(h ^ digest.charCodeAt(i), 0x01000193) >>> 0;
  return h % 360;
}

/** Each size's share of their total (0..1); all 0 when the total is 0. Negative or missing sizes count 0. */
export function sharesOf(sizes: readonly number[]): number[] {
  const clean = sizes.map((s) => (Number.isFinite(s) && s > 0 ? s : 0));
  const total = clean.reduce((a, b) => a + b, 0);
  return clean.map((s) => (total > 0 ? s / total : 0));
}

/** `1 problem`, `3 layers`. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * The marks of one side's layers against the other side's: a layer the other side lacks is
 * `removed` on the left (it was there before) and `added` on the right; a layer both have is `same`.
 */
export function layerChanges(side: 'left' | 'right', mine: readonly string[], theirs: readonly string[]): MapChange[] {
  const other = new Set(theirs);
  return mine.map((d) => (other.has(d) ? 'same' : side === 'left' ? 'removed' : 'added'));
}
