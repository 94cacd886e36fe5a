import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AuditDraft, AuditStore } from '../core/audit';
import { AuditOutboxError } from './errors';

/** $PLUMBLINE_AUDIT_OUTBOX, else ~/.plumbline/audit-outbox. */
export function defaultOutboxDir(): string {
  return process.env.PLUMBLINE_AUDIT_OUTBOX || join(homedir(), '.plumbline', 'audit-outbox');
}

function writeDurably(file: string, text: string, flags: string): void {
  const fd = openSync(file, flags, 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Drafts of CLI syncs that changed a cluster but whose record could not be appended: one JSON line
 * each in `<dir>/<table>/<cluster>.jsonl`, fsync'd, appended in order before the next CLI sync to that
 * table and cluster (which refuses to run until they are). Drafts hold ids and hashes, never secrets.
 */
export class AuditOutbox {
  readonly file: string;

  constructor(
    dir: string,
    readonly table: string,
    readonly cluster: string,
  ) {
    this.file = join(dir, encodeURIComponent(table), `${cluster}.jsonl`);
  }

  pending(): AuditDraft[] {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err: unknown) {
      if ((err as { code?: unknown } | null)?.code === 'ENOENT') return [];
      throw err;
    }
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line, i) => {
        try {
          return JSON.parse(line) as AuditDraft;
        } catch (err: unknown) {
          throw new AuditOutboxError(`audit outbox ${this.file}: line ${i + 1} is not JSON`, { cause: err });
        }
      });
  }

  keep(draft: AuditDraft): void {
    mkdirSync(join(this.file, '..'), { recursive: true, mode: 0o700 });
    writeDurably(this.file, `${JSON.stringify(draft)}\n`, 'a');
  }

  /** Appends every kept draft in order; stops at the first failure with the rest still kept. */
  async flush(store: Pick<AuditStore, 'append'>): Promise<number[]> {
    const drafts = this.pending();
    const seqs: number[] = [];
    for (let i = 0; i < drafts.length; i++) {
      seqs.push((await store.append(this.cluster, drafts[i]!)).seq);
      const rest = drafts.slice(i + 1);
      if (rest.length === 0) rmSync(this.file, { force: true });
      else {
        // Rewritten whole and renamed, so a crash leaves either the old list or the new one.
        writeDurably(`${this.file}.tmp`, rest.map((d) => `${JSON.stringify(d)}\n`).join(''), 'w');
        renameSync(`${this.file}.tmp`, this.file);
      }
    }
    return seqs;
  }
}
