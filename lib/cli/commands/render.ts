import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { APP_OPTIONS, type AppFlags, outputOf, renderPath } from '../app-context';
import type { CliIo } from '../io';

export const RENDER_HELP = `Usage: plumbline render PATH [--renderer plain] [--repo-root DIR] [-o yaml|json]

Renders an app directory to the manifests a sync would apply (before namespaces and labels are set).
`;

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
  const result = await renderPath(positionals[0], values as AppFlags);
  const objects = result.manifests.map((m) => m.object);
  if (output === 'json')
    io.out(`${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2)}\n`);
  else io.out(objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n'));
  return 0;
}
