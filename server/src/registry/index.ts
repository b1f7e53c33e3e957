/** The registry layer's public API: references, the client, credentials and typed errors. */
export { RegistryError, isRegistryError } from './errors';
export type { RegistryErrorKind, RegistryErrorEntry, RegistryErrorDetails } from './errors';
export {
  parseReference,
  validateReference,
  formatReference,
  referenceWithDigest,
  referenceWithTag,
  referrersFallbackTag,
  digestProblem,
  DOCKER_HUB_REGISTRY,
  DOCKER_HUB_API_HOST,
} from './reference';
export type { ImageReference } from './reference';
export { createRegistryClient } from './client';
export { registryErrorsOf } from './responses';
export type { Credentials, CredentialLookup } from './auth';
export type {
  RegistryClientOptions,
  FetchedManifest,
  ManifestHead,
  FetchedBlob,
  PutManifestResult,
  BlobHead,
  RegistryClient,
} from './client';
export { dockerConfigCredentials, normaliseRegistryKey } from './credentials';
export type { DockerConfigCredentialOptions } from './credentials';
export { parseChallenges } from './challenge';
export type { AuthChallenge } from './challenge';
export { isLoopbackHost } from './hosts';
export { digestOf } from './verify';
export { listTags, listRepositories, configuredRegistries, nextPageOf, PAGE_SIZE } from './listing';
export type { ListingPage } from './listing';
