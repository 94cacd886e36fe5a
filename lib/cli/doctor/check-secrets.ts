import {
  DescribeSecretCommand,
  ListSecretsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-secrets-manager';
import { DEPLOY } from './check-stack';
import { awsCli, type DoctorContext, quote } from './context';
import { type DoctorRow, fail, messageOf, ok, skip } from './rows';

/** The webhook secret the stack made (its ARN is an output): it exists and is not scheduled for deletion. */
export async function webhookSecretRow(ctx: DoctorContext): Promise<DoctorRow> {
  const check = 'webhook secret';
  const arn = ctx.stack?.outputs.WebhookSecretArn;
  if (!ctx.stack) return skip(check, 'not yet deployed (the stack creates it)', DEPLOY);
  if (!arn) return fail(check, 'the stack has no WebhookSecretArn output', DEPLOY);
  return describeSecretRow(ctx, check, arn, ctx.region, DEPLOY);
}

/** Each repository's git credentials secret, in the main stack's region, where the sync function reads it. */
export async function gitCredentialRows(ctx: DoctorContext): Promise<DoctorRow[]> {
  const rows: DoctorRow[] = [];
  for (const repo of ctx.config.repositories) {
    const name = repo.credentialsSecretName;
    if (!name) continue;
    const create = awsCli(
      ctx,
      `secretsmanager create-secret --name ${quote(name)} --secret-string '{"token":"<git token>"}'`,
      ctx.region,
    );
    rows.push(
      await describeSecretRow(ctx, `git credentials ${name} (${repo.url})`, name, ctx.region, create),
    );
  }
  return rows;
}

/** DescribeSecret only: a secret's value is never read. */
async function describeSecretRow(
  ctx: DoctorContext,
  check: string,
  secretId: string,
  region: string,
  createFix: string,
): Promise<DoctorRow> {
  try {
    const out = await ctx.ports.secrets(region).send(new DescribeSecretCommand({ SecretId: secretId }));
    if (out.DeletedDate) {
      return fail(
        check,
        `scheduled for deletion on ${out.DeletedDate.toISOString().slice(0, 10)}`,
        awsCli(ctx, `secretsmanager restore-secret --secret-id ${quote(secretId)}`, region),
      );
    }
    return ok(check, `exists in ${region}`);
  } catch (err: unknown) {
    if (err instanceof ResourceNotFoundException) return fail(check, `not found in ${region}`, createFix);
    return fail(
      check,
      `cannot describe it: ${messageOf(err)}`,
      'allow secretsmanager:DescribeSecret to this principal',
    );
  }
}

/** `plumbline/<cluster>/…` in the cluster's region, where its role reads app secrets: listed, never read. */
export async function secretPrefixRow(
  ctx: DoctorContext,
  cluster: { readonly name: string; readonly region: string },
): Promise<DoctorRow> {
  const prefix = `plumbline/${cluster.name}/`;
  const check = `cluster ${cluster.name}: secrets ${prefix}`;
  try {
    const out = await ctx.ports
      .secrets(cluster.region)
      .send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [prefix] }], MaxResults: 100 }));
    // The name filter matches prefixes without regard to case: keep the exact ones.
    const names = (out.SecretList ?? []).flatMap((s) => (s.Name?.startsWith(prefix) ? [s.Name] : []));
    if (names.length === 0)
      return ok(check, `empty in ${cluster.region} (needed only when manifests reference secrets)`);
    const more = out.NextToken ? ' or more' : '';
    return ok(check, `${names.length}${more} secret${names.length === 1 ? '' : 's'} in ${cluster.region}`);
  } catch (err: unknown) {
    return fail(
      check,
      `cannot list them: ${messageOf(err)}`,
      'allow secretsmanager:ListSecrets to this principal',
    );
  }
}
