import { parseArgs } from 'node:util';
import { syncApp } from '../../core/sync';
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
import { type AppendOutcome, keptLine, prepareSyncAudit } from '../audit-sink';
import { UsageError } from '../errors';
import { formatSync } from '../format';
import type { CliIo } from '../io';

export const SYNC_HELP = `Usage: plumbline sync PATH --app A [--kubeconfig F] [--context C] [--namespace NS]
                      [--prune] [--dry-run] [--no-force] [--concurrency N] [--wait] [--timeout 5m]
                      [--allow-empty] [--prune-adopted] [--force-prune]
                      [--allow-namespaces a,b] [--allow-cluster-scoped] [-o json]
                      [--secrets-file F] [--cluster C] [--audit-table T [--dynamodb-endpoint URL] [--region R]
                       [--kms-key KEY | --key-file F] [--audit-outbox DIR]]

Applies an app directory to a cluster with server-side apply (field manager "plumbline-<app>").
Exit 0 when every object synced (and, with --wait, became healthy), 1 when any failed, 2 on bad input.
With --audit-table, each sync appends a MAC'd record to the chain of --cluster (key: --kms-key, or
--key-file, default ~/.plumbline/audit-key.json; see 'plumbline audit --help'). The sync is refused
before any request to the cluster when the table cannot be reached. A record that cannot be appended
after the cluster changed is kept in --audit-outbox (default ~/.plumbline/audit-outbox) and appended
before the next sync to that table and cluster.

Prune safety (with --repo, plumbline.yaml's allowEmpty, pruneAdopted and pruneShare apply too):
  --allow-empty     sync a render with no object (refused by default: it would prune the whole app)
  --prune-adopted   also prune objects the app adopted (they existed before it applied them)
  --force-prune     prune even when that deletes more than the app's prune share (default 50%)
`;

/** `90s`, `5m`, `1h`, or plain seconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new UsageError(`invalid duration "${text}": use e.g. 90s, 5m, 1h`);
  const n = Number(match[1]);
  const unit = match[2] ?? 's';
  return Math.round(n * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000));
}

export async function syncCommand(args: string[], io: CliIo & { isTTY?: boolean }): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...APP_OPTIONS,
      prune: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      'no-force': { type: 'boolean' },
      wait: { type: 'boolean' },
      timeout: { type: 'string' },
      revision: { type: 'string' },
      'audit-table': { type: 'string' },
      'dynamodb-endpoint': { type: 'string' },
      region: { type: 'string' },
      'kms-key': { type: 'string' },
      'key-file': { type: 'string' },
      'audit-outbox': { type: 'string' },
      'allow-empty': { type: 'boolean' },
      'prune-adopted': { type: 'boolean' },
      'force-prune': { type: 'boolean' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    io.out(SYNC_HELP);
    return 0;
  }
  const output = outputOf(values.output, ['json']);
  const flags = values as AppFlags;
  const concurrency = concurrencyOf(flags);
  const timeoutMs = parseDuration(values.timeout ?? '5m');
  const secrets = secretsOf(flags);
  const input = await renderInput(positionals[0], flags);
  printNotes(io, input.rendered);
  const rendered = input.rendered;
  const ctx = connect(flags, input.appNamespace);
  const total = rendered.manifests.length;
  const progress = io.isTTY && total > 100 && output !== 'json';
  // A dry run changes nothing, so it leaves no record and needs no audit table.
  let audit: Awaited<ReturnType<typeof prepareSyncAudit>>;
  try {
    // Before the first request to the cluster: a sync that cannot be recorded does not start.
    audit = values['dry-run'] === true ? undefined : await prepareSyncAudit(values);
    const revision = values.revision ?? input.commit;
    const started = Date.now();
    const result = await syncApp(
      rendered.manifests,
      { cluster: ctx.cluster, inventory: ctx.inventory, ...(secrets ? { secrets } : {}) },
      {
        app: ctx.app,
        namespace: ctx.namespace,
        allow: allowListOf(flags),
        ...(revision ? { revision } : {}),
        prune: values.prune === true,
        dryRun: values['dry-run'] === true,
        force: values['no-force'] !== true,
        concurrency,
        wait: values.wait === true,
        allowEmpty: values['allow-empty'] === true || input.appSettings?.allowEmpty === true,
        pruneAdopted: values['prune-adopted'] === true || input.appSettings?.pruneAdopted === true,
        forcePrune: values['force-prune'] === true,
        ...(input.appSettings
          ? {
              pruneShare: input.appSettings.pruneShare / 100,
              ignoreDifferences: input.appSettings.ignoreDifferences,
            }
          : {}),
        ...(audit ? { contentHashKey: audit.contentHashKey } : {}),
        timeoutMs,
        ...(progress ? { onProgress: (done: number) => io.err(`\r  applied ${done}/${total}`) } : {}),
      },
    ).catch(async (err: unknown) => {
      // Every attempt ends in a record (#14): one that threw may already have changed the cluster.
      const kept = await audit?.appendError(err, {
        app: ctx.app,
        ...(revision ? { revision } : {}),
        durationMs: Date.now() - started,
        manifests: rendered.manifests,
      });
      if (kept?.keptIn) io.err(`error: audit record not appended (${kept.error}): kept in ${kept.keptIn}\n`);
      throw err;
    });
    if (progress) io.err('\n');
    const appended: AppendOutcome | undefined = await audit?.append(result);
    const auditSeq = appended?.seq;
    if (output === 'json') {
      io.out(
        `${JSON.stringify({
          app: result.app,
          revision: result.revision ?? null,
          ...(input.signer ? { signer: input.signer } : {}),
          changes: result.changes.map((c) => ({
            id: `${c.id.group}/${c.id.kind}/${c.id.namespace}/${c.id.name}`,
            subject: c.subject,
            action: c.action,
            reason: c.reason ?? null,
            ...(c.conflicts ? { conflicts: c.conflicts } : {}),
            ...(c.warnings ? { warnings: c.warnings } : {}),
            ...(c.owner ? { owner: c.owner } : {}),
            ...(c.hook ? { hook: c.hook } : {}),
          })),
          counts: result.counts,
          durationMs: result.durationMs,
          unhealthy: result.unhealthy,
          ...(auditSeq !== undefined ? { auditSeq } : {}),
          ...(appended?.flushed.length ? { auditFlushed: appended.flushed } : {}),
          ...(appended?.keptIn ? { auditKeptIn: appended.keptIn } : {}),
          ...(result.error ? { error: result.error } : {}),
        })}\n`,
      );
    } else {
      if (input.signer) io.out(`commit ${input.commit} signed by ${input.signer}\n`);
      io.out(formatSync(result, values['dry-run'] === true));
      if (appended?.flushed.length)
        io.out(`audit records ${appended.flushed.join(', ')} appended from the outbox (earlier syncs)\n`);
      if (auditSeq !== undefined)
        io.out(`audit record ${auditSeq} appended to the chain of cluster ${flags.cluster}\n`);
    }
    // After the change set: what was applied is shown even when the inventory could not be confirmed.
    if (result.error) io.err(`error: ${result.error}\n`);
    const kept = keptLine(appended);
    if (kept) {
      io.err(kept);
      return 1;
    }
    return result.ok ? 0 : 1;
  } finally {
    audit?.close();
    await ctx.http.close();
  }
}
