import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { ClusterProps, PlumblineConfig } from '../../core/deployment/config';
import { accessEntryRow } from './access-entry';
import { authModeRow, describeClusterRow, endpointRow, namespacesRow } from './check-cluster';
import { gitCredentialRows, secretPrefixRow, webhookSecretRow } from './check-secrets';
import { stackRows } from './check-stack';
import type { DoctorContext } from './context';
import type { DoctorPorts } from './ports';
import { type DoctorRow, fail, messageOf, ok, skip } from './rows';
import type { DeployedStack } from './stack-reader';

export interface DoctorOptions {
  readonly config: PlumblineConfig;
  readonly configFile: string;
  readonly region: string;
  readonly profile?: string;
}

/** Every check, in the order of the deploy guide; read-only: Describe, List and Get calls only. */
export async function runDoctor(options: DoctorOptions, ports: DoctorPorts): Promise<DoctorRow[]> {
  const { config, region, profile } = options;
  const rows: DoctorRow[] = [];
  let caller: DoctorContext['caller'];
  try {
    const id = await ports.sts(region).send(new GetCallerIdentityCommand({}));
    const arn = id.Arn ?? '';
    caller = { account: id.Account ?? '', arn, partition: arn.split(':')[1] || 'aws' };
    rows.push(ok('AWS credentials', `${arn} (account ${caller.account})`));
  } catch (err: unknown) {
    rows.push(
      fail(
        'AWS credentials',
        messageOf(err),
        profile
          ? `aws sso login --profile ${profile} (or aws configure --profile ${profile})`
          : 'aws configure, or pass --profile',
      ),
    );
    return rows;
  }
  const again = (account: string) =>
    `plumbline doctor --config ${options.configFile} --profile <a profile of account ${account}>`;
  // Credentials of an account that holds no part of the deployment would leave only – rows and exit 0.
  const accounts = new Set([
    config.env?.account ?? caller.account,
    ...config.clusters.map((c) => c.account ?? config.env?.account ?? caller.account),
  ]);
  if (!accounts.has(caller.account)) {
    const list = [...accounts];
    return [
      fail(
        'AWS credentials',
        `${caller.arn} is in account ${caller.account}, which holds no part of this deployment (${list.join(', ')})`,
        again(list[0] ?? ''),
      ),
    ];
  }
  const mainAccount = config.env?.account ?? caller.account;
  let stack: DeployedStack | undefined;
  const base = { ...options, ports, caller };
  if (mainAccount !== caller.account) {
    rows.push(
      skip(
        `stack ${config.stackName}`,
        `the deployment is in account ${mainAccount}, not ${caller.account}`,
        again(mainAccount),
      ),
    );
  } else {
    try {
      stack = await ports.stacks.describe(config.stackName, region);
    } catch (err: unknown) {
      rows.push(
        fail(
          `stack ${config.stackName} (${region})`,
          messageOf(err),
          'allow cloudformation:DescribeStacks to this principal',
        ),
      );
      return [...rows, ...(await clusterRows({ ...base, stack: undefined, stackUnknown: true }, again))];
    }
    const ctx: DoctorContext = { ...base, stack };
    rows.push(...stackRows(ctx), await webhookSecretRow(ctx), ...(await gitCredentialRows(ctx)));
  }
  return [...rows, ...(await clusterRows({ ...base, stack }, again))];
}

async function clusterRows(ctx: DoctorContext, again: (account: string) => string): Promise<DoctorRow[]> {
  const rows: DoctorRow[] = [];
  for (const [index, c] of ctx.config.clusters.entries()) {
    const account = c.account ?? ctx.config.env?.account ?? ctx.caller.account;
    if (account !== ctx.caller.account) {
      rows.push(
        skip(
          `cluster ${c.name}`,
          `in account ${account}: no credentials there (these are ${ctx.caller.account})`,
          again(account),
        ),
      );
      continue;
    }
    const { row, cluster } = await describeClusterRow(ctx, c, index);
    rows.push(row);
    if (!cluster) continue;
    rows.push(authModeRow(ctx, c, cluster), endpointRow(ctx, c, cluster));
    rows.push(await accessEntryRow(ctx, c, account, await accessStack(ctx, c, account)));
    rows.push(await namespacesRow(ctx, c, cluster));
    rows.push(await secretPrefixRow(ctx, c));
  }
  return rows;
}

/** Which stack makes the cluster's access entry (infra/build-app.ts), and whether it is deployed. */
async function accessStack(
  ctx: DoctorContext,
  c: ClusterProps,
  account: string,
): Promise<{ yes: boolean; command: string }> {
  const env = ctx.config.env;
  const remote = !!env && (account !== env.account || c.region !== env.region);
  if (!remote)
    return { yes: ctx.stack !== undefined || ctx.stackUnknown === true, command: 'npx cdk deploy --all' };
  const name = `${ctx.config.stackName}-access-${c.name}`;
  const deployed = await ctx.ports.stacks.describe(name, c.region).then(
    (s) => s !== undefined,
    // Unknown: judge the entry as if deployed, so a missing one is a ✗, not a quiet –.
    () => true,
  );
  return { yes: deployed, command: `npx cdk deploy ${name}` };
}
