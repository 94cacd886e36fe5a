import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { kept } from '../../core/memo';
import type { BranchHead, ChangedPaths, RepoConfigSource } from '../../core/pipeline/repo-ports';
import type { RenderLimits } from '../../core/render';
import { loadRepoConfig, type RepoConfig } from '../../core/repo-config';
import { type GitCredential, staticCredentials } from './credentials';
import { discoveryNotes } from './kustomize-refs';
import { GitSource } from './source';

/** What a git source needs of a deployed repository (functions/shared/deployment.ts has the rest). */
export interface DeployedRepository {
  readonly url: string;
  readonly branch: string;
  /** The Secrets Manager secret holding `{"token"}` or `{"username","password"}`; absent: public. */
  readonly credentialsSecretName?: string;
  /** The git host kind: not needed to fetch, but part of every deployed repository. */
  readonly provider?: string;
}

/**
 * Git sources per repository, kept for the life of the container: the cache under
 * PLUMBLINE_CACHE_DIR (Lambda's /tmp) makes later invocations fetch incrementally.
 */
export class GitSources {
  private readonly sources = new Map<string, Promise<GitSource>>();
  private readonly credentials = new Map<string, Promise<GitCredential | undefined>>();

  constructor(
    private readonly repositories: readonly DeployedRepository[],
    private readonly secrets: SecretsManagerClient = new SecretsManagerClient({}),
    private readonly cacheDir: string = process.env.PLUMBLINE_CACHE_DIR ?? join(tmpdir(), 'plumbline-git'),
  ) {}

  source(url: string): Promise<GitSource> {
    return kept(this.sources, url, async () => {
      const credential = await this.credential(url);
      return new GitSource({ url, credentials: staticCredentials(credential), cacheDir: this.cacheDir });
    });
  }

  /** The repository's credentials secret, read once per container (git and commit statuses share it). */
  private credential(url: string): Promise<GitCredential | undefined> {
    return kept(this.credentials, url, () => this.readCredential(url));
  }

  /** The repository's credentials secret, parsed; undefined for a public repository. */
  private async readCredential(url: string): Promise<GitCredential | undefined> {
    const repo = this.repositories.find((r) => r.url === url);
    if (!repo) throw new Error(`repository ${url} is not part of this deployment`);
    if (!repo.credentialsSecretName) return undefined;
    const out = await this.secrets.send(new GetSecretValueCommand({ SecretId: repo.credentialsSecretName }));
    let parsed: unknown;
    try {
      parsed = JSON.parse(out.SecretString ?? '{}');
    } catch {
      parsed = undefined;
    }
    const p = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
    if (typeof p.token === 'string') return { token: p.token };
    if (typeof p.username === 'string' && typeof p.password === 'string')
      return { username: p.username, password: p.password };
    throw new Error(`the git credentials of ${url} must be JSON with "token" or "username" and "password"`);
  }

  /** The API token of the repository's credentials (`token`, else `password`): for commit statuses. */
  async apiToken(url: string): Promise<string> {
    const credential = await this.credential(url);
    if (!credential) throw new Error(`repository ${url} has no credentials secret for its API token`);
    return 'token' in credential ? credential.token : credential.password;
  }

  /** plumbline.yaml at a commit (fetched on demand). */
  readonly repoConfig: RepoConfigSource = {
    load: async (url: string, commit: string): Promise<RepoConfig> => {
      const source = await this.source(url);
      const branch = this.repositories.find((r) => r.url === url)?.branch ?? 'main';
      await source.ensureCommit(`refs/heads/${branch}`, commit);
      return loadRepoConfig((c, path, max) => source.readFile(c, path, max), commit);
    },
  };

  readonly changedPaths: ChangedPaths = async (url, before, after) => {
    const source = await this.source(url);
    // Through the branch: a cold cache (a new container) fetches `after` and deepens once for `before`.
    const branch = this.repositories.find((r) => r.url === url)?.branch ?? 'main';
    const paths = await source.changedPaths(before, after, `refs/heads/${branch}`);
    if (!paths) throw new Error(`cannot diff ${before.slice(0, 12)}..${after.slice(0, 12)} of ${url}`);
    return paths;
  };

  readonly branchHead: BranchHead = async (url, branch) =>
    (await this.source(url)).resolve(`refs/heads/${branch}`);

  /** The job's repository as the sync pipeline reads it. */
  async reader(url: string) {
    const source = await this.source(url);
    return {
      ensureCommit: (ref: string, commit: string) => source.ensureCommit(ref, commit),
      readFile: (commit: string, path: string, maxBytes: number) => source.readFile(commit, path, maxBytes),
      readCommit: (commit: string) => source.readCommit(commit),
      branchHead: (ref: string) => source.resolve(ref),
      ancestry: (ancestor: string, commit: string, ref: string) => source.ancestry(ancestor, commit, ref),
      materialize: async (commit: string, paths: readonly string[], limits: RenderLimits) => {
        const dir = await mkdtemp(join(tmpdir(), 'plumbline-app-'));
        const cleanup = () => rm(dir, { recursive: true, force: true });
        const [first, ...rest] = paths;
        try {
          const read = await source.readApp(commit, first ?? '.', dir, limits, rest);
          return { dir, cleanup, notes: discoveryNotes(read.discovered) };
        } catch (err: unknown) {
          await cleanup();
          throw err;
        }
      },
    };
  }
}
