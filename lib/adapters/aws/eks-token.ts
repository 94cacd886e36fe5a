import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';

/** EKS tokens are presigned for 60 seconds of signing validity; the API server accepts them for 15 minutes. */
export const TOKEN_PRESIGN_SECONDS = 60;
/** Refreshed before this age, as `aws eks get-token` does (its tokens expire after 14 minutes). */
export const TOKEN_LIFETIME_MS = 14 * 60 * 1000;

export interface EksToken {
  readonly token: string;
  readonly expiresAt: Date;
}

/**
 * The bearer token EKS accepts: `k8s-aws-v1.` + base64url of a presigned STS GetCallerIdentity
 * URL whose signature covers the `x-k8s-aws-id` header naming the cluster (aws-iam-authenticator).
 */
export async function eksToken(options: {
  readonly cluster: string;
  readonly region: string;
  readonly credentials: AwsCredentialIdentity;
  readonly now?: Date;
}): Promise<EksToken> {
  const now = options.now ?? new Date();
  const hostname = `sts.${options.region}.amazonaws.com`;
  const signer = new SignatureV4({
    credentials: options.credentials,
    region: options.region,
    service: 'sts',
    sha256: Sha256,
  });
  const request = new HttpRequest({
    method: 'GET',
    protocol: 'https:',
    hostname,
    path: '/',
    query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
    headers: { host: hostname, 'x-k8s-aws-id': options.cluster },
  });
  const signed = await signer.presign(request, { expiresIn: TOKEN_PRESIGN_SECONDS, signingDate: now });
  const query = Object.entries(signed.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  const url = `https://${hostname}/?${query}`;
  const token = `k8s-aws-v1.${Buffer.from(url, 'utf8').toString('base64url')}`;
  return { token, expiresAt: new Date(now.getTime() + TOKEN_LIFETIME_MS) };
}

/** What `aws eks get-token` prints, for kubectl's exec credential plugin. */
export function execCredential(token: EksToken): Record<string, unknown> {
  return {
    kind: 'ExecCredential',
    apiVersion: 'client.authentication.k8s.io/v1beta1',
    spec: {},
    status: {
      expirationTimestamp: token.expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      token: token.token,
    },
  };
}
