import { parseArgs } from 'node:util';
import { EksClusterAccess } from '../../adapters/aws/cluster-access';
import { execCredential } from '../../adapters/aws/eks-token';
import { UsageError } from '../errors';
import type { CliIo } from '../io';

export const EKS_HELP = `Usage: plumbline eks token --cluster NAME [--region R] [--role-arn ARN]

Prints an ExecCredential with an EKS bearer token, as \`aws eks get-token\` does, minted with the
role Plumbline's sync function would use, so you can debug its access with kubectl:

  users:
  - name: plumbline
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1beta1
        command: npx
        args: [plumbline, eks, token, --cluster, prod, --role-arn, arn:aws:iam::123456789012:role/plumbline-prod-eu-west-1]
`;

export async function eksCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.out(EKS_HELP);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'token') throw new UsageError(`unknown eks command '${sub}'; run 'plumbline eks --help'`);
  const { values } = parseArgs({
    args: rest,
    options: {
      cluster: { type: 'string' },
      region: { type: 'string' },
      'role-arn': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    io.out(EKS_HELP);
    return 0;
  }
  if (!values.cluster) throw new UsageError('--cluster NAME is required');
  const region = values.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) throw new UsageError('--region is required (or set AWS_REGION)');
  const roleArn = values['role-arn'];
  if (roleArn !== undefined && !/^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(roleArn)) {
    throw new UsageError(`--role-arn "${roleArn}" is not an IAM role ARN`);
  }
  const access = new EksClusterAccess();
  const token = await access.token(
    { name: values.cluster, region, ...(roleArn ? { roleArn } : {}) },
    { app: 'cli' },
  );
  io.out(`${JSON.stringify(execCredential(token))}\n`);
  return 0;
}
