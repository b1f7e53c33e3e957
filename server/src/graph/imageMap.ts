/**
 * The Image Map's model (issue 22): the image graph (imageGraph.ts: children, sizes, referrers,
 * problems) as plain data for a picture. One card per platform manifest with its layers (sizes,
 * shares of the bar, a colour from the digest, the config history line that made each), nested
 * indexes as groups, attestation manifests as badges on the platform they describe (never as a
 * platform), referrers as badges by kind (supplychain/classify.ts) on the node they refer to, and
 * per node the problems the graph found (what deep inspection shows on an index's entries).
 * Pure: the graph, the fetched configs and referrer manifests in, the model out. Strings from the
 * registry are kept as data; the webview sets them as text.
 */
import { hueOf, MAP_MAX_MESSAGES, plural, sharesOf, type ImageMapModel, type MapBadge, type MapCard, type MapGroup, type MapLayer, type MapProblems } from '../../../common/imageMap';
import { compactSize } from '../../../common/units';
import { classifyManifest, KIND_LABEL, type AttachmentKind } from '../supplychain/classify';
import { leftOutText, problemSummaries, type GraphNode, type GraphProblem, type GraphResult } from './imageGraph';

/** A history line is cut to this many characters (a long RUN stays readable in a tooltip). */
export const MAP_HISTORY_MAX = 400;
/** Annotations shown per node at most, and the characters of each value. */
export const MAP_MAX_ANNOTATIONS = 16;
const MAP_ANNOTATION_CHARS = 500;

export interface ImageMapInput {
  /** The reference as the user gave it (shown in the header). */
  readonly reference: string;
  readonly graph: GraphResult;
  /** The root document's bytes: its annotations and its entries'. */
  readonly rootBytes?: Uint8Array;
  /** Image configs by digest, parsed (history, platform); a missing one leaves its layers without history. */
  readonly configs?: ReadonlyMap<string, unknown>;
  /** Referrer manifests by digest, parsed or as bytes, to classify them; a missing one is classified by its artifactType. */
  readonly referrers?: ReadonlyMap<string, unknown>;
  /** The `oci-image:` URI that opens a manifest (or index, or referrer) or a config blob read-only. */
  readonly uriOf?: (kind: 'manifest' | 'blob', digest: string, label?: string) => string | undefined;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const utf8 = new TextDecoder('utf-8');

function parse(v: unknown): unknown {
  if (!(v instanceof Uint8Array)) return v;
  try {
    return JSON.parse(utf8.decode(v));
  } catch {
    return undefined;
  }
}

/** The history lines that made layers: entries with empty_layer skipped, in order. */
export function layerHistory(config: unknown): (string | undefined)[] {
  const history = obj(config)?.history;
  if (!Array.isArray(history)) return [];
  return history.map(obj).filter((h) => h && h.empty_layer !== true).map((h) => {
    const line = (str(h!.created_by) ?? str(h!.comment))?.replace(/\s+/g, ' ').trim();
    return line ? (line.length > MAP_HISTORY_MAX ? `${line.slice(0, MAP_HISTORY_MAX - 1)}…` : line) : undefined;
  });
}

function annotationsOf(v: unknown): [string, string][] {
  const a = obj(v);
  if (!a) return [];
  return Object.entries(a).filter((e): e is [string, string] => typeof e[1] === 'string').slice(0, MAP_MAX_ANNOTATIONS)
    .map(([k, val]) => [k.slice(0, 200), val.length > MAP_ANNOTATION_CHARS ? `${val.slice(0, MAP_ANNOTATION_CHARS - 1)}…` : val]);
}

const SEVERITY_RANK: Record<string, number> = { error: 0, warning: 1, info: 2, hint: 3 };

function problemsFrom(count: number, list: readonly GraphProblem[]): MapProblems {
  const sorted = [...list].sort((a, b) => (SEVERITY_RANK[a.severity] ?? 9) - (SEVERITY_RANK[b.severity] ?? 9));
  return {
    count,
    messages: sorted.slice(0, MAP_MAX_MESSAGES).map((p) => `${p.ruleId}: ${p.message}`),
    ...(sorted.length ? { severity: sorted[0].severity } : {}),
  };
}

function platformOfConfig(config: unknown): string | undefined {
  const c = obj(config);
  const os = str(c?.os);
  const arch = str(c?.architecture);
  if (!os || !arch) return undefined;
  const variant = str(c?.variant);
  return `${os}/${arch}${variant ? `/${variant}` : ''}`;
}

/** Builds the map's model from the graph; see the module comment. */
export function buildImageMap(input: ImageMapInput): ImageMapModel {
  const { graph } = input;
  const configs = input.configs ?? new Map<string, unknown>();
  const fetchedReferrers = input.referrers ?? new Map<string, unknown>();
  const uriOf = input.uriOf ?? (() => undefined);
  const summary = problemSummaries(graph.shared, MAP_MAX_MESSAGES);
  const rootJson = obj(parse(input.rootBytes));
  const rootEntries = Array.isArray(rootJson?.manifests) ? rootJson!.manifests : [];
  const cards: MapCard[] = [];

  /** A repeated entry stands for the document's own node: its layers, referrers and problems are there. */
  const bodyOf = (n: GraphNode): GraphNode => (n.sameAs !== undefined ? graph.shared.get(n.sameAs) ?? n : n);

  const badgeOf = (n: GraphNode, via: MapBadge['via']): MapBadge => {
    let kind: AttachmentKind;
    if (via === 'attestation') {
      kind = classifyManifest(fetchedReferrers.get(n.digest) ?? {}, { entryAnnotations: { 'vnd.docker.reference.type': 'attestation-manifest' } }).kind;
    } else {
      const doc = fetchedReferrers.get(n.digest);
      kind = classifyManifest(doc !== undefined ? parse(doc) : { artifactType: n.artifactType }).kind;
    }
    return {
      kind, label: KIND_LABEL[kind] ?? kind, digest: n.digest, via,
      ...(n.artifactType ? { artifactType: n.artifactType } : {}),
      ...(n.mediaType ? { mediaType: n.mediaType } : {}),
      ...(n.size !== undefined ? { size: n.size } : {}),
      ...withUri(uriOf('manifest', n.digest, via === 'attestation' ? 'attestation' : undefined)),
    };
  };
  const referrerBadges = (n: GraphNode): MapBadge[] => (bodyOf(n).referrers ?? n.referrers)?.nodes.map((r) => badgeOf(r, 'referrer')) ?? [];

  const cardOf = (n: GraphNode, entryAnnotations: unknown, rootPlatform?: string): MapCard & { badges: MapBadge[] } => {
    const body = bodyOf(n);
    const configNode = body.children.find((c) => c.kind === 'config');
    const config = configNode ? configs.get(configNode.digest) : undefined;
    const history = layerHistory(config);
    const layerNodes = body.children.filter((c) => c.kind === 'layer');
    const sizes = layerNodes.map((l) => l.size ?? 0);
    const shares = sharesOf(sizes);
    const layers: MapLayer[] = layerNodes.map((l, i) => ({
      digest: l.digest, size: sizes[i], share: shares[i], hue: hueOf(l.digest), shared: false,
      ...(l.mediaType ? { mediaType: l.mediaType } : {}),
      ...(history[i] ? { history: history[i] } : {}),
    }));
    const s = summary(n);
    const problems = problemsFrom(s.total, s.list);
    const platform = n.platform ?? rootPlatform ?? platformOfConfig(config) ?? n.label;
    const totalSize = n.totalSize ?? body.totalSize ?? 0;
    const layersSize = sizes.reduce((a, b) => a + (b > 0 ? b : 0), 0);
    const name = [platform, plural(layers.length, 'layer'), compactSize(totalSize), ...(problems.count ? [plural(problems.count, 'problem')] : [])].join(', ');
    return {
      platform, digest: n.digest, totalSize, layersSize, scale: 0, layers, badges: referrerBadges(n), problems,
      annotations: annotationsOf(obj(entryAnnotations)), name,
      ...(n.mediaType ? { mediaType: n.mediaType } : {}),
      ...withUri(uriOf('manifest', n.digest, platform)),
      ...(configNode ? { config: { digest: configNode.digest, ...(configNode.size !== undefined ? { size: configNode.size } : {}), ...(configNode.mediaType ? { mediaType: configNode.mediaType } : {}), ...withUri(uriOf('blob', configNode.digest, platform)) } } : {}),
    };
  };

  const isAttestation = (n: GraphNode): boolean => n.attestationOf !== undefined || n.platform === 'unknown/unknown';

  const groupOf = (n: GraphNode, label: string, top: boolean): MapGroup => {
    const body = bodyOf(n);
    const groupCards: (MapCard & { badges: MapBadge[] })[] = [];
    const groups: MapGroup[] = [];
    const badges: MapBadge[] = referrerBadges(n);
    const attestations: GraphNode[] = [];
    for (const c of body.children) {
      if (isAttestation(c)) {
        attestations.push(c);
        continue;
      }
      const entry = top && c.position !== undefined ? obj(rootEntries[c.position]) : undefined;
      if (c.kind === 'index') {
        groups.push(groupOf(c, c.platform ?? c.label, false));
        continue;
      }
      const card = cardOf(c, entry?.annotations);
      groupCards.push(card);
      cards.push(card);
    }
    for (const a of attestations) {
      const target = groupCards.find((c) => a.attestationOf !== undefined && c.digest === a.attestationOf);
      (target ? target.badges : badges).push(badgeOf(a, 'attestation'));
    }
    const own = n.sameAs !== undefined ? [...n.problems, ...body.problems] : n.problems;
    return {
      label, digest: n.digest, cards: groupCards, groups, badges, problems: problemsFrom(own.length, own),
      annotations: top ? annotationsOf(rootJson?.annotations) : [],
      ...(n.mediaType ? { mediaType: n.mediaType } : {}),
      ...withUri(uriOf('manifest', n.digest)),
    };
  };

  const root = graph.root;
  let rootGroup: MapGroup;
  if (root.kind === 'index') {
    rootGroup = groupOf(root, input.reference, true);
  } else {
    // One image: its card is the map; the root's own problems are the card's.
    const card = cardOf(root, undefined);
    cards.push(card);
    rootGroup = { label: input.reference, digest: root.digest, cards: [card], groups: [], badges: [], problems: problemsFrom(0, []), annotations: annotationsOf(rootJson?.annotations), ...(root.mediaType ? { mediaType: root.mediaType } : {}), ...withUri(uriOf('manifest', root.digest)) };
  }

  // Bars to one scale (the largest platform is the full width); layers in more than one platform marked.
  const largest = Math.max(0, ...cards.map((c) => c.layersSize));
  const seen = new Map<string, number>();
  for (const c of cards) for (const d of new Set(c.layers.map((l) => l.digest))) seen.set(d, (seen.get(d) ?? 0) + 1);
  for (const c of cards) {
    (c as { scale: number }).scale = largest > 0 ? c.layersSize / largest : 0;
    for (const l of c.layers) if ((seen.get(l.digest) ?? 0) > 1) (l as { shared: boolean }).shared = true;
  }
  const leftOut = leftOutText(graph.leftOut);
  return {
    reference: input.reference,
    digest: root.digest,
    platformCount: cards.length,
    totalSize: root.totalSize ?? 0,
    root: rootGroup,
    ...(root.mediaType ? { mediaType: root.mediaType } : {}),
    ...withUri(uriOf('manifest', root.digest)),
    ...(leftOut ? { leftOut } : {}),
  };
}

function withUri(uri: string | undefined): { uri?: string } {
  return uri ? { uri } : {};
}
