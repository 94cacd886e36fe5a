import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteItemCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { generateKeyFile } from '../../../lib/adapters/audit/key-file';
import { DynamoDbAuditStore } from '../../../lib/adapters/aws/audit-dynamodb';
import { formatRecords } from '../../../lib/cli/commands/audit';
import type { AuditDraft } from '../../../lib/core/audit';
import { runCli } from '../../helpers/cli';
import { useDynamoDbLocal } from '../../helpers/dynamodb';

const db = useDynamoDbLocal();
// The default key file of every command here: records are MAC'd with it and verify reads it.
const keyDir = mkdtempSync(join(tmpdir(), 'audit-cli-key-'));
process.env.PLUMBLINE_AUDIT_KEY_FILE = join(keyDir, 'audit-key.json');
const key = generateKeyFile(process.env.PLUMBLINE_AUDIT_KEY_FILE);
const COMMIT = '0123456789abcdef0123456789abcdef01234567';

function draft(overrides: Partial<AuditDraft> = {}): AuditDraft {
  return {
    app: 'shop',
    commit: COMMIT,
    trigger: 'webhook',
    outcome: 'succeeded',
    who: {},
    ts: new Date().toISOString(),
    durationMs: 10,
    changes: [
      { id: 'apps/Deployment/shop/web', action: 'configured', contentHash: 'c'.repeat(64) },
      { id: '/ConfigMap/shop/old', action: 'deleted' },
    ],
    counts: { created: 0, configured: 1, unchanged: 3, deleted: 1, skipped: 0, failed: 0 },
    ...overrides,
  };
}

/** A table with records 1..3 for cluster prod (apps shop, blog, shop), written as the sync would. */
async function seeded(): Promise<{ table: string; args: string[] }> {
  const table = await db.newAuditTable();
  const store = new DynamoDbAuditStore({ tableName: table, client: db.client(), mac: key.mac });
  await store.append('prod', draft());
  await store.append(
    'prod',
    draft({ app: 'blog', commit: 'f'.repeat(40), outcome: 'failed', trigger: 'schedule' }),
  );
  await store.append('prod', draft({ deliveryId: 'd-3' }));
  return { table, args: ['--table', table, '--endpoint', db.endpoint()] };
}

describe('plumbline audit', () => {
  it('creates the table once with init', async () => {
    const table = `cli-init-${process.pid}`;
    const first = await runCli(['audit', 'init', '--table', table, '--endpoint', db.endpoint()]);
    expect(first).toEqual({ code: 0, stdout: `audit table ${table} created\n`, stderr: '' });
    const again = await runCli(['audit', 'init', '--table', table, '--endpoint', db.endpoint()]);
    expect(again.stdout).toBe(`audit table ${table} already exists\n`);
  });

  it('prints a table of records, newest first', async () => {
    const { args } = await seeded();
    const run = await runCli(['audit', 'query', '--cluster', 'prod', ...args]);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SEQ\s+TIME\s+APP\s+COMMIT\s+TRIGGER\s+OUTCOME\s+CHANGES$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['3', '2', '1']);
    expect(lines[2]).toMatch(
      /^2\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+blog\s+ffffffffffff\s+schedule\s+failed\s+1 configured, 1 deleted$/,
    );
  });

  it('shows whether a failed attempt is retried beside its outcome, and a stale one as stale', () => {
    const base = {
      cluster: 'prod',
      app: 'shop',
      commit: 'a'.repeat(40),
      trigger: 'webhook' as const,
      who: {},
      ts: '2026-12-07T09:00:00.000Z',
      durationMs: 1,
      changes: [],
      counts: { created: 0, configured: 0, unchanged: 0, deleted: 0, skipped: 0, failed: 0 },
      prevHash: '0'.repeat(64),
      hash: '0'.repeat(64),
    };
    const out = formatRecords('prod', [
      { ...base, seq: 2, outcome: 'stale', reason: 'behind' },
      { ...base, seq: 1, outcome: 'failed', failure: 'transient', error: 'throttled' },
    ]);
    expect(out).toMatch(/^2\s.*\swebhook\s+stale\s+no changes$/m);
    expect(out).toMatch(/^1\s.*\swebhook\s+failed \(transient\)\s+no changes$/m);
  });

  it('filters by app and commit and prints JSON with -o json', async () => {
    const { args } = await seeded();
    const byApp = await runCli([
      'audit',
      'query',
      '--cluster',
      'prod',
      '--app',
      'shop',
      '-o',
      'json',
      ...args,
    ]);
    const parsed = JSON.parse(byApp.stdout) as { cluster: string; records: { seq: number; hash: string }[] };
    expect(parsed.cluster).toBe('prod');
    expect(parsed.records.map((r) => r.seq)).toEqual([3, 1]);
    expect(parsed.records[0]?.hash).toMatch(/^[0-9a-f]{64}$/);
    const byCommit = await runCli([
      'audit',
      'query',
      '--cluster',
      'prod',
      '--commit',
      'f'.repeat(40),
      '-o',
      'json',
      ...args,
    ]);
    expect((JSON.parse(byCommit.stdout) as { records: { app: string }[] }).records.map((r) => r.app)).toEqual(
      ['blog'],
    );
    const recent = await runCli([
      'audit',
      'query',
      '--cluster',
      'prod',
      '--since',
      '1h',
      '--limit',
      '2',
      ...args,
    ]);
    expect(recent.stdout.trimEnd().split('\n')).toHaveLength(3);
    const none = await runCli(['audit', 'query', '--cluster', 'staging', ...args]);
    expect(none).toEqual({ code: 0, stdout: 'no audit records for cluster staging\n', stderr: '' });
  });

  it('verifies an intact chain with exit 0', async () => {
    const { args } = await seeded();
    const run = await runCli(['audit', 'verify', '--cluster', 'prod', ...args]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^chain of cluster prod verified: 3 records, head seq 3 hash [0-9a-f]{64}\ncheckpoints: not checked/,
    );
  });

  it('exits 1 naming the first broken seq of a tampered chain', async () => {
    const { table, args } = await seeded();
    const key = { pk: { S: 'CLUSTER#prod' }, sk: { S: 'SEQ#000000000002' } };
    const item = (await db.client().send(new GetItemCommand({ TableName: table, Key: key }))).Item!;
    await db
      .client()
      .send(new PutItemCommand({ TableName: table, Item: { ...item, outcome: { S: 'succeeded' } } }));
    const run = await runCli(['audit', 'verify', '--cluster', 'prod', ...args]);
    expect(run).toEqual({
      code: 1,
      stdout:
        "chain of cluster prod broken at seq 2: seq 2: hash does not match the record's content (the record was edited)\n",
      stderr: '',
    });
    const json = await runCli(['audit', 'verify', '--cluster', 'prod', '-o', 'json', ...args]);
    expect(JSON.parse(json.stdout)).toMatchObject({
      cluster: 'prod',
      ok: false,
      count: 1,
      broken: { seq: 2, reason: 'hash-mismatch' },
    });
  });

  it('catches a deleted last record only against an anchor', async () => {
    const { table, args } = await seeded();
    const head = JSON.parse(
      (await runCli(['audit', 'verify', '--cluster', 'prod', '-o', 'json', ...args])).stdout,
    ) as {
      head: { seq: number; hash: string };
    };
    const anchor = `${head.head.seq}:${head.head.hash}`;
    expect((await runCli(['audit', 'verify', '--cluster', 'prod', '--anchor', anchor, ...args])).code).toBe(
      0,
    );
    await db.client().send(
      new DeleteItemCommand({
        TableName: table,
        Key: { pk: { S: 'CLUSTER#prod' }, sk: { S: 'SEQ#000000000003' } },
      }),
    );
    expect((await runCli(['audit', 'verify', '--cluster', 'prod', ...args])).code).toBe(0);
    const run = await runCli(['audit', 'verify', '--cluster', 'prod', '--anchor', anchor, ...args]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      'chain of cluster prod broken at seq 3: seq 3 (the anchor) is missing: the chain ends at seq 2\n',
    );
  });

  it('reads the table name from PLUMBLINE_AUDIT_TABLE', async () => {
    const { table } = await seeded();
    process.env.PLUMBLINE_AUDIT_TABLE = table;
    try {
      const run = await runCli(['audit', 'verify', '--cluster', 'prod', '--endpoint', db.endpoint()]);
      expect(run.stdout).toMatch(/verified: 3 records/);
    } finally {
      delete process.env.PLUMBLINE_AUDIT_TABLE;
    }
  });

  it.each([
    [['audit', 'query'], 'error: --cluster C is required\n'],
    [['audit', 'query', '--cluster', 'a#b'], /^error: invalid cluster name "a#b"/],
    [['audit', 'query', '--cluster', 'prod', '--since', 'yesterday'], /^error: invalid --since "yesterday"/],
    [
      ['audit', 'query', '--cluster', 'prod', '--limit', '0'],
      /^error: --limit must be a number from 1 to 10000/,
    ],
    [
      ['audit', 'query', '--cluster', 'prod', '--commit', 'abc123'],
      /^error: --commit takes a full commit id/,
    ],
    [['audit', 'verify', '--cluster', 'prod', '--anchor', 'x'], /^error: invalid --anchor "x"/],
    [
      ['audit', 'verify', '--cluster', 'prod', '-o', 'yaml'],
      'error: -o supports table or json, got "yaml"\n',
    ],
    [['audit', 'frobnicate'], "error: unknown audit command 'frobnicate'; run 'plumbline audit --help'\n"],
    [['audit', 'query', '--bogus'], /^error: unknown flag --bogus for 'audit'/],
  ])('exits 2 on bad usage: %j', async (argv, message) => {
    const run = await runCli([...argv, '--endpoint', db.endpoint()]);
    expect(run.code).toBe(2);
    if (typeof message === 'string') expect(run.stderr).toBe(message);
    else expect(run.stderr).toMatch(message);
  });

  it('exits 2 naming a table that does not exist', async () => {
    const run = await runCli([
      'audit',
      'verify',
      '--cluster',
      'prod',
      '--table',
      'nope',
      '--endpoint',
      db.endpoint(),
    ]);
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: "error: audit table nope does not exist (create it with 'plumbline audit init')\n",
    });
  });

  it('exits 1 with one line when DynamoDB cannot be reached', async () => {
    const run = await runCli(['audit', 'verify', '--cluster', 'prod', '--endpoint', 'http://127.0.0.1:9']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: audit table plumbline-audit: Query failed: .*\n$/);
  });

  it('prints help with exit 0, and with exit 2 when no subcommand is given', async () => {
    expect((await runCli(['audit', '--help'])).code).toBe(0);
    const bare = await runCli(['audit']);
    expect(bare.code).toBe(2);
    expect(bare.stdout).toContain('plumbline audit verify --cluster C');
  });
});
