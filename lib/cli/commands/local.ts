import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveLayerBinary } from '../../adapters/binaries';
import { type LocalInfo, runScenario, type SyncLine, startLocal, writeLocalInfo } from '../../local/pipeline';
import { UsageError } from '../errors';
import type { CliIo } from '../io';
import { formatRecords } from './audit';

export const LOCAL_HELP = `Usage: plumbline local [--once] [--interval SECONDS] [--cluster-kubeconfig FILE] [--config-repo DIR]

The whole pipeline on one machine, with the code the Lambdas run: DynamoDB Local (audit and state
tables), the sandbox cluster (or --cluster-kubeconfig), a git server with a repository seeded from
examples/config-repo, the webhook endpoint, the FIFO queue and the schedule. A push to the git remote
is delivered to the webhook endpoint as a signed GitHub push event, so it syncs at once. Prints the git
remote, the webhook URL and secret, the kubeconfig and the audit table, writes them to
.plumbline/local.json, then a line per delivery and per sync. Runs until interrupted (Ctrl-C), then
stops every part. Everything lives in memory and temporary folders: each run starts afresh.

Options:
  --once                     run the scripted scenario end to end and exit: 0 if every step held
  --interval SECONDS         how often the schedule checks every app for drift (default 30)
  --cluster-kubeconfig FILE  sync to this cluster (kind, k3d) instead of the sandbox
  --config-repo DIR          the folder the git repository is seeded from (default examples/config-repo)
`;

function syncLine(s: SyncLine): string {
  const c = s.counts ?? {};
  const counts = ['created', 'configured', 'unchanged', 'deleted', 'failed', 'skipped']
    .filter((k) => (c[k] ?? 0) > 0)
    .map((k) => `${c[k]} ${k}`)
    .join(', ');
  const what = s.error ? `error: ${s.error}` : `${s.status}${s.outcome ? ` (${s.outcome})` : ''}`;
  return `sync ${s.job.cluster}/${s.job.app}@${s.job.commit.slice(0, 12)} ${s.job.trigger}: ${what}${counts ? `; ${counts}` : ''}; ${(s.durationMs / 1000).toFixed(2)}s${s.auditSeq !== undefined ? `; audit seq ${s.auditSeq}` : ''}\n`;
}

/** kubectl from the PATH, else the copy extracted from the Lambda layer package (helm and kustomize use it too). */
function kubectlCommand(): string {
  const onPath = (process.env.PATH ?? '')
    .split(delimiter)
    .some((dir) => dir !== '' && existsSync(join(dir, 'kubectl')));
  if (onPath) return 'kubectl';
  try {
    return resolveLayerBinary('kubectl');
  } catch {
    return 'kubectl';
  }
}

/** Ready-to-paste commands for the printed values: clone and push, look at the cluster, read the audit trail. */
function tryLines(info: LocalInfo): string[] {
  // The README's walkthrough (Quick start), with the values filled in.
  const clone = join(tmpdir(), 'plumbline-config');
  return [
    `try:               git clone ${info.gitRemote} ${clone}   # then edit, commit and push (README: Quick start)`,
    `                   ${kubectlCommand()} --kubeconfig ${info.kubeconfig} get configmaps,deployments`,
    `                   npx plumbline audit query --cluster ${info.cluster} --table ${info.auditTable} --endpoint ${info.dynamodbEndpoint}`,
    `                   npx plumbline audit verify --cluster ${info.cluster} --table ${info.auditTable} --endpoint ${info.dynamodbEndpoint} --key-file ${info.auditKeyFile} --checkpoints ${info.auditCheckpoints}`,
  ];
}

export async function localCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      once: { type: 'boolean' },
      interval: { type: 'string' },
      'cluster-kubeconfig': { type: 'string' },
      'config-repo': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    io.out(LOCAL_HELP);
    return 0;
  }
  const interval = values.interval === undefined ? 30 : Number(values.interval);
  if (!Number.isFinite(interval) || interval < 1)
    throw new UsageError(`--interval must be a number of seconds (at least 1), got "${values.interval}"`);
  const exampleDir = resolve(values['config-repo'] ?? join('examples', 'config-repo'));
  if (!existsSync(join(exampleDir, 'plumbline.yaml')))
    throw new UsageError(
      `${exampleDir} has no plumbline.yaml; run from the repository root or pass --config-repo`,
    );
  const clusterKubeconfig = values['cluster-kubeconfig'];
  if (clusterKubeconfig !== undefined && !existsSync(clusterKubeconfig))
    throw new UsageError(`--cluster-kubeconfig ${clusterKubeconfig} does not exist`);

  const started = Date.now();
  const syncs: SyncLine[] = [];
  const session = await startLocal({
    exampleDir,
    ...(clusterKubeconfig !== undefined ? { clusterKubeconfig } : {}),
    log: (line) => io.out(`${line}\n`),
    onSync: (line) => {
      syncs.push(line);
      io.out(syncLine(line));
    },
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const { info } = session;
    writeLocalInfo(join('.plumbline', 'local.json'), info);
    io.out(
      [
        `git remote:        ${info.gitRemote}   (clone it, push to main: the push webhook syncs at once)`,
        `webhook:           POST ${info.webhookUrl}`,
        `webhook secret:    ${info.webhookSecret}`,
        `kubeconfig:        ${info.kubeconfig}`,
        `audit table:       ${info.auditTable} at ${info.dynamodbEndpoint} (cluster ${info.cluster})`,
        `audit key file:    ${info.auditKeyFile}   (random for this run: record MACs and Secret hashes)`,
        `audit checkpoints: ${info.auditCheckpoints}`,
        'written to:        .plumbline/local.json',
        ...tryLines(info),
        '',
      ].join('\n'),
    );
    if (values.once) {
      const ok = await runScenario(session, syncs, (step) =>
        io.out(`${step.ok ? 'ok  ' : 'FAIL'} ${step.name}: ${step.detail}\n`),
      );
      io.out(formatRecords(info.cluster, await session.audit.query({ cluster: info.cluster, limit: 100 })));
      io.out(`scenario ${ok ? 'passed' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
      return ok ? 0 : 1;
    }
    io.out(
      `schedule:          every ${interval}s, a drift check of every app; the first runs now. Ctrl-C stops everything.\n`,
    );
    const tick = () => {
      // A slow cluster must not pile up checks: skip a tick while the last one is still running.
      if (session.queue.size > 0) return;
      session
        .tick()
        .catch((err: unknown) => io.err(`schedule: ${err instanceof Error ? err.message : String(err)}\n`));
    };
    tick();
    timer = setInterval(tick, interval * 1000);
    await io.interrupted;
    io.out('stopping…\n');
    return 0;
  } finally {
    if (timer) clearInterval(timer);
    await session.stop();
  }
}
