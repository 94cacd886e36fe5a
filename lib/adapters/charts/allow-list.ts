import { ChartNotAllowedError } from './errors';

/**
 * `chartRepositories` (the deployment's allow-list) against a repository URL: scheme, host and port
 * must be equal, and the entry's path a whole-segment prefix of the repository's. So
 * `oci://registry.example.com/charts` allows `oci://registry.example.com/charts/team-a`, never
 * `oci://registry.example.com/charts-evil` nor another host. Trailing slashes do not count.
 */
export function repositoryAllowed(repository: string, allowList: readonly string[]): boolean {
  const target = split(repository);
  if (target === undefined) return false;
  return allowList.some((entry) => {
    const allowed = split(entry);
    if (allowed === undefined || allowed.origin !== target.origin) return false;
    return allowed.path === '' || target.path === allowed.path || target.path.startsWith(`${allowed.path}/`);
  });
}

/** Throws ChartNotAllowedError naming the repository (and saying how to allow it) unless it is allowed. */
export function checkAllowed(repository: string, allowList: readonly string[], what: string): void {
  if (repositoryAllowed(repository, allowList)) return;
  const how =
    allowList.length === 0
      ? 'no chart repository is allowed (set chartRepositories in the deployment config, or --chart-repositories)'
      : `allowed: ${allowList.join(', ')}`;
  throw new ChartNotAllowedError(
    repository,
    `${what}: chart repository ${repository} is not on the allow-list; ${how}`,
  );
}

function split(url: string): { origin: string; path: string } | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (!['https:', 'http:', 'oci:'].includes(parsed.protocol) || parsed.host === '') return undefined;
  if (parsed.username !== '' || parsed.password !== '') return undefined;
  // An encoded `/`, `\` or `.` is one segment here but may be decoded by the server into a path
  // outside the allowed one; a query or fragment would change what index.yaml's URL resolves to.
  if (/%(2f|5c|2e)/i.test(parsed.pathname) || parsed.search !== '' || parsed.hash !== '') return undefined;
  return {
    origin: `${parsed.protocol}//${parsed.host.toLowerCase()}`,
    path: parsed.pathname.replace(/\/+$/, ''),
  };
}
