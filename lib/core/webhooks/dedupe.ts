/**
 * Remembers delivery ids so a replayed or redelivered webhook enqueues nothing. In AWS a DynamoDB
 * conditional put with a TTL implements it (#6); tests and local mode use InMemoryDedupe.
 */
export interface DeliveryDedupe {
  /** True the first time `key` is seen within `ttlSeconds`, false for a repeat. Atomic per key. */
  firstSeen(key: string, ttlSeconds: number): Promise<boolean>;
  /**
   * Releases the claim this instance's `firstSeen` made on `key`, so the next delivery of it counts as
   * first again: for a delivery that was claimed but not enqueued, whose retry must not be dropped
   * as a duplicate (#7). True when a claim was removed; false when this instance holds none on `key`
   * (never claimed here, already forgotten, or expired and claimed again since).
   */
  forget(key: string): Promise<boolean>;
  /**
   * Extends the claim this instance's `firstSeen` made on `key` to `ttlSeconds` from now: a handler
   * claims for a short while, so that a run killed by its time limit does not hold the delivery, and
   * keeps the claim once the delivery is enqueued. False when this instance holds no live claim on it.
   */
  keep(key: string, ttlSeconds: number): Promise<boolean>;
}

export interface InMemoryDedupeOptions {
  /** Most keys kept; the oldest are forgotten first (default 10,000). */
  maxEntries?: number;
  /** Milliseconds since the epoch; tests move time. */
  now?: () => number;
}

/** A bounded, expiring set of keys for one process. */
export class InMemoryDedupe implements DeliveryDedupe {
  private readonly expiries = new Map<string, number>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: InMemoryDedupeOptions = {}) {
    this.maxEntries = Math.max(1, options.maxEntries ?? 10_000);
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.expiries.size;
  }

  async firstSeen(key: string, ttlSeconds: number): Promise<boolean> {
    return this.firstSeenSync(key, ttlSeconds);
  }

  async forget(key: string): Promise<boolean> {
    const expiry = this.expiries.get(key);
    this.expiries.delete(key);
    return expiry !== undefined && expiry > this.now();
  }

  async keep(key: string, ttlSeconds: number): Promise<boolean> {
    const now = this.now();
    const expiry = this.expiries.get(key);
    if (expiry === undefined || expiry <= now) return false;
    this.expiries.set(key, now + Math.max(0, ttlSeconds) * 1000);
    return true;
  }

  /** The same check without a promise, for callers on a hot path. */
  firstSeenSync(key: string, ttlSeconds: number): boolean {
    const now = this.now();
    const expiry = this.expiries.get(key);
    if (expiry !== undefined && expiry > now) return false;
    // Re-inserting moves the key to the end: the map stays in insertion order, oldest first.
    this.expiries.delete(key);
    this.expiries.set(key, now + Math.max(0, ttlSeconds) * 1000);
    this.evict(now);
    return true;
  }

  private evict(now: number): void {
    for (const [key, expiry] of this.expiries) {
      if (this.expiries.size <= this.maxEntries && expiry > now) break;
      this.expiries.delete(key);
    }
  }
}
