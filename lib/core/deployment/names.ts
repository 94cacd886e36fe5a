import { createHash } from 'node:crypto';

/** IAM's limit on a role name. */
const MAX_ROLE_NAME = 64;
/** The longest region name a role name leaves room for (`us-isof-south-1` is 15). */
const MAX_REGION = 16;

/**
 * `name` as it is when it fits in `max` characters; otherwise its start and 8 hex digits of its
 * sha256, so that two long names that share a start still differ.
 */
function shorten(name: string, max: number): string {
  if (name.length <= max) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, max - hash.length - 1)}-${hash}`;
}

function checked(name: string, region: string): string {
  // A CDK token (`${Token[AWS.Region.8]}`) is resolved at deploy time, to a region that fits.
  if (!region.includes('${Token[') && region.length > MAX_REGION)
    throw new Error(`region ${region} is longer than the ${MAX_REGION} characters IAM role names leave it`);
  return name;
}

/**
 * The sync function's role: `<stack>-sync-<region>`. IAM names are global to an account, so the
 * region keeps two deployments of one stack, in two regions of an account, apart (ADR 0020). Derived
 * from the stack name and region alone: access stacks in other accounts name it before it exists.
 * `region` may be the deploy-time `AWS::Region`; the name is at most 64 characters either way.
 */
export function syncRoleName(stackName: string, region: string): string {
  const suffix = '-sync-';
  return checked(
    `${shorten(stackName, MAX_ROLE_NAME - suffix.length - MAX_REGION)}${suffix}${region}`,
    region,
  );
}

/**
 * A cluster's role: `plumbline-<cluster>-<cluster region>`. An EKS cluster name is unique in its
 * account and region, so this names one role per cluster an account holds (ADR 0020).
 */
export function clusterRoleName(cluster: string, region: string): string {
  const prefix = 'plumbline-';
  return checked(
    `${prefix}${shorten(cluster, MAX_ROLE_NAME - prefix.length - 1 - MAX_REGION)}-${region}`,
    region,
  );
}
