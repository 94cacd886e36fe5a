import { UnknownAppError } from './errors';
import { REPO_CONFIG_FILE } from './parse';
import type { RepoApp, RepoConfig } from './schema';

/** The apps that target `cluster`, in file order. */
export function appsForCluster(config: RepoConfig, cluster: string): RepoApp[] {
  return config.apps.filter((app) => app.cluster === cluster);
}

/** The app named `name`; throws UnknownAppError (one line, listing the known apps) when there is none. */
export function findApp(config: RepoConfig, name: string, file = REPO_CONFIG_FILE): RepoApp {
  const app = config.apps.find((candidate) => candidate.name === name);
  if (!app)
    throw new UnknownAppError(
      file,
      name,
      config.apps.map((candidate) => candidate.name),
    );
  return app;
}
