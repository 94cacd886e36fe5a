import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { AppLabelError, labelManifests } from '../../core/render';
import {
  APP_OPTIONS,
  type AppFlags,
  appNameOf,
  outputOf,
  printNotes,
  RENDER_OPTIONS_HELP,
  renderInput,
} from '../app-context';
import { UsageError } from '../errors';
import type { CliIo } from '../io';

export const RENDER_HELP = `Usage: plumbline render PATH [--app A] [--renderer auto|plain|kustomize|helm] [--repo-root DIR] [-o yaml|json]

Renders an app directory to the manifests a sync would apply, with Plumbline's labels
(app.kubernetes.io/managed-by: plumbline, plumbline.dev/app: A; A defaults to the directory's name),
before the default namespace is set.

${RENDER_OPTIONS_HELP}`;

export async function renderCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: APP_OPTIONS,
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    io.out(RENDER_HELP);
    return 0;
  }
  const output = outputOf(values.output, ['yaml', 'json']) ?? 'yaml';
  const flags = values as AppFlags;
  const result = (await renderInput(positionals[0], flags)).rendered;
  printNotes(io, result);
  let manifests: typeof result.manifests;
  try {
    manifests = labelManifests(result.manifests, appNameOf(positionals[0] ?? '.', flags));
  } catch (err: unknown) {
    if (!(err instanceof AppLabelError)) throw err;
    throw new UsageError(flags.app === undefined ? `${err.message}; pass --app NAME` : err.message, {
      cause: err,
    });
  }
  const objects = manifests.map((m) => m.object);
  if (output === 'json')
    io.out(`${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2)}\n`);
  else io.out(objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n'));
  return 0;
}
