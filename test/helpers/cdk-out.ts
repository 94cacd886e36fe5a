import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { finished } from './process';
import { ROOT } from './shipped';

/** Synth bundles three functions with esbuild: seconds alone, minutes on a machine shared with other work. */
export const SYNTH_TIMEOUT_MS = 480_000;

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

export interface Template {
  readonly Resources: Record<string, CfnResource>;
}

/** `cdk synth` of the stack for a config file into `out`, offline: no credentials, no metadata, a refusing proxy. */
export async function cdkSynth(config: string, out: string): Promise<Template> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('AWS_') && !k.startsWith('CDK_')) env[k] = v;
  // Its own process group: on a timeout the CLI and the app it runs (node scripts/cdk-app.mjs) both end.
  const child = spawn(join(ROOT, 'node_modules', '.bin', 'cdk'), ['synth', '--quiet', '--output', out], {
    cwd: ROOT,
    detached: true,
    env: {
      ...env,
      PLUMBLINE_CONFIG: config,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      HTTPS_PROXY: 'http://127.0.0.1:9',
      HTTP_PROXY: 'http://127.0.0.1:9',
    },
  });
  const timer = setTimeout(() => {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  }, SYNTH_TIMEOUT_MS);
  const done = await finished(child).finally(() => clearTimeout(timer));
  if (done.code !== 0)
    throw new Error(`cdk synth exited ${done.code}: ${done.stderr.trim().split('\n').slice(-5).join('\n')}`);
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { type: string; properties?: { templateFile?: string } }>;
  };
  const stack = Object.values(manifest.artifacts).find(
    (a) => a.type === 'aws:cloudformation:stack' && a.properties?.templateFile?.startsWith('Plumbline.'),
  );
  if (!stack?.properties?.templateFile) throw new Error('cdk synth wrote no Plumbline stack');
  return JSON.parse(readFileSync(join(out, stack.properties.templateFile), 'utf8')) as Template;
}

/** What the resources of a template are called once "deployed" on the local parts. */
export interface LocalNames {
  readonly account: string;
  readonly region: string;
  /** The SQS endpoint queue URLs are made on (the AWS twin). */
  readonly sqsEndpoint: string;
}

/**
 * Resolves the intrinsic functions a function's environment uses (Ref, Fn::GetAtt Arn, Fn::Join,
 * pseudo parameters) to the names the local parts give the resources: a table is named by its
 * logical id, a queue's URL is on the twin, a secret's and a key's ARN end in the logical id.
 */
export function resolveValue(template: Template, names: LocalNames, value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if ('Fn::Join' in v) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => resolveValue(template, names, p)).join(sep);
  }
  if ('Ref' in v) {
    const id = String(v.Ref);
    const pseudo: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::AccountId': names.account,
      'AWS::Region': names.region,
      'AWS::URLSuffix': 'amazonaws.com',
    };
    if (pseudo[id] !== undefined) return pseudo[id];
    const type = template.Resources[id]?.Type;
    if (type === 'AWS::DynamoDB::Table') return id;
    if (type === 'AWS::SQS::Queue') return `${names.sqsEndpoint}/${names.account}/${id}.fifo`;
    if (type === 'AWS::SecretsManager::Secret')
      return `arn:aws:secretsmanager:${names.region}:${names.account}:secret:${id}`;
    if (type === 'AWS::S3::Bucket') return id.toLowerCase();
    throw new Error(`no local name for Ref ${id} (${type})`);
  }
  if ('Fn::GetAtt' in v) {
    const [id, attr] = v['Fn::GetAtt'] as [string, string];
    const type = template.Resources[id]?.Type;
    if (type === 'AWS::KMS::Key' && attr === 'Arn')
      return `arn:aws:kms:${names.region}:${names.account}:key/${id}`;
    if (type === 'AWS::SQS::Queue' && attr === 'Arn')
      return `arn:aws:sqs:${names.region}:${names.account}:${id}.fifo`;
    if (type === 'AWS::IAM::Role' && attr === 'Arn') return `arn:aws:iam::${names.account}:role/${id}`;
    throw new Error(`no local name for GetAtt ${id}.${attr} (${type})`);
  }
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

export interface ShippedFunction {
  readonly logicalId: string;
  /** The asset directory in cdk.out (what Lambda unpacks into /var/task). */
  readonly dir: string;
  /** `index.handler` */
  readonly handler: string;
  readonly runtime: string;
  readonly memorySize: number;
  readonly timeoutSeconds: number;
  /** The template's environment, resolved to the local parts. */
  readonly environment: Record<string, string>;
}

/** The template's Lambda functions, located through their asset paths, by the entry they were bundled from. */
export function shippedFunctions(template: Template, out: string, names: LocalNames): ShippedFunction[] {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.['aws:asset:path'])
    .map(([logicalId, r]) => {
      const p = r.Properties ?? {};
      const variables = ((p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
        {}) as Record<string, unknown>;
      const environment: Record<string, string> = {};
      for (const [k, v] of Object.entries(variables)) environment[k] = resolveValue(template, names, v);
      return {
        logicalId,
        dir: join(out, String(r.Metadata?.['aws:asset:path'])),
        handler: String(p.Handler),
        runtime: String(p.Runtime),
        memorySize: Number(p.MemorySize ?? 128),
        timeoutSeconds: Number(p.Timeout ?? 3),
        environment,
      };
    });
}

/** Creates each DynamoDB table of the template (key schema, indexes) in DynamoDB Local, named by logical id. */
export async function createTemplateTables(template: Template, client: DynamoDBClient): Promise<string[]> {
  const created: string[] = [];
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type !== 'AWS::DynamoDB::Table') continue;
    const p = r.Properties ?? {};
    const input = {
      TableName: id,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: p.KeySchema,
      AttributeDefinitions: p.AttributeDefinitions,
      ...(p.GlobalSecondaryIndexes
        ? {
            GlobalSecondaryIndexes: (p.GlobalSecondaryIndexes as Record<string, unknown>[]).map((g) => ({
              IndexName: g.IndexName,
              KeySchema: g.KeySchema,
              Projection: g.Projection,
            })),
          }
        : {}),
    } as CreateTableCommandInput;
    await client.send(new CreateTableCommand(input));
    created.push(id);
  }
  return created;
}
