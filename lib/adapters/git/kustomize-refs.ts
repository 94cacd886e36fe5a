import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { GitTreeError } from './errors';

/**
 * Outside paths one round of discovery may look up: real overlays name a handful of bases, while a
 * kustomization of a few MiB could name hundreds of thousands, each a tree walk in the Lambda.
 */
export const MAX_OUTSIDE_REFS = 100;

/** The file names kustomize reads as a directory's kustomization, in its order. */
const KUSTOMIZATION_FILES = new Set(['kustomization.yaml', 'kustomization.yml', 'Kustomization']);

/** Paths a kustomization names that the build reads: entries of these lists, and `path` fields of these. */
const PATH_LISTS = ['resources', 'bases', 'components', 'crds', 'patchesStrategicMerge', 'transformers'];
const PATH_FIELDS = ['patches', 'patchesJson6902', 'replacements'];
const GENERATORS = ['configMapGenerator', 'secretGenerator'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** The relative paths one kustomization names; URLs and inline patches are left to the renderer's checks. */
export function kustomizationPaths(doc: unknown): string[] {
  if (!isRecord(doc)) return [];
  const out: string[] = [];
  for (const field of PATH_LISTS) out.push(...strings(doc[field]));
  for (const field of PATH_FIELDS) {
    if (!Array.isArray(doc[field])) continue;
    for (const entry of doc[field])
      if (isRecord(entry) && typeof entry.path === 'string') out.push(entry.path);
  }
  for (const field of GENERATORS) {
    if (!Array.isArray(doc[field])) continue;
    for (const entry of doc[field]) {
      if (!isRecord(entry)) continue;
      // `files: [key=path]` names the file after the `=`.
      for (const file of strings(entry.files))
        out.push(file.includes('=') ? file.slice(file.indexOf('=') + 1) : file);
      out.push(...strings(entry.envs));
      if (typeof entry.env === 'string') out.push(entry.env);
    }
  }
  // Remote references (`https://…`, `github.com/…?ref=`) are refused by the renderer with its own message.
  return out.filter((p) => p !== '' && !/^[a-z][a-z0-9+.-]*:|\?|\/\/|^git@/i.test(p));
}

/**
 * Repository paths that the kustomizations among `files` (written under `dest`) name and that lie
 * outside every path in `covered`: the bases a `../base` reference needs, which the app's own path
 * and `dependsOn` do not bring. Paths that leave the repository are left to the renderer to refuse.
 */
export async function outsideKustomizeRefs(
  dest: string,
  files: readonly string[],
  covered: readonly string[],
): Promise<string[]> {
  const inside = (path: string) =>
    covered.some((root) => root === '.' || root === '' || path === root || path.startsWith(`${root}/`));
  const found = new Set<string>();
  for (const file of files) {
    if (!KUSTOMIZATION_FILES.has(posix.basename(file))) continue;
    let docs: unknown[];
    try {
      const parsed = parseAllDocuments(await readFile(join(dest, file), 'utf8'), { logLevel: 'silent' });
      docs = (Array.isArray(parsed) ? parsed : [parsed]).map((d) =>
        d.errors.length > 0 ? undefined : d.toJS({ maxAliasCount: 100 }),
      );
    } catch {
      continue; // The renderer reports a kustomization it cannot read, with its position.
    }
    for (const ref of docs.flatMap(kustomizationPaths)) {
      if (posix.isAbsolute(ref)) continue;
      const path = posix.normalize(posix.join(posix.dirname(file), ref));
      if (path === '..' || path.startsWith('../') || inside(path)) continue;
      found.add(path);
      if (found.size > MAX_OUTSIDE_REFS)
        throw new GitTreeError(
          `${file}: the app's kustomizations name more than ${MAX_OUTSIDE_REFS} paths outside the app's path; list the bases in dependsOn instead`,
          'limit',
          file,
        );
    }
  }
  return [...found].sort();
}

/** One note per discovered path, for the render output: what was read, and how to make pushes to it count. */
export function discoveryNotes(discovered: readonly string[] | undefined): string[] {
  return (discovered ?? []).map(
    (path) =>
      `read ${path} too: a kustomization of the app names it; add it to the app's dependsOn in plumbline.yaml so that a push changing it syncs the app`,
  );
}
