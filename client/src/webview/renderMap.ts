/**
 * Draws an Image Map (common/imageMap.ts) into a document: createElement, textContent and
 * attributes only, never HTML parsed from text, so a tag or an annotation carrying `<script>`
 * is shown as those characters. Written against the few DOM calls it uses ({@link MiniDocument}),
 * so the unit tests and the bench draw it in Node without a browser; the webview's entry
 * (imageMap.ts next to it) hands it the real document.
 *
 * Stable attributes for tests and tools: a card `data-platform` and `data-total-size` (bytes),
 * a layer `data-digest` and `data-size`, a badge `data-artifact-type` (and `data-kind`), a problem
 * marker `data-problems` (its count), a compared layer or card `data-change`.
 */
import { layerChanges, plural, type ImageMapModel, type ImageMapPair, type MapBadge, type MapCard, type MapChange, type MapGroup, type MapProblems, type MapRequest } from '../../../common/imageMap';
import { compactSize } from '../../../common/units';

/** What the drawing uses of a DOM element. */
export interface MiniElement {
  textContent: string | null;
  className: string;
  tabIndex: number;
  title: string;
  readonly style: { width: string; setProperty(name: string, value: string): void };
  setAttribute(name: string, value: string): void;
  appendChild(child: MiniElement): unknown;
  addEventListener(type: string, listener: (e: MiniEvent) => void): void;
}

export interface MiniEvent {
  readonly key?: string;
  preventDefault(): void;
  stopPropagation(): void;
}

export interface MiniDocument {
  createElement(tag: string): MiniElement;
}

type Post = (message: MapRequest) => void;

/** Comparing: which side this map is, and the other side's map (its platforms' layers). */
interface CompareWith {
  readonly side: 'left' | 'right';
  readonly other: ImageMapModel;
}

class Drawer {
  constructor(private readonly doc: MiniDocument, private readonly post: Post, private readonly compare?: CompareWith) {}

  el(tag: string, className?: string, text?: string): MiniElement {
    const e = this.doc.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  /** Focusable, a button to assistive technology, activated by click, Enter and Space. */
  action(e: MiniElement, label: string, run: () => void): MiniElement {
    e.tabIndex = 0;
    e.setAttribute('role', 'button');
    e.setAttribute('aria-label', label);
    const go = (ev: MiniEvent): void => {
      ev.stopPropagation();
      run();
    };
    e.addEventListener('click', go);
    e.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') {
        ev.preventDefault();
        go(ev);
      }
    });
    return e;
  }

  open(uri: string | undefined): () => void {
    return () => {
      if (uri) this.post({ type: 'open', uri });
    };
  }

  map(m: ImageMapModel): MiniElement {
    const root = this.el('div', 'map');
    root.setAttribute('data-digest', m.digest);
    const header = this.el('header', 'map-header');
    const title = this.el('h1', 'reference', m.reference);
    header.appendChild(title);
    const line = this.el('div', 'header-line');
    const digest = this.action(this.el('span', 'digest', m.digest), `Copy digest ${m.digest}`, () => this.post({ type: 'copy', digest: m.digest }));
    digest.title = 'Click to copy the digest';
    line.appendChild(digest);
    line.appendChild(this.el('span', 'summary', `${plural(m.platformCount, 'platform')} · ${compactSize(m.totalSize)} compressed`));
    header.appendChild(line);
    this.marksOf(header, m.root.problems, m.root.badges);
    this.annotations(header, m.root.annotations);
    if (m.leftOut) header.appendChild(this.el('p', 'left-out', m.leftOut));
    root.appendChild(header);
    root.appendChild(this.group(m.root, true));
    return root;
  }

  group(g: MapGroup, top: boolean): MiniElement {
    const section = this.el('section', top ? 'group' : 'group nested');
    section.setAttribute('data-digest', g.digest);
    if (!top) {
      const head = this.el('div', 'group-head');
      head.appendChild(this.action(this.el('h2', 'group-label', `index ${g.label}`), `nested index ${g.label}, ${plural(g.cards.length, 'platform')}`, this.open(g.uri)));
      this.marksOf(head, g.problems, g.badges);
      section.appendChild(head);
    }
    const cards = this.el('div', 'cards');
    for (const c of g.cards) cards.appendChild(this.card(c));
    section.appendChild(cards);
    for (const n of g.groups) section.appendChild(this.group(n, false));
    return section;
  }

  private otherCard(platform: string): MapCard | undefined {
    if (!this.compare) return undefined;
    const find = (g: MapGroup): MapCard | undefined => g.cards.find((c) => c.platform === platform) ?? g.groups.map(find).find(Boolean);
    return find(this.compare.other.root);
  }

  card(c: MapCard): MiniElement {
    const card = this.action(this.el('article', 'card'), c.name, this.open(c.uri));
    card.setAttribute('data-platform', c.platform);
    card.setAttribute('data-total-size', String(c.totalSize));
    card.setAttribute('data-digest', c.digest);
    let changes: MapChange[] | undefined;
    if (this.compare) {
      const other = this.otherCard(c.platform);
      // A platform only one side has is removed (left) or added (right); one both have is the same or changed.
      const change = other ? (other.digest === c.digest ? 'same' : 'changed') : this.compare.side === 'left' ? 'removed' : 'added';
      card.setAttribute('data-change', change);
      changes = layerChanges(this.compare.side, c.layers.map((l) => l.digest), other ? other.layers.map((l) => l.digest) : []);
    }
    const head = this.el('div', 'card-head');
    head.appendChild(this.el('span', 'platform', c.platform));
    head.appendChild(this.el('span', 'meta', `${plural(c.layers.length, 'layer')} · ${compactSize(c.totalSize)}`));
    this.marksOf(head, c.problems, c.badges);
    card.appendChild(head);
    card.appendChild(this.el('div', 'card-digest', c.digest));

    const track = this.el('div', 'track');
    const bar = this.el('div', 'bar');
    bar.style.width = `${(c.scale * 100).toFixed(3)}%`;
    c.layers.forEach((l, i) => {
      const words = [`layer ${i + 1} of ${c.layers.length}`, compactSize(l.size), l.digest, l.mediaType ?? '', l.history ? `made by: ${l.history}` : ''].filter(Boolean);
      const layer = this.action(this.el('div', l.shared ? 'layer shared' : 'layer'), words.join(', '), this.open(c.uri));
      layer.setAttribute('data-digest', l.digest);
      layer.setAttribute('data-size', String(l.size));
      if (changes) layer.setAttribute('data-change', changes[i]);
      layer.style.width = `${(l.share * 100).toFixed(4)}%`;
      layer.style.setProperty('--hue', String(l.hue));
      layer.title = [`${l.digest}`, `${compactSize(l.size)} (${l.size} bytes)`, l.mediaType ?? 'no media type', l.history ?? 'no history line'].join('\n');
      bar.appendChild(layer);
    });
    track.appendChild(bar);
    card.appendChild(track);

    if (c.config) {
      const cfg = c.config;
      const label = `config ${cfg.digest}${cfg.size !== undefined ? `, ${compactSize(cfg.size)}` : ''}`;
      const config = this.action(this.el('span', 'config', `config ${cfg.digest.slice(0, 19)}…`), label, this.open(cfg.uri));
      config.setAttribute('data-digest', cfg.digest);
      config.title = [cfg.digest, cfg.mediaType ?? '', cfg.size !== undefined ? `${cfg.size} bytes` : ''].filter(Boolean).join('\n');
      card.appendChild(config);
    }
    this.annotations(card, c.annotations);
    return card;
  }

  marksOf(into: MiniElement, problems: MapProblems, badges: readonly MapBadge[]): void {
    if (problems.count > 0) {
      const marker = this.el('span', `problems ${problems.severity ?? 'warning'}`, `⚠ ${problems.count}`);
      marker.setAttribute('data-problems', String(problems.count));
      const more = problems.count > problems.messages.length ? [`… and ${problems.count - problems.messages.length} more`] : [];
      marker.title = [...problems.messages, ...more].join('\n');
      marker.tabIndex = 0;
      marker.setAttribute('role', 'note');
      marker.setAttribute('aria-label', `${plural(problems.count, 'problem')}: ${[...problems.messages, ...more].join('; ')}`);
      into.appendChild(marker);
    }
    if (badges.length === 0) return;
    const list = this.el('span', 'badges');
    for (const b of badges) {
      const badge = this.action(this.el('span', `badge kind-${b.kind.replace(/[^a-z0-9-]/g, '')}`, b.label), `${b.label} ${b.digest}`, this.open(b.uri));
      badge.setAttribute('data-artifact-type', b.artifactType ?? '');
      badge.setAttribute('data-kind', b.kind);
      badge.setAttribute('data-digest', b.digest);
      badge.title = [b.label, b.artifactType ?? b.mediaType ?? '', b.digest, b.size !== undefined ? compactSize(b.size) : ''].filter(Boolean).join('\n');
      list.appendChild(badge);
    }
    into.appendChild(list);
  }

  annotations(into: MiniElement, list: readonly (readonly [string, string])[]): void {
    if (list.length === 0) return;
    const dl = this.el('dl', 'annotations');
    for (const [k, v] of list) {
      dl.appendChild(this.el('dt', undefined, k));
      dl.appendChild(this.el('dd', undefined, v));
    }
    into.appendChild(dl);
  }
}

/** One map. */
export function renderMap(doc: MiniDocument, model: ImageMapModel, post: Post): MiniElement {
  return new Drawer(doc, post).map(model);
}

/** Two maps side by side, the compare summary in words above them, layers marked added, removed or the same. */
export function renderPair(doc: MiniDocument, pair: ImageMapPair, post: Post): MiniElement {
  const d = new Drawer(doc, post);
  const root = d.el('div', 'pair');
  const words = d.el('section', 'compare-summary');
  words.setAttribute('aria-label', 'What changed');
  const list = d.el('ul');
  for (const line of pair.summary) list.appendChild(d.el('li', undefined, line));
  words.appendChild(list);
  root.appendChild(words);
  const sides = d.el('div', 'sides');
  sides.appendChild(new Drawer(doc, post, { side: 'left', other: pair.right }).map(pair.left));
  sides.appendChild(new Drawer(doc, post, { side: 'right', other: pair.left }).map(pair.right));
  root.appendChild(sides);
  return root;
}
