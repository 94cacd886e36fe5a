import { ManifestError } from '../../core/manifests/errors';
import { findDuplicates, parseManifests } from '../../core/manifests/parse';
import type { RenderLimits, RenderResult } from '../../core/render';
import { RenderError } from './errors';

/** Runs a core step, giving its ManifestError the adapter's error type (same message, as cause). */
export function asRenderError<T>(step: () => T): T {
  try {
    return step();
  } catch (err: unknown) {
    if (err instanceof ManifestError) throw new RenderError(err.message, { cause: err });
    throw err;
  }
}

/**
 * What a renderer binary printed, through the same loader, limits and duplicate check as plain
 * YAML (#3). `label` names the output in messages and sources: `apps/web (kustomize)`.
 */
export function resultFromOutput(
  renderer: string,
  stdout: string,
  label: string,
  limits: RenderLimits,
  files: readonly string[],
): RenderResult {
  const manifests = asRenderError(() => parseManifests(stdout, label, limits));
  asRenderError(() => findDuplicates(manifests));
  return { renderer, manifests, files: [...files] };
}
