import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GenerateMacCommand, KMSClient, VerifyMacCommand } from '@aws-sdk/client-kms';
import { GetObjectCommand, ListObjectVersionsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { generateKeyFile } from '../../../lib/adapters/audit/key-file';
import { DynamoDbAuditStore } from '../../../lib/adapters/aws/audit-dynamodb';
import { encodeItem, skOf } from '../../../lib/adapters/aws/audit-item';
import { KmsAuditMac } from '../../../lib/adapters/aws/audit-kms-mac';
import {
  type AuditDraft,
  type AuditRecord,
  checkpointMacMessage,
  HmacAuditMac,
  recordMacMessage,
  sealRecord,
  verifyChain,
} from '../../../lib/core/audit';
import { runCli } from '../../helpers/cli';
import { useDynamoDbLocal } from '../../helpers/dynamodb';

const db = useDynamoDbLocal();
const dir = mkdtempSync(join(tmpdir(), 'audit-forgery-'));
const keyFile = join(dir, 'audit-key.json');
const key = generateKeyFile(keyFile);
const checkpoints = join(dir, 'checkpoints');

function draft(n: number, overrides: Partial<AuditDraft> = {}): AuditDraft {
  return {
    app: 'shop',
    commit: String(n).repeat(40).slice(0, 40),
    trigger: 'webhook',
    outcome: 'succeeded',
    who: {},
    ts: new Date(Date.UTC(2026, 11, 1, 0, n)).toISOString(),
    durationMs: 10,
    changes: [{ id: 'apps/Deployment/shop/web', action: 'configured', contentHash: 'c'.repeat(64) }],
    counts: { created: 0, configured: 1, unchanged: 0, deleted: 0, skipped: 0, failed: 0 },
    ...overrides,
  };
}

/** Four records of cluster prod, written by the sync with the record key. */
async function seeded(): Promise<{ table: string; store: DynamoDbAuditStore; args: string[] }> {
  const table = await db.newAuditTable();
  const store = new DynamoDbAuditStore({ tableName: table, client: db.client(), mac: key.mac });
  for (let n = 1; n <= 4; n++) await store.append('prod', draft(n));
  return {
    table,
    store,
    args: ['--table', table, '--endpoint', db.endpoint(), '--key-file', keyFile],
  };
}

async function records(store: DynamoDbAuditStore): Promise<AuditRecord[]> {
  const out: AuditRecord[] = [];
  for await (const r of store.scan('prod')) out.push(r);
  return out;
}

/**
 * What a writer with table access but no key does: re-seal every record from `from` on with
 * recomputed hashes (the old verify accepted this), keeping whatever MAC each position had.
 */
async function rewrite(
  table: string,
  chain: readonly AuditRecord[],
  mac?: HmacAuditMac,
): Promise<AuditRecord[]> {
  const out: AuditRecord[] = [];
  let head: { seq: number; hash: string } | undefined;
  for (const [i, r] of chain.entries()) {
    const { cluster: _c, seq: _s, prevHash: _p, hash: _h, mac: oldMac, ...content } = r;
    const sealed = sealRecord('prod', content as AuditDraft, head);
    const withMac = mac
      ? { ...sealed, mac: await mac.mac(recordMacMessage(sealed.hash)) }
      : oldMac !== undefined && i < chain.length
        ? { ...sealed, mac: oldMac }
        : sealed;
    await db.client().send(
      new PutItemCommand({
        TableName: table,
        Item: marshall(encodeItem(withMac, false), { removeUndefinedValues: true }),
      }),
    );
    out.push(withMac);
    head = { seq: sealed.seq, hash: sealed.hash };
  }
  return out;
}

async function verify(args: string[], ...extra: string[]) {
  return runCli(['audit', 'verify', '--cluster', 'prod', ...args, ...extra]);
}

describe('audit verify against a writer with table access', () => {
  it('fails after a record is inserted with recomputed hashes', async () => {
    const { table, store, args } = await seeded();
    const chain = await records(store);
    const forged = { ...chain[1]!, app: 'blog', mac: undefined } as AuditRecord;
    const rewritten = await rewrite(table, [chain[0]!, forged, ...chain.slice(1)]);
    // The hash chain alone, which verify checked before record MACs, holds.
    expect(verifyChain(rewritten).ok).toBe(true);
    const run = await verify(args);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      'chain of cluster prod broken at seq 2: seq 2 has no MAC, after records that have one (a record written without the key)\n',
    );
  });

  it('fails after a record is rewritten with recomputed hashes', async () => {
    const { table, store, args } = await seeded();
    const chain = await records(store);
    const rewritten = await rewrite(table, [
      chain[0]!,
      { ...chain[1]!, outcome: 'failed' },
      ...chain.slice(2),
    ]);
    expect(verifyChain(rewritten).ok).toBe(true);
    const run = await verify(args, '-o', 'json');
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({
      ok: false,
      count: 1,
      broken: { seq: 2, reason: 'mac-mismatch' },
    });
  });

  it('fails after a record is appended with a recomputed hash and a made-up MAC', async () => {
    const { table, store, args } = await seeded();
    const chain = await records(store);
    const head = chain.at(-1)!;
    const extra = sealRecord('prod', draft(5, { app: 'payroll' }), { seq: head.seq, hash: head.hash });
    const guessed = await new HmacAuditMac(randomBytes(32), 'attacker').mac(recordMacMessage(extra.hash));
    await db.client().send(
      new PutItemCommand({
        TableName: table,
        Item: marshall(encodeItem({ ...extra, mac: guessed }, false), { removeUndefinedValues: true }),
      }),
    );
    expect(verifyChain([...chain, extra]).ok).toBe(true);
    const run = await verify(args);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^chain of cluster prod broken at seq 5: seq 5: its MAC is not file:.*'s/);
  });

  it('fails after the newest records are deleted, back to the last checkpoint', async () => {
    const { table, args } = await seeded();
    const cp = await runCli([
      'audit',
      'checkpoint',
      '--cluster',
      'prod',
      ...args,
      '--checkpoints',
      checkpoints,
    ]);
    expect(cp).toEqual({
      code: 0,
      stdout: `checkpoint of cluster prod at seq 4 written to ${checkpoints}\n`,
      stderr: '',
    });
    const again = await runCli([
      'audit',
      'checkpoint',
      '--cluster',
      'prod',
      ...args,
      '--checkpoints',
      checkpoints,
    ]);
    expect(again.stdout).toBe(`checkpoint of cluster prod at seq 4 already in ${checkpoints}\n`);
    const ok = await verify(args, '--checkpoints', checkpoints);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^checkpoints: 1 in .*, the newest at seq 4 \(/m);
    for (const seq of [4, 3])
      await db.client().send(
        new DeleteItemCommand({
          TableName: table,
          Key: { pk: { S: 'CLUSTER#prod' }, sk: { S: skOf(seq) } },
        }),
      );
    // Without checkpoints the shortened chain is valid in itself...
    expect((await verify(args)).code).toBe(0);
    // ...against them it is not.
    const run = await verify(args, '--checkpoints', checkpoints, '-o', 'json');
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({
      ok: false,
      broken: { seq: 3, reason: 'checkpoint-missing' },
    });
  });

  it('fails when a key holder rewrites records from before the last checkpoint', async () => {
    const { table, store, args } = await seeded();
    const where = join(dir, 'cp-rewrite');
    expect(
      (await runCli(['audit', 'checkpoint', '--cluster', 'prod', ...args, '--checkpoints', where])).code,
    ).toBe(0);
    const chain = await records(store);
    // The sync role can MAC (GenerateMac): every MAC is valid, the checkpoint in write-once storage is not.
    await rewrite(table, [chain[0]!, { ...chain[1]!, outcome: 'failed' }, ...chain.slice(2)], key.mac);
    expect((await verify(args)).code).toBe(0);
    const run = await verify(args, '--checkpoints', where, '-o', 'json');
    expect(JSON.parse(run.stdout)).toMatchObject({
      ok: false,
      broken: { seq: 4, reason: 'checkpoint-mismatch' },
    });
  });

  it('fails on a checkpoint the key did not sign', async () => {
    const { args } = await seeded();
    const where = join(dir, 'cp-forged');
    expect(
      (await runCli(['audit', 'checkpoint', '--cluster', 'prod', ...args, '--checkpoints', where])).code,
    ).toBe(0);
    const other = generateKeyFile(join(dir, 'other-key.json'));
    const forgedArgs = [...args.slice(0, -1), other.path];
    // A checkpoint claiming seq 9, signed with another key: it must not count as a truncation either.
    const forged = { cluster: 'prod', seq: 9, hash: 'f'.repeat(64), time: new Date().toISOString() };
    writeFileSync(
      join(where, 'prod', `000000000009-${'f'.repeat(64)}.json`),
      JSON.stringify({ ...forged, mac: await other.mac.mac(checkpointMacMessage(forged)) }),
    );
    const run = await verify(args, '--checkpoints', where, '-o', 'json');
    expect(JSON.parse(run.stdout)).toMatchObject({
      ok: false,
      broken: { seq: 9, reason: 'checkpoint-invalid' },
    });
    // With the other key, every record's MAC fails instead.
    expect(JSON.parse((await verify(forgedArgs, '-o', 'json')).stdout)).toMatchObject({
      ok: false,
      broken: { seq: 1, reason: 'mac-mismatch' },
    });
  });

  it('reports records written before MACs as unauthenticated, and accepts them only by --accept-legacy', async () => {
    const table = await db.newAuditTable();
    const legacy = new DynamoDbAuditStore({ tableName: table, client: db.client() });
    await legacy.append('prod', draft(1));
    await legacy.append('prod', draft(2));
    const keyed = new DynamoDbAuditStore({ tableName: table, client: db.client(), mac: key.mac });
    await keyed.append('prod', draft(3));
    const args = ['--table', table, '--endpoint', db.endpoint(), '--key-file', keyFile];
    const plain = await verify(args);
    expect(plain.code).toBe(1);
    expect(plain.stdout).toMatch(
      /^chain of cluster prod broken at seq 1: seq 1 has no MAC: written before record MACs/,
    );
    const accepted = await verify(args, '--accept-legacy', '2');
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toMatch(
      /^warning: seq 1\.\.2 carry no MAC \(accepted by --accept-legacy\): they rest on the MACs after them$/m,
    );
    expect(JSON.parse((await verify(args, '--accept-legacy', '2', '-o', 'json')).stdout)).toMatchObject({
      ok: true,
      unauthenticated: { count: 2, through: 2 },
    });
    expect((await verify(args, '--accept-legacy', '1')).code).toBe(1);
    // A record without a MAC after one with a MAC is never legacy.
    await legacy.append('prod', draft(4));
    const downgrade = await verify(args, '--accept-legacy', '100', '-o', 'json');
    expect(JSON.parse(downgrade.stdout)).toMatchObject({
      ok: false,
      broken: { seq: 4, reason: 'unauthenticated' },
    });
  });
});

describe('audit verify when checkpoints are missing or no longer written', () => {
  it('fails when a record older than --max-checkpoint-age is covered by no checkpoint, and says so', async () => {
    // The seeded records were written on 2026-12-01: days older than the default 48 hours.
    const { store, args } = await seeded();
    const empty = mkdtempSync(join(dir, 'no-checkpoints-'));
    const none = await verify(args, '--checkpoints', empty);
    expect(none.code).toBe(1);
    expect(none.stdout).toMatch(
      /^chain of cluster prod broken at seq 1: seq 1 was written 2026-12-01T00:01:00\.000Z and no checkpoint in .* covers it \(there are none\)/m,
    );
    expect((await verify(args, '--checkpoints', empty, '--max-checkpoint-age', 'off')).code).toBe(0);

    const where = mkdtempSync(join(dir, 'stopped-'));
    expect(
      (await runCli(['audit', 'checkpoint', '--cluster', 'prod', ...args, '--checkpoints', where])).code,
    ).toBe(0);
    expect((await verify(args, '--checkpoints', where)).code).toBe(0);
    // Checkpointing stopped: a record written long ago is newer than the newest checkpoint.
    await store.append('prod', draft(5));
    const stopped = await verify(args, '--checkpoints', where, '-o', 'json');
    expect(JSON.parse(stopped.stdout)).toMatchObject({
      ok: false,
      broken: {
        seq: 5,
        reason: 'checkpoint-missing',
        message: expect.stringContaining('the newest is at seq 4'),
      },
    });
    expect((await verify(args, '--checkpoints', where, '--max-checkpoint-age', '3650d')).code).toBe(0);
  });

  it('passes a chain whose records are all newer than --max-checkpoint-age before its first checkpoint', async () => {
    // A new deployment: the reconcile writes the first checkpoint on its next tick.
    const table = await db.newAuditTable();
    const store = new DynamoDbAuditStore({ tableName: table, client: db.client(), mac: key.mac });
    await store.append('prod', draft(1, { ts: new Date(Date.now() - 3_600_000).toISOString() }));
    const args = ['--table', table, '--endpoint', db.endpoint(), '--key-file', keyFile];
    const empty = mkdtempSync(join(dir, 'first-'));
    const fresh = await verify(args, '--checkpoints', empty);
    expect(fresh.code).toBe(0);
    expect(fresh.stdout).toMatch(/^checkpoints: none yet in /m);
    expect((await verify(args, '--checkpoints', empty, '--max-checkpoint-age', '30m')).code).toBe(1);
  });

  it('exits 2 on a --max-checkpoint-age it cannot read', async () => {
    const { args } = await seeded();
    const run = await verify(args, '--checkpoints', checkpoints, '--max-checkpoint-age', 'soon');
    expect({ code: run.code, stderr: run.stderr }).toEqual({
      code: 2,
      stderr: 'error: invalid --max-checkpoint-age "soon": want e.g. 90m, 48h, 7d or off\n',
    });
  });
});

describe('plumbline audit keygen and the key flags', () => {
  it('writes a key file with mode 0600 and never replaces it', async () => {
    const path = join(dir, 'new', 'key.json');
    const made = await runCli(['audit', 'keygen', '--key-file', path]);
    expect(made.code).toBe(0);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const again = await runCli(['audit', 'keygen', '--key-file', path]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^error: audit key file .* exists; a key is never replaced/);
  });

  it.each([
    [['--kms-key', 'not a key'], /^error: --kms-key "not a key" is not a KMS key id/],
    [['--kms-key', 'alias/x', '--key-file', keyFile], /^error: --kms-key and --key-file exclude each other/],
    [['--key-file', join(dir, 'missing.json')], /^error: audit key file .*missing\.json not found/],
    [['--key-file', keyFile, '--accept-legacy', 'x'], /^error: invalid --accept-legacy "x"/],
    [
      ['--key-file', keyFile, '--checkpoints', join(dir, 'nope')],
      /^error: --checkpoints .*nope: no such directory/,
    ],
  ])('exits 2 on %j', async (flags, message) => {
    const run = await verify(['--endpoint', db.endpoint(), ...flags]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it('exits 2 without a key, and refuses a key file others can read', async () => {
    const saved = process.env.PLUMBLINE_AUDIT_KEY_FILE;
    process.env.PLUMBLINE_AUDIT_KEY_FILE = join(dir, 'none.json');
    try {
      const run = await verify(['--endpoint', db.endpoint()]);
      expect(run).toMatchObject({
        code: 2,
        stderr: expect.stringMatching(/^error: no audit record key: pass --kms-key/),
      });
    } finally {
      process.env.PLUMBLINE_AUDIT_KEY_FILE = saved;
    }
    const loose = join(dir, 'loose.json');
    generateKeyFile(loose);
    chmodSync(loose, 0o644);
    const run = await verify(['--endpoint', db.endpoint(), '--key-file', loose]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/is readable by others \(mode 644\): chmod 600 it/);
  });
});

describe('audit verify and checkpoint with a deployment KMS key and S3 checkpoints', () => {
  const kms = mockClient(KMSClient);
  const s3 = mockClient(S3Client);
  const KEY = 'arn:aws:kms:us-east-1:111122223333:key/0b3a3b4e-1111-2222-3333-444455556666';
  const secret = randomBytes(32);
  const objects = new Map<string, string>();
  beforeEach(() => {
    objects.clear();
    kms.on(GenerateMacCommand).callsFake((input: { Message: Uint8Array }) => ({
      Mac: createHmac('sha256', secret).update(input.Message).digest(),
    }));
    kms.on(VerifyMacCommand).callsFake((input: { Message: Uint8Array; Mac: Uint8Array }) => {
      if (Buffer.from(input.Mac).equals(createHmac('sha256', secret).update(input.Message).digest()))
        return { MacValid: true };
      throw Object.assign(new Error('invalid'), { name: 'KMSInvalidMacException' });
    });
    s3.on(PutObjectCommand).callsFake((input: { Key: string; Body: string }) => {
      objects.set(input.Key, String(input.Body));
      return {};
    });
    s3.on(ListObjectVersionsCommand).callsFake((input: { Prefix: string }) => ({
      IsTruncated: false,
      Versions: [...objects.keys()]
        .filter((k) => k.startsWith(input.Prefix))
        .map((Key) => ({ Key, VersionId: 'v1' })),
    }));
    s3.on(GetObjectCommand).callsFake((input: { Key: string }) => ({
      Body: { transformToString: async () => objects.get(input.Key) ?? '' },
    }));
  });
  afterAll(() => {
    kms.restore();
    s3.restore();
  });

  it('verifies records MAC’d in KMS against the bucket, and fails once the newest is deleted', async () => {
    const table = await db.newAuditTable();
    const mac = new KmsAuditMac({ keyId: KEY, client: new KMSClient({ region: 'us-east-1' }) });
    const store = new DynamoDbAuditStore({ tableName: table, client: db.client(), mac });
    for (let n = 1; n <= 3; n++) await store.append('prod', draft(n));
    const args = ['--table', table, '--endpoint', db.endpoint(), '--kms-key', KEY, '--region', 'us-east-1'];
    const where = ['--checkpoints', 's3://audit-checkpoints/checkpoints'];
    expect((await runCli(['audit', 'checkpoint', '--cluster', 'prod', ...args, ...where])).code).toBe(0);
    expect([...objects.keys()]).toEqual([
      expect.stringMatching(/^checkpoints\/prod\/000000000003-[0-9a-f]{64}\.json$/),
    ]);
    const ok = await verify(args, ...where);
    expect(ok.code).toBe(0);
    expect(kms).toHaveReceivedCommandWith(VerifyMacCommand, { KeyId: KEY, MacAlgorithm: 'HMAC_SHA_256' });
    await db
      .client()
      .send(
        new DeleteItemCommand({ TableName: table, Key: { pk: { S: 'CLUSTER#prod' }, sk: { S: skOf(3) } } }),
      );
    const run = await verify(args, ...where, '-o', 'json');
    expect(JSON.parse(run.stdout)).toMatchObject({
      ok: false,
      broken: { seq: 3, reason: 'checkpoint-missing' },
    });
  });
});
