/** rules.md §11: annotations (and the config's Labels, which follow the same keys). */
import {
  ANNOTATION, CONVERSION_KEYS, KNOWN_PREFIXES, LABEL_SCHEMA, LABEL_SCHEMA_PREFIX, nearestImageKey, OCI_IMAGE_PREFIX, OCI_PREFIX,
  PREDEFINED_KEYS, suggestImageKey, WITHDRAWN_ARTIFACT_KEYS,
} from '../annotationKeys';
import { digestProblem } from '../digest';
import { MANIFEST_KINDS, type DocumentKind } from '../documentKind';
import { keyOf, propertyOf, properties, rawText, valueOf, type Node } from '../json';
import type { DescriptorSite, Edit, Fix, Rule, RuleContext } from '../types';
import { deletePropertyEdit, fix, IS_SPEC, replaceEdit, shorten } from './helpers';

const ANNOTATIONS_SPEC = IS_SPEC + 'annotations.md';
const PREDEFINED_SPEC = ANNOTATIONS_SPEC + '#pre-defined-annotation-keys';
const DESCRIPTOR_KINDS: readonly DocumentKind[] = [...MANIFEST_KINDS, 'descriptor'];
const WITH_LABELS: readonly DocumentKind[] = [...DESCRIPTOR_KINDS, 'config'];

export interface AnnotationMap {
  /** The property holding the map (`"annotations": …` or `"Labels": …`). */
  readonly prop: Node;
  /** Its value node (not necessarily an object). */
  readonly node: Node;
  /** `annotations`, `manifests[3].annotations`, `config.Labels`. */
  readonly label: string;
  readonly where: 'top' | 'descriptor' | 'labels';
  /** Descriptor role, for descriptor annotations. */
  readonly role?: string;
}

/**
 * Per analysis (keyed by the descriptors the rule sees, which belong to one analysis), the maps
 * and entries the eleven annotation rules share.
 */
const MAPS = new WeakMap<readonly DescriptorSite[], { maps: Map<boolean, AnnotationMap[]>; entries: Map<boolean, Entry[]> }>();

function cacheOf(ctx: RuleContext): { maps: Map<boolean, AnnotationMap[]>; entries: Map<boolean, Entry[]> } {
  let c = MAPS.get(ctx.descriptors);
  if (!c) { c = { maps: new Map(), entries: new Map() }; MAPS.set(ctx.descriptors, c); }
  return c;
}

/** Every annotations map of the document, plus config.Labels for configs when `labels` is set. */
export function annotationMaps(ctx: RuleContext, labels: boolean): AnnotationMap[] {
  const cache = cacheOf(ctx);
  let maps = cache.maps.get(labels);
  if (!maps) { maps = collectMaps(ctx, labels); cache.maps.set(labels, maps); }
  return maps;
}

function collectMaps(ctx: RuleContext, labels: boolean): AnnotationMap[] {
  const out: AnnotationMap[] = [];
  if (ctx.kind === 'config') {
    if (!labels) return out;
    const prop = propertyOf(valueOf(ctx.root, 'config'), 'Labels');
    if (prop?.children?.[1]) out.push({ prop, node: prop.children[1], label: 'config.Labels', where: 'labels' });
    return out;
  }
  if (ctx.kind !== 'descriptor') {
    const prop = propertyOf(ctx.root, 'annotations');
    if (prop?.children?.[1]) out.push({ prop, node: prop.children[1], label: 'annotations', where: 'top' });
  }
  for (const site of ctx.descriptors) {
    const prop = propertyOf(site.node, 'annotations');
    if (prop?.children?.[1]) out.push({ prop, node: prop.children[1], label: site.role === 'self' ? 'annotations' : `${site.label}.annotations`, where: 'descriptor', role: site.role });
  }
  return out;
}

interface Entry {
  readonly map: AnnotationMap;
  readonly prop: Node;
  readonly key: string;
  readonly keyNode: Node;
  readonly value: Node;
}

function eachEntry(ctx: RuleContext, labels: boolean, fn: (e: Entry) => void): void {
  const cache = cacheOf(ctx);
  let entries = cache.entries.get(labels);
  if (!entries) {
    entries = [];
    for (const map of annotationMaps(ctx, labels)) {
      for (const prop of properties(map.node)) {
        const keyNode = prop.children?.[0];
        const value = prop.children?.[1];
        if (keyNode && value) entries.push({ map, prop, key: keyOf(prop), keyNode, value });
      }
    }
    cache.entries.set(labels, entries);
  }
  for (const e of entries) fn(e);
}

/** Entries with a given key and a string value. */
function eachValue(ctx: RuleContext, key: string, fn: (e: Entry, value: string) => void): void {
  eachEntry(ctx, true, (e) => {
    if (e.key === key && e.value.type === 'string') fn(e, e.value.value as string);
  });
}


/**
 * A fix for the document being linted. helpers.fix() notes the manifest digest; an edit of an
 * image config changes the config's digest instead, which the manifest then has to follow.
 */
export function docFix(ctx: RuleContext, title: string, edits: Edit[], preferred = true): Fix {
  if (ctx.kind !== 'config') return fix(title, edits, true, preferred);
  return { title: title + ' (changes the config digest; update the manifest that references it)', edits, changesDigest: true, preferred };
}

/** The fix that renames a key. */
function renameFix(ctx: RuleContext, e: Entry, to: string): Fix {
  return docFix(ctx, `Rename "${e.key}" to "${to}"`, [replaceEdit(e.keyNode, to)]);
}

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** What is wrong with an RFC 3339 §5.6 date-time, or undefined when it is one. */
export function rfc3339Problem(value: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|([+-])(\d{2}):(\d{2}))$/.exec(value);
  if (!m) {
    if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return 'is a date without a time';
    if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}/.test(value)) return /[+-]\d{4} [A-Z]+$/.test(value) ? 'is Go\'s time.String() format, not RFC 3339' : 'separates date and time with a space instead of "T"';
    if (/^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)) return 'has no time zone (add "Z" or an offset such as "+02:00")';
    if (/^\d{8}/.test(value)) return 'is not in the YYYY-MM-DDTHH:MM:SSZ form';
    return 'is not an RFC 3339 date-time';
  }
  const [, y, mo, d, h, mi, s, , , , oh, om] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12) return `has month ${mo}`;
  const leap = Number(y) % 4 === 0 && (Number(y) % 100 !== 0 || Number(y) % 400 === 0);
  if (day < 1 || day > (month === 2 && !leap ? 28 : DAYS[month - 1])) return `has day ${d} in month ${mo}`;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 60) return `has the time ${h}:${mi}:${s}`;
  if (oh !== undefined && (Number(oh) > 23 || Number(om) > 59)) return `has the offset ${oh}:${om}`;
  return undefined;
}

// distribution/reference regexp.go, anchored.
const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[(?:[a-fA-F0-9:]+)\\])`;
const DOMAIN = `${HOST}(?::[0-9]+)?`;
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const REFERENCE = new RegExp(`^(${NAME})(?::([\\w][\\w.-]{0,127}))?(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}))?$`);

/** What is wrong with an image reference (distribution/reference), or undefined. `qualified` adds the fully-qualified check. */
export function referenceProblem(value: string, qualified: boolean): string | undefined {
  const m = REFERENCE.exec(value);
  if (!m) {
    const lower = value.toLowerCase();
    if (lower !== value && REFERENCE.test(lower)) return 'is not a valid reference: the repository name must be lowercase';
    return 'is not a valid image reference ("invalid reference format")';
  }
  const name = m[1];
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  const hasDomain = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
  const path = hasDomain ? name.slice(slash + 1) : name;
  if (path.length > 255) return 'has a repository path longer than 255 characters';
  if (/^[a-f0-9]{64}$/.test(path)) return 'uses a 64-character hex string as the repository name, which is refused';
  if (qualified && !hasDomain) return `is not fully qualified: it has no registry host (write e.g. "docker.io/${slash < 0 ? 'library/' : ''}${value}")`;
  return undefined;
}

/** image-spec annotations.md ref.name grammar. */
const REF_NAME = /^[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*(?:\/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*$/;

/** Whether a ref.name value follows the grammar. */
export function refNameValid(value: string): boolean {
  return REF_NAME.test(value);
}

/** A light SPDX license expression check: tokens, operators, balanced parentheses. */
export function spdxProblem(value: string): string | undefined {
  if (value.trim() === '') return 'is empty';
  if (/[,;/|&]/.test(value)) return 'joins licenses with punctuation; SPDX expressions use AND / OR (e.g. "MIT OR Apache-2.0")';
  const tokens = value.match(/\(|\)|[^\s()]+/g) ?? [];
  let depth = 0;
  let expectOperand = true;
  for (const t of tokens) {
    if (t === '(') { if (!expectOperand) return 'has a "(" where an operator belongs'; depth++; continue; }
    if (t === ')') { if (expectOperand || --depth < 0) return 'has unbalanced parentheses'; continue; }
    const upper = t.toUpperCase();
    if (upper === 'AND' || upper === 'OR' || upper === 'WITH') {
      if (expectOperand) return `has "${t}" where a license id belongs`;
      if (t !== upper) return `writes the operator "${t}" in lowercase; SPDX operators are AND, OR, WITH`;
      expectOperand = true;
      continue;
    }
    if (!expectOperand) return `has two license ids in a row ("… ${t}"): join them with AND or OR, and write ids without spaces`;
    if (!/^(?:(?:DocumentRef-[A-Za-z0-9.-]+:)?LicenseRef-[A-Za-z0-9.-]+|[A-Za-z0-9][A-Za-z0-9.-]*\+?)$/.test(t)) return `has "${t}", which is not a license id`;
    expectOperand = false;
  }
  if (expectOperand || depth !== 0) return 'is an incomplete expression';
  return undefined;
}

function isUrl(value: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/?#]+[^\s]*$/.test(value);
}

function baseDigestProblem(value: string): string | undefined {
  // buildah 1.28 writes base.digest and base.name as "" on every image it commits from
  // scratch; podman and skopeo accept them, and an empty value claims no base image.
  if (value === '') return undefined;
  const p = digestProblem(value);
  if (!p || p.kind === 'unregistered') return undefined;
  return p.kind === 'grammar' ? 'is not a digest of the form algorithm:encoded' : `is not a valid ${p.algorithm} digest: it ${p.detail}`;
}

function urlProblem(value: string): string | undefined {
  return isUrl(value) ? undefined : 'is not a URL (scheme://host/…)';
}

/**
 * The value check of every pre-defined key that has one, as its rule applies it (ref.name is
 * not here: its rule also depends on where the key sits). engine/plain.ts uses the same table.
 */
export const VALUE_PROBLEMS: ReadonlyMap<string, (value: string) => string | undefined> = new Map([
  [ANNOTATION.created, rfc3339Problem],
  [ANNOTATION.baseDigest, baseDigestProblem],
  [ANNOTATION.baseName, (v: string) => (v === '' ? undefined : referenceProblem(v, true))],
  [ANNOTATION.licenses, spdxProblem],
  [ANNOTATION.url, urlProblem],
  [ANNOTATION.documentation, urlProblem],
  [ANNOTATION.source, urlProblem],
]);

function valueRule(id: string, key: string, severity: Rule['severity'], description: string, why: string, problem: (value: string, e: Entry, ctx: RuleContext) => string | undefined, specUrl = PREDEFINED_SPEC): Rule {
  return {
    id, severity, appliesTo: WITH_LABELS, description, why,
    source: `image-spec annotations.md "${key}"`,
    specUrl,
    check(ctx) {
      eachValue(ctx, key, (e, value) => {
        const p = problem(value, e, ctx);
        if (p) ctx.report(e.value, `${e.map.label} "${key}": the value ${p}.`);
      });
    },
  };
}

export const annotationRules: Rule[] = [
  {
    id: 'annotations-not-string-map',
    severity: 'error',
    appliesTo: DESCRIPTOR_KINDS,
    description: 'annotations is not a map of strings to strings.',
    why: 'Annotations MUST be a key-value map where both the key and value MUST be strings; Go tools decode them into map[string]string and fail on anything else ("cannot unmarshal number into Go struct field … of type string").',
    source: 'image-spec annotations.md "Rules"; defs.json mapStringString',
    specUrl: ANNOTATIONS_SPEC + '#rules',
    fix: 'Quote a number or boolean value.',
    check(ctx) {
      for (const map of annotationMaps(ctx, false)) {
        if (map.node.type === 'null') continue; // annotations-null
        if (map.node.type !== 'object') {
          ctx.report(map.node, `${map.label} is ${shorten(rawText(ctx.text, map.node), 40)}; it must be an object mapping string keys to string values.`);
          continue;
        }
        for (const prop of properties(map.node)) {
          const value = prop.children?.[1];
          if (!value || value.type === 'string') continue;
          const raw = rawText(ctx.text, value);
          const quotable = value.type === 'number' || value.type === 'boolean';
          ctx.report(value, `${map.label} "${keyOf(prop)}" is ${shorten(raw, 40)}; annotation values MUST be strings${quotable ? ` (write "${raw}")` : ''}.`, {
            fixes: quotable ? [fix(`Quote the value as "${raw}"`, [replaceEdit(value, raw)], true, true)] : [],
          });
        }
      }
    },
  },
  {
    id: 'annotations-null',
    severity: 'warning',
    appliesTo: DESCRIPTOR_KINDS,
    description: 'annotations is null.',
    why: '"If there are no annotations then this property MUST either be absent or be an empty map"; null is neither, and strict decoders refuse it. (The image config is different: its OPTIONAL fields, Labels included, MAY be null.)',
    source: 'image-spec annotations.md "Rules"',
    specUrl: ANNOTATIONS_SPEC + '#rules',
    fix: 'Remove the property.',
    check(ctx) {
      for (const map of annotationMaps(ctx, false)) {
        if (map.node.type !== 'null') continue;
        ctx.report(map.node, `${map.label} is null; with no annotations the property MUST be absent or an empty map {}.`, {
          fixes: [fix(`Remove ${map.label}`, [deletePropertyEdit(ctx.text, map.prop)], true, true)],
        });
      }
    },
  },
  {
    id: 'annotation-key-style',
    severity: 'hint',
    appliesTo: DESCRIPTOR_KINDS,
    description: 'An annotation key is not in reverse domain notation.',
    why: 'Keys SHOULD be named using a reverse domain notation (com.example.myKey) so that tools do not collide.',
    source: 'image-spec annotations.md "Keys SHOULD be named using a reverse domain notation"',
    specUrl: ANNOTATIONS_SPEC + '#rules',
    check(ctx) {
      eachEntry(ctx, false, (e) => {
        if (/^[a-z0-9][a-z0-9-]*\.[A-Za-z0-9]/.test(e.key)) return;
        ctx.report(e.keyNode, `Annotation key "${shorten(e.key, 60)}" is not in reverse domain notation; name it after a domain you control, e.g. "com.example.${e.key.replace(/[^A-Za-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'key'}".`);
      });
    },
  },
  {
    id: 'annotation-reserved-prefix',
    severity: 'warning',
    appliesTo: WITH_LABELS,
    description: 'A key uses the reserved org.opencontainers prefix without being a key the spec defines (often a typo).',
    why: 'The org.opencontainers prefix is reserved for keys the OCI specifications define; an unknown key there is most often a typo of a pre-defined key (manifest.md\'s own example writes "oci.opencontainers.image.created"), which tools then ignore.',
    source: 'image-spec annotations.md "Pre-Defined Annotation Keys" (reserved prefix), conversion.md implicit annotations',
    specUrl: PREDEFINED_SPEC,
    fix: 'Rename to the nearest pre-defined key.',
    check(ctx) {
      eachEntry(ctx, true, (e) => {
        const key = e.key;
        if (PREDEFINED_KEYS.has(key) || CONVERSION_KEYS.has(key) || KNOWN_PREFIXES.some((p) => key.startsWith(p))) return;
        if (WITHDRAWN_ARTIFACT_KEYS.includes(key)) {
          if (ctx.kind === 'artifact-manifest') return;
          const to = OCI_IMAGE_PREFIX + key.slice(key.lastIndexOf('.') + 1);
          ctx.report(e.keyNode, `"${key}" belonged to the withdrawn artifact manifest; use "${to}".`, { fixes: [renameFix(ctx, e, to)] });
          return;
        }
        const suggestion = suggestImageKey(key) ?? (key.startsWith(OCI_IMAGE_PREFIX) ? nearestImageKey(key, 3) : undefined);
        if (key.startsWith(OCI_PREFIX)) {
          ctx.report(e.keyNode, `This key uses the reserved prefix "${OCI_PREFIX}" but is not one the OCI specs define` + (suggestion ? `; did you mean "${suggestion}"?` : '; use your own reverse-domain prefix.'), {
            fixes: suggestion ? [renameFix(ctx, e, suggestion)] : [],
          });
        } else if (suggestion) {
          ctx.report(e.keyNode, `"${shorten(key, 70)}" looks like a misspelt pre-defined key; did you mean "${suggestion}"? Tools only read the exact key.`, {
            fixes: [renameFix(ctx, e, suggestion)],
          });
        }
      });
    },
  },
  valueRule('annotation-created-format', ANNOTATION.created, 'warning',
    'org.opencontainers.image.created is not an RFC 3339 date-time.',
    'The value MUST be a date and time formatted as defined by RFC 3339 §5.6; tools parse it with time.RFC3339 and show nothing (or fail) otherwise.',
    VALUE_PROBLEMS.get(ANNOTATION.created)!),
  valueRule('annotation-base-digest-format', ANNOTATION.baseDigest, 'info',
    'org.opencontainers.image.base.digest is not a valid digest.',
    'base.digest is the digest of the base image manifest; it should follow the descriptor digest grammar (algorithm:hex) for tools to find the base image. No pull fails on it, so info. An empty value (what buildah 1.28 writes for an image built from scratch) claims no base and is not reported.',
    VALUE_PROBLEMS.get(ANNOTATION.baseDigest)!),
  valueRule('annotation-base-name-reference', ANNOTATION.baseName, 'info',
    'org.opencontainers.image.base.name is not a fully qualified image reference.',
    'base.name SHOULD be a fully qualified reference to the base image (registry.example.com/my-org/my-image:tag); a short name depends on the reader\'s default registry. An empty value (what buildah 1.28 writes for an image built from scratch) claims no base and is not reported.',
    VALUE_PROBLEMS.get(ANNOTATION.baseName)!),
  {
    id: 'annotation-ref-name-grammar',
    severity: 'warning',
    appliesTo: WITH_LABELS,
    description: 'org.opencontainers.image.ref.name does not follow the ref grammar, or sits where it has no meaning.',
    why: 'ref.name MUST follow the grammar component ("/" component)* with alphanumeric components joined by - . _ : @ + or --; it SHOULD only be used on index.json descriptors of an image layout (hint elsewhere).',
    source: 'image-spec annotations.md org.opencontainers.image.ref.name',
    specUrl: PREDEFINED_SPEC,
    check(ctx) {
      eachValue(ctx, ANNOTATION.refName, (e, value) => {
        if (!refNameValid(value)) {
          ctx.report(e.value, `${e.map.label} "${ANNOTATION.refName}": the value does not follow the ref grammar (alphanumerics joined by - . _ : @ + or --, and /).`);
        } else if (!(ctx.kind === 'oci-index' && e.map.where === 'descriptor' && e.map.role === 'manifest') && ctx.kind !== 'descriptor') {
          ctx.report(e.keyNode, `"${ANNOTATION.refName}" SHOULD only be used on the manifests of an image layout's index.json; here it names nothing.`, { severity: 'hint' });
        }
      });
    },
  },
  valueRule('annotation-licenses-spdx', ANNOTATION.licenses, 'hint',
    'org.opencontainers.image.licenses is not an SPDX license expression.',
    'licenses is an SPDX License Expression; scanners read it as one (e.g. "MIT OR Apache-2.0").',
    VALUE_PROBLEMS.get(ANNOTATION.licenses)!),
  {
    id: 'annotation-url-like',
    severity: 'hint',
    appliesTo: WITH_LABELS,
    description: 'A url, documentation or source annotation is not a URL.',
    why: 'org.opencontainers.image.url, .documentation and .source are URLs; registries and UIs link them.',
    source: 'image-spec annotations.md url, documentation, source',
    specUrl: PREDEFINED_SPEC,
    check(ctx) {
      for (const key of [ANNOTATION.url, ANNOTATION.documentation, ANNOTATION.source]) {
        eachValue(ctx, key, (e, value) => {
          const p = VALUE_PROBLEMS.get(key)!(value);
          if (p) ctx.report(e.value, `${e.map.label} "${key}": the value ${p}.`);
        });
      }
    },
  },
  {
    id: 'label-schema-legacy',
    severity: 'hint',
    appliesTo: WITH_LABELS,
    description: 'A key uses the retired Label Schema convention (org.label-schema.*).',
    why: 'Label Schema is superseded by the OCI pre-defined keys; annotations.md lists the equivalents, and current tools (registries, scanners) read the OCI keys.',
    source: 'image-spec annotations.md "Back-compatibility with Label Schema"',
    specUrl: ANNOTATIONS_SPEC + '#back-compatibility-with-label-schema',
    fix: 'Rename to the OCI key.',
    check(ctx) {
      const existing = new Map<Node, Set<string>>();
      eachEntry(ctx, true, (e) => {
        if (!e.key.startsWith(LABEL_SCHEMA_PREFIX)) return;
        const mapping = LABEL_SCHEMA.get(e.key);
        let keys = existing.get(e.map.node);
        if (!keys) { keys = new Set(properties(e.map.node).map(keyOf)); existing.set(e.map.node, keys); }
        const usable = mapping && (!mapping.urlOnly || (e.value.type === 'string' && isUrl(e.value.value as string)));
        if (!mapping || !usable) {
          ctx.report(e.keyNode, `"${e.key}" is a Label Schema key with no OCI equivalent; Label Schema is retired.`);
          return;
        }
        const dateOnly = e.key === 'org.label-schema.build-date' && e.value.type === 'string' && rfc3339Problem(e.value.value as string) !== undefined;
        // Renaming a date-only build-date would only trade this hint for annotation-created-format.
        const fixes = keys.has(mapping.to) || dateOnly ? [] : [renameFix(ctx, e, mapping.to)];
        ctx.report(e.keyNode, `"${e.key}" is a retired Label Schema key; the OCI key is "${mapping.to}"` + (keys.has(mapping.to) ? ', which is already set.' : '.') + (dateOnly ? ' The value must then be an RFC 3339 date-time.' : ''), { fixes });
      });
    },
  },
];
