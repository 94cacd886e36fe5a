// ecr.ts (SigV4) is imported by its own path, so that the renderers do not load the signer.
import type { EksClusterAccess } from '../../lib/adapters/aws/cluster-access';
import { type ChartKeyring, ChartSource, type RegistryCredentials } from '../../lib/adapters/charts';
import { ecrCredentials } from '../../lib/adapters/charts/ecr';
import type { FetchLike } from '../../lib/adapters/charts/http-client';
import type { SyncJob } from '../../lib/core/pipeline';
import type { DeployedCluster, Deployment } from './deployment';
import { tagsOf, targetOf } from './eks';

/**
 * The remote chart source of the deployment's `chartRepositories` (#15) for one job. Its
 * content-addressed cache under PLUMBLINE_CACHE_DIR (Lambda's /tmp) outlives the job and serves later
 * invocations of a warm container; `credentials` are the job's cluster's (clusterRegistryCredentials).
 */
export function chartSourceFor(
  deployment: Deployment,
  credentials?: RegistryCredentials,
  keyring?: ChartKeyring,
): ChartSource {
  return new ChartSource({
    allowList: deployment.chartRepositories ?? [],
    ...(credentials ? { credentials } : {}),
    ...(keyring ? { keyring } : {}),
  });
}

/**
 * Amazon ECR logins as the job's cluster role (the "ECR auth through the cluster's role"):
 * GetAuthorizationToken is signed with that role's session for the job's app and commit, so a
 * cluster pulls only from the repositories its own role is granted (infra/constructs/cluster-access.ts),
 * in its own account, and CloudTrail names the job. One token cache per job: a locked chart already
 * in the cache needs no login at all.
 */
export function clusterRegistryCredentials(
  access: Pick<EksClusterAccess, 'credentials'>,
  options: { readonly fetch?: FetchLike } = {},
): (cluster: DeployedCluster, job: SyncJob) => RegistryCredentials {
  return (cluster, job) =>
    ecrCredentials({
      credentials: () => access.credentials(targetOf(cluster), tagsOf(job)),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
}
