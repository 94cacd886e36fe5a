import { parseArgs } from 'node:util';
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { type InventoryStore, isAppName, pruneApp } from '../../core/sync';
import { APP_OPTIONS, type AppFlags, allowListOf, concurrencyOf, connect, outputOf } from '../app-context';
import { AUDIT_KEY_OPTIONS } from '../audit-options';
import { type AppendOutcome, keptLine, prepareSyncAudit } from '../audit-sink';
import { UsageError } from '../errors';
import { formatSync } from '../format';
import type { CliIo } from '../io';

export const PRUNE_APP_HELP = `Usage: plumbline prune-app --app A [--kubeconfig F] [--context C] [--namespace NS] [--dry-run]
                          [--prune-adopted] [--allow-namespaces a,b] [--allow-cluster-scoped] [-o json]
                          [--state-table T --cluster C [--endpoint URL] [--region R]]
                          [--audit-table T --cluster C [--kms-key KEY | --key-file F] [--audit-outbox DIR]]

Deletes what the inventory of an app removed from plumbline.yaml holds, under the rules every prune
follows: nothing outside the allow-list, no adopted object (unless --prune-adopted), no namespace
holding objects outside the app's inventory. Then removes the inventory, or keeps it holding what
was kept. The inventory is the CLI's ConfigMap in --namespace, or with --state-table the Lambda
functions' DynamoDB table (of cluster --cluster). With --audit-table, the deletions are recorded in
the audit trail of --cluster as sync --audit-table records a sync (refused before any request when
it cannot be). Exit 0 when nothing failed, 1 otherwise.
`;

export async function pruneAppCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      app: APP_OPTIONS.app,
      kubeconfig: APP_OPTIONS.kubeconfig,
      context: APP_OPTIONS.context,
      namespace: APP_OPTIONS.namespace,
      'allow-namespaces': APP_OPTIONS['allow-namespaces'],
      'allow-cluster-scoped': APP_OPTIONS['allow-cluster-scoped'],
      concurrency: APP_OPTIONS.concurrency,
      output: APP_OPTIONS.output,
      help: APP_OPTIONS.help,
      'dry-run': { type: 'boolean' },
      'prune-adopted': { type: 'boolean' },
      'state-table': { type: 'string' },
      cluster: { type: 'string' },
      endpoint: { type: 'string' },
      region: { type: 'string' },
      'audit-table': { type: 'string' },
      'audit-outbox': { type: 'string' },
      'kms-key': AUDIT_KEY_OPTIONS['kms-key'],
      'key-file': AUDIT_KEY_OPTIONS['key-file'],
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    io.out(PRUNE_APP_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError('prune-app takes no PATH: the app is gone from Git');
  if (values.app !== undefined && !isAppName(values.app))
    throw new UsageError(
      `invalid app name "${values.app}": use lowercase letters, digits and '-' (at most 63)`,
    );
  const output = outputOf(values.output, ['json']);
  const flags = values as AppFlags;
  const concurrency = concurrencyOf(flags);
  const allow = allowListOf(flags);
  let table: { name: string; cluster: string; config: DynamoDBClientConfig } | undefined;
  if (values['state-table'] !== undefined) {
    if (!values.cluster)
      throw new UsageError('--state-table needs --cluster C (the inventory is kept per cluster)');
    const { clientConfig } = await import('./audit.js');
    table = { name: values['state-table'], cluster: values.cluster, config: clientConfig(values) };
  } else if (values.endpoint !== undefined && values['audit-table'] === undefined)
    throw new UsageError('--endpoint applies to --state-table and --audit-table only');
  const ctx = connect(flags);
  // Deleting an app's objects is recorded like any sync (#14); a dry run changes nothing.
  let audit: Awaited<ReturnType<typeof prepareSyncAudit>>;
  try {
    audit =
      values['dry-run'] === true
        ? undefined
        : await prepareSyncAudit({ ...values, 'dynamodb-endpoint': values.endpoint });
    let inventory: InventoryStore = ctx.inventory;
    if (table) {
      const { DynamoDbInventoryStore } = await import('../../adapters/aws/state-dynamodb.js');
      inventory = new DynamoDbInventoryStore(
        { tableName: table.name, clientConfig: table.config },
        table.cluster,
      );
    }
    const dryRun = values['dry-run'] === true;
    const started = Date.now();
    const result = await pruneApp(
      { cluster: ctx.cluster, inventory },
      {
        app: ctx.app,
        namespace: ctx.namespace,
        allow,
        dryRun,
        pruneAdopted: values['prune-adopted'] === true,
        concurrency,
      },
    );
    const appended: AppendOutcome | undefined = await audit?.append({
      ...result,
      revision: undefined,
      durationMs: Date.now() - started,
      unhealthy: [],
    });
    if (output === 'json') {
      io.out(
        `${JSON.stringify({
          app: result.app,
          changes: result.changes.map((c) => ({
            id: `${c.id.group}/${c.id.kind}/${c.id.namespace}/${c.id.name}`,
            subject: c.subject,
            action: c.action,
            reason: c.reason ?? null,
          })),
          counts: result.counts,
          inventoryRemoved: result.inventoryRemoved,
          ...(appended?.seq !== undefined ? { auditSeq: appended.seq } : {}),
        })}\n`,
      );
    } else {
      io.out(
        formatSync(
          { ...result, revision: undefined, durationMs: 0, unhealthy: [], ok: result.ok },
          dryRun,
        ).replace(/ in 0 ms\n/, '\n'),
      );
      io.out(
        result.inventoryRemoved
          ? `${dryRun ? 'would remove' : 'removed'} the inventory of app ${result.app}\n`
          : `the inventory of app ${result.app} keeps the objects not pruned\n`,
      );
    }
    if (appended?.seq !== undefined && output !== 'json')
      io.out(`audit record ${appended.seq} appended to the chain of cluster ${values.cluster}\n`);
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
