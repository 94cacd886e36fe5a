import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Sandbox, startSandbox } from '../../lib/local/sandbox';
import { copyApp } from '../helpers/app-dir';
import { runCli } from '../helpers/cli';
import { useDynamoDbLocal } from '../helpers/dynamodb';
import { finished } from '../helpers/process';

const dynamo = useDynamoDbLocal();

function aws(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return finished(spawn('aws', args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** The README's `aws dynamodb query` commands, as printed there, with the table and endpoint of this test. */
function readmeAwsCommands(): string[][] {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## The audit trail'), readme.indexOf('## Repository config'));
  const commands = section.match(/aws dynamodb query[^`]*?(?=\naws |\n```)/g) ?? [];
  return commands.map((c) => {
    const text = c.replace(/\\\n\s*/g, ' ');
    const args: string[] = [];
    for (const m of text.matchAll(/'([^']*)'|(\S+)/g)) args.push(m[1] ?? m[2] ?? '');
    return args.slice(1); // drop "aws"
  });
}

describe('sync --audit-table and the audit trail', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ controllerDelayMs: 10 });
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  it('appends a record per sync that audit query shows and audit verify accepts, and the README queries find it', async () => {
    const table = await dynamo.newAuditTable();
    const app = copyApp('shop');
    const flags = [
      '--cluster',
      'prod',
      '--audit-table',
      table,
      '--dynamodb-endpoint',
      dynamo.endpoint(),
      '--region',
      'us-east-1',
    ];
    const first = await runCli([
      'sync',
      app.dir,
      '--app',
      'web',
      '--kubeconfig',
      sandbox.kubeconfigPath,
      ...flags,
      '--revision',
      'a'.repeat(40),
    ]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('audit record 1 appended to the chain of cluster prod');
    const second = await runCli([
      'sync',
      app.dir,
      '--app',
      'web',
      '--kubeconfig',
      sandbox.kubeconfigPath,
      ...flags,
      '-o',
      'json',
    ]);
    expect(JSON.parse(second.stdout)).toMatchObject({ auditSeq: 2 });
    const query = await runCli([
      'audit',
      'query',
      '--cluster',
      'prod',
      '--app',
      'web',
      '--table',
      table,
      '--endpoint',
      dynamo.endpoint(),
      '-o',
      'json',
    ]);
    expect(query.code).toBe(0);
    const records = JSON.parse(query.stdout) as
      | { seq: number; app: string }[]
      | { records: { seq: number; app: string }[] };
    const list = Array.isArray(records) ? records : records.records;
    expect(list.map((r) => r.seq)).toEqual([2, 1]);
    const changes = (list[0] as unknown as { changes: { id: string; contentHash?: string }[] }).changes;
    expect(changes.find((c) => c.id === '/Secret/default/shop-secret')?.contentHash).toMatch(
      /^[0-9a-f]{64}$/,
    );
    expect(
      (
        await runCli([
          'audit',
          'verify',
          '--cluster',
          'prod',
          '--table',
          table,
          '--endpoint',
          dynamo.endpoint(),
        ])
      ).code,
    ).toBe(0);

    const commands = readmeAwsCommands();
    expect(commands).toHaveLength(2);
    const env = {
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_PAGER: '',
    };
    const [byCluster, byApp] = commands.map((args) =>
      args.map((a) =>
        a.replace('plumbline-audit', table).replace('2026-11-01T00:00:00Z', '2000-01-01T00:00:00Z'),
      ),
    );
    const out1 = await aws(
      [...(byCluster ?? []), '--endpoint-url', dynamo.endpoint(), '--output', 'json'],
      env,
    );
    expect(out1.stderr).toBe('');
    expect((JSON.parse(out1.stdout) as { Items: unknown[] }).Items).toHaveLength(2);
    const out2 = await aws([...(byApp ?? []), '--endpoint-url', dynamo.endpoint(), '--output', 'json'], env);
    expect(
      (JSON.parse(out2.stdout) as { Items: { appKey: { S: string } }[] }).Items.map((i) => i.appKey.S),
    ).toEqual(['prod#web', 'prod#web']);
  });
});
