export type { BranchHead, ChangedPaths, RepoConfigSource } from '../../lib/core/pipeline/repo-ports';
