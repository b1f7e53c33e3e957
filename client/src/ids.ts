/** Command and setting names in one place; the protocol with the server is common/protocol.ts. */
export const CommandIds = {
  inspectRemoteImage: 'manifestLens.inspectRemoteImage',
  openRemote: 'manifestLens.openRemote',
  showRaw: 'manifestLens.showRaw',
  copyDigest: 'manifestLens.copyDigest',
  checkTag: 'manifestLens.checkTag',
  showOutput: 'manifestLens.showOutput',
  clearHistory: 'manifestLens.clearInspectHistory',
  compareWith: 'manifestLens.compareWith',
} as const;

export { REMOTE_SCHEME, Requests, Notifications, REGISTRY_ERROR_CODE } from '../../common/protocol';
export type { CompareParams, CompareResult, CompareSide, EnvironmentParams, InitializationOptions, RegistryErrorData, RemoteDocument, TagCheck, ValidateReferenceResult } from '../../common/protocol';

export const HISTORY_KEY = 'manifestLens.inspectHistory';
export const HISTORY_MAX = 20;
