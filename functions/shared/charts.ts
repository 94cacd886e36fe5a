import { ChartSource } from '../../lib/adapters/charts';
import type { Deployment } from './deployment';

let cached: { deployment: Deployment; source: ChartSource } | undefined;

/**
 * The remote chart source of the deployment's `chartRepositories` (#15), one per warm container:
 * its content-addressed cache under PLUMBLINE_CACHE_DIR (Lambda's /tmp) serves later invocations.
 */
export function chartSourceFor(deployment: Deployment): ChartSource {
  if (cached?.deployment !== deployment) {
    cached = { deployment, source: new ChartSource({ allowList: deployment.chartRepositories ?? [] }) };
  }
  return cached.source;
}
