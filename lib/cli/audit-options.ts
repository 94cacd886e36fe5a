import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { DirCheckpointStore } from '../adapters/audit/checkpoint-dir';
import { defaultKeyFile, readKeyFile } from '../adapters/audit/key-file';
import { parseS3Url, S3CheckpointStore } from '../adapters/aws/audit-checkpoints-s3';
import { KmsAuditMac } from '../adapters/aws/audit-kms-mac';
import { AuditKeyError, type AuditMac, type CheckpointStore } from '../core/audit';
import { UsageError } from './errors';

/** The audit key and checkpoint flags, shared by `audit verify|checkpoint` and `sync --audit-table`. */
export interface AuditKeyFlags {
  readonly 'kms-key'?: string;
  readonly 'key-file'?: string;
  readonly checkpoints?: string;
  readonly region?: string;
}

export const AUDIT_KEY_OPTIONS = {
  'kms-key': { type: 'string' },
  'key-file': { type: 'string' },
  checkpoints: { type: 'string' },
} as const;

export interface RecordKey {
  readonly mac: AuditMac;
  /** The local key file's content-hash key (KMS keys have none: it is the AuditHmacKeyArn secret). */
  readonly contentHashKey?: string;
  close(): void;
}

const KMS_KEY =
  /^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key\/[0-9a-f-]{36}|alias\/[\w/-]+)|alias\/[\w/-]+|[0-9a-f-]{36}|mrk-[0-9a-f]{32})$/;

function regionOf(flags: AuditKeyFlags, arn?: string): string | undefined {
  return (
    flags.region ??
    process.env.AWS_REGION ??
    process.env.AWS_DEFAULT_REGION ??
    (arn?.startsWith('arn:') ? arn.split(':')[3] : undefined)
  );
}

/**
 * The record key: `--kms-key` (KMS HMAC key), `--key-file`, or the default key file
 * ($PLUMBLINE_AUDIT_KEY_FILE, ~/.plumbline/audit-key.json) when it exists. Bad values are bad input.
 */
export function recordKeyOf(flags: AuditKeyFlags): RecordKey | undefined {
  const kms = flags['kms-key'];
  if (kms !== undefined && flags['key-file'] !== undefined)
    throw new UsageError('--kms-key and --key-file exclude each other');
  if (kms !== undefined) {
    if (!KMS_KEY.test(kms))
      throw new UsageError(`--kms-key "${kms}" is not a KMS key id, key ARN, alias or alias ARN`);
    const region = regionOf(flags, kms);
    if (!region) throw new UsageError('--region is required with --kms-key (or set AWS_REGION)');
    const mac = new KmsAuditMac({ keyId: kms, clientConfig: { region } });
    return { mac, close: () => mac.close() };
  }
  const explicit = flags['key-file'];
  const path = explicit ?? defaultKeyFile();
  if (explicit === undefined && !existsSync(path)) return undefined;
  try {
    const file = readKeyFile(resolve(path));
    return { mac: file.mac, contentHashKey: file.contentHashKey, close: () => undefined };
  } catch (err: unknown) {
    if (err instanceof AuditKeyError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
}

export const NO_KEY = `no audit record key: pass --kms-key KEY (the AuditMacKeyArn output) or --key-file F (create one with 'plumbline audit keygen')`;

export interface Checkpoints {
  readonly store: CheckpointStore;
  readonly where: string;
  close(): void;
}

/** `--checkpoints s3://bucket/prefix | DIR`, or $PLUMBLINE_AUDIT_CHECKPOINTS. */
export function checkpointsOf(
  flags: AuditKeyFlags,
  options: { mustExist: boolean },
): Checkpoints | undefined {
  const where = flags.checkpoints ?? (process.env.PLUMBLINE_AUDIT_CHECKPOINTS || undefined);
  if (where === undefined) return undefined;
  if (where.startsWith('s3:')) {
    const url = parseS3Url(where);
    if (!url) throw new UsageError(`--checkpoints "${where}" is not s3://bucket/prefix`);
    const region = regionOf(flags);
    if (!region) throw new UsageError('--region is required with s3:// checkpoints (or set AWS_REGION)');
    const store = new S3CheckpointStore({ ...url, clientConfig: { region } });
    return { store, where, close: () => store.close() };
  }
  if (where === '') throw new UsageError('--checkpoints is empty');
  const dir = resolve(where);
  if (options.mustExist && !(existsSync(dir) && statSync(dir).isDirectory()))
    throw new UsageError(`--checkpoints ${where}: no such directory`);
  return { store: new DirCheckpointStore(dir), where, close: () => undefined };
}
