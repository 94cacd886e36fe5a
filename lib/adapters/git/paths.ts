import { GitTreeError } from './errors';

/**
 * Why a tree entry name is refused, or undefined when it is fine: names that would escape the
 * destination directory or reach git's own files when written out (CVE-2014-9390 and its kin).
 */
export function unsafeName(name: string): string | undefined {
  if (name === '' || name === '.' || name === '..') return `the name ${JSON.stringify(name)}`;
  if (name.includes('/') || name.includes('\\') || name.includes('\0')) return 'a separator in a name';
  // '.git', and what case-insensitive or trailing-dot/space file systems read as '.git'.
  if (/^\.git[. ]*$/i.test(name)) return 'a .git component';
  return undefined;
}

/**
 * A path given by the repo config (an app path, a kustomize base) as components: '/'-separated,
 * relative to the repository root, '.' and empty components dropped; '..', absolute paths and
 * '.git' components refused. The root is [].
 */
export function repoPath(path: string): string[] {
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) {
    throw new GitTreeError(`${path} is absolute: paths are relative to the repository root`, 'path', path);
  }
  const parts = path.split('/').filter((part) => part !== '' && part !== '.');
  for (const part of parts) {
    const why = part === '..' ? "a '..' component" : unsafeName(part);
    if (why !== undefined) throw new GitTreeError(`${path} is refused: ${why}`, 'path', path);
  }
  return parts;
}

/** Components joined for messages and destination paths; '.' for the root. */
export function joinPath(parts: readonly string[]): string {
  return parts.length === 0 ? '.' : parts.join('/');
}
