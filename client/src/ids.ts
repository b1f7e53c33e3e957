/** Command, setting and protocol names in one place. */
export const CommandIds = {
  inspectRemoteImage: 'manifestLens.inspectRemoteImage',
  openRemote: 'manifestLens.openRemote',
  showRaw: 'manifestLens.showRaw',
  copyDigest: 'manifestLens.copyDigest',
  checkTag: 'manifestLens.checkTag',
  showOutput: 'manifestLens.showOutput',
  clearHistory: 'manifestLens.clearInspectHistory',
} as const;

export const REMOTE_SCHEME = 'oci-image';

export const Requests = {
  validateReference: 'manifestLens/validateReference',
  inspect: 'manifestLens/inspect',
  open: 'manifestLens/open',
  checkTag: 'manifestLens/checkTag',
} as const;

export const Notifications = {
  /** Workspace trust (credential helpers) and VS Code's http.proxy changed. */
  environment: 'manifestLens/environment',
} as const;

/** The server's JSON-RPC error code for registry failures. */
export const REGISTRY_ERROR_CODE = -32050;

export const HISTORY_KEY = 'manifestLens.inspectHistory';
export const HISTORY_MAX = 20;

/** What the server answers to a tag check. */
export interface TagCheck {
  readonly reference: string;
  readonly shown: string;
  readonly current: string;
  readonly moved: boolean;
  readonly via: 'head' | 'get';
  readonly requests: number;
  readonly currentUri?: string;
}

/** What the server answers for a fetched document. */
export interface RemoteDocument {
  readonly uri: string;
  readonly rawUri: string;
  readonly text: string;
  readonly raw: boolean;
  readonly reference: string;
  readonly kind: 'manifest' | 'blob' | 'referrers';
  readonly contentType?: string;
  readonly digest: string;
  readonly verified: string;
  readonly size: number;
  readonly requests: number;
  readonly warnings: readonly string[];
  readonly prettyPrinted: boolean;
}
