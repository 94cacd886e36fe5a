import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
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

/**
 * Checkpoints as files, `<dir>/<cluster>/<seq>-<hash>.json`, created exclusively and read-only (local
 * mode, the CLI). Unlike S3 Object Lock, the file system does not stop their owner deleting them:
 * keep the directory where the table's writers cannot write (ADR 0018).
 */
export class DirCheckpointStore implements CheckpointStore {
  constructor(readonly dir: string) {}

  async write(checkpoint: Checkpoint): Promise<boolean> {
    const dir = join(this.dir, validateCluster(checkpoint.cluster));
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, checkpointName(checkpoint.seq, checkpoint.hash));
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o400);
    } catch (err: unknown) {
      if ((err as { code?: unknown } | null)?.code === 'EEXIST') return false;
      throw new AuditCheckpointError(`checkpoint ${file} cannot be written`, { cause: err });
    }
    try {
      writeSync(fd, `${JSON.stringify(checkpoint)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return true;
  }

  async list(cluster: string): Promise<CheckpointRef[]> {
    const dir = join(this.dir, validateCluster(cluster));
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (err: unknown) {
      if ((err as { code?: unknown } | null)?.code === 'ENOENT') return [];
      throw new AuditCheckpointError(`checkpoints ${dir} cannot be listed`, { cause: err });
    }
    return names.flatMap((name) => {
      const parsed = parseCheckpointName(name);
      return parsed ? [{ cluster, ...parsed, location: join(dir, name) }] : [];
    });
  }

  async read(ref: CheckpointRef): Promise<Checkpoint> {
    let text: string;
    try {
      text = readFileSync(ref.location, 'utf8');
    } catch (err: unknown) {
      throw new AuditCheckpointError(`checkpoint ${ref.location} cannot be read`, { cause: err });
    }
    return parseCheckpoint(text, ref);
  }
}
