/**
 * Plain entries: the fast path for large indexes and manifests.
 *
 * Nearly every entry of a 20,000-entry index is an ordinary OCI manifest descriptor with a
 * canonical platform and a couple of standard annotations. Running sixty rules over each of
 * them, node by node, costs far more than reading the document. So before the rules run, one
 * pass over the parser's tape (no node objects, no strings but the digest) decides which
 * descriptors are *plain*: every field is one whose value no per-entry rule can object to.
 * Per-entry rules then see only the other descriptors; the few rules that compare entries
 * with each other (duplicate platforms, attestation references, mixed children) see all of
 * them and read a plain entry's facts from here.
 *
 * The conditions below are deliberately narrow: anything unusual (an escaped string, an
 * unknown key, a custom annotation that looks like a typo, a variant, a zstd layer, a digest
 * of special meaning) makes an entry not plain, and the full rules look at it. test/engine/
 * plain.test.ts checks that analysing with and without this path gives identical findings
 * over every rule case, the corpus, a fuzzed set, and every value the tables below accept.
 */
import { ANNOTATION, CONVERSION_KEYS, KNOWN_PREFIXES, LABEL_SCHEMA_PREFIX, OCI_PREFIX, PREDEFINED_KEYS, suggestImageKey, WITHDRAWN_ARTIFACT_KEYS } from './annotationKeys';
import type { DocumentKind } from './documentKind';
import { EMPTY_DESCRIPTOR, MEDIA_TYPE_SYNTAX, MT } from './mediaTypes';
import { platformIsPlain } from './platforms';
import { refNameValid, rfc3339Problem, VALUE_PROBLEMS } from './rules/annotations';
import { ESCAPED, NUMBER, OBJECT, STRING, TYPE_MASK, type Tape } from './tape';
import type { DescriptorRole, PlainFacts, PlainPlatform } from './types';

/** The media types a plain descriptor may have, per document kind and descriptor role. */
function plainMediaTypes(kind: DocumentKind, role: DescriptorRole): readonly string[] | undefined {
  // An OCI index may list Docker v2s2 manifests (podman manifest push writes such an index). No
  // per-entry rule objects to one that is otherwise plain; mixed-index-docker-children, which
  // looks at every entry, reports it from the facts' mediaType.
  if (kind === 'oci-index' && role === 'manifest') return OCI_INDEX_ENTRY_TYPES;
  if (kind === 'docker-list' && role === 'manifest') return [MT.dockerManifest];
  if (kind === 'oci-manifest' && role === 'layer') return [MT.ociLayerGzip, MT.ociLayerTar];
  if (kind === 'docker-manifest' && role === 'layer') return [MT.dockerLayerGzip];
  return undefined;
}

const OCI_INDEX_ENTRY_TYPES: readonly string[] = [MT.ociManifest, MT.dockerManifest];

/** Digests with a meaning of their own (the empty descriptor, the 0-byte blob): never plain. */
const SPECIAL_DIGESTS: readonly string[] = [
  EMPTY_DESCRIPTOR.digest,
  'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
];

/**
 * Whether `text` holds `value` at `pos`. A plain loop: startsWith is a builtin call, and it is
 * made a dozen times for each of 20,000 entries.
 */
function textAt(text: string, pos: number, value: string): boolean {
  // A long value is compared natively: the slice of a flat string shares its characters.
  if (value.length >= 16) return text.slice(pos, pos + value.length) === value;
  for (let i = 0; i < value.length; i++) if (text.charCodeAt(pos + i) !== value.charCodeAt(i)) return false;
  return true;
}

/** 1 for the characters of lowercase hex (indexed by UTF-16 code unit). */
const LOWER_HEX = new Uint8Array(65536);
for (const c of '0123456789abcdef') LOWER_HEX[c.charCodeAt(0)] = 1;

const KEY_STYLE = /^[a-z0-9][a-z0-9-]*\.[A-Za-z0-9]/;

/**
 * How a plain entry's annotation value is checked, by key: any string, a value check of
 * VALUE_PROBLEMS, ref.name's grammar; false: the key is never plain.
 */
type KeyVerdict = false | 'any' | 'created' | 'refName' | ((value: string) => string | undefined);

/** Custom keys that other rules read (BuildKit references, the containers/image zstd marker). */
const READ_PREFIXES = ['vnd.docker.', 'io.github.containers.', LABEL_SCHEMA_PREFIX];

function keyVerdict(key: string, refNameAllowed: boolean): KeyVerdict {
  if (key === ANNOTATION.created) return 'created';
  if (key === ANNOTATION.refName) return refNameAllowed ? 'refName' : false;
  // Keys with a value rule (urls, licenses, base image): the rule's own check.
  const check = VALUE_PROBLEMS.get(key);
  if (check) return check;
  if (PREDEFINED_KEYS.has(key)) return 'any';
  if (CONVERSION_KEYS.has(key) || key.startsWith(OCI_PREFIX) || KNOWN_PREFIXES.some((p) => key.startsWith(p))) return false;
  if (!KEY_STYLE.test(key) || READ_PREFIXES.some((p) => key.startsWith(p)) || WITHDRAWN_ARTIFACT_KEYS.includes(key)) return false;
  return suggestImageKey(key) === undefined ? 'any' : false;
}

/** Decides plain entries for one analysis; verdicts on repeated keys and platforms are cached. */
export class PlainDetector {
  private readonly keys = new Map<string, KeyVerdict>();
  /** Verdicts on platform objects by their exact text, in the order first seen. */
  private readonly platforms: { raw: string; verdict: PlainPlatform | null }[] = [];
  /** The one that matched last (entries often repeat a handful of platforms in turn). */
  private lastPlatform = 0;
  private lastCreated: string | undefined;
  private readonly values = new Map<string, boolean>();
  private readonly text: string;

  constructor(private readonly tape: Tape, private readonly kind: DocumentKind) {
    this.text = tape.text;
  }

  /** The facts of the plain descriptor at tape slot `o`, or undefined when the full rules must look at it. */
  facts(o: number, role: DescriptorRole): PlainFacts | undefined {
    const types = plainMediaTypes(this.kind, role);
    if (!types) return undefined;
    const t = this.tape;
    if ((t.type[o] & TYPE_MASK) !== OBJECT) return undefined;
    let mediaType: string | undefined;
    let mediaTypeAt = -1;
    let digest: string | undefined;
    let size = false;
    let platform: PlainPlatform | undefined | null;
    let platformSlot = -1;
    let annotations = -1;
    let artifactType = false;
    const index = role === 'manifest';
    for (let p = t.first[o]; p !== -1; p = t.next[p]) {
      const k = t.first[p];
      if (t.type[k] & ESCAPED) return undefined;
      const v = t.next[k];
      switch (this.keyName(k)) {
        case 'mediaType':
          if (mediaType !== undefined || (mediaType = this.oneOf(v, types)) === undefined) return undefined;
          mediaTypeAt = t.start[v] - t.start[o];
          break;
        case 'digest':
          if (digest !== undefined || (digest = this.plainDigest(v)) === undefined) return undefined;
          break;
        case 'size':
          if (size || !(size = this.plainSize(v))) return undefined;
          break;
        case 'platform':
          if (!index || platform !== undefined || !(platform = this.plainPlatform(v))) return undefined;
          platformSlot = v;
          break;
        case 'artifactType':
          // OCI index entries may name an artifact type (referrers responses do); Docker lists may not.
          if (!index || this.kind !== 'oci-index' || artifactType || !this.plainMediaTypeSyntax(v)) return undefined;
          artifactType = true;
          break;
        case 'annotations':
          // Docker lists and manifests have no annotations (oci-only-field-in-docker).
          if (annotations !== -1 || this.kind === 'docker-list' || this.kind === 'docker-manifest') return undefined;
          annotations = v;
          break;
        default:
          return undefined;
      }
    }
    if (mediaType === undefined || digest === undefined || !size) return undefined;
    // Index entries need a platform (without one, three rules have something to say), unless
    // they are artifacts, which are exempt.
    if (index && !platform && !artifactType) return undefined;
    let refName: string | undefined;
    if (annotations !== -1) {
      const r = this.plainAnnotations(annotations, index);
      if (r === false) return undefined;
      refName = r;
    }
    // Every key above was seen once (a repeat returns early), and the platform and annotations
    // checks refuse repeated keys too: none of these objects has a duplicate key.
    return {
      mediaType, digest, platform: platform ?? undefined, refName, artifactType,
      platformAt: platformSlot === -1 ? -1 : platformSlot - o, annotationsAt: annotations === -1 ? -1 : annotations - o, mediaTypeAt,
    };
  }

  /** The name of a key slot among the six a plain descriptor may have, or ''. */
  private keyName(k: number): string {
    const t = this.tape;
    const s = t.start[k] + 1;
    switch (t.end[k] - s - 1) {
      case 9: return textAt(this.text, s, 'mediaType') ? 'mediaType' : '';
      case 6: return textAt(this.text, s, 'digest') ? 'digest' : '';
      case 4: return textAt(this.text, s, 'size') ? 'size' : '';
      case 8: return textAt(this.text, s, 'platform') ? 'platform' : '';
      case 11: return textAt(this.text, s, 'annotations') ? 'annotations' : '';
      case 12: return textAt(this.text, s, 'artifactType') ? 'artifactType' : '';
      default: return '';
    }
  }

  /** An unescaped string that is an RFC 6838 media type (descriptor-media-type-syntax). */
  private plainMediaTypeSyntax(v: number): boolean {
    return this.tape.type[v] === STRING && MEDIA_TYPE_SYNTAX.test(this.stringAt(v));
  }

  /** Which of `values` slot `v` holds as an unescaped string, if any. */
  private oneOf(v: number, values: readonly string[]): string | undefined {
    for (let i = 0; i < values.length; i++) if (this.stringIs(v, values[i])) return values[i];
    return undefined;
  }

  /** Whether slot `v` is the unescaped string `value`. */
  private stringIs(v: number, value: string): boolean {
    const t = this.tape;
    return t.type[v] === STRING && t.end[v] - t.start[v] - 2 === value.length && textAt(this.text, t.start[v] + 1, value);
  }

  /** An unescaped string's value. */
  private stringAt(v: number): string {
    return this.text.slice(this.tape.start[v] + 1, this.tape.end[v] - 1);
  }

  /** `sha256:` and 64 lowercase hex characters, not a special digest. */
  private plainDigest(v: number): string | undefined {
    const t = this.tape;
    if (t.type[v] !== STRING || t.end[v] - t.start[v] !== 73) return undefined;
    const s = t.start[v] + 1;
    const text = this.text;
    if (!textAt(text, s, 'sha256:')) return undefined;
    // A table lookup, not comparisons: random hex digits defeat branch prediction.
    let hex = 1;
    for (let i = s + 7; i < s + 71; i++) hex &= LOWER_HEX[text.charCodeAt(i)];
    if (hex === 0) return undefined;
    for (let i = 0; i < SPECIAL_DIGESTS.length; i++) if (textAt(text, s, SPECIAL_DIGESTS[i])) return undefined;
    return text.slice(s, s + 71);
  }

  /** A positive integer below 10^15 written in plain digits (no sign, fraction or exponent). */
  private plainSize(v: number): boolean {
    const t = this.tape;
    if (t.type[v] !== NUMBER) return false;
    const s = t.start[v];
    const n = t.end[v] - s;
    if (n > 15) return false;
    const text = this.text;
    if (text.charCodeAt(s) === 48) return false;
    for (let i = s; i < s + n; i++) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) return false;
    }
    return true;
  }

  /** A platform of unescaped string os, architecture, optional variant and os.version, that no platform rule flags. */
  private plainPlatform(v: number): PlainPlatform | undefined {
    const t = this.tape;
    if (t.type[v] !== OBJECT) return undefined;
    // The same few platforms, written the same way, repeat on every entry of a large index: the
    // text is compared with those seen (a slice of a flat string shares its characters; nothing
    // is hashed), starting after the last one that matched.
    const raw = this.text.slice(t.start[v], t.end[v]);
    const seen = this.platforms;
    for (let k = 0; k < seen.length; k++) {
      const i = (this.lastPlatform + k) % seen.length;
      if (seen[i].raw === raw) {
        this.lastPlatform = i;
        return seen[i].verdict ?? undefined;
      }
    }
    const verdict = this.readPlatform(v) ?? null;
    // Real indexes have a few dozen platforms at most; past that, no more are remembered.
    if (seen.length < 32) seen.push({ raw, verdict });
    return verdict ?? undefined;
  }

  private readPlatform(v: number): PlainPlatform | undefined {
    const t = this.tape;
    let os: string | undefined;
    let architecture: string | undefined;
    let variant: string | undefined;
    let osVersion: string | undefined;
    const text = this.text;
    for (let p = t.first[v]; p !== -1; p = t.next[p]) {
      const k = t.first[p];
      const val = t.next[k];
      if (t.type[k] !== STRING || t.type[val] !== STRING) return undefined;
      const s = t.start[k] + 1;
      const n = t.end[k] - s - 1;
      if (n === 2 && textAt(text, s, 'os') && os === undefined) os = this.stringAt(val);
      else if (n === 12 && textAt(text, s, 'architecture') && architecture === undefined) architecture = this.stringAt(val);
      else if (n === 7 && textAt(text, s, 'variant') && variant === undefined) variant = this.stringAt(val);
      else if (n === 10 && textAt(text, s, 'os.version') && osVersion === undefined) osVersion = this.stringAt(val);
      else return undefined;
    }
    if (os === undefined || architecture === undefined || !platformIsPlain(os, architecture, variant ?? '')) return undefined;
    return { os, architecture, variant: variant ?? '', osVersion };
  }

  /**
   * Annotations whose keys and values no annotation rule flags. Returns the ref.name value
   * (undefined when absent), or false when the entry is not plain.
   */
  private plainAnnotations(v: number, index: boolean): string | undefined | false {
    const t = this.tape;
    if (t.type[v] !== OBJECT) return false;
    let refName: string | undefined;
    for (let p = t.first[v]; p !== -1; p = t.next[p]) {
      const k = t.first[p];
      const val = t.next[k];
      if (t.type[k] !== STRING || t.type[val] !== STRING) return false;
      // The two keys whose values are checked are compared in place; other keys become strings
      // for the verdict cache.
      let key: string;
      let verdict: KeyVerdict | undefined;
      if (this.stringIs(k, ANNOTATION.created)) { key = ANNOTATION.created; verdict = 'created'; }
      else if (this.stringIs(k, ANNOTATION.refName)) { key = ANNOTATION.refName; verdict = index && this.kind === 'oci-index' ? 'refName' : false; }
      else {
        key = this.stringAt(k);
        const cacheKey = index ? key : '\0' + key;
        verdict = this.keys.get(cacheKey);
        if (verdict === undefined) {
          verdict = keyVerdict(key, index && this.kind === 'oci-index');
          this.keys.set(cacheKey, verdict);
        }
      }
      if (verdict === false) return false;
      // A key repeated in the same map (compared in place, nearly always by length alone).
      for (let q = t.first[v]; q !== p; q = t.next[q]) if (t.sameKey(t.first[q], k)) return false;
      if (verdict === 'any') continue;
      if (verdict === 'created') {
        // One build stamps every entry with the same time: compare with the last valid one first.
        const last = this.lastCreated;
        if (last !== undefined && t.end[val] - t.start[val] - 2 === last.length && textAt(this.text, t.start[val] + 1, last)) continue;
        const value = this.stringAt(val);
        if (rfc3339Problem(value) !== undefined) return false;
        this.lastCreated = value;
      } else if (verdict === 'refName') {
        const value = this.stringAt(val);
        if (!refNameValid(value)) return false;
        refName = value;
      } else {
        // The same source URL or license on every entry: each value is checked once.
        const value = this.stringAt(val);
        const id = key + '\0' + value;
        let ok = this.values.get(id);
        if (ok === undefined) { ok = verdict(value) === undefined; this.values.set(id, ok); }
        if (!ok) return false;
      }
    }
    return refName;
  }
}
