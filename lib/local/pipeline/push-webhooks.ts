import { createHmac, randomUUID } from 'node:crypto';
import type { GitPush } from '../git-server';
import { githubPushPayload } from './push-payload';

/** One webhook delivery and its answer. */
export interface WebhookDelivery {
  readonly deliveryId: string;
  /** The HTTP status; 0 when no answer came. */
  readonly status: number;
  /** The exact bytes sent, and the `X-Hub-Signature-256` header they were sent with. */
  readonly body: string;
  readonly signature: string;
  /** The receiver's JSON answer, when it sent one. */
  readonly answer?: Record<string, unknown>;
  readonly error?: string;
}

/** A delivery for one ref a push moved. */
export interface PushDelivery extends WebhookDelivery {
  readonly ref: string;
  readonly before: string;
  readonly after: string;
  readonly commits: number;
}

/** `sha256=<hex>` of the body under `secret`, as GitHub signs deliveries. */
export function githubSignature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** POSTs a GitHub-style delivery: X-GitHub-Event, a fresh X-GitHub-Delivery, X-Hub-Signature-256. */
export async function postGithubWebhook(
  url: string,
  event: string,
  body: string,
  signature: string,
  timeoutMs = 10_000,
): Promise<WebhookDelivery> {
  const deliveryId = randomUUID();
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'plumbline-local-git',
        'x-github-event': event,
        'x-github-delivery': deliveryId,
        'x-hub-signature-256': signature,
      },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let answer: Record<string, unknown> | undefined;
    try {
      answer = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // Not JSON: the status says enough.
    }
    return { deliveryId, status: res.status, body, signature, ...(answer ? { answer } : {}) };
  } catch (err: unknown) {
    const error = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    return { deliveryId, status: 0, body, signature, error };
  }
}

export interface PushWebhooksOptions {
  /** Where deliveries go: the local webhook endpoint. */
  readonly url: string;
  readonly secret: string;
  /** HOME for the git commands that read the pushed commits. */
  readonly home: string;
  readonly log: (line: string) => void;
}

/**
 * What a git host does after a push: one signed `push` delivery per moved ref to the webhook URL,
 * a line logged per delivery. Deliveries are kept by pushed commit for `waitFor`.
 */
export class PushWebhooks {
  private readonly delivered = new Map<string, PushDelivery>();
  private readonly waiters = new Map<string, Array<(d: PushDelivery) => void>>();
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly options: PushWebhooksOptions) {}

  /** Every delivery so far, in order. */
  get deliveries(): PushDelivery[] {
    return [...this.delivered.values()];
  }

  /** Delivers one webhook per ref the push moved; resolves once all were answered. */
  deliver(push: GitPush): Promise<void> {
    const work = (async () => {
      for (const update of push.updates) {
        let delivery: PushDelivery;
        try {
          const payload = await githubPushPayload(push, update, this.options.home);
          const body = JSON.stringify(payload);
          const sent = await postGithubWebhook(
            this.options.url,
            'push',
            body,
            githubSignature(this.options.secret, body),
          );
          delivery = { ...update, ...sent, commits: (payload.commits as unknown[]).length };
        } catch (err: unknown) {
          const error = err instanceof Error ? err.message.split('\n')[0]! : String(err);
          delivery = { ...update, deliveryId: '-', status: 0, body: '', signature: '', commits: 0, error };
        }
        this.options.log(line(delivery));
        this.delivered.set(`${update.ref} ${update.after}`, delivery);
        for (const resolve of this.waiters.get(update.after) ?? []) resolve(delivery);
        this.waiters.delete(update.after);
      }
    })();
    this.pending.add(work);
    return work.finally(() => this.pending.delete(work));
  }

  /** The delivery of the push that moved a ref to `after` (waits for it up to `timeoutMs`). */
  waitFor(after: string, timeoutMs = 10_000): Promise<PushDelivery | undefined> {
    const done = [...this.delivered.values()].find((d) => d.after === after);
    if (done) return Promise.resolve(done);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      const list = this.waiters.get(after) ?? [];
      list.push((d) => {
        clearTimeout(timer);
        resolve(d);
      });
      this.waiters.set(after, list);
    });
  }

  /** Resolves once every delivery started so far has been answered. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}

function line(d: PushDelivery): string {
  const range = `${d.before.slice(0, 12)}..${d.after.slice(0, 12)}`;
  const what = `push ${d.ref} ${range} (${d.commits} commit${d.commits === 1 ? '' : 's'})`;
  if (d.status === 0) return `${what}: webhook delivery failed: ${d.error ?? 'no answer'}`;
  return `${what}: signed webhook ${d.deliveryId} delivered, HTTP ${d.status}`;
}
