export const PROVIDERS = ['github', 'gitlab', 'bitbucket', 'gitea', 'generic'] as const;
export type Provider = (typeof PROVIDERS)[number];

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** One HTTP delivery as the adapters hand it over: raw bytes, headers in any case. */
export interface WebhookRequest {
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** API Gateway sets it for binary bodies: `body` then holds base64 text, decoded before the HMAC. */
  isBase64Encoded?: boolean;
}

export interface WebhookConfig {
  provider: Provider;
  /** HMAC key (GitHub, Bitbucket, Gitea, generic) or token (GitLab); must not be empty. */
  secret: string;
  /** Largest accepted body, in bytes after base64 decoding (default 1 MiB). */
  maxBodyBytes?: number;
}

/**
 * What a push asks for, whatever the provider sent. A hint only: the desired state is read from Git
 * at `after`. `changedPaths` is undefined when the payload does not list them or may have left some
 * out (truncated commit lists, force pushes): fan-out then diffs `before..after`.
 */
export interface NormalizedPush {
  provider: Provider;
  deliveryId: string;
  repoUrl: string;
  /** `refs/heads/main`, `refs/tags/v1`. */
  ref: string;
  /** Lowercase hex; all zeros when the ref was created. */
  before: string;
  /** Lowercase hex; all zeros when the ref was deleted. */
  after: string;
  changedPaths: string[] | undefined;
  pusher: string | undefined;
}

/** Authenticated push: answer 202 and enqueue. Bitbucket can report several refs in one delivery. */
export interface WebhookAccepted {
  status: 202;
  kind: 'push';
  provider: Provider;
  deliveryId: string;
  event: string;
  pushes: NormalizedPush[];
}

/** Authenticated, nothing to do: a ping, another event, or a delivery already seen. */
export interface WebhookAcknowledged {
  status: 200;
  kind: 'pong' | 'ignored' | 'duplicate';
  provider: Provider;
  deliveryId: string;
  event: string;
  duplicate?: true;
  reason: string;
}

/** Refused: too large (413), not authenticated (401), or authenticated but malformed (400). */
export interface WebhookRejected {
  status: 400 | 401 | 413;
  kind: 'rejected';
  provider: Provider;
  /** One line, safe to log and to return: never a secret, a signature or body bytes. */
  reason: string;
}

export type WebhookResult = WebhookAccepted | WebhookAcknowledged | WebhookRejected;

const ZERO = /^0+$/;

/** The all-zeros id providers send for a created (`before`) or deleted (`after`) ref. */
export function isZeroCommit(id: string): boolean {
  return ZERO.test(id);
}
