import { dirname } from 'node:path';
import type { RenderLimits } from '../../core/render';
import { type LayerBinary, resolveLayerBinary } from '../binaries/layer-binaries';
import type { ChartSource } from '../charts';
import type { RepoCopy } from './repo-copy';
import { type RunOutput, runBinary, type TextRedactor } from './run-binary';

/** What the kustomize and helm renderers need from outside. */
export interface RendererDeps {
  /** kubectl's path; default the Lambda layer's, else the one extracted from the npm package. */
  readonly kubectl?: string;
  /** helm's path; default as for kubectl. */
  readonly helm?: string;
  /** Masks secret values in the stderr quoted by errors. */
  readonly redactor?: TextRedactor;
  /** Remote charts and Chart.yaml dependencies (#15): the allow-list and cache; none means none allowed. */
  readonly charts?: ChartSource;
}

/** Resolved once per process: locally, resolving hashes the whole layer zip (~70 ms a time). */
const resolved = new Map<LayerBinary, string>();

/** The binary's path: the one given, else resolved (and, locally, extracted once) on first use. */
export function binaryPath(deps: RendererDeps, name: LayerBinary): string {
  const given = deps[name];
  if (given !== undefined) return given;
  let path = resolved.get(name);
  if (path === undefined) {
    path = resolveLayerBinary(name);
    resolved.set(name, path);
  }
  return path;
}

/**
 * Runs a renderer binary on a copy (run-binary.ts: private environment, limits from `limits`),
 * with the copy's temporary paths shown as repository paths in any error.
 */
export function runOnCopy(
  request: { renderer: string; subject: string; binary: string; args: readonly string[] },
  copy: RepoCopy,
  limits: RenderLimits,
  redactor: TextRedactor | undefined,
): Promise<RunOutput> {
  return runBinary({
    ...request,
    cwd: copy.root,
    ...(limits.maxRenderMs === undefined ? {} : { timeoutMs: limits.maxRenderMs }),
    ...(limits.maxOutputBytes === undefined ? {} : { maxOutputBytes: limits.maxOutputBytes }),
    ...(redactor ? { redactor } : {}),
    replace: [
      [`${copy.root}/`, ''],
      [copy.root, '.'],
      [copy.scratch, '(inline values)'],
      [dirname(copy.root), '(render directory)'],
    ],
  });
}
