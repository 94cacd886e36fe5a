import { RepoConfigError } from './errors';
import { MAX_REPO_CONFIG_BYTES, parseRepoConfig } from './parse';
import type { RepoConfig } from './schema';

/** Where a repository's files are read at a commit (the git source, in the CLI, Lambda and local mode). */
export type ReadRepoFile = (commit: string, path: string, maxBytes: number) => Promise<Buffer | undefined>;

/** plumbline.yaml at a commit, parsed; a missing file is a RepoConfigError naming the commit. */
export async function loadRepoConfig(readFile: ReadRepoFile, commit: string): Promise<RepoConfig> {
  const text = await readFile(commit, 'plumbline.yaml', MAX_REPO_CONFIG_BYTES);
  if (!text)
    throw new RepoConfigError('plumbline.yaml', [
      { path: '', message: `is missing at ${commit.slice(0, 12)}` },
    ]);
  return parseRepoConfig(text.toString('utf8'));
}
