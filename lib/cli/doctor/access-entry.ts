import {
  type AssociatedAccessPolicy,
  DescribeAccessEntryCommand,
  ListAssociatedAccessPoliciesCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-eks';
import type { ClusterAccessLevel, ClusterProps } from '../../core/deployment/config';
import { clusterRoleName } from '../../core/deployment/names';
import { awsCli, type DoctorContext } from './context';
import { type DoctorRow, fail, messageOf, ok, skip } from './rows';

/** The EKS access policy each `clusters[].access` level maps to (the construct's mapping, by name). */
export const ACCESS_POLICY: Record<ClusterAccessLevel, string> = {
  view: 'AmazonEKSViewPolicy',
  edit: 'AmazonEKSEditPolicy',
  admin: 'AmazonEKSAdminPolicy',
};
export const CLUSTER_ADMIN = 'AmazonEKSClusterAdminPolicy';

interface Expected {
  readonly policy: string;
  /** Undefined: cluster scope. */
  readonly namespaces?: readonly string[];
}

function expected(cluster: ClusterProps): Expected[] {
  const out: Expected[] = [
    { policy: ACCESS_POLICY[cluster.access ?? 'edit'], namespaces: [...cluster.allowedNamespaces].sort() },
  ];
  if (cluster.clusterScoped) out.push({ policy: CLUSTER_ADMIN });
  return out;
}

const nameOf = (policyArn: string | undefined) => policyArn?.split('/').pop() ?? '';

function describe(e: Expected): string {
  return e.namespaces ? `${e.policy} in ${e.namespaces.join(', ')}` : `${e.policy} cluster-wide`;
}

/** What differs between the associations EKS has and the ones the config asks for, one phrase each. */
export function accessDifferences(
  cluster: ClusterProps,
  live: readonly AssociatedAccessPolicy[],
): {
  readonly missing: string[];
  readonly extra: { readonly text: string; readonly policyArn: string }[];
} {
  const want = expected(cluster);
  const missing: string[] = [];
  for (const e of want) {
    const found = live.find((a) => {
      if (nameOf(a.policyArn) !== e.policy) return false;
      if (!e.namespaces) return a.accessScope?.type === 'cluster';
      const have = [...(a.accessScope?.namespaces ?? [])].sort();
      return a.accessScope?.type === 'namespace' && have.join(',') === e.namespaces.join(',');
    });
    if (!found) missing.push(describe(e));
  }
  const extra = live
    .filter((a) => !want.some((e) => e.policy === nameOf(a.policyArn)))
    .map((a) => ({
      text: `${nameOf(a.policyArn)} ${a.accessScope?.type === 'cluster' ? 'cluster-wide' : `in ${(a.accessScope?.namespaces ?? []).join(', ')}`}`,
      policyArn: a.policyArn ?? '',
    }));
  return { missing, extra };
}

/**
 * The cluster role's access entry and its policies against `access`, `allowedNamespaces` and
 * `clusterScoped`. `deployed` says whether the stack that creates the entry exists: before it does,
 * a missing entry is expected (–), after it a ✗.
 */
export async function accessEntryRow(
  ctx: DoctorContext,
  cluster: ClusterProps,
  account: string,
  deployed: { readonly yes: boolean; readonly command: string },
): Promise<DoctorRow> {
  const check = `cluster ${cluster.name}: access entry`;
  const principalArn = `arn:${ctx.caller.partition}:iam::${account}:role/${clusterRoleName(cluster.name, cluster.region)}`;
  const eks = ctx.ports.eks(cluster.region);
  const input = { clusterName: cluster.name, principalArn };
  try {
    await eks.send(new DescribeAccessEntryCommand(input));
  } catch (err: unknown) {
    if (!(err instanceof ResourceNotFoundException))
      return fail(
        check,
        `cannot describe it: ${messageOf(err)}`,
        'allow eks:DescribeAccessEntry to this principal',
      );
    if (!deployed.yes) return skip(check, `not yet deployed (for ${principalArn})`, deployed.command);
    return fail(check, `no access entry for ${principalArn}`, deployed.command);
  }
  const live: AssociatedAccessPolicy[] = [];
  try {
    let nextToken: string | undefined;
    do {
      const page = await eks.send(new ListAssociatedAccessPoliciesCommand({ ...input, nextToken }));
      live.push(...(page.associatedAccessPolicies ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
  } catch (err: unknown) {
    return fail(
      check,
      `cannot list its policies: ${messageOf(err)}`,
      'allow eks:ListAssociatedAccessPolicies to this principal',
    );
  }
  const { missing, extra } = accessDifferences(cluster, live);
  if (missing.length === 0 && extra.length === 0)
    return ok(check, expected(cluster).map(describe).join('; '));
  if (missing.length > 0) {
    const also = extra.length > 0 ? `; not in the config: ${extra.map((e) => e.text).join(', ')}` : '';
    return fail(check, `missing ${missing.join(', ')}${also}`, deployed.command);
  }
  // More access than the config gives: the stack does not own it, so deploying would not remove it.
  return fail(
    check,
    `more than the config gives: ${extra.map((e) => e.text).join(', ')}`,
    extra
      .map((e) =>
        awsCli(
          ctx,
          `eks disassociate-access-policy --cluster-name ${cluster.name} --principal-arn ${principalArn} --policy-arn ${e.policyArn}`,
          cluster.region,
        ),
      )
      .join(' && '),
  );
}
