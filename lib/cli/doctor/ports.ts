import { EKSClient } from '@aws-sdk/client-eks';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { type NamespaceReader, namespaceReader } from './namespaces';
import { QueryStackReader, type StackReader } from './stack-reader';

/** What doctor reads, all with the user's own credentials (a profile, or the default chain). */
export interface DoctorPorts {
  readonly credentials: AwsCredentialIdentityProvider;
  readonly sts: (region: string) => STSClient;
  readonly eks: (region: string) => EKSClient;
  readonly secrets: (region: string) => SecretsManagerClient;
  readonly stacks: StackReader;
  readonly namespaces: NamespaceReader;
  /** When EKS tokens are signed (tests pin it so the sandbox can know the token). */
  readonly now?: () => Date;
}

/** The real clients, one per service and region, built on first use. */
export function awsDoctorPorts(profile?: string): DoctorPorts {
  const credentials = fromNodeProviderChain(profile ? { profile } : {});
  const cache = new Map<string, unknown>();
  const once = <T>(key: string, make: () => T): T => {
    if (!cache.has(key)) cache.set(key, make());
    return cache.get(key) as T;
  };
  return {
    credentials,
    sts: (region) => once(`sts/${region}`, () => new STSClient({ region, credentials })),
    eks: (region) => once(`eks/${region}`, () => new EKSClient({ region, credentials })),
    secrets: (region) => once(`sm/${region}`, () => new SecretsManagerClient({ region, credentials })),
    stacks: new QueryStackReader(credentials),
    namespaces: namespaceReader(),
  };
}
