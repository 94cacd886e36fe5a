import { configKindReason } from '../../core/manifests/config-kinds';
import { findDuplicates, parseManifests, type SkipDocument } from '../../core/manifests/parse';
import type { RenderedManifest, Renderer, RenderInput, RenderResult } from '../../core/render';
import { RenderError } from './errors';
import { asRenderError } from './output';
import { type RepoFile, RepoTree } from './repo-tree';

const READ_CONCURRENCY = 32;

async function readAll(tree: RepoTree, files: readonly RepoFile[]): Promise<string[]> {
  const texts: string[] = new Array(files.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const i = next++;
      texts[i] = await tree.readText(files[i] as RepoFile);
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, files.length) }, worker));
  return texts;
}

/** What kubectl apply -f -R reads, by extension, in any case. */
const MANIFEST_FILE = /\.(ya?ml|json)$/i;

/**
 * An app directory of plain YAML and JSON manifests, read recursively in a fixed order,
 * within the repository and the render limits. Every failure is a one-line RenderError.
 */
export class PlainRenderer implements Renderer {
  readonly name = 'plain';

  async render(input: RenderInput): Promise<RenderResult> {
    const { limits } = input;
    const tree = await RepoTree.open(input.repoRoot);
    const app = await tree.appDir(input.appPath);
    const selected: RepoFile[] = [];
    let total = 0;
    for await (const file of tree.files(app, (name) => MANIFEST_FILE.test(name))) {
      if (file.size > limits.maxFileBytes) {
        throw new RenderError(
          `${file.path} is ${file.size} bytes, over the ${limits.maxFileBytes}-byte limit (maxFileBytes)`,
        );
      }
      total += file.size;
      if (total > limits.maxTotalBytes) {
        throw new RenderError(
          `${file.path} brings app ${app.path} to ${total} bytes, over the ${limits.maxTotalBytes}-byte limit (maxTotalBytes)`,
        );
      }
      selected.push(file);
    }
    // Reads overlap (the limits above already bound the bytes); parsing stays in file order.
    const texts = await readAll(tree, selected);
    const manifests: RenderedManifest[] = [];
    // A Set: the fast parser may give up on a file and the full one read it again.
    const notes = new Set<string>();
    const skip: SkipDocument = (value, where) => {
      const reason = configKindReason(value);
      if (reason) notes.add(`${where}: skipped ${String(value.apiVersion)} ${String(value.kind)}: ${reason}`);
      return reason !== undefined;
    };
    selected.forEach((file, i) => {
      const loaded = asRenderError(() =>
        parseManifests(texts[i] ?? '', file.path, limits, manifests.length, { skip }),
      );
      for (const manifest of loaded) manifests.push(manifest);
    });
    const files = selected.map((f) => f.path);
    asRenderError(() => findDuplicates(manifests));
    return { renderer: this.name, manifests, files, ...(notes.size > 0 ? { notes: [...notes] } : {}) };
  }
}
