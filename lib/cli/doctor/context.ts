import type { PlumblineConfig } from '../../core/deployment/config';
import type { DoctorPorts } from './ports';
import type { DeployedStack } from './stack-reader';

/** Who runs doctor (STS GetCallerIdentity), and what the checks share. */
export interface DoctorContext {
  readonly config: PlumblineConfig;
  readonly configFile: string;
  /** The main stack's region: --region, else env.region, else the environment's. */
  readonly region: string;
  readonly profile?: string;
  readonly ports: DoctorPorts;
  readonly caller: { readonly account: string; readonly arn: string; readonly partition: string };
  /** The main stack as CloudFormation describes it; undefined before `cdk deploy`. */
  readonly stack: DeployedStack | undefined;
  /** DescribeStacks failed: whether the stack exists is unknown, so nothing is judged "not yet deployed". */
  readonly stackUnknown?: boolean;
}

/** An aws CLI command line for a fix, in the region and profile doctor used. */
export function awsCli(ctx: Pick<DoctorContext, 'profile'>, command: string, region: string): string {
  return `aws ${command} --region ${region}${ctx.profile ? ` --profile ${ctx.profile}` : ''}`;
}

/** The IAM role of an assumed-role session (`arn:aws:sts::A:assumed-role/R/s` → `arn:aws:iam::A:role/R`). */
export function principalOf(arn: string): string {
  const m = /^arn:([\w-]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(arn);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : arn;
}

/** Shell-quotes a word for a fix line when it needs it. */
export function quote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
