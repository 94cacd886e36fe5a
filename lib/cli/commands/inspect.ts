import { parseArgs } from 'node:util';
import { detectDrift, type Inspection, inspectApp, planDiff } from '../../core/sync';
import {
  APP_OPTIONS,
  type AppFlags,
  allowListOf,
  concurrencyOf,
  connect,
  outputOf,
  printNotes,
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

/**
 * The part diff and drift share: parse the flags, render the app, read the live state with one list
 * per kind and namespace, then hand the inspection to `report`, which prints and gives the exit code.
 */
async function runInspection(
  args: string[],
  io: CliIo,
  help: string,
  extra: Record<string, { type: 'boolean' }>,
  report: (inspection: Inspection, app: string, json: boolean, values: Record<string, unknown>) => number,
): Promise<number> {
  const { values, positionals } = await inspect(args, extra);
  if (values.help) {
    io.out(help);
    return 0;
  }
  const output = outputOf(values.output, ['json']);
  const flags = values as AppFlags;
  const concurrency = concurrencyOf(flags);
  const secrets = secretsOf(flags);
  const input = await renderInput(positionals[0], flags);
  printNotes(io, input.rendered);
  const ctx = connect(flags, input.appNamespace);
  try {
    const inspection = await inspectApp(input.rendered.manifests, ctx.cluster, ctx.inventory, {
      app: ctx.app,
      namespace: ctx.namespace,
      allow: allowListOf(flags),
      concurrency,
      ...(secrets ? { secrets } : {}),
      ...(input.appSettings ? { ignoreDifferences: input.appSettings.ignoreDifferences } : {}),
    });
    return report(inspection, ctx.app, output === 'json', values);
  } finally {
    await ctx.http.close();
  }
}

export function diffCommand(args: string[], io: CliIo): Promise<number> {
  return runInspection(
    args,
    io,
    DIFF_HELP,
    { prune: { type: 'boolean' } },
    (inspection, app, json, values) => {
      const entries = planDiff(inspection, values.prune === true);
      io.out(json ? `${JSON.stringify({ app, changes: entries })}\n` : formatDiff(app, entries));
      return entries.length > 0 ? 1 : 0;
    },
  );
}

export function driftCommand(args: string[], io: CliIo): Promise<number> {
  return runInspection(args, io, DRIFT_HELP, {}, (inspection, app, json) => {
    const report = detectDrift(app, inspection);
    io.out(json ? `${JSON.stringify(report)}\n` : formatDrift(report));
    return report.drifted.length > 0 || report.orphans.length > 0 ? 1 : 0;
  });
}
