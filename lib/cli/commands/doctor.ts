import { parseArgs } from 'node:util';
// The deployment config's one schema, shared with `cdk synth` (it imports zod and node:fs, no CDK).
import { loadPlumblineConfig } from '../../adapters/deployment/config-file';
import { CONFIG_FILE, PlumblineConfigError } from '../../core/deployment/config';
import { awsDoctorPorts, type DoctorPorts } from '../doctor/ports';
import { exitCodeOf, formatRows } from '../doctor/rows';
import { runDoctor } from '../doctor/run';
import { UsageError } from '../errors';
import type { CliIo } from '../io';

export const DOCTOR_HELP = `Usage: plumbline doctor [--config FILE] [--region R] [--profile P] [-o json]

Checks a deployment against the AWS account, before and after \`cdk deploy\`, reading only
(Describe/List calls; no secret value is read). One row per check: ✓ passed, ✗ failed (with the
command or config edit that fixes it), – not checked (not yet deployed, or in another account).

Checks: your AWS credentials; the stack, its outputs and its webhook secret; each repository's
git credentials secret; for each cluster: it exists, its authentication mode includes the API, its
endpoint access matches \`network\`, its access entry gives what \`access\`, \`allowedNamespaces\` and
\`clusterScoped\` say, the allowed namespaces exist (read with your credentials through an EKS
token), and what is under plumbline/<cluster>/ in Secrets Manager.

Options:
  --config FILE   the deployment config (default $PLUMBLINE_CONFIG or ${CONFIG_FILE})
  --region R      the stack's region (default the config's env.region, then $AWS_REGION)
  --profile P     the AWS profile to use (default the SDK's credential chain)
  -o, --output    text (default) or json
  -h, --help      this help

Exit codes: 0 no ✗; 1 any ✗; 2 bad usage or an invalid config.
`;

const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;

export async function doctorCommand(args: string[], io: CliIo, ports?: DoctorPorts): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      config: { type: 'string' },
      region: { type: 'string' },
      profile: { type: 'string' },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.help) {
    io.out(DOCTOR_HELP);
    return 0;
  }
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument '${positionals[0]}'; run 'plumbline doctor --help'`);
  const output = values.output ?? 'text';
  if (output !== 'text' && output !== 'json') throw new UsageError(`-o ${output}: must be text or json`);
  if (values.profile !== undefined && !/^\S+$/.test(values.profile))
    throw new UsageError(`--profile "${values.profile}" is not a profile name`);
  const configFile = values.config ?? process.env.PLUMBLINE_CONFIG ?? CONFIG_FILE;
  let config: ReturnType<typeof loadPlumblineConfig>;
  try {
    config = loadPlumblineConfig(configFile);
  } catch (err: unknown) {
    if (err instanceof PlumblineConfigError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
  const region =
    values.region ?? config.env?.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) throw new UsageError('--region is required (or env.region in the config, or AWS_REGION)');
  if (!REGION.test(region)) throw new UsageError(`--region "${region}" is not an AWS region`);
  if (values.region && config.env?.region && values.region !== config.env.region)
    throw new UsageError(
      `--region ${values.region} differs from env.region ${config.env.region} in ${configFile}`,
    );
  const rows = await runDoctor(
    { config, configFile, region, ...(values.profile ? { profile: values.profile } : {}) },
    ports ?? awsDoctorPorts(values.profile),
  );
  io.out(output === 'json' ? `${JSON.stringify({ rows }, null, 2)}\n` : formatRows(rows));
  return exitCodeOf(rows);
}
