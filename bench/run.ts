import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CliIo } from '../lib/cli/io';
import { benchAudit } from './audit';
import { benchGit } from './git';
import { benchLambda } from './lambda';
import { benchRender } from './render';
import { benchSandbox } from './sandbox';
import { benchSync } from './sync';
import { benchWebhooks } from './webhooks';

type Bench = () => Promise<Record<string, unknown>>;

const BENCHES: Record<string, Bench> = {
  sandbox: benchSandbox,
  sync: benchSync,
  render: benchRender,
  webhooks: benchWebhooks,
  audit: benchAudit,
  git: benchGit,
  lambda: benchLambda,
};

/** `plumbline bench [NAME...]`: runs benchmarks, writes bench/results/NAME.json, prints the JSON. */
export async function runBench(args: string[], io: CliIo): Promise<number> {
  const names = args.filter((a) => !a.startsWith('-'));
  const selected = names.length > 0 ? names : Object.keys(BENCHES);
  for (const name of selected) {
    if (!BENCHES[name]) {
      io.err(`error: unknown benchmark '${name}'; known: ${Object.keys(BENCHES).join(', ')}\n`);
      return 2;
    }
  }
  const dir = join(process.cwd(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  for (const name of selected) {
    const result = {
      benchmark: name,
      date: new Date().toISOString(),
      node: process.version,
      ...(await BENCHES[name]!()),
    };
    const file = join(dir, `${name}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    io.out(`${JSON.stringify(result, null, 2)}\nwritten to ${file}\n`);
  }
  return 0;
}
