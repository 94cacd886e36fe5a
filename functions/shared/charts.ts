import { ChartRefusedError, ChartSource } from '../../lib/adapters/charts';
import { ecrCredentials } from '../../lib/adapters/charts/ecr';
import type { Deployment } from './deployment';

/** The function role's credentials, as Lambda puts them in the environment (no provider chain to bundle). */
function lambdaCredentials() {
  const { AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN } = process.env;
  if (!AWS_ACCESS_KEY_ID || !AWS_SECRET_ACCESS_KEY)
    throw new ChartRefusedError('Amazon ECR: no AWS credentials in the environment to log in with');
  return {
    accessKeyId: AWS_ACCESS_KEY_ID,
    secretAccessKey: AWS_SECRET_ACCESS_KEY,
    ...(AWS_SESSION_TOKEN ? { sessionToken: AWS_SESSION_TOKEN } : {}),
  };
}

let cached: { deployment: Deployment; source: ChartSource } | undefined;

/**
 * The remote chart source of the deployment's `chartRepositories` (#15), one per warm container:
 * its content-addressed cache under PLUMBLINE_CACHE_DIR (Lambda's /tmp) serves later invocations.
 * Amazon ECR registries are logged in to with the function's own role (GetAuthorizationToken).
 */
export function chartSourceFor(deployment: Deployment): ChartSource {
  if (cached?.deployment !== deployment) {
    cached = {
      deployment,
      source: new ChartSource({
        allowList: deployment.chartRepositories ?? [],
        credentials: ecrCredentials({ credentials: async () => lambdaCredentials() }),
      }),
    };
  }
  return cached.source;
}
