// A namespace import lets esbuild drop what plumbline.yaml does not use (zod's locales and JSON
// Schema support): 370 KB less in each Lambda bundle (#7).
import * as z from 'zod';
import { type IgnoreRule, pointerProblem } from '../drift/ignore';
import { RendererConfigError } from '../render/errors';
import { parseRendererConfig, type RendererConfig } from '../render/options';
import { DEFAULT_RENDER_LIMITS, type RenderLimits } from '../render/port';
import { type Checked, checkCluster, checkDnsLabel, checkDuration, checkRepoPath } from './fields';

/** One app of plumbline.yaml, validated, with defaults applied. */
export interface RepoApp {
  /** DNS label, unique in the file; labels the app's objects (`plumbline.dev/app`). */
  readonly name: string;
  /** Repository-relative and normalized, '.' for the root. */
  readonly path: string;
  readonly cluster: string;
  /** The default namespace of the app's objects. */
  readonly namespace: string;
  /** From `renderer` (a name or `{ type, helm }`) and a sibling `helm` block; helm defaults to the app's name and namespace. */
  readonly renderer: RendererConfig;
  /** Other repository paths the app reads (kustomize bases, value files): a push touching them syncs it. */
  readonly dependsOn: readonly string[];
  /** Delete what Git no longer declares (default true). */
  readonly prune: boolean;
  /** Re-apply on drift (true) or only record and alert (false, the default). */
  readonly selfHeal: boolean;
  /** Wait for the applied objects to become healthy (default false). */
  readonly wait: boolean;
  /** Sync a render with no object (default false: refused, it would prune everything the app has). */
  readonly allowEmpty: boolean;
  /** Prune objects the app adopted, that existed before it applied them (default false). */
  readonly pruneAdopted: boolean;
  /** The largest share of the app's inventory, in percent, one sync may prune without --force-prune (default 50). */
  readonly pruneShare: number;
  /** Fields left at their live values: not drift, not a change, never applied over (Argo CD's spelling). */
  readonly ignoreDifferences: readonly IgnoreRule[];
  /** Largest file the app may read, in bytes (default 8 MiB; at most the per-app total, 50 MiB). */
  readonly maxFileBytes: number;
  /** As written (default `5m`). */
  readonly timeout: string;
  readonly timeoutSeconds: number;
}

/** plumbline.yaml at the repository root. */
export interface RepoConfig {
  readonly version: 1;
  readonly apps: readonly RepoApp[];
}

export const APP_FIELDS = [
  'name',
  'path',
  'cluster',
  'namespace',
  'renderer',
  'helm',
  'chart',
  'dependsOn',
  'prune',
  'selfHeal',
  'wait',
  'timeout',
  'allowEmpty',
  'pruneAdopted',
  'pruneShare',
  'maxFileBytes',
  'ignoreDifferences',
] as const;

const MAX_APPS = 10_000;
const MAX_DEPENDS_ON = 100;

const MAX_IGNORE_RULES = 100;
const MAX_IGNORE_FIELDS = 50;

const pointer = z.string().transform((value, ctx) => {
  const problem = pointerProblem(value);
  if (problem)
    ctx.issues.push({ code: 'custom', message: `${JSON.stringify(value)} ${problem}`, input: value });
  return value;
});

/** Argo CD's ignoreDifferences entry; its jq paths are refused by name rather than as an unknown field. */
const ignoreRuleSchema = z
  .strictObject({
    group: z.string().max(253).optional(),
    kind: z.string().min(1).max(253),
    name: z.string().min(1).max(253).optional(),
    namespace: z.string().min(1).max(63).optional(),
    jsonPointers: z.array(pointer).min(1).max(MAX_IGNORE_FIELDS).optional(),
    managedFieldsManagers: z.array(z.string().min(1).max(128)).min(1).max(MAX_IGNORE_FIELDS).optional(),
    jqPathExpressions: z.unknown().optional(),
  })
  .transform((raw, ctx): IgnoreRule => {
    if (raw.jqPathExpressions !== undefined)
      ctx.issues.push({
        code: 'custom',
        message: 'jqPathExpressions are not supported: name the fields with jsonPointers',
        input: raw.jqPathExpressions,
        path: ['jqPathExpressions'],
      });
    if (raw.jsonPointers === undefined && raw.managedFieldsManagers === undefined)
      ctx.issues.push({
        code: 'custom',
        message: 'names no field: give jsonPointers or managedFieldsManagers',
        input: raw,
      });
    const { jqPathExpressions: _jq, ...rule } = raw;
    return rule;
  });

function checked<T>(check: (value: string) => Checked<T>) {
  return z.string().transform((value, ctx): T => {
    const result = check(value);
    if (result.ok) return result.value;
    ctx.issues.push({ code: 'custom', message: result.message, input: value });
    return z.NEVER;
  });
}

const appSchema = z
  .strictObject({
    name: checked(checkDnsLabel),
    path: checked(checkRepoPath),
    cluster: checked(checkCluster),
    namespace: checked(checkDnsLabel),
    renderer: z.unknown().optional(),
    helm: z.unknown().optional(),
    chart: z.unknown().optional(),
    dependsOn: z.array(checked(checkRepoPath)).max(MAX_DEPENDS_ON).default([]),
    prune: z.boolean().default(true),
    selfHeal: z.boolean().default(false),
    wait: z.boolean().default(false),
    timeout: z.string().default('5m'),
    allowEmpty: z.boolean().default(false),
    pruneAdopted: z.boolean().default(false),
    pruneShare: z.number().int().min(1).max(100).default(50),
    ignoreDifferences: z.array(ignoreRuleSchema).max(MAX_IGNORE_RULES).default([]),
    maxFileBytes: z
      .number()
      .int()
      .min(1)
      .max(DEFAULT_RENDER_LIMITS.maxTotalBytes)
      .default(DEFAULT_RENDER_LIMITS.maxFileBytes),
  })
  .transform((raw, ctx): RepoApp => {
    const timeout = checkDuration(raw.timeout);
    if (!timeout.ok) {
      ctx.issues.push({ code: 'custom', message: timeout.message, input: raw.timeout, path: ['timeout'] });
    }
    const renderer = rendererOf(
      raw.chart === undefined ? raw.renderer : (raw.renderer ?? 'helm'),
      withChart(raw.helm, raw.chart),
      {
        releaseName: raw.name,
        namespace: raw.namespace,
      },
    );
    if (!renderer.ok) {
      // `helm.valueFiles[0] "-x" starts with '-'…` reads best as `apps[0].helm.valueFiles[0]: "-x" starts with '-'…`.
      const field = /^((?:helm|chart)\.[\w.[\]]+) (.*)$/.exec(renderer.message);
      const inside = raw.helm === undefined && raw.renderer !== undefined && typeof raw.renderer !== 'string';
      const path = field ? [inside ? `renderer.${field[1]}` : field[1]!] : ['renderer'];
      const message = field ? field[2]! : renderer.message;
      ctx.issues.push({ code: 'custom', message, input: raw.renderer, path });
    }
    if (!timeout.ok || !renderer.ok) return z.NEVER;
    return {
      name: raw.name,
      path: raw.path,
      cluster: raw.cluster,
      namespace: raw.namespace,
      renderer: renderer.value,
      dependsOn: [...new Set(raw.dependsOn)],
      prune: raw.prune,
      selfHeal: raw.selfHeal,
      wait: raw.wait,
      timeout: raw.timeout,
      timeoutSeconds: timeout.value,
      allowEmpty: raw.allowEmpty,
      pruneAdopted: raw.pruneAdopted,
      pruneShare: raw.pruneShare,
      maxFileBytes: raw.maxFileBytes,
      ignoreDifferences: raw.ignoreDifferences,
    };
  });

export const repoConfigSchema = z.strictObject({
  version: z.literal(1),
  apps: z.array(appSchema).max(MAX_APPS),
});

const WHERE = 'renderer';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A sibling `chart:` block is the helm renderer's remote chart: it travels inside the helm options. */
function withChart(helm: unknown, chart: unknown): unknown {
  if (chart === undefined) return helm;
  const base = helm === undefined ? {} : helm;
  return isRecord(base) ? { ...base, chart } : helm;
}

/**
 * `renderer: helm` with a sibling `helm:` block, or `renderer: { type: helm, helm: … }`: both reach
 * the renderers' own validation (lib/core/render/options.ts), so the CLI and plumbline.yaml refuse the same things.
 */
function rendererOf(
  renderer: unknown,
  helm: unknown,
  defaults: { releaseName: string; namespace: string },
): Checked<RendererConfig> {
  let raw: unknown = renderer ?? 'auto';
  const chart = isRecord(helm) && helm.chart !== undefined;
  if (chart && raw !== 'helm') {
    return {
      ok: false,
      message: 'an app with a chart is rendered by helm: set renderer: helm or leave it out',
    };
  }
  if (helm !== undefined) {
    if (typeof raw !== 'string') {
      return {
        ok: false,
        message: 'give helm options either in a sibling helm block or inside renderer, not both',
      };
    }
    raw = { type: raw, helm };
  }
  try {
    return { ok: true, value: parseRendererConfig(raw, WHERE, defaults) };
  } catch (err: unknown) {
    if (!(err instanceof RendererConfigError)) throw err;
    const prefix = `${WHERE}: `;
    return {
      ok: false,
      message: err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message,
    };
  }
}

/** The render limits of one app: the defaults, with its own per-file limit. */
export function renderLimitsOf(app: Pick<RepoApp, 'maxFileBytes'>): RenderLimits {
  return { ...DEFAULT_RENDER_LIMITS, maxFileBytes: app.maxFileBytes };
}
