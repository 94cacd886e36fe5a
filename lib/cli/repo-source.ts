import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChartSource } from '../adapters/charts';
import {
  checkCommitSignature,
  discoveryNotes,
  GitSource,
  staticCredentials,
  verifierFromFiles,
} from '../adapters/git';
import { rendererFor } from '../adapters/renderers';
import { inputsOf } from '../core/fanout';
import type { RenderResult } from '../core/render';
import { findApp, loadRepoConfig, type RepoApp, renderLimitsOf } from '../core/repo-config';
import { UsageError } from './errors';

export interface RepoRender {
  readonly rendered: RenderResult;
  readonly commit: string;
  readonly app: RepoApp;
  /** The verified signer's fingerprint, with --verify-signatures. */
  readonly signer?: string;
}

/**
 * `--repo URL [--ref main] --app NAME`: fetch the ref (shallow, cached, incremental), check the
 * commit's signature when asked (before anything is rendered), find the app in plumbline.yaml,
 * write only its inputs into a temporary directory and render them. The token for private
 * repositories comes from PLUMBLINE_GIT_TOKEN, never from the URL or the command line.
 */
export async function renderFromRepo(options: {
  url: string;
  ref?: string;
  app?: string;
  verifySignatures?: readonly string[];
  charts?: ChartSource;
}): Promise<RepoRender> {
  if (!options.app)
    throw new UsageError('--app NAME is required with --repo: the app is looked up in plumbline.yaml');
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new UsageError(`--repo "${options.url}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new UsageError(`--repo must be an https:// (or http://) URL, not ${url.protocol}`);
  if (url.username || url.password)
    throw new UsageError('--repo must not carry credentials; set PLUMBLINE_GIT_TOKEN');
  // Key files are read before the first request: a mistake in them is the command line's.
  const verifier =
    options.verifySignatures && options.verifySignatures.length > 0
      ? await verifierFromFiles(options.verifySignatures)
      : undefined;
  const token = process.env.PLUMBLINE_GIT_TOKEN;
  const source = new GitSource({
    url: options.url,
    credentials: staticCredentials(token ? { token } : undefined),
    ...(process.env.PLUMBLINE_CACHE_DIR ? { cacheDir: join(process.env.PLUMBLINE_CACHE_DIR, 'git') } : {}),
  });
  const { commit } = await source.fetch(options.ref ?? 'main');
  let signer: string | undefined;
  if (verifier) signer = (await checkCommitSignature(source, commit, 'head', verifier))?.fingerprint;
  const app = findApp(
    await loadRepoConfig((c, path, max) => source.readFile(c, path, max), commit),
    options.app,
  );
  const dir = await mkdtemp(join(tmpdir(), 'plumbline-repo-'));
  try {
    const [first, ...rest] = inputsOf(app);
    const limits = renderLimitsOf(app);
    const read = await source.readApp(commit, first ?? app.path, dir, limits, rest);
    const renderer = rendererFor(app.renderer, options.charts ? { charts: options.charts } : {});
    const result = await renderer.render({ repoRoot: dir, appPath: app.path, limits });
    const notes = [...discoveryNotes(read.discovered), ...(result.notes ?? [])];
    const rendered = notes.length > 0 ? { ...result, notes } : result;
    return { rendered, commit, app, ...(signer ? { signer } : {}) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
