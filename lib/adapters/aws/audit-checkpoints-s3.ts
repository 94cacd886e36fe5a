import {
  GetObjectCommand,
  ListObjectVersionsCommand,
  type ListObjectVersionsCommandOutput,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import {
  AuditCheckpointError,
  type Checkpoint,
  type CheckpointRef,
  type CheckpointStore,
  checkpointName,
  parseCheckpoint,
  parseCheckpointName,
  validateCluster,
} from '../../core/audit';
import { AuditCheckpointStoreError } from './audit-errors';

export interface S3CheckpointStoreOptions {
  readonly bucket: string;
  /** Key prefix, without a trailing slash ('' for none). */
  readonly prefix?: string;
  readonly client?: S3Client;
  readonly clientConfig?: S3ClientConfig;
}

/** `s3://bucket/prefix` → bucket and prefix; undefined when the text is not an s3 URL. */
export function parseS3Url(text: string): { bucket: string; prefix: string } | undefined {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(text);
  if (!match) return undefined;
  return { bucket: match[1]!, prefix: (match[2] ?? '').replace(/\/+$/, '') };
}

/**
 * Checkpoints in an S3 bucket with Object Lock in compliance mode: `<prefix>/<cluster>/<seq>-<hash>.json`.
 * Writes are conditional (If-None-Match, which the bucket policy requires), and list() reads every
 * object version, so a checkpoint hidden behind a delete marker or a newer version still counts.
 */
export class S3CheckpointStore implements CheckpointStore {
  private s3: S3Client | undefined;

  constructor(private readonly options: S3CheckpointStoreOptions) {}

  private get client(): S3Client {
    this.s3 ??= this.options.client ?? new S3Client(this.options.clientConfig ?? {});
    return this.s3;
  }

  close(): void {
    if (!this.options.client) this.s3?.destroy();
    this.s3 = undefined;
  }

  private dir(cluster: string): string {
    const prefix = this.options.prefix ?? '';
    return `${prefix ? `${prefix}/` : ''}${validateCluster(cluster)}/`;
  }

  async write(checkpoint: Checkpoint): Promise<boolean> {
    const key = this.dir(checkpoint.cluster) + checkpointName(checkpoint.seq, checkpoint.hash);
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: key,
          Body: `${JSON.stringify(checkpoint)}\n`,
          ContentType: 'application/json',
          IfNoneMatch: '*',
          // A bucket with default Object Lock retention refuses a put without a checksum header.
          ChecksumAlgorithm: 'SHA256',
        }),
      );
      return true;
    } catch (err: unknown) {
      // 412: this head is checkpointed already (409: a concurrent conditional write of it).
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 412 || status === 409) return false;
      throw this.wrap('PutObject', key, err);
    }
  }

  async list(cluster: string): Promise<CheckpointRef[]> {
    const prefix = this.dir(cluster);
    const refs: CheckpointRef[] = [];
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    do {
      let page: ListObjectVersionsCommandOutput;
      try {
        page = await this.client.send(
          new ListObjectVersionsCommand({
            Bucket: this.options.bucket,
            Prefix: prefix,
            ...(keyMarker ? { KeyMarker: keyMarker } : {}),
            ...(versionMarker ? { VersionIdMarker: versionMarker } : {}),
          }),
        );
      } catch (err: unknown) {
        throw this.wrap('ListObjectVersions', prefix, err);
      }
      for (const v of page.Versions ?? []) {
        const parsed = v.Key ? parseCheckpointName(v.Key.slice(prefix.length)) : undefined;
        // Anything else under the prefix is not a checkpoint; verify reports none it cannot place.
        if (!parsed || !v.Key) continue;
        const version = v.VersionId ? `?versionId=${encodeURIComponent(v.VersionId)}` : '';
        refs.push({ cluster, ...parsed, location: `s3://${this.options.bucket}/${v.Key}${version}` });
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      versionMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (keyMarker);
    return refs;
  }

  async read(ref: CheckpointRef): Promise<Checkpoint> {
    const url = new URL(ref.location);
    const key = url.pathname.slice(1);
    const versionId = url.searchParams.get('versionId');
    try {
      const out = await this.client.send(
        new GetObjectCommand({
          Bucket: this.options.bucket,
          Key: key,
          ...(versionId ? { VersionId: versionId } : {}),
        }),
      );
      return parseCheckpoint((await out.Body?.transformToString('utf8')) ?? '', ref);
    } catch (err: unknown) {
      if (err instanceof AuditCheckpointError) throw err;
      throw this.wrap('GetObject', key, err);
    }
  }

  private wrap(op: string, key: string, err: unknown): Error {
    const name = err instanceof Error ? err.name : 'Error';
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return new AuditCheckpointStoreError(
      `checkpoints s3://${this.options.bucket}/${key}: ${op} failed: ${name}: ${message}`,
      { cause: err },
    );
  }
}
