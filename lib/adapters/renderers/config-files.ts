import { posix } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { RenderLimits } from '../../core/render';
import { RenderError } from './errors';
import type { RepoDir, RepoFile, RepoTree } from './repo-tree';

/**
 * Reading the configuration files a renderer binary would read (kustomization.yaml, Chart.yaml,
 * generator configs) to check them before it runs, and resolving the paths they name.
 */

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0] ?? text;
}

/** The documents of a small YAML file, alias-limited; a syntax error is a RenderError naming `where`. */
export function parseYamlDocuments(text: string, where: string, limits: RenderLimits): unknown[] {
  try {
    const docs = parseAllDocuments(text, { uniqueKeys: true, merge: true, logLevel: 'error' });
    const list = Array.isArray(docs) ? docs : [docs];
    return list.map((doc) => {
      const [error] = doc.errors;
      if (error) throw error;
      return doc.toJS({ maxAliasCount: limits.maxAliasCount });
    });
  } catch (err: unknown) {
    // Deep nesting can overflow the parser's stack: a RangeError, refused like any other error.
    throw new RenderError(`${where}: invalid YAML: ${firstLine(err)}`, { cause: err });
  }
}

/** A file's text, refused when over maxFileBytes. */
export async function readConfigFile(tree: RepoTree, file: RepoFile, limits: RenderLimits): Promise<string> {
  if (file.size > limits.maxFileBytes) {
    throw new RenderError(
      `${file.path} is ${file.size} bytes, over the ${limits.maxFileBytes}-byte limit (maxFileBytes)`,
    );
  }
  return tree.readText(file);
}

const REMOTE = [
  /^[a-z][a-z0-9+.-]*:\/\//i, // any URL: https://, http://, ssh://, file://, oci://, git://
  /^(git::|git@|ssh:|https?:)/i,
  /(^|\/)(github\.com|gitlab\.com|bitbucket\.org)[/:]/i,
  /\?/, // ?ref=, ?version= and other query strings
  /\/\//, // host//path, the repository-subdirectory separator of go-getter
];

/** Why `ref` names something remote, or undefined for a plain path. */
export function remoteReason(ref: string): string | undefined {
  return REMOTE.some((pattern) => pattern.test(ref)) ? 'is a remote reference' : undefined;
}

export type Resolved = { kind: 'file'; file: RepoFile } | { kind: 'dir'; dir: RepoDir };

/**
 * The file or directory a configuration file names, resolved from `fromDir` (repository-relative)
 * and checked: no remote references, no absolute paths, nothing leaving the repository lexically
 * or through a symbolic link, and it must exist (kustomize tries what does not exist as a remote
 * URL, so a missing path is refused too). Errors name the configuration file and the field.
 */
export async function resolveRef(
  tree: RepoTree,
  fromDir: string,
  ref: string,
  field: string,
  file: string,
): Promise<Resolved> {
  const quoted = JSON.stringify(ref);
  const refuse = (why: string): never => {
    throw new RenderError(`${file}: ${field} ${quoted} ${why}`);
  };
  if (ref === '') refuse('is empty');
  const remote = remoteReason(ref);
  if (remote) refuse(`${remote}: only paths inside the repository are allowed`);
  if (posix.isAbsolute(ref) || ref.startsWith('~') || /^[A-Za-z]:[\\/]/.test(ref)) {
    refuse('is an absolute path: only paths relative to the file are allowed');
  }
  if (ref.includes('\\') || ref.includes('\0')) refuse('contains a backslash or a NUL character');
  const path = posix.normalize(posix.join(fromDir, ref));
  if (path === '..' || path.startsWith('../')) refuse('leaves the repository');
  const found = await tree.lookup(path);
  switch (found.kind) {
    case 'file':
    case 'dir':
      return found;
    case 'missing':
      return refuse('does not exist in the repository');
    case 'leaves':
      return refuse('leaves the repository');
    case 'escapes':
      return refuse('resolves outside the repository through a symbolic link');
    case 'loop':
      return refuse('is a symbolic link loop');
    default:
      return refuse(`is ${found.what}`);
  }
}
