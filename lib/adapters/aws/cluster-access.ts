import { DescribeClusterCommand, type DescribeClusterCommandOutput, EKSClient } from '@aws-sdk/client-eks';
import { AssumeRoleCommand, type AssumeRoleCommandOutput, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { PlumblineError } from '../../core/errors';
import { isRetryableAwsError } from './aws-errors';
import { type EksToken, eksToken } from './eks-token';
import { retryThrottled } from './throttling';

/** Assumed-role credentials last 15 minutes; renewed when less than this is left. */
const CREDENTIAL_MARGIN_MS = 3 * 60 * 1000;
/** Tokens are renewed when less than this is left of their 14 minutes. */
const TOKEN_MARGIN_MS = 2 * 60 * 1000;
/**
 * Sessions (and their tokens) kept per container. One per app and commit, so a warm container
 * that syncs many apps drops the least recently used; a dropped one costs one AssumeRole when used again.
 */
const MAX_SESSIONS = 64;

export interface ClusterTarget {
  /** The EKS cluster name. */
  readonly name: string;
  readonly region: string;
  /** The cluster's role, which only the sync function may assume (#7); omitted: the caller's own credentials. */
  readonly roleArn?: string;
}

export interface SessionTags {
  readonly app?: string;
  readonly commit?: string;
}

/**
 * The cluster's role could not be assumed or the cluster described. Permanent when AWS answered
 * with a client error (AccessDenied, a cluster that does not exist, bad credentials): retrying
 * would only hold the cluster's queue group. Transient when throttled, a 5xx or no answer at all,
 * and when the cluster has no endpoint yet (it is being created).
 */
export class ClusterAccessError extends PlumblineError {
  readonly retryable: boolean;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ClusterAccessError';
    this.retryable = options?.cause === undefined || isRetryableAwsError(options.cause);
  }
}

interface Expiring<T> {
  readonly value: T;
  readonly expiresAt: number;
}

interface RoleSession extends Expiring<AwsCredentialIdentity> {
  /** STS's AssumedRoleUser.Arn: `arn:aws:sts::<account>:assumed-role/<role>/<session>`. */
  readonly principal?: string;
}

/** STS session names allow [\w+=,.@-], at most 64 characters; CloudTrail shows them, so they carry app and commit. */
export function sessionName(tags: SessionTags): string {
  const parts = ['plumbline', tags.app, tags.commit?.slice(0, 12)].filter((p): p is string => !!p);
  return parts
    .join('-')
    .replace(/[^\w+=,.@-]/g, '-')
    .slice(0, 64);
}

/**
 * Access to EKS clusters from Lambda: assume the cluster's role in a session named for the job's
 * app and commit (15 minutes, cached until near expiry, shared only by jobs of that app and
 * commit: CloudTrail, the cluster's audit log and the audit record's who.principal then name the
 * job that acted), describe the cluster (endpoint and CA, cached), mint the EKS bearer token
 * (cached 14 minutes less a margin) and build a KubeConfig in memory, TLS pinned to the cluster's CA.
 */
export class EksClusterAccess {
  /** In-flight or settled AssumeRole calls: concurrent callers share one request. */
  private readonly roles = new Map<string, Promise<RoleSession>>();
  private readonly clusters = new Map<string, { endpoint: string; caData: string }>();
  private readonly tokens = new Map<string, Expiring<EksToken>>();

  constructor(
    private readonly deps: {
      readonly sts?: (region: string) => STSClient;
      readonly eks?: (
        region: string,
        credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined,
      ) => EKSClient;
      /** The function's own credentials (default: the SDK's provider chain). */
      readonly baseCredentials?: AwsCredentialIdentityProvider;
      readonly now?: () => number;
      readonly sleep?: (ms: number) => Promise<void>;
    } = {},
  ) {}

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  async credentials(target: ClusterTarget, tags: SessionTags = {}): Promise<AwsCredentialIdentity> {
    if (!target.roleArn) {
      const provider =
        this.deps.baseCredentials ?? new STSClient({ region: target.region }).config.credentials;
      return provider();
    }
    return (await this.session(target, target.roleArn, tags)).value;
  }

  /**
   * The IAM principal that acts on the cluster, for the audit record: the assumed-role ARN of the
   * cluster role's current session (undefined without a role: the caller's own credentials).
   */
  async principal(target: ClusterTarget, tags: SessionTags = {}): Promise<string | undefined> {
    if (!target.roleArn) return undefined;
    return (await this.session(target, target.roleArn, tags)).principal;
  }

  private async session(target: ClusterTarget, roleArn: string, tags: SessionTags): Promise<RoleSession> {
    const key = `${roleArn}\n${sessionName(tags)}`;
    const cached = this.roles.get(key);
    if (cached) {
      const settled = await cached.catch(() => undefined);
      if (settled && settled.expiresAt - this.now() > CREDENTIAL_MARGIN_MS) {
        if (this.roles.get(key) === cached) remember(this.roles, key, cached);
        return settled;
      }
      if (this.roles.get(key) !== cached) return this.session(target, roleArn, tags);
    }
    const pending = this.assume(target, roleArn, tags);
    remember(this.roles, key, pending);
    pending.catch(() => {
      if (this.roles.get(key) === pending) this.roles.delete(key);
    });
    return pending;
  }

  private async assume(target: ClusterTarget, roleArn: string, tags: SessionTags): Promise<RoleSession> {
    const sts = this.deps.sts?.(target.region) ?? new STSClient({ region: target.region });
    let out: AssumeRoleCommandOutput;
    try {
      out = await this.retry(() =>
        sts.send(
          new AssumeRoleCommand({
            RoleArn: roleArn,
            RoleSessionName: sessionName(tags),
            DurationSeconds: 900,
          }),
        ),
      );
    } catch (err: unknown) {
      throw new ClusterAccessError(
        `cannot assume ${roleArn} for cluster ${target.name}: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey)
      throw new ClusterAccessError(`AssumeRole of ${roleArn} returned no credentials`);
    const value: AwsCredentialIdentity = {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
      ...(c.Expiration ? { expiration: c.Expiration } : {}),
    };
    return {
      value,
      expiresAt: c.Expiration?.getTime() ?? this.now() + 15 * 60 * 1000,
      ...(out.AssumedRoleUser?.Arn ? { principal: out.AssumedRoleUser.Arn } : {}),
    };
  }

  private retry<T>(call: () => Promise<T>): Promise<T> {
    return retryThrottled(call, this.deps.sleep);
  }

  async describe(
    target: ClusterTarget,
    tags: SessionTags = {},
  ): Promise<{ endpoint: string; caData: string }> {
    const key = `${target.region}/${target.name}`;
    const cached = this.clusters.get(key);
    if (cached) return cached;
    const credentials = await this.credentials(target, tags);
    const eks =
      this.deps.eks?.(target.region, credentials) ?? new EKSClient({ region: target.region, credentials });
    let cluster: DescribeClusterCommandOutput['cluster'];
    try {
      ({ cluster } = await this.retry(() => eks.send(new DescribeClusterCommand({ name: target.name }))));
    } catch (err: unknown) {
      throw new ClusterAccessError(
        `cannot describe EKS cluster ${target.name} in ${target.region}: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
    const endpoint = cluster?.endpoint;
    const caData = cluster?.certificateAuthority?.data;
    if (!endpoint || !caData)
      throw new ClusterAccessError(
        `EKS cluster ${target.name} has no endpoint or certificate authority yet (status ${cluster?.status ?? 'unknown'})`,
      );
    const described = { endpoint, caData };
    this.clusters.set(key, described);
    return described;
  }

  async token(target: ClusterTarget, tags: SessionTags = {}): Promise<EksToken> {
    // A token carries the identity of the credentials that signed it: one per session.
    const key = `${target.region}/${target.name}/${target.roleArn ?? ''}/${target.roleArn ? sessionName(tags) : ''}`;
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt - this.now() > TOKEN_MARGIN_MS) {
      remember(this.tokens, key, cached);
      return cached.value;
    }
    const credentials = await this.credentials(target, tags);
    const token = await eksToken({
      cluster: target.name,
      region: target.region,
      credentials,
      now: new Date(this.now()),
    });
    remember(this.tokens, key, { value: token, expiresAt: token.expiresAt.getTime() });
    return token;
  }

  /**
   * What KubeHttp needs to reach the cluster, built in memory: no file, the cluster's CA pinned
   * (no system roots), and the current token on every request (renewed before it expires).
   */
  async kubeConfig(target: ClusterTarget, tags: SessionTags = {}): Promise<EksKubeAuth> {
    const { endpoint, caData } = await this.describe(target, tags);
    await this.token(target, tags);
    const ca = Buffer.from(caData, 'base64');
    return {
      server: endpoint,
      getCurrentCluster: () => ({ name: target.name, server: endpoint }),
      applyToHTTPSOptions: async (opts: never) => {
        const o = opts as { ca?: Buffer; rejectUnauthorized?: boolean; headers?: Record<string, string> };
        const { token } = await this.token(target, tags);
        o.ca = ca;
        o.rejectUnauthorized = true;
        o.headers = { ...(o.headers ?? {}), Authorization: `Bearer ${token}` };
      },
    };
  }
}

/** The cluster's endpoint and credentials for KubeHttp (a KubeAuth). */
export interface EksKubeAuth {
  readonly server: string;
  getCurrentCluster(): { readonly name: string; readonly server: string };
  applyToHTTPSOptions(opts: never): Promise<void>;
}

/** Sets `key` as the most recently used entry, dropping the least recently used beyond MAX_SESSIONS. */
function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  cache.delete(key);
  cache.set(key, value);
  for (const oldest of cache.keys()) {
    if (cache.size <= MAX_SESSIONS) break;
    cache.delete(oldest);
  }
}
