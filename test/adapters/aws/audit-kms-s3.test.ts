import { createHmac, randomBytes } from 'node:crypto';
import { GenerateMacCommand, KMSClient, VerifyMacCommand } from '@aws-sdk/client-kms';
import {
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { parseS3Url, S3CheckpointStore } from '../../../lib/adapters/aws/audit-checkpoints-s3';
import { KmsAuditMac } from '../../../lib/adapters/aws/audit-kms-mac';
import {
  checkpointHead,
  checkpointMacMessage,
  recordMacMessage,
  sealRecord,
  verifyTrail,
} from '../../../lib/core/audit';

const kms = mockClient(KMSClient);
const s3 = mockClient(S3Client);
const KEY = 'arn:aws:kms:eu-west-1:111122223333:key/0b3a3b4e-1111-2222-3333-444455556666';
const secret = randomBytes(32);

/** KMS as it behaves: HMAC inside, a wrong MAC is KMSInvalidMacException. */
function fakeKms(): void {
  kms.on(GenerateMacCommand).callsFake((input: { Message: Uint8Array }) => ({
    Mac: createHmac('sha256', secret).update(input.Message).digest(),
    MacAlgorithm: 'HMAC_SHA_256',
    KeyId: KEY,
  }));
  kms.on(VerifyMacCommand).callsFake((input: { Message: Uint8Array; Mac: Uint8Array }) => {
    // The API's length constraint on Mac (1 to 6144 bytes) is checked before the key is used.
    if (input.Mac.byteLength === 0) {
      const err = new Error("1 validation error detected: Value at 'mac' failed to satisfy constraint");
      err.name = 'ValidationException';
      throw err;
    }
    if (!Buffer.from(input.Mac).equals(createHmac('sha256', secret).update(input.Message).digest())) {
      const err = new Error('invalid mac');
      err.name = 'KMSInvalidMacException';
      throw err;
    }
    return { MacValid: true, KeyId: KEY };
  });
}

/** The part of the SDK's stream body that read() uses. */
function body(text: string) {
  return { transformToString: async () => text };
}

describe('KmsAuditMac', () => {
  afterEach(() => kms.reset());

  it('makes MACs with GenerateMac HMAC_SHA_256 and checks them with VerifyMac', async () => {
    fakeKms();
    const mac = new KmsAuditMac({ keyId: KEY, client: new KMSClient({ region: 'eu-west-1' }) });
    const message = recordMacMessage('a'.repeat(64));
    const made = await mac.mac(message);
    expect(kms).toHaveReceivedCommandWith(GenerateMacCommand, { KeyId: KEY, MacAlgorithm: 'HMAC_SHA_256' });
    expect(await mac.verify(message, made)).toBe(true);
    expect(await mac.verify(recordMacMessage('b'.repeat(64)), made)).toBe(false);
    expect(kms).toHaveReceivedCommandTimes(VerifyMacCommand, 2);
  });

  it('names the seq of a record whose MAC is not even a MAC (empty once decoded), rather than failing as KMS', async () => {
    fakeKms();
    const mac = new KmsAuditMac({ keyId: KEY, client: new KMSClient({ region: 'eu-west-1' }) });
    const draft = {
      app: 'web',
      trigger: 'manual' as const,
      outcome: 'succeeded' as const,
      who: {},
      ts: '2026-12-01T00:00:00.000Z',
      durationMs: 1,
      changes: [],
      counts: { created: 0, configured: 0, unchanged: 0, deleted: 0, skipped: 0, failed: 0 },
    };
    const first = sealRecord('prod', draft, undefined);
    const second = sealRecord('prod', draft, first);
    const records = [
      { ...first, mac: await mac.mac(recordMacMessage(first.hash)) },
      // Written by someone without the key: base64 of nothing.
      { ...second, mac: '!!!' },
    ];
    const result = await verifyTrail({
      cluster: 'prod',
      records: (async function* () {
        yield* records;
      })(),
      mac,
    });
    expect(result).toMatchObject({ ok: false, count: 1, broken: { seq: 2, reason: 'mac-mismatch' } });
  });

  it('names the key and the operation when KMS refuses', async () => {
    kms
      .on(GenerateMacCommand)
      .rejects(Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' }));
    const mac = new KmsAuditMac({ keyId: KEY, client: new KMSClient({ region: 'eu-west-1' }) });
    await expect(mac.mac(new Uint8Array([1]))).rejects.toMatchObject({
      name: 'AuditKmsError',
      message: `KMS key ${KEY}: GenerateMac failed: AccessDeniedException: not allowed`,
    });
  });
});

describe('S3CheckpointStore', () => {
  afterEach(() => {
    s3.reset();
    kms.reset();
  });

  it('parses s3://bucket/prefix', () => {
    expect(parseS3Url('s3://audit-cp/plumbline/')).toEqual({ bucket: 'audit-cp', prefix: 'plumbline' });
    expect(parseS3Url('s3://audit-cp')).toEqual({ bucket: 'audit-cp', prefix: '' });
    expect(parseS3Url('s3://A_B/x')).toBeUndefined();
  });

  it('writes a signed checkpoint of the head with If-None-Match, and reports one that exists', async () => {
    fakeKms();
    s3.on(PutObjectCommand)
      .resolvesOnce({})
      .rejectsOnce(
        new S3ServiceException({
          name: 'PreconditionFailed',
          $fault: 'client',
          $metadata: { httpStatusCode: 412 },
          message: 'At least one of the pre-conditions you specified did not hold',
        }),
      );
    const store = new S3CheckpointStore({
      bucket: 'cp',
      prefix: 'audit',
      client: new S3Client({ region: 'eu-west-1' }),
    });
    const mac = new KmsAuditMac({ keyId: KEY, client: new KMSClient({ region: 'eu-west-1' }) });
    const head = { head: async () => ({ seq: 7, hash: 'e'.repeat(64) }) };
    const now = new Date('2026-12-07T09:00:00.000Z');
    expect(await checkpointHead('prod', head, store, mac, now)).toEqual({ outcome: 'written', seq: 7 });
    expect(await checkpointHead('prod', head, store, mac, now)).toEqual({ outcome: 'unchanged', seq: 7 });
    const put = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put).toMatchObject({
      Bucket: 'cp',
      Key: `audit/prod/000000000007-${'e'.repeat(64)}.json`,
      ChecksumAlgorithm: 'SHA256',
      IfNoneMatch: '*',
    });
    const written = JSON.parse(String(put.Body)) as { mac: string; time: string };
    expect(written).toMatchObject({ cluster: 'prod', seq: 7, hash: 'e'.repeat(64), time: now.toISOString() });
    expect(
      await mac.verify(
        checkpointMacMessage({ cluster: 'prod', seq: 7, hash: 'e'.repeat(64), time: now.toISOString() }),
        written.mac,
      ),
    ).toBe(true);
  });

  it('lists every object version, so a checkpoint hidden by a delete marker still holds the chain', async () => {
    fakeKms();
    const mac = new KmsAuditMac({ keyId: KEY, client: new KMSClient({ region: 'eu-west-1' }) });
    const draft = {
      app: 'shop',
      trigger: 'webhook' as const,
      outcome: 'succeeded' as const,
      who: {},
      ts: '2026-12-07T08:00:00.000Z',
      durationMs: 1,
      changes: [],
      counts: { created: 0, configured: 0, unchanged: 0, deleted: 0, skipped: 0, failed: 0 },
    };
    const r1 = sealRecord('prod', draft, undefined);
    const r2 = sealRecord('prod', draft, r1);
    const cpBody = { cluster: 'prod', seq: 2, hash: r2.hash, time: '2026-12-07T09:00:00.000Z' };
    const cpMac = await mac.mac(checkpointMacMessage(cpBody));
    const key1 = `audit/prod/000000000001-${r1.hash}.json`;
    const key2 = `audit/prod/000000000002-${r2.hash}.json`;
    s3.on(ListObjectVersionsCommand)
      .resolvesOnce({
        IsTruncated: true,
        NextKeyMarker: 'k',
        NextVersionIdMarker: 'v',
        Versions: [{ Key: key1, VersionId: 'v1', IsLatest: true }],
        DeleteMarkers: [{ Key: key2, IsLatest: true }],
      })
      .resolvesOnce({
        IsTruncated: false,
        Versions: [
          { Key: key2, VersionId: 'v2', IsLatest: false },
          { Key: 'audit/prod/README', VersionId: 'v9' },
        ],
      });
    s3.on(GetObjectCommand, { Key: key2, VersionId: 'v2' }).resolves({
      Body: body(JSON.stringify({ ...cpBody, mac: cpMac })) as never,
    });
    const store = new S3CheckpointStore({
      bucket: 'cp',
      prefix: 'audit',
      client: new S3Client({ region: 'eu-west-1' }),
    });
    const refs = await store.list('prod');
    expect(refs.map((r) => r.seq)).toEqual([1, 2]);
    expect(s3.commandCalls(ListObjectVersionsCommand)[1]!.args[0].input).toMatchObject({
      Prefix: 'audit/prod/',
      KeyMarker: 'k',
      VersionIdMarker: 'v',
    });
    // The table holds seq 1 only: seq 2, in the checkpoint a delete marker hides, was deleted from it.
    async function* records() {
      yield { ...r1, mac: await mac.mac(recordMacMessage(r1.hash)) };
    }
    const result = await verifyTrail({
      cluster: 'prod',
      records: records(),
      mac,
      checkpoints: { refs, read: (ref) => store.read(ref) },
    });
    expect(result).toMatchObject({ ok: false, broken: { seq: 2, reason: 'checkpoint-missing' } });
    expect(s3).toHaveReceivedCommandWith(GetObjectCommand, { Bucket: 'cp', Key: key2, VersionId: 'v2' });
  });
});
