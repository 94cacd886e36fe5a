import type { RepoApp, RepoConfig } from '../repo-config/schema';

/**
 * The repository paths an app reads: its directory, its `dependsOn` paths and its helm value
 * files (repository-relative, see lib/core/render/options.ts). A change under any of them syncs it.
 */
export function inputsOf(app: RepoApp): string[] {
  const valueFiles =
    app.renderer.type === 'helm' || app.renderer.type === 'auto' ? (app.renderer.helm?.valueFiles ?? []) : [];
  return [...new Set([app.path, ...app.dependsOn, ...valueFiles])];
}

/**
 * Apps by input path, so that a changed file finds its apps by looking up itself and each of its
 * parent directories: a path-segment-aware prefix match (`apps/web` matches `apps/web/x` but not
 * `apps/webshop/x`) in O(depth) map lookups, whatever the number of apps.
 */
export class AppPathIndex {
  /** Apps whose path is the repository root: every change reaches them. */
  private readonly rootApps: number[] = [];
  private readonly byPath = new Map<string, number[]>();

  constructor(readonly apps: readonly RepoApp[]) {
    apps.forEach((app, i) => {
      for (const input of inputsOf(app)) {
        if (input === '.') this.rootApps.push(i);
        else {
          const list = this.byPath.get(input);
          if (list) list.push(i);
          else this.byPath.set(input, [i]);
        }
      }
    });
  }

  /** Indexes of the apps that read any of `paths`, in file order. */
  match(paths: Iterable<string>): number[] {
    const hit = new Uint8Array(this.apps.length);
    let any = false;
    for (const raw of paths) {
      any = true;
      const path = raw.startsWith('/') ? raw.slice(1) : raw;
      for (let end = path.length; end > 0; end = path.lastIndexOf('/', end - 1)) {
        const apps = this.byPath.get(end === path.length ? path : path.slice(0, end));
        if (apps) for (const i of apps) hit[i] = 1;
      }
    }
    if (any) for (const i of this.rootApps) hit[i] = 1;
    const out: number[] = [];
    for (let i = 0; i < hit.length; i++) if (hit[i]) out.push(i);
    return out;
  }
}

const indexes = new WeakMap<RepoConfig, AppPathIndex>();

/** The index of a parsed config, built once per config object. */
export function appPathIndex(config: RepoConfig): AppPathIndex {
  let index = indexes.get(config);
  if (!index) {
    index = new AppPathIndex(config.apps);
    indexes.set(config, index);
  }
  return index;
}
