import type { RepoConfig } from '../repo-config';

/**
 * plumbline.yaml of a repository at a commit. The git adapter (lib/adapters/git) implements it in
 * production; tests pass an in-memory one.
 */
export interface RepoConfigSource {
  load(repoUrl: string, commit: string): Promise<RepoConfig>;
}

/** The paths changed between two commits, for pushes whose payload does not list them. */
export type ChangedPaths = (repoUrl: string, before: string, after: string) => Promise<string[]>;

/** The commit a branch points at now (the schedule checks every app at its branch head). */
export type BranchHead = (repoUrl: string, branch: string) => Promise<string>;
