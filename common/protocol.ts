/**
 * The LSP protocol between the Manifest Lens client (client/src) and its language server
 * (server/src): custom request and notification names, their params and results, written once.
 * Both sides import this file, and nothing else crosses between them.
 *
 * Pure types and constants: no vscode, no vscode-languageserver, no Node built-ins, so it can be
 * bundled into the extension, the server and the CLI alike.
 */

/** The URI scheme of fetched, read-only documents (`oci-image:/HOST/REPO/REF.json`). */
export const REMOTE_SCHEME = 'oci-image';

/** What a fetched document is: a manifest or index, a (config) blob, or a referrers list. */
export type RemoteKind = 'manifest' | 'blob' | 'referrers' | 'payload';

/** Custom request methods, client → server. */
export const Requests = {
  /** {@link ValidateReferenceParams} → {@link ValidateReferenceResult}. */
  validateReference: 'manifestLens/validateReference',
  /** {@link InspectParams} → {@link RemoteDocument}. */
  inspect: 'manifestLens/inspect',
  /** {@link OpenParams} → {@link RemoteDocument}. */
  open: 'manifestLens/open',
  /** {@link CheckTagParams} → {@link TagCheck}. */
  checkTag: 'manifestLens/checkTag',
  /** {@link CompareParams} → {@link CompareResult}. */
  compare: 'manifestLens/compare',
  /** The registry explorer: {@link ExplorerRegistriesParams} → {@link ExplorerRegistry}[]. */
  explorerRegistries: 'manifestLens/explorer/registries',
  /** {@link ExplorerRepositoriesParams} → {@link ExplorerListing}. */
  explorerRepositories: 'manifestLens/explorer/repositories',
  /** {@link ExplorerTagsParams} → {@link ExplorerListing}. */
  explorerTags: 'manifestLens/explorer/tags',
  /** {@link ExplorerGraphParams} → {@link ExplorerGraph}: the whole graph below a reference at once. */
  explorerGraph: 'manifestLens/explorer/graph',
  /** {@link ExplorerResolveParams} → {@link ExplorerResolved}: a tag's digest by HEAD only. */
  explorerResolve: 'manifestLens/explorer/resolve',
  /** {@link ExplorerLevelParams} → {@link ExplorerGraph}: one level, fetched when the user expands it. */
  explorerLevel: 'manifestLens/explorer/level',
  /** {@link ExplorerReferrersParams} → {@link ExplorerReferrers}: a manifest's referrers, when expanded. */
  explorerReferrers: 'manifestLens/explorer/referrers',
  /** Show Image Map: common/imageMap.ts's ImageMapParams → ImageMapModel. */
  imageMap: 'manifestLens/imageMap',
  /** {@link RepairPlanParams} → {@link RepairPreview}: what Repair in registry… would write (reads only). */
  repairPlan: 'manifestLens/repair/plan',
  /** {@link RepairApplyParams} → {@link RepairResult}: writes it (after the user's modal). */
  repairApply: 'manifestLens/repair/apply',
  /** {@link PushManifestParams} → {@link PushManifestResult}: Push Manifest… of an editor's text. */
  pushManifest: 'manifestLens/pushManifest',
  /** {@link AuditParams} → {@link AuditResult}: a whole registry audited; work-done progress on `workDoneToken`, cancellable. */
  audit: 'manifestLens/audit',
  /** {@link ExplorerSupplyChainParams} → {@link SupplyChainReport}: a manifest's signatures and attestations, with verdicts, when expanded. */
  explorerSupplyChain: 'manifestLens/explorer/supplyChain',
} as const;

/** Custom notifications, client → server. */
export const Notifications = {
  /** Workspace trust (credential helpers) and VS Code's http.proxy changed: {@link EnvironmentParams}. */
  environment: 'manifestLens/environment',
} as const;

/** The server's JSON-RPC error code for registry failures; `data.kind` is the RegistryError kind. */
export const REGISTRY_ERROR_CODE = -32050;

/** `data` of a {@link REGISTRY_ERROR_CODE} response error. */
export interface RegistryErrorData {
  readonly kind: string;
}

export interface ValidateReferenceParams {
  readonly text: string;
}

/** Why the text is not an image reference, or null when it is one. */
export interface ValidateReferenceResult {
  readonly message: string | null;
}

export interface InspectParams {
  readonly reference: string;
}

export interface OpenParams {
  /** A URI of the {@link REMOTE_SCHEME} scheme. */
  readonly uri: string;
}

export interface CheckTagParams {
  readonly uri: string;
}

export interface EnvironmentParams {
  readonly trusted: boolean;
  readonly proxy?: string;
}

/** The options the client starts the server with (`initializationOptions`). */
export type InitializationOptions = Partial<EnvironmentParams>;

/** Where a tag points now, compared with the digest of the document opened by it. */
export interface TagCheck {
  readonly reference: string;
  /** The digest of the document on screen. */
  readonly shown: string;
  /** The digest the tag names now. */
  readonly current: string;
  readonly moved: boolean;
  /** 'head': Docker-Content-Digest of a HEAD request; 'get': the sha256 of the fetched bytes. */
  readonly via: 'head' | 'get';
  readonly requests: number;
  /** When moved: the URI that opens the manifest the tag names now. */
  readonly currentUri?: string;
}

/** What the client shows for a fetched document. */
export interface RemoteDocument {
  readonly uri: string;
  readonly rawUri: string;
  readonly text: string;
  readonly raw: boolean;
  readonly reference: string;
  readonly kind: RemoteKind;
  readonly contentType?: string;
  readonly digest: string;
  readonly verified: string;
  readonly size: number;
  readonly requests: number;
  readonly warnings: readonly string[];
  /** True when the view is indented and so differs from the served bytes. */
  readonly prettyPrinted: boolean;
}

/**
 * One side of a comparison: a fetched document's URI, an image reference to fetch, or the text
 * of a local document (with the name to show for it).
 */
export interface CompareSide {
  readonly uri?: string;
  readonly reference?: string;
  readonly text?: string;
  readonly label?: string;
}

export interface CompareParams {
  readonly left: CompareSide;
  readonly right: CompareSide;
}

/** One difference in words (`kind`: media-type, layer-added, layer-removed, layer-changed, config, entry-…). */
export interface CompareChange {
  readonly kind: string;
  readonly text: string;
}

/** What the server answers to a comparison: the two documents to show side by side and what changed. */
export interface CompareResult {
  /** The fetched documents (absent for a side given as text). */
  readonly left?: RemoteDocument;
  readonly right?: RemoteDocument;
  readonly leftLabel: string;
  readonly rightLabel: string;
  /** The same JSON value. */
  readonly same: boolean;
  readonly sameBytes: boolean;
  readonly changes: readonly CompareChange[];
  /** Where config changes could not be compared, why. */
  readonly notes: readonly string[];
}

/** A problem of a graph node, by rule id (deep inspection, `tree`, the explorer). */
export interface GraphProblem {
  readonly ruleId: string;
  readonly severity: 'error' | 'warning' | 'info' | 'hint';
  readonly message: string;
  /** 1-based line:column in the node's own document, for lint findings. */
  readonly line?: number;
  readonly column?: number;
}

export type GraphNodeKind = 'index' | 'manifest' | 'config' | 'layer' | 'referrer' | 'unknown';

/** One node of an image graph. Sizes are bytes. */
export interface GraphNode {
  readonly kind: GraphNodeKind;
  readonly digest: string;
  readonly mediaType?: string;
  /** The size the pointing descriptor gives (for the root: the size served). */
  readonly size?: number;
  /** What it is to its parent: `linux/amd64`, `attestation of linux/amd64`, `config`, `layers[0]`, an artifactType. */
  readonly label: string;
  /** Its position in the parent's `manifests` or `layers` array. */
  readonly position?: number;
  readonly platform?: string;
  /** An attestation entry: the digest of the image it describes. */
  readonly attestationOf?: string;
  readonly artifactType?: string;
  /** Manifests: config + layers as compressed (descriptor sizes); indexes: the distinct blobs of all children. */
  readonly totalSize?: number;
  readonly layerCount?: number;
  readonly problems: GraphProblem[];
  readonly children: GraphNode[];
  /** The manifest's (or index's) referrers, when asked for. */
  readonly referrers?: { readonly via: 'referrers-api' | 'fallback-tag' | 'layout' | 'none'; readonly nodes: GraphNode[] };
  /** Entries past the per-index limit that were not fetched. */
  readonly notFetched?: number;
  /**
   * A repeated entry (the digest of a document met earlier in the graph): its subtree and its
   * own findings are given once, at the first node of that digest; here `children` is empty and
   * `problems` holds only this entry's cross-checks (size, media type, platform).
   */
  readonly sameAs?: string;
  /** Explorer only: the `oci-image:` URI that opens the node read-only (manifests, indexes, configs). */
  readonly uri?: string;
  /** Explorer only: the level below was not fetched; expanding the node asks for it ({@link Requests.explorerLevel}). */
  readonly unexpanded?: boolean;
  /** Explorer only: the registry's rate-limit headers in words, when the request for this node returned them. */
  readonly rateLimit?: string;
  /** `tree`: the signatures and attestations on this manifest, each with its verdict. */
  readonly supplyChain?: SupplyChainReport;
}

export interface ExplorerRegistriesParams {
  /** Registries the user added in the explorer. */
  readonly added: readonly string[];
}

export interface ExplorerRegistry {
  readonly registry: string;
  /** Where it comes from: an auth file, or 'added'. */
  readonly source: string;
}

export interface ExplorerRepositoriesParams {
  readonly registry: string;
  /** The `next` of the previous page. */
  readonly page?: string;
}

export interface ExplorerTagsParams {
  readonly registry: string;
  readonly repository: string;
  readonly page?: string;
}

/** A page of repository or tag names. */
export interface ExplorerListing {
  readonly names: readonly string[];
  readonly next?: string;
  /** The registry's rate-limit headers, when it sends them. */
  readonly rateLimit?: string;
  /** Why there is no listing (a registry that refuses `_catalog`): say it, list what is known. */
  readonly unavailable?: string;
}

export interface ExplorerGraphParams {
  /** `registry/repository:tag` or `…@digest`. */
  readonly reference: string;
}

export interface ExplorerGraph {
  readonly reference: string;
  readonly digest: string;
  readonly uri: string;
  readonly root: GraphNode;
  /** What the graph left out (its node and problem budgets), in one sentence, when it did. */
  readonly leftOut?: string;
}

export interface ExplorerResolveParams {
  /** `registry/repository:tag`. */
  readonly reference: string;
}

/** What a HEAD of a tag tells: enough to show or copy its digest without pulling it. */
export interface ExplorerResolved {
  readonly digest?: string;
  readonly mediaType?: string;
  readonly size?: number;
  readonly rateLimit?: string;
}

/**
 * One level of the explorer: a tag (resolved by HEAD, then fetched by digest unless the server
 * holds that digest already) or a digest, with its entries checked (index) or its config and
 * layers (manifest). Nested indexes come back `unexpanded`; referrers are asked for separately.
 */
export interface ExplorerLevelParams {
  readonly registry: string;
  readonly repository: string;
  /** A tag or a digest. */
  readonly ref: string;
}

export interface ExplorerReferrersParams {
  readonly registry: string;
  readonly repository: string;
  readonly digest: string;
}

export interface ExplorerReferrers {
  readonly via: 'referrers-api' | 'fallback-tag' | 'layout' | 'none';
  readonly nodes: GraphNode[];
  readonly rateLimit?: string;
}

/** The client command a fetched document's "Repair in registry…" code action runs: arguments [uri, to]. */
export const REPAIR_COMMAND = 'manifestLens.repairInRegistry';

/** `data.kind` of the response error when a write is refused before any request: the setting or trust. */
export const WRITES_DISABLED = 'writes-disabled';

export interface RepairPlanParams {
  /** A fetched manifest or index ({@link REMOTE_SCHEME}). */
  readonly uri: string;
  readonly to: 'oci' | 'docker';
}

/** One manifest the repair writes: where it is, its digest before and after, both texts (indented). */
export interface RepairWrite {
  readonly where: string;
  readonly platform?: string;
  readonly oldDigest: string;
  readonly newDigest: string;
  readonly newMediaType: string;
  readonly oldText: string;
  readonly newText: string;
  /** The top manifest (pushed under the tag); the others go by digest, first. */
  readonly top: boolean;
}

export interface RepairPreview {
  /** `HOST/REPO:TAG` or `HOST/REPO@sha256:…`, as fetched. */
  readonly reference: string;
  readonly registry: string;
  readonly repository: string;
  /** The tag the document was opened by (undefined when by digest). */
  readonly tag?: string;
  /** The digest of the document as fetched (what an in-place move moves the tag from). */
  readonly digest: string;
  readonly to: 'oci' | 'docker';
  /** `TAG-oci` / `TAG-docker`. */
  readonly suggestedTag: string;
  /** Why nothing can be written (empty when it can). */
  readonly refusals: readonly string[];
  /** Children first, the top last; empty when there is nothing to fix. */
  readonly writes: readonly RepairWrite[];
  /** The new top digest (what apply must write, checked there). */
  readonly newDigest: string;
  /** Whether writes are allowed here (setting and workspace trust), and why not. */
  readonly writesRefused?: string;
  /** What is attached to the manifest being replaced (cosign .sig/.att tags, referrers): it names the old digest, not the new. */
  readonly attached?: readonly string[];
}

export interface RepairApplyParams {
  readonly uri: string;
  readonly to: 'oci' | 'docker';
  /** A new tag, or the document's own tag moved in place. */
  readonly mode: 'tag' | 'in-place';
  readonly tag?: string;
  /** The preview's newDigest: nothing is written if the plan would now write other bytes. */
  readonly expectDigest: string;
  /** Move an existing tag (mode 'tag'): only after the user said so. */
  readonly force?: boolean;
}

export interface RepairResult {
  /** `HOST/REPO:TAG@sha256:…`. */
  readonly reference: string;
  /** Opens the repaired top manifest, fetched again from the registry. */
  readonly uri: string;
  /** Digests written, in order (children first). */
  readonly written: readonly string[];
  /** In place: the digest the tag pointed at before. */
  readonly previousDigest?: string;
}

export interface PushManifestParams {
  /** The exact text to push (its UTF-8 bytes are the manifest). */
  readonly text: string;
  /** `HOST/REPO:TAG` or `HOST/REPO@sha256:…`. */
  readonly reference: string;
  /** 'check': lint and say what would move, write nothing; 'write': push. */
  readonly mode: 'check' | 'write';
  /** Push in spite of lint errors (the user chose "Push anyway"). */
  readonly force?: boolean;
  /**
   * A write by tag: the digest the tag pointed at when the user was asked (the check's
   * tagDigest), '' when it did not exist; the write is refused ('tag-moved') when it moved since.
   */
  readonly expectTagDigest?: string;
}

export interface PushManifestResult {
  readonly mediaType?: string;
  readonly digest: string;
  readonly size: number;
  /** Lint errors, one line each (the push is refused with them unless force). */
  readonly errors: readonly string[];
  /** Blobs or children the document names that the repository lacks (a push uploads none). */
  readonly missing: readonly string[];
  /** The digest the tag points at now (check), or undefined when the tag is new or by digest. */
  readonly tagDigest?: string;
  /** After a write: `HOST/REPO:TAG@sha256:…` and the URI that opens it from the registry. */
  readonly reference?: string;
  readonly uri?: string;
  readonly writesRefused?: string;
}

export interface AuditParams {
  /** `REGISTRY` or `REGISTRY/PREFIX`, as `manifest-lens audit` takes it. */
  readonly registry: string;
  /** Only the repositories under this prefix (instead of one in `registry`). */
  readonly prefix?: string;
  /** Requests in flight at once (default 8). */
  readonly concurrency?: number;
  /** LSP work-done progress: `begin`, then `report` as repositories are done (`message`: done/total), `end`. */
  readonly workDoneToken?: string | number;
}

/** One finding of an audit, as a diagnostic on the fetched document it is in. */
export interface AuditDiagnostic {
  /** The raw `oci-image:` URI of the document (a tagged digest, or a child below it). */
  readonly uri: string;
  /** 0-based, in the served bytes; the first line when the finding has no place. */
  readonly range: { readonly start: { readonly line: number; readonly character: number }; readonly end: { readonly line: number; readonly character: number } };
  readonly severity: 'error' | 'warning' | 'info' | 'hint';
  /** The rule id; `href` its entry in docs/rules.md. */
  readonly code: string;
  readonly href: string;
  readonly message: string;
  readonly repository: string;
  readonly tags: readonly string[];
  /** The tagged digest the document is (or is below). */
  readonly digest: string;
}

export interface AuditResult {
  readonly registry: string;
  readonly prefix?: string;
  readonly totals: {
    readonly repositories: number;
    readonly failedRepositories: number;
    readonly tags: number;
    readonly failedTags: number;
    readonly manifests: number;
    readonly findings: number;
    readonly bySeverity: Readonly<Record<'error' | 'warning' | 'info' | 'hint', number>>;
  };
  /** Repositories whose tag list could not be had, and why (registry text: show it as text). */
  readonly failedRepositories: readonly { readonly repository: string; readonly error: string }[];
  /** Sorted by repository, tag, digest. */
  readonly diagnostics: readonly AuditDiagnostic[];
  /** What `manifest-lens audit --format sarif` writes for the same registry, byte for byte. */
  readonly sarif: string;
  readonly requests: number;
  readonly seconds: number;
  readonly rateLimit?: string;
}

/** A manifest's signatures and attestations ({@link Requests.explorerSupplyChain}). */
export interface ExplorerSupplyChainParams {
  readonly registry: string;
  readonly repository: string;
  readonly digest: string;
  /** The index that lists it: its BuildKit attestation manifests for this digest are read too. */
  readonly index?: string;
}

/** One signature or attestation attached to a manifest, decoded, with its verdict. */
export interface SupplyChainItem {
  /** classify.ts's AttachmentKind: cosign-signature, sigstore-bundle, notation-signature, in-toto-attestation, sbom, … */
  readonly kind: string;
  /** The kind in words: `cosign signature`, `notation signature`, `buildx attestation manifest`. */
  readonly label: string;
  /** Where it was found: `tag sha256-….sig layer 0`, `referrer sha256:… layer 0`, `attestation manifest sha256:… layer 1`. */
  readonly where: string;
  readonly predicateType?: string;
  /** Key id or fingerprint, or the certificate's subject/SAN and OIDC issuer, in words. */
  readonly signer?: string;
  readonly signedAt?: { readonly time: string; readonly source: 'rekor' | 'tsa' | 'signer-claim' };
  readonly logIndex?: string;
  /** `SLSA provenance: builder …, source …@…`, `SPDX: 12 packages, top-level …`. */
  readonly summary?: string;
  /** Signatures only: one verdict (supplychain/verdict.ts); absent for what has no signature of its own. */
  readonly verdict?: { readonly kind: 'verified' | 'valid-no-tlog' | 'cannot-verify-offline' | 'invalid' | 'not-verified'; readonly text: string; readonly reason?: string; readonly by?: string; readonly notes: readonly string[] };
  /** The attached manifest and the layer's position in it (what opens its decoded payload). */
  readonly manifest?: string;
  readonly layer?: number;
  /** Editor only: the `oci-image:` URI that opens the decoded payload, read-only. */
  readonly uri?: string;
}

/** What is attached to one manifest, and what the trust given says of it. */
export interface SupplyChainReport {
  readonly subject: string;
  readonly items: readonly SupplyChainItem[];
  /** What could not be read, one line each. */
  readonly problems: readonly string[];
  /** The trust it was checked against, in words (`key a.pub`, `no trust configured`, `untrusted workspace: …`). */
  readonly trust: string;
}
