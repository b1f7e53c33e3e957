/**
 * The Image Map webview's drawing (client/src/webview/renderMap.ts, issue 22) in Node, on a
 * recording document: registry text carrying `<script>` becomes text, never an element; the
 * stable attributes (data-platform, data-total-size, data-digest, data-size, data-artifact-type,
 * data-problems); widths from the shares; every action focusable, with an accessible name, and
 * activated by Enter and Space as by a click; two maps compared mark layers added, removed, same.
 * The same drawing in a real webview: test/e2e/imagemap.test.ts (u, v).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ImageMapModel, MapCard, MapRequest } from '../../common/imageMap';
import { renderMap, renderPair, type MiniDocument, type MiniElement, type MiniEvent } from '../../client/src/webview/renderMap';

const HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)>';

class FakeElement implements MiniElement {
  textContent: string | null = null;
  className = '';
  tabIndex = -1;
  title = '';
  readonly attributes = new Map<string, string>();
  readonly children: FakeElement[] = [];
  readonly listeners = new Map<string, ((e: MiniEvent) => void)[]>();
  readonly style = { width: '', props: new Map<string, string>(), setProperty(n: string, v: string) { this.props.set(n, v); } };
  constructor(readonly tag: string) {}
  setAttribute(name: string, value: string): void { this.attributes.set(name, value); }
  appendChild(child: MiniElement): unknown { this.children.push(child as FakeElement); return child; }
  addEventListener(type: string, listener: (e: MiniEvent) => void): void { this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]); }
  fire(type: string, key?: string): boolean {
    let prevented = false;
    for (const l of this.listeners.get(type) ?? []) l({ key, preventDefault: () => { prevented = true; }, stopPropagation: () => undefined });
    return prevented;
  }
  all(): FakeElement[] { return [this, ...this.children.flatMap((c) => c.all())]; }
  text(): string { return (this.textContent ?? '') + this.children.map((c) => c.text()).join(''); }
}

function fakeDocument(): MiniDocument & { created: string[] } {
  const created: string[] = [];
  return { created, createElement: (tag: string) => { created.push(tag); return new FakeElement(tag); } };
}

function card(platform: string, digests: [string, number][], extra: Partial<MapCard> = {}): MapCard {
  const total = digests.reduce((a, [, s]) => a + s, 0);
  return {
    platform, digest: `sha256:${platform.length}${'0'.repeat(63)}`, totalSize: total + 10, layersSize: total, scale: 1,
    layers: digests.map(([digest, size]) => ({ digest, size, share: size / total, hue: 10, shared: false, history: `RUN ${HOSTILE}` })),
    badges: [], problems: { count: 0, messages: [] }, annotations: [], name: `${platform}, ${digests.length} layers`, uri: `oci-image:/x/${platform}`,
    config: { digest: 'sha256:c', uri: 'oci-image:/x/config' },
    ...extra,
  };
}

function model(cards: MapCard[], reference = `r/x:${HOSTILE}`): ImageMapModel {
  return {
    reference, digest: 'sha256:root', platformCount: cards.length, totalSize: 1000, uri: 'oci-image:/x/root',
    root: { label: reference, digest: 'sha256:root', cards, groups: [], badges: [], problems: { count: 0, messages: [] }, annotations: [['org.opencontainers.image.description', HOSTILE]] },
  };
}

test('registry text carrying <script> is text: no element is made of it', () => {
  const doc = fakeDocument();
  const root = renderMap(doc, model([card('linux/amd64', [['sha256:1', 100]])]), () => undefined) as FakeElement;
  assert.ok(!doc.created.some((t) => /script|img|iframe|style/i.test(t)), doc.created.join());
  const dd = root.all().filter((e) => e.tag === 'dd');
  assert.deepEqual(dd.map((e) => e.textContent), [HOSTILE]);
  assert.equal(root.all().find((e) => e.tag === 'h1')?.textContent, `r/x:${HOSTILE}`);
  assert.ok(root.all().find((e) => e.className.startsWith('layer'))?.title.includes(`RUN ${HOSTILE}`));
});

test('stable attributes, widths from the shares, problem markers and badges', () => {
  const doc = fakeDocument();
  const c = card('linux/amd64', [['sha256:1', 100], ['sha256:2', 300]], {
    scale: 0.5,
    problems: { count: 2, messages: ['rule-a: one', 'rule-b: two'], severity: 'error' },
    badges: [{ kind: 'sbom', label: 'SBOM', digest: 'sha256:s', artifactType: 'application/spdx+json', via: 'referrer', uri: 'oci-image:/x/sbom' }],
  });
  const root = renderMap(doc, model([c]), () => undefined) as FakeElement;
  const el = root.all();
  const cardEl = el.find((e) => e.tag === 'article')!;
  assert.equal(cardEl.attributes.get('data-platform'), 'linux/amd64');
  assert.equal(cardEl.attributes.get('data-total-size'), '410');
  assert.equal(cardEl.attributes.get('aria-label'), 'linux/amd64, 2 layers');
  const layers = el.filter((e) => e.attributes.has('data-size'));
  assert.deepEqual(layers.map((l) => [l.attributes.get('data-digest'), l.attributes.get('data-size'), l.style.width]), [['sha256:1', '100', '25.0000%'], ['sha256:2', '300', '75.0000%']]);
  assert.equal(el.find((e) => e.className === 'bar')?.style.width, '50.000%');
  const marker = el.find((e) => e.attributes.has('data-problems'))!;
  assert.equal(marker.attributes.get('data-problems'), '2');
  assert.equal(marker.title, 'rule-a: one\nrule-b: two');
  const badge = el.find((e) => e.attributes.has('data-artifact-type'))!;
  assert.equal(badge.attributes.get('data-artifact-type'), 'application/spdx+json');
  assert.equal(badge.textContent, 'SBOM');
});

test('every action is focusable with a name; Enter and Space activate it as a click does', () => {
  const doc = fakeDocument();
  const posted: MapRequest[] = [];
  const root = renderMap(doc, model([card('linux/amd64', [['sha256:1', 100]])]), (m) => posted.push(m)) as FakeElement;
  const actions = root.all().filter((e) => e.attributes.get('role') === 'button');
  assert.ok(actions.length >= 4, 'digest, card, layer, config');
  for (const a of actions) {
    assert.equal(a.tabIndex, 0);
    assert.ok(a.attributes.get('aria-label'), a.className);
  }
  const cardEl = actions.find((e) => e.tag === 'article')!;
  assert.equal(cardEl.fire('keydown', 'Enter'), true);
  assert.equal(cardEl.fire('keydown', 'a'), false);
  actions.find((e) => e.className === 'config')!.fire('keydown', ' ');
  actions.find((e) => e.className === 'digest')!.fire('click');
  assert.deepEqual(posted, [{ type: 'open', uri: 'oci-image:/x/linux/amd64' }, { type: 'open', uri: 'oci-image:/x/config' }, { type: 'copy', digest: 'sha256:root' }]);
});

test('two maps side by side: the summary in words, layers marked removed (left), added (right) or the same', () => {
  const doc = fakeDocument();
  const left = model([card('linux/amd64', [['sha256:1', 100], ['sha256:2', 100]]), card('linux/s390x', [['sha256:9', 1]])], 'r/x:1');
  const right = model([card('linux/amd64', [['sha256:1', 100], ['sha256:3', 100]])], 'r/x:2');
  const root = renderPair(doc, { left, right, summary: ['r/x:1 ↔ r/x:2: 1 change', `layer ${HOSTILE}`] }, () => undefined) as FakeElement;
  const el = root.all();
  assert.deepEqual(el.filter((e) => e.tag === 'li').map((e) => e.textContent), ['r/x:1 ↔ r/x:2: 1 change', `layer ${HOSTILE}`]);
  const maps = el.filter((e) => e.className === 'map');
  const marks = (m: FakeElement): (string | undefined)[][] => m.all().filter((e) => e.attributes.has('data-size')).map((e) => [e.attributes.get('data-digest'), e.attributes.get('data-change')]);
  assert.deepEqual(marks(maps[0]), [['sha256:1', 'same'], ['sha256:2', 'removed'], ['sha256:9', 'removed']]);
  assert.deepEqual(marks(maps[1]), [['sha256:1', 'same'], ['sha256:3', 'added']]);
  assert.deepEqual(maps[0].all().filter((e) => e.tag === 'article').map((e) => e.attributes.get('data-change')), ['same', 'removed']);
});
