import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ClusterTarget, EksClusterAccess, SessionTags } from '../../lib/adapters/aws/cluster-access';
import { SecretsManagerStore } from '../../lib/adapters/aws/secrets-manager';
// From its file, not the index: the index re-exports PooledKubeConfig, which would pull client-node
// into the bundle.
import { KubeHttp } from '../../lib/adapters/kubernetes/http';
import type { SyncJob } from '../../lib/core/pipeline';
import type { SecretStore } from '../../lib/core/secrets';
import type { DeployedCluster } from './deployment';

/** A connection to a cluster's API as the cluster's role. */
export interface KubeConnection {
  readonly http: KubeHttp;
  /** The IAM principal the requests are made as (the assumed role's ARN), for the audit record. */
  readonly principal?: string;
}

export const targetOf = (cluster: DeployedCluster): ClusterTarget => ({
  name: cluster.name,
  region: cluster.region,
  roleArn: cluster.roleArn,
});
export const tagsOf = (job: SyncJob): SessionTags => ({ app: job.app, commit: job.commit });

/** The production connection: the cluster's role (session named for app and commit), its endpoint, a token. */
export function eksConnector(
  access: EksClusterAccess,
): (cluster: DeployedCluster, job: SyncJob) => Promise<KubeConnection> {
  return async (cluster, job) => {
    const auth = await access.kubeConfig(targetOf(cluster), tagsOf(job));
    const principal = await access.principal(targetOf(cluster), tagsOf(job));
    return { http: new KubeHttp(auth), ...(principal ? { principal } : {}) };
  };
}

/**
 * The cluster's app secrets (`plumbline/<cluster>/…`) as the cluster's role reads them: in the
 * cluster's account and region, which the sync role itself may not read (docs/adr/0011). One store
 * per job: its cache lasts one invocation.
 */
export function clusterSecrets(
  access: EksClusterAccess,
): (cluster: DeployedCluster, job: SyncJob) => SecretStore {
  return (cluster, job) =>
    new SecretsManagerStore({
      client: new SecretsManagerClient({
        region: cluster.region,
        credentials: () => access.credentials(targetOf(cluster), tagsOf(job)),
      }),
    });
}
