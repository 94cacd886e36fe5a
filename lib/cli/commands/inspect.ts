import { parseArgs } from 'node:util';
import { detectDrift, inspectApp, planDiff } from '../../core/sync';
import {
  APP_OPTIONS,
  type AppFlags,
  allowListOf,
  concurrencyOf,
  connect,
  outputOf,
  renderInput,
  secretsOf,
} from '../app-context';
import { formatDiff, formatDrift } from '../format';
import type { CliIo } from '../io';

export const DIFF_HELP = `Usage: plumbline diff PATH --app A [--kubeconfig F] [--context C] [--namespace NS] [--prune] [-o json]

Shows what a sync would change, field by field (Secret values are never shown). Exit 1 when there is a diff.
`;

export const DRIFT_HELP = `Usage: plumbline drift PATH --app A [--kubeconfig F] [--context C] [--namespace NS] [-o json]

Detect-only drift check: declared fields changed live, missing objects, and orphans. Exit 1 when drift is found.
`;

async function inspect(args: string[], extra: Record<string, { type: 'boolean' }>) {
  const { values, positionals } = parseArgs({
    args,
    options: { ...APP_OPTIONS, ...extra },
    allowPositionals: true,
    strict: true,
  });
  return { values, positionals };
}

export async function diffCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = await inspect(args, { prune: { type: 'boolean' } });
  if (values.help) {
    io.out(DIFF_HELP);
    return 0;
  }
  const output = outputOf(values.output, ['json']);
  const flags = values as AppFlags;
  const concurrency = concurrencyOf(flags);
  const secrets = secretsOf(flags);
  const input = await renderInput(positionals[0], flags);
  const rendered = input.rendered;
  const ctx = connect(flags, input.appNamespace);
  try {
    const inspection = await inspectApp(rendered.manifests, ctx.cluster, ctx.inventory, {
      app: ctx.app,
      namespace: ctx.namespace,
      allow: allowListOf(flags),
      concurrency,
      ...(secrets ? { secrets } : {}),
    });
    const entries = planDiff(inspection, (values as { prune?: boolean }).prune === true);
    io.out(
      output === 'json'
        ? `${JSON.stringify({ app: ctx.app, changes: entries })}\n`
        : formatDiff(ctx.app, entries),
    );
    return entries.length > 0 ? 1 : 0;
  } finally {
    await ctx.http.close();
  }
}

export async function driftCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = await inspect(args, {});
  if (values.help) {
    io.out(DRIFT_HELP);
    return 0;
  }
  const output = outputOf(values.output, ['json']);
  const flags = values as AppFlags;
  const concurrency = concurrencyOf(flags);
  const secrets = secretsOf(flags);
  const input = await renderInput(positionals[0], flags);
  const rendered = input.rendered;
  const ctx = connect(flags, input.appNamespace);
  try {
    const inspection = await inspectApp(rendered.manifests, ctx.cluster, ctx.inventory, {
      app: ctx.app,
      namespace: ctx.namespace,
      allow: allowListOf(flags),
      concurrency,
      ...(secrets ? { secrets } : {}),
    });
    const report = detectDrift(ctx.app, inspection);
    io.out(output === 'json' ? `${JSON.stringify(report)}\n` : formatDrift(report));
    return report.drifted.length > 0 || report.orphans.length > 0 ? 1 : 0;
  } finally {
    await ctx.http.close();
  }
}
