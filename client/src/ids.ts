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
  explorerRefresh: 'manifestLens.explorer.refresh',
  explorerAddRegistry: 'manifestLens.explorer.addRegistry',
  explorerAddRepository: 'manifestLens.explorer.addRepository',
  explorerLoadMore: 'manifestLens.explorer.loadMore',
  explorerCopyReference: 'manifestLens.explorer.copyReference',
  explorerCopyDigest: 'manifestLens.explorer.copyDigest',
  explorerInspect: 'manifestLens.explorer.inspect',
  explorerCompare: 'manifestLens.explorer.compare',
  showImageMap: 'manifestLens.showImageMap',
  explorerShowImageMap: 'manifestLens.explorer.showImageMap',
  compareAsMaps: 'manifestLens.compareAsMaps',
  auditRegistry: 'manifestLens.auditRegistry',
  exportAuditSarif: 'manifestLens.exportAuditSarif',
} as const;

export { REMOTE_SCHEME, Requests, Notifications, REGISTRY_ERROR_CODE } from '../../common/protocol';
export type { SupplyChainItem, SupplyChainReport } from '../../common/protocol';
export type { CompareParams, CompareResult, CompareSide, EnvironmentParams, ExplorerGraph, ExplorerListing, ExplorerReferrers, ExplorerRegistry, ExplorerResolved, GraphNode, GraphProblem, InitializationOptions, RegistryErrorData, RemoteDocument, TagCheck, ValidateReferenceResult } from '../../common/protocol';

export const HISTORY_KEY = 'manifestLens.inspectHistory';
export const HISTORY_MAX = 20;
