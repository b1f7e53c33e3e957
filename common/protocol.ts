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
export type RemoteKind = 'manifest' | 'blob' | 'referrers';

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
