import { spawn } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyFile } from '../../lib/adapters/audit/key-file';
import { canonicalJson, contentHash } from '../../lib/core/audit';
import { type Sandbox, startSandbox } from '../../lib/local/sandbox';
import { copyApp } from '../helpers/app-dir';
import { runCli } from '../helpers/cli';
import { useDynamoDbLocal } from '../helpers/dynamodb';
import { finished } from '../helpers/process';

const dynamo = useDynamoDbLocal();
const home = mkdtempSync(join(tmpdir(), 'audit-sync-'));
// The default key file and outbox of every CLI run here.
process.env.PLUMBLINE_AUDIT_KEY_FILE = join(home, 'audit-key.json');
process.env.PLUMBLINE_AUDIT_OUTBOX = join(home, 'outbox');
const key = generateKeyFile(process.env.PLUMBLINE_AUDIT_KEY_FILE);

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

  const writes = (): number => {
    const stats = sandbox.stats();
    return ['create', 'update', 'patch', 'apply', 'delete', 'deletecollection'].reduce(
      (n, verb) => n + (stats.byVerb[verb] ?? 0),
      0,
    );
  };
  const syncArgs = (dir: string, table: string, endpoint = dynamo.endpoint()) => [
    'sync',
    dir,
    '--app',
    'web',
    '--kubeconfig',
    sandbox.kubeconfigPath,
    '--cluster',
    'prod',
    '--audit-table',
    table,
    '--dynamodb-endpoint',
    endpoint,
    '--region',
    'us-east-1',
  ];

  it.each([
    [
      'DynamoDB cannot be reached',
      1,
      /^error: cannot record this sync, so it was not started: audit table .*: Query failed/,
    ],
    ['the table does not exist', 2, /^error: audit table nope does not exist .*; nothing was applied\n$/],
  ])('refuses to sync, before any request to the cluster, when %s', async (what, code, message) => {
    const app = copyApp('shop');
    const args = syncArgs(
      app.dir,
      'nope',
      what.includes('reached') ? 'http://127.0.0.1:9' : dynamo.endpoint(),
    );
    sandbox.resetStats();
    const run = await runCli(args);
    expect(run.code).toBe(code);
    expect(run.stderr).toMatch(message);
    expect(sandbox.stats().total).toBe(0);
  });

  it.each([
    [['--cluster', 'prod'], []],
    [[], ['--key-file', join(home, 'absent.json')]],
  ])(
    'refuses with exit 2 and no request to the cluster without --cluster or a key: drop %j, add %j',
    async (drop, add) => {
      const table = await dynamo.newAuditTable();
      const app = copyApp('shop');
      const args = syncArgs(app.dir, table);
      const i = drop.length ? args.indexOf(drop[0]!) : -1;
      if (i >= 0) args.splice(i, 2);
      sandbox.resetStats();
      const run = await runCli([...args, ...add]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(
        /^error: (--audit-table needs --cluster C|audit key file .*absent\.json not found)/,
      );
      expect(sandbox.stats().total).toBe(0);
    },
  );

  it('keeps the record of a sync whose append failed after the cluster changed, and appends it before the next sync', async () => {
    const table = await dynamo.newAuditTable();
    const proxy = await failingProxy(dynamo.endpoint());
    const outbox = join(home, 'outbox-test');
    try {
      const app = copyApp('shop');
      app.write(
        'extra.yaml',
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: outbox-extra\ndata:\n  a: "1"\n',
      );
      const args = [...syncArgs(app.dir, table, proxy.url), '--audit-outbox', outbox];
      proxy.failPuts = true;
      sandbox.resetStats();
      const first = await runCli(args);
      expect(first.code).toBe(1);
      expect(writes()).toBeGreaterThan(0);
      expect(first.stderr).toMatch(
        /^error: audit record not appended \(.*\): kept in .*prod\.jsonl; the next sync/,
      );
      const file = join(outbox, table, 'prod.jsonl');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const kept = JSON.parse(readFileSync(file, 'utf8').trim()) as { counts: { created: number } };
      expect(kept.counts.created).toBeGreaterThan(0);

      proxy.failPuts = false;
      const second = await runCli([...args, '-o', 'json']);
      expect(second.code).toBe(0);
      expect(JSON.parse(second.stdout)).toMatchObject({ auditFlushed: [1], auditSeq: 2 });
      expect(existsSync(file)).toBe(false);
      const query = await runCli([
        'audit',
        'query',
        '--cluster',
        'prod',
        '--table',
        table,
        '--endpoint',
        dynamo.endpoint(),
        '-o',
        'json',
      ]);
      const list = (JSON.parse(query.stdout) as { records: { seq: number; counts: { created: number } }[] })
        .records;
      expect(list.map((r) => [r.seq, r.counts.created > 0])).toEqual([
        [2, false],
        [1, true],
      ]);
      const verify = await runCli([
        'audit',
        'verify',
        '--cluster',
        'prod',
        '--table',
        table,
        '--endpoint',
        dynamo.endpoint(),
      ]);
      expect(verify.code).toBe(0);
    } finally {
      await proxy.close();
    }
  });

  it('records a sync that throws after it changed the cluster, as failed, before it exits 1', async () => {
    const table = await dynamo.newAuditTable();
    const app = copyApp('widgets');
    const args = syncArgs(app.dir, table);
    args[args.indexOf('web')] = 'widgets-throw';
    // The CRD is created, then reading it back fails: the sync throws with the cluster changed.
    sandbox.faults.add({
      verb: 'get',
      path: '/customresourcedefinitions/widgets\\.example\\.com$',
      status: 403,
    });
    sandbox.resetStats();
    let run: Awaited<ReturnType<typeof runCli>>;
    try {
      run = await runCli(args);
    } finally {
      sandbox.faults.clear();
    }
    expect(run.code).toBe(1);
    expect(writes()).toBeGreaterThan(0);
    expect(run.stderr).toMatch(/^error: injected failure/m);
    const query = await runCli([
      'audit',
      'query',
      '--cluster',
      'prod',
      '--table',
      table,
      '--endpoint',
      dynamo.endpoint(),
      '-o',
      'json',
    ]);
    const records = (
      JSON.parse(query.stdout) as { records: { app: string; outcome: string; error?: string }[] }
    ).records;
    expect(records).toEqual([
      expect.objectContaining({
        app: 'widgets-throw',
        outcome: 'failed',
        error: expect.stringMatching(/injected failure/),
      }),
    ]);
  });

  it('hashes Secret values with the random key of the key file, never a constant', async () => {
    const hashes = async (env: Record<string, string>): Promise<Record<string, string | undefined>> => {
      const table = await dynamo.newAuditTable();
      const saved = { ...process.env };
      Object.assign(process.env, env);
      try {
        expect((await runCli(syncArgs(copyApp('shop').dir, table))).code).toBe(0);
      } finally {
        process.env = saved;
      }
      const query = await runCli([
        ...[
          'audit',
          'query',
          '--cluster',
          'prod',
          '--table',
          table,
          '--endpoint',
          dynamo.endpoint(),
          '-o',
          'json',
        ],
      ]);
      const [record] = (
        JSON.parse(query.stdout) as { records: { changes: { id: string; contentHash?: string }[] }[] }
      ).records;
      return Object.fromEntries(record!.changes.map((c) => [c.id, c.contentHash]));
    };
    const second = join(home, 'second-key.json');
    generateKeyFile(second);
    const a = await hashes({});
    const b = await hashes({ PLUMBLINE_AUDIT_KEY_FILE: second });
    const constant = await hashes({ PLUMBLINE_AUDIT_HMAC_KEY: 'plumbline-audit/prod' });
    const secret = '/Secret/default/shop-secret';
    expect(a[secret]).toMatch(/^[0-9a-f]{64}$/);
    // Two key files, two random keys: the Secret's hash differs, and neither is the old constant's.
    expect(new Set([a[secret], b[secret], constant[secret]]).size).toBe(3);
    // Other objects' hashes do not depend on the key: anyone can recompute them from Git.
    expect(a['/ConfigMap/default/shop-config']).toBe(b['/ConfigMap/default/shop-config']);
  });

  it('computes a Secret hash as the README recipe does by hand', () => {
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'shop-secret', namespace: 'default' },
      stringData: { password: 's3cr3t-hunter-42' },
    };
    const digest = createHmac('sha256', key.contentHashKey).update('s3cr3t-hunter-42').digest('hex');
    const byHand = createHash('sha256')
      .update(canonicalJson({ ...secret, stringData: { password: `hmac-sha256:${digest}` } }))
      .digest('hex');
    expect(contentHash(secret, key.contentHashKey)).toBe(byHand);
  });

  it('leaves no constant content-hash key in the source', () => {
    const root = join(__dirname, '..', '..');
    const files = (dir: string): string[] =>
      readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
      );
    const offenders = ['lib', 'functions', 'infra'].flatMap(files).filter((f) => {
      const text = readFileSync(join(root, f), 'utf8');
      return /plumbline-audit\/\$\{|contentHashKey:\s*['"`]|PLUMBLINE_AUDIT_HMAC_KEY\s*\?\?/.test(text);
    });
    expect(offenders).toEqual([]);
  });
});

/** DynamoDB Local behind a proxy that answers PutItem with a 500 while `failPuts` is set. */
async function failingProxy(
  target: string,
): Promise<{ url: string; failPuts: boolean; close(): Promise<void> }> {
  const upstream = new URL(target);
  const state = { failPuts: false };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (state.failPuts && String(req.headers['x-amz-target']).endsWith('.PutItem')) {
        res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(
          JSON.stringify({
            __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
            message: 'injected',
          }),
        );
        return;
      }
      const out = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          path: req.url,
          method: req.method,
          headers: req.headers,
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      out.on('error', () => res.destroy());
      out.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get failPuts() {
      return state.failPuts;
    },
    set failPuts(value: boolean) {
      state.failPuts = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
