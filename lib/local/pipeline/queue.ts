import type { SyncJob } from '../../core/pipeline';

/**
 * The in-process stand-in for the SQS FIFO queue: one message group per cluster, so jobs for one
 * cluster run one at a time in order, and different clusters run side by side.
 */
export class LocalFifo {
  private readonly tails = new Map<string, Promise<void>>();
  private pending = 0;
  private idle: Array<() => void> = [];

  constructor(private readonly run: (job: SyncJob) => Promise<void>) {}

  get size(): number {
    return this.pending;
  }

  enqueue(job: SyncJob): void {
    this.pending++;
    const tail = this.tails.get(job.cluster) ?? Promise.resolve();
    const next = tail
      .then(() => this.run(job))
      .catch(() => undefined)
      .finally(() => {
        this.pending--;
        if (this.pending === 0) for (const done of this.idle.splice(0)) done();
      });
    this.tails.set(job.cluster, next);
  }

  /** Resolves once every job enqueued so far (and any they led to) has run. */
  drained(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }
}
