/** A scripted failure: requests matching `verb` and `path` fail (or slow down) `times` times. */
export interface FaultRule {
  /** Kubernetes verb (get, list, watch, create, update, patch, apply, delete, deletecollection); any when unset. */
  readonly verb?: string;
  /** Regular expression tested against the URL path; any when unset. */
  readonly path?: string;
  /** Respond with this HTTP status (500, 503, 429 …) and a Status body. */
  readonly status?: number;
  /** With status 429 (or 503): the Retry-After header and details.retryAfterSeconds. */
  readonly retryAfterSeconds?: number;
  /** Destroy the connection without a response. */
  readonly reset?: boolean;
  /** Handle the request, then destroy the connection before the response: the server acted, the client never hears. */
  readonly resetAfter?: boolean;
  /** Delay before handling (or failing) the request. */
  readonly latencyMs?: number;
  /** Answer as usual, with this text in a `Warning` header (as admission webhooks and deprecated APIs do). */
  readonly warning?: string;
  /** How many matching requests the rule affects; forever when unset. */
  readonly times?: number;
}

export interface FaultDecision {
  readonly latencyMs: number;
  readonly rule: FaultRule | undefined;
}

interface ActiveRule {
  readonly rule: FaultRule;
  readonly pattern: RegExp | undefined;
  remaining: number;
}

export class FaultInjector {
  private rules: ActiveRule[] = [];
  /** Latency added to every request. */
  latencyMs: number;

  constructor(latencyMs = 0) {
    this.latencyMs = latencyMs;
  }

  add(rule: FaultRule): void {
    if (rule.times !== undefined && (!Number.isInteger(rule.times) || rule.times < 1)) {
      throw new Error(`fault rule times must be a positive integer, got ${rule.times}`);
    }
    const pattern = rule.path === undefined ? undefined : new RegExp(rule.path);
    this.rules.push({ rule, pattern, remaining: rule.times ?? Number.POSITIVE_INFINITY });
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultRule[] {
    return this.rules.map((r) => r.rule);
  }

  /** The first rule matching the request (consuming one of its `times`), and the latency to add. */
  decide(verb: string, path: string): FaultDecision {
    const active = this.rules.find(
      (r) =>
        r.remaining > 0 && (!r.rule.verb || r.rule.verb === verb) && (!r.pattern || r.pattern.test(path)),
    );
    if (active) {
      active.remaining -= 1;
      if (active.remaining <= 0) this.rules = this.rules.filter((r) => r !== active);
    }
    return { latencyMs: this.latencyMs + (active?.rule.latencyMs ?? 0), rule: active?.rule };
  }
}
