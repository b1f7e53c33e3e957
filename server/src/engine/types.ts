/**
 * Plain, offset-based types the engine hands out. The LSP layer turns them into LSP types;
 * the CLI prints them. Nothing here depends on an editor.
 */
import type { Detection, DocumentKind } from './documentKind';
import type { Node } from './json';

export type Severity = 'error' | 'warning' | 'info' | 'hint';

export const SEVERITY_ORDER: Readonly<Record<Severity, number>> = Object.freeze({ error: 0, warning: 1, info: 2, hint: 3 });

/** Replace `length` characters at `offset` with `newText`. */
export interface Edit {
  readonly offset: number;
  readonly length: number;
  readonly newText: string;
}

export interface Fix {
  readonly title: string;
  readonly edits: readonly Edit[];
  /** Every edit of a manifest changes its digest; titles say so where it matters. */
  readonly changesDigest: boolean;
  readonly preferred?: boolean;
}

export interface Finding {
  readonly ruleId: string;
  readonly severity: Severity;
  readonly message: string;
  readonly offset: number;
  readonly length: number;
  readonly fixes: readonly Fix[];
  /** Document-wide conversions worth offering next to this finding. */
  readonly conversions?: readonly ConversionTarget[];
}

export type ConversionTarget = 'oci' | 'docker';

/** Where a descriptor sits in the document. */
export type DescriptorRole = 'config' | 'layer' | 'manifest' | 'subject' | 'blob' | 'self';

export interface DescriptorSite {
  readonly node: Node;
  readonly role: DescriptorRole;
  /** Position in its array (layers, manifests, blobs). */
  readonly index?: number;
  /** Human path, e.g. `layers[2]`, used in messages. */
  readonly label: string;
  /**
   * Set when the descriptor is plain (engine/plain.ts): no per-entry rule can find anything
   * in it, so only the rules that compare entries see it, and they read these facts.
   */
  readonly plain?: PlainFacts;
  /** The descriptor's slot on the parser's tape (engine/tape.ts); set with `plain`. */
  readonly slot?: number;
  /** Where the descriptor starts in the text, without making its node; set with `plain`. */
  readonly start?: number;
}

export interface PlainPlatform {
  readonly os: string;
  readonly architecture: string;
  /** '' when absent. */
  readonly variant: string;
  readonly osVersion?: string;
}

/** What the entry-comparing rules need from a plain descriptor, read once from the tape. */
export interface PlainFacts {
  readonly mediaType: string;
  readonly digest: string;
  /** Index and list entries: the platform, already in normal form. */
  readonly platform?: PlainPlatform;
  /** The org.opencontainers.image.ref.name annotation, when there is one. */
  readonly refName?: string;
  /** Whether the entry names an artifactType (index-duplicate-platform passes over artifacts). */
  readonly artifactType: boolean;
  /**
   * The parser slots of the objects the plain check found free of duplicate keys besides the
   * entry's own (its platform and its annotations), counted from the entry's slot (-1 for none),
   * so json-duplicate-key need not look at them again. Numbers, not an array: a 20,000-entry
   * index has 20,000 facts. Relative, so that they hold wherever the entry moves (a relint of
   * another entry keeps them: engine/reanalyze.ts).
   */
  readonly platformAt: number;
  readonly annotationsAt: number;
  /** Where the mediaType value (an unescaped string) starts, counted from the entry's start: its finding's range, without making its node. */
  readonly mediaTypeAt: number;
}

/** What a check may report, beyond message and location. */
export interface ReportOptions {
  readonly fixes?: readonly Fix[];
  readonly severity?: Severity;
  readonly conversions?: readonly ConversionTarget[];
}

/**
 * What a document is beyond its kind, which its text cannot say: `layout-index` for the
 * index.json of an OCI image layout (entries chosen by their ref.name, read by skopeo's and
 * podman's layout transport), `referrers` for a registry's referrers response (an empty one
 * means "none").
 */
export type DocumentContext = 'layout-index' | 'referrers';

export interface RuleContext {
  readonly text: string;
  readonly root: Node;
  readonly detection: Detection;
  readonly kind: DocumentKind;
  /**
   * The descriptors this rule looks at: for a per-entry rule, those that are not plain; for a
   * rule with `crossEntry`, all of them (plain ones carry their facts in `plain`).
   */
  readonly descriptors: readonly DescriptorSite[];
  /** The registry's Content-Type, for fetched documents. */
  readonly contentType?: string;
  /** Where the document sits, when its caller knows (a layout's index.json, a referrers response). */
  readonly context?: DocumentContext;
  /**
   * A value computed once per analysis and shared by every rule that asks for it under the
   * same key (e.g. the digest problems of all descriptors), so 20,000 entries are read once.
   */
  memo<T>(key: string, compute: () => T): T;
  /** Report on a node's whole range. */
  report(node: Node, message: string, options?: ReportOptions): void;
  /** Report on an explicit range. */
  reportAt(offset: number, length: number, message: string, options?: ReportOptions): void;
}

export interface Rule {
  /** Stable kebab-case id from rules.md. */
  readonly id: string;
  readonly severity: Severity;
  readonly appliesTo: readonly DocumentKind[];
  /** One line: what the rule finds. Reused by hovers, the README and the CLI. */
  readonly description: string;
  /** Why it matters: who rejects it, or what the spec says. */
  readonly why: string;
  /** Where the rule comes from (spec section, tool). */
  readonly source: string;
  /** A link to the spec text, when there is one. */
  readonly specUrl?: string;
  /** What the quick-fix does, if there is one. */
  readonly fix?: string;
  /** Only for documents fetched from a registry. */
  readonly fetchedOnly?: boolean;
  /**
   * The rule compares entries with each other, so it must see plain descriptors too. Every
   * other rule judges one descriptor at a time and never reports on a plain one.
   */
  readonly crossEntry?: boolean;
  check(ctx: RuleContext): void;
}

/**
 * What a check that is not a rule of the table says about itself (the OCI layout checks, deep
 * inspection's checks): for `rules ID`, docs/rules.md and SARIF.
 */
export interface CheckInfo {
  /** The usual severity; some findings of the check may take another (a missing `subject` is info). */
  readonly severity: Severity;
  readonly description: string;
  readonly why: string;
  readonly source: string;
}
