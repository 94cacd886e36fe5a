import type { Provider } from '../../lib/core/webhooks';

/** What the stack tells the functions (env PLUMBLINE_DEPLOYMENT, written by infra/constructs/plumbline.ts). */
export interface Deployment {
  readonly repositories: readonly DeployedRepository[];
  readonly clusters: readonly DeployedCluster[];
  /** The allow-list of remote chart repositories (#15); absent: none. */
  readonly chartRepositories?: readonly string[];
}

export interface DeployedRepository {
  readonly url: string;
  readonly branch: string;
  readonly provider: Provider;
  /**
   * The credentials secret's name, not a partial ARN: Secrets Manager reads the last six characters
   * of a partial ARN whose name ends in "-xxxxxx" (`platform-config`) as the random suffix and
   * finds nothing. A name is looked up as it is.
   */
  readonly credentialsSecretName?: string;
  /** Set a GitHub commit status per app on each commit it syncs (token from the credentials secret). */
  readonly commitStatus?: boolean;
}

export interface DeployedCluster {
  readonly name: string;
  readonly region: string;
  readonly roleArn: string;
  readonly allowedNamespaces: readonly string[];
  readonly clusterScoped: boolean;
}

export class DeploymentConfigError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DeploymentConfigError';
  }
}

export function requiredEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new DeploymentConfigError(`environment variable ${name} is not set`);
  return value;
}

export function deploymentFromEnv(env: NodeJS.ProcessEnv = process.env): Deployment {
  let raw: unknown;
  try {
    raw = JSON.parse(requiredEnv('PLUMBLINE_DEPLOYMENT', env));
  } catch (err: unknown) {
    if (err instanceof DeploymentConfigError) throw err;
    throw new DeploymentConfigError('PLUMBLINE_DEPLOYMENT is not JSON', { cause: err });
  }
  const d = raw as Partial<Deployment> | null;
  if (!d || !Array.isArray(d.repositories) || !Array.isArray(d.clusters)) {
    throw new DeploymentConfigError('PLUMBLINE_DEPLOYMENT needs repositories and clusters');
  }
  return d as Deployment;
}

export { sameRepository } from '../../lib/core/webhooks/repository';
