export { walkAncestry } from './ancestry';
export {
  authorizationHeader,
  type GitCredential,
  type GitCredentials,
  staticCredentials,
} from './credentials';
export { GitSourceError, type GitSourceErrorCode, GitTreeError, type GitTreeErrorCode } from './errors';
export type { HttpStats } from './http';
export { discoveryNotes } from './kustomize-refs';
export { DEFAULT_MAX_FILES, type ReadAppResult, type ReadLimits } from './materialize';
export { checkCommitSignature, loadSignatureTrust, verifierFromFiles } from './signatures';
export { type FetchResult, GitSource, type GitSourceOptions } from './source';
