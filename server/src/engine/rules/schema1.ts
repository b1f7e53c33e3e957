/** rules.md §13: Docker image manifest v2 schema 1. */
import { elements, propertyOf, rawText, valueOf, type Node } from '../json';
import { MT } from '../mediaTypes';
import type { Rule, RuleContext } from '../types';
import { shorten } from './helpers';

const SCHEMA1_SPEC = 'https://github.com/distribution/distribution/blob/v2.8.3/docs/spec/manifest-v2-1.md';
const DEPRECATION = 'https://github.com/distribution/distribution/blob/v2.8.3/docs/spec/deprecated-schema-v1.md';


function arrayOf(ctx: RuleContext, key: string): Node | undefined {
  const n = valueOf(ctx.root, key);
  return n?.type === 'array' ? n : undefined;
}

interface V1Compat {
  readonly node: Node;
  readonly index: number;
  readonly id?: string;
  readonly parent?: string;
}

const V1_ID = /^[a-f0-9]{64}$/;

export const schema1Rules: Rule[] = [
  {
    id: 'schema1-deprecated',
    severity: 'warning',
    appliesTo: ['schema1'],
    description: 'The document is a Docker v2 schema 1 manifest, a deprecated format.',
    why: 'Docker (moby#47459) and containerd 2.0 no longer pull schema 1 by default ("[DEPRECATION NOTICE] Docker Image Format v1 and Docker Image manifest version 2, schema 1 support is disabled by default"), Docker Hub stopped accepting pushes in 2024, distribution v3 refuses it ("unsupported manifest media type and no default available") and go-containerregistry returns ErrSchema1. An error if you intend to push it.',
    source: 'distribution deprecated-schema-v1.md; moby/moby#47459; containerd/containerd#6884; docker/docs#21499',
    specUrl: DEPRECATION,
    check(ctx) {
      const node = valueOf(ctx.root, 'mediaType') ?? valueOf(ctx.root, 'schemaVersion');
      const msg = 'Docker v2 schema 1 is deprecated: Docker and containerd no longer pull it by default, and Docker Hub refuses pushes.';
      if (node) ctx.report(node, msg);
      else ctx.reportAt(ctx.root.offset, 1, msg);
    },
  },
  {
    id: 'schema1-no-layers',
    severity: 'error',
    appliesTo: ['schema1'],
    description: 'A schema 1 manifest has no fsLayers.',
    why: 'Clients refuse a schema 1 manifest without layers: containers/image and moby answer "no FSLayers in manifest".',
    source: 'containers/image manifest/docker_schema1.go; moby distribution/pull_v2.go verifySchema1Manifest',
    specUrl: SCHEMA1_SPEC,
    check(ctx) {
      const prop = propertyOf(ctx.root, 'fsLayers');
      const value = prop?.children?.[1];
      if (!prop || !value) {
        ctx.reportAt(ctx.root.offset, 1, 'fsLayers is missing: a schema 1 manifest needs at least one layer; docker and podman answer "no FSLayers in manifest".');
      } else if (value.type !== 'array') {
        ctx.report(value, `fsLayers is ${shorten(rawText(ctx.text, value), 40)}, not an array of {"blobSum": …} objects.`);
      } else if (elements(value).length === 0) {
        ctx.report(value, 'fsLayers is empty; docker and podman refuse it ("no FSLayers in manifest").');
      }
    },
  },
  {
    id: 'schema1-history-length',
    severity: 'error',
    appliesTo: ['schema1'],
    description: 'history does not have one entry per fsLayers entry.',
    why: '"The length of history must be equal to the length of fsLayers"; containers/image and moby refuse the manifest ("length of history not equal to number of layers").',
    source: 'distribution manifest-v2-1.md history; containers/image Schema1.initialize',
    specUrl: SCHEMA1_SPEC,
    check(ctx) {
      const layers = arrayOf(ctx, 'fsLayers');
      if (!layers) return;
      const historyProp = propertyOf(ctx.root, 'history');
      const history = historyProp?.children?.[1];
      const n = elements(layers).length;
      if (!historyProp || !history) {
        if (n > 0) ctx.reportAt(ctx.root.offset, 1, `history is missing: it must have one v1Compatibility entry per fsLayers entry (${n}).`);
        return;
      }
      if (history.type !== 'array') {
        ctx.report(history, `history is ${shorten(rawText(ctx.text, history), 40)}, not an array of {"v1Compatibility": …} objects.`);
        return;
      }
      const h = elements(history).length;
      if (h === n) return;
      ctx.report(historyProp.children![0], `history has ${h} entries but fsLayers has ${n}; they must be equal ("length of history not equal to number of layers").`);
    },
  },
  {
    id: 'schema1-blobsum',
    severity: 'error',
    appliesTo: ['schema1'],
    description: 'An fsLayers blobSum is not a sha256 digest.',
    why: '"blobSum is the digest of the referenced filesystem image layer. A digest must be a sha256 hash."',
    source: 'distribution manifest-v2-1.md fsLayers',
    specUrl: SCHEMA1_SPEC,
    check(ctx) {
      elements(arrayOf(ctx, 'fsLayers')).forEach((layer, i) => {
        if (layer.type !== 'object') { ctx.report(layer, `fsLayers[${i}] must be an object {"blobSum": "sha256:…"}.`); return; }
        const sum = valueOf(layer, 'blobSum');
        if (!sum) { ctx.report(layer, `fsLayers[${i}] has no blobSum.`); return; }
        if (sum.type === 'string' && /^sha256:[a-f0-9]{64}$/.test(sum.value as string)) return;
        ctx.report(sum, `fsLayers[${i}].blobSum ${shorten(rawText(ctx.text, sum), 80)} is not a sha256 digest ("sha256:" and 64 lowercase hex characters).`);
      });
    },
  },
  {
    id: 'schema1-v1compat-invalid',
    severity: 'error',
    appliesTo: ['schema1'],
    description: 'A history entry\'s v1Compatibility is not a JSON string with a valid id, or the parent chain is broken.',
    why: 'Clients parse each v1Compatibility string as JSON ("parsing v2s1 history entry"), require 64-hex ids ("image ID … is invalid") and walk the parent chain: the base layer has no parent, each entry\'s parent is the next entry ("Invalid parent ID. Expected …"), and ids do not repeat except consecutively ("ID … appears multiple times in manifest").',
    source: 'containers/image Schema1.initialize, fixManifestLayers, validateV1ID; moby fixManifestLayers',
    specUrl: SCHEMA1_SPEC,
    check(ctx) {
      const entries: V1Compat[] = [];
      let broken = false;
      elements(arrayOf(ctx, 'history')).forEach((h, index) => {
        const v = valueOf(h, 'v1Compatibility');
        if (!v || v.type !== 'string') {
          ctx.report(v ?? h, `history[${index}].v1Compatibility must be a string holding the layer's JSON configuration.`);
          broken = true;
          return;
        }
        let parsed: unknown;
        try { parsed = JSON.parse(v.value as string); } catch (err) {
          ctx.report(v, `history[${index}].v1Compatibility is not valid JSON (${err instanceof Error ? err.message : 'parse error'}); clients fail with "parsing v2s1 history entry ${index}".`);
          broken = true;
          return;
        }
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
          ctx.report(v, `history[${index}].v1Compatibility must hold a JSON object.`);
          broken = true;
          return;
        }
        const o = parsed as Record<string, unknown>;
        const id = typeof o.id === 'string' ? o.id : undefined;
        const parent = typeof o.parent === 'string' ? o.parent : undefined;
        if (!id || !V1_ID.test(id)) {
          ctx.report(v, `history[${index}].v1Compatibility id ${id === undefined ? 'is missing' : `"${shorten(id, 60)}" is not 64 lowercase hex characters`} ("image ID … is invalid").`);
          broken = true;
          return;
        }
        entries.push({ node: v, index, id, parent });
      });
      if (broken || entries.length === 0) return;
      const last = entries[entries.length - 1];
      if (last.parent) ctx.report(last.node, `history[${last.index}] is the base layer but names a parent; containers/image refuses it ("Invalid parent ID in the base layer of the image").`);
      const seen = new Set<string>();
      let previous: string | undefined;
      for (const e of entries) {
        if (e.id !== previous && seen.has(e.id!)) ctx.report(e.node, `history[${e.index}] repeats the id ${shorten(e.id!, 20)} of an earlier, non-adjacent entry ("ID … appears multiple times in manifest").`);
        previous = e.id;
        seen.add(e.id!);
      }
      for (let i = 0; i < entries.length - 1; i++) {
        const a = entries[i];
        const b = entries[i + 1];
        if (a.id === b.id || a.parent === b.id) continue;
        ctx.report(a.node, `history[${a.index}] has parent ${a.parent ? `"${shorten(a.parent, 12)}"` : '(none)'}, but the next entry's id is "${shorten(b.id!, 12)}": containers/image refuses it ("Invalid parent ID. Expected …").`);
      }
    },
  },
  {
    id: 'schema1-signature-info',
    severity: 'info',
    appliesTo: ['schema1'],
    description: 'A signed schema 1 manifest: its digest excludes the JWS signatures. Error when signatures is not an array.',
    why: 'The digest of a signed schema 1 manifest is computed over the payload with the signatures removed (libtrust), so it differs from sha256 of these bytes; editing the payload invalidates the signatures, which docker/distribution 2.x registries verify. A signatures value that is not an array of JWS objects makes digest computation fail in containers/image (error).',
    source: 'distribution manifest-v2-1.md "Signed Manifests"; containers/image manifest.Digest, AddDummyV2S1Signature',
    specUrl: SCHEMA1_SPEC + '#signed-manifests',
    check(ctx) {
      const prop = propertyOf(ctx.root, 'signatures');
      if (!prop) return;
      const value = prop.children?.[1];
      if (value && value.type !== 'array') {
        ctx.report(value, `signatures is ${shorten(rawText(ctx.text, value), 40)}; it must be an array of JWS signatures, or absent in an unsigned schema 1 manifest.`, { severity: 'error' });
        return;
      }
      ctx.report(prop.children![0], 'Signed schema 1 manifest: its digest excludes "signatures", and any edit of the payload invalidates them.');
    },
  },
];
