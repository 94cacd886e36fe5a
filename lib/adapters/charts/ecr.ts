import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';
import { ChartFetchError, ChartRefusedError } from './errors';
import type { FetchLike } from './http-client';
import type { RegistryCredentials } from './oci';

/** `<account>.dkr.ecr.<region>.amazonaws.com` (and the -fips and China partitions' forms). */
const ECR_HOST = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/;
/** Tokens last 12 hours; one is reused until 10 minutes before it ends. */
const REFRESH_MARGIN_MS = 10 * 60 * 1000;

export interface EcrCredentialsOptions {
  /** The AWS credentials that call GetAuthorizationToken (the sync function's role, or a cluster's). */
  readonly credentials: () => Promise<AwsCredentialIdentity>;
  readonly fetch?: FetchLike;
  readonly timeoutMs?: number;
  readonly now?: () => Date;
}

/**
 * Registry credentials for Amazon ECR hosts, as `aws ecr get-login-password` gives them: ECR's
 * GetAuthorizationToken (JSON 1.1 protocol, signed with SigV4; @aws-sdk/client-ecr is not a
 * dependency) returns base64 `AWS:<password>`. Other hosts get none.
 */
export function ecrCredentials(options: EcrCredentialsOptions): RegistryCredentials {
  const tokens = new Map<string, { username: string; password: string; until: number }>();
  return async (host) => {
    const match = ECR_HOST.exec(host.replace(/:443$/, ''));
    if (!match) return undefined;
    const [, account = '', region = '', china] = match;
    const now = (options.now ?? (() => new Date()))().getTime();
    const known = tokens.get(host);
    if (known && known.until > now) return known;
    const hostname = `api.ecr.${region}.amazonaws.com${china ?? ''}`;
    const body = JSON.stringify({ registryIds: [account] });
    const signer = new SignatureV4({
      credentials: await options.credentials(),
      region,
      service: 'ecr',
      sha256: Sha256,
    });
    const signed = await signer.sign(
      new HttpRequest({
        method: 'POST',
        protocol: 'https:',
        hostname,
        path: '/',
        headers: {
          host: hostname,
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken',
        },
        body,
      }),
    );
    const what = `Amazon ECR GetAuthorizationToken in ${region}`;
    let response: Response;
    try {
      response = await (options.fetch ?? fetch)(`https://${hostname}/`, {
        method: 'POST',
        headers: signed.headers,
        body,
        signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      });
    } catch (err: unknown) {
      throw new ChartFetchError(`${what}: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
    const text = await response.text();
    if (response.status === 429 || response.status >= 500)
      throw new ChartFetchError(`${what} answered ${response.status}`);
    if (response.status !== 200) throw new ChartRefusedError(`${what} answered ${response.status}`);
    let data: { authorizationToken?: unknown; expiresAt?: unknown } | undefined;
    try {
      data = (JSON.parse(text) as { authorizationData?: (typeof data)[] }).authorizationData?.[0];
    } catch (err: unknown) {
      throw new ChartRefusedError(`${what}: the answer is not JSON`, { cause: err });
    }
    const decoded =
      typeof data?.authorizationToken === 'string'
        ? Buffer.from(data.authorizationToken, 'base64').toString('utf8')
        : '';
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw new ChartRefusedError(`${what}: the answer holds no authorization token`);
    // expiresAt is epoch seconds in the JSON protocol.
    const expires = typeof data?.expiresAt === 'number' ? data.expiresAt * 1000 : now + 60 * 60 * 1000;
    const entry = {
      username: decoded.slice(0, colon),
      password: decoded.slice(colon + 1),
      until: expires - REFRESH_MARGIN_MS,
    };
    tokens.set(host, entry);
    return entry;
  };
}
