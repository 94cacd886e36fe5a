import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { scheduleProblem } from './schedule';

export const CONFIG_FILE = 'plumbline.config.json';
export const WEBHOOK_PROVIDERS = ['github', 'gitlab', 'bitbucket', 'gitea', 'generic'] as const;
export type WebhookProviderName = (typeof WEBHOOK_PROVIDERS)[number];
/** The EKS access policies a cluster's access entry can give in its allowed namespaces (#13). */
export const CLUSTER_ACCESS_LEVELS = ['view', 'edit', 'admin'] as const;
export type ClusterAccessLevel = (typeof CLUSTER_ACCESS_LEVELS)[number];

/** A repository the deployment syncs from (#7). */
export interface RepositoryProps {
  /** HTTPS clone URL, as the git host's push payload names it. */
  readonly url: string;
  readonly branch: string;
  readonly provider: WebhookProviderName;
  /** Secrets Manager secret (by name) with the git credentials; omitted for a public repository. */
  readonly credentialsSecretName?: string;
  /**
   * Deploy only commits signed by one of these keys (policy `head`). Key files, read at synth time and
   * embedded in the sync function: armored OpenPGP public keys (`gpg --armor --export`) and SSH
   * allowed_signers files. In plumbline.config.json, paths are relative to the config file.
   */
  readonly verifySignatures?: SignatureKeyFiles;
  /**
   * GitHub only: set a commit status `plumbline/<cluster>/<app>` on each synced commit, with the token
   * of the credentials secret (`{"token": …}`).
   */
  readonly commitStatus?: boolean;
}

export interface SignatureKeyFiles {
  readonly openpgp?: readonly string[];
  readonly ssh?: readonly string[];
}

/** A cluster the deployment may target: the trust boundary of what a repository can change. */
export interface ClusterProps {
  /** The EKS cluster name; also names its IAM role (`plumbline-<name>-<region>`) and secrets (`plumbline/<name>/*`). */
  readonly name: string;
  readonly region: string;
  /** The cluster's account when it differs from the deployment's: deploy ClusterAccessStack there. */
  readonly account?: string;
  readonly allowedNamespaces: readonly string[];
  /**
   * The EKS access policy in the allowed namespaces: `view`, `edit` (the default) or `admin`
   * (AmazonEKSViewPolicy, AmazonEKSEditPolicy, AmazonEKSAdminPolicy). Roles and RoleBindings need `admin`.
   */
  readonly access?: ClusterAccessLevel;
  /** Whether cluster-scoped kinds (Namespaces, CRDs, ClusterRoles) may be applied. */
  readonly clusterScoped: boolean;
}

/** Where the sync function runs to reach private cluster endpoints (one VPC: a function attaches to one). */
export interface NetworkProps {
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly availabilityZones: readonly string[];
  /** Security groups to attach; omitted: the stack creates one with egress only. */
  readonly securityGroupIds?: readonly string[];
  /**
   * The cluster security groups (`aws eks describe-cluster --query
   * cluster.resourcesVpcConfig.clusterSecurityGroupId`) of the clusters reached through this VPC: each
   * gets an ingress rule on 443 from the function's security groups. Omitted: add that rule yourself.
   */
  readonly clusterSecurityGroupIds?: readonly string[];
  /** Create the VPC endpoints the sync function calls (subnets without NAT); needs routeTableIds. */
  readonly createEndpoints?: boolean;
  /** The route tables of subnetIds, for the DynamoDB gateway endpoint. */
  readonly routeTableIds?: readonly string[];
}

export interface PlumblineProps {
  readonly repositories: readonly RepositoryProps[];
  readonly clusters: readonly ClusterProps[];
  /** An EventBridge schedule expression for drift checks (default `rate(10 minutes)`). */
  readonly schedule?: string;
  readonly alarmEmail?: string;
  readonly alarmTopicArn?: string;
  readonly network?: NetworkProps;
  /** Days to keep function and access logs (default 90). */
  readonly logRetentionDays?: number;
  /**
   * Reserved concurrency of the webhook function (default 10); 0 reserves none, for an account whose
   * Lambda concurrency quota is under 110 (Lambda keeps 100 unreserved).
   */
  readonly webhookConcurrency?: number;
  /**
   * Chart repositories and OCI registries remote charts may come from (#15): `https://…`, `http://…`
   * or `oci://host/path`, matched as a whole-segment path prefix. Omitted: every remote chart is refused.
   */
  readonly chartRepositories?: readonly string[];
  /**
   * Files of armored OpenPGP public keys, relative to the config file: when given, every remote
   * chart must have a helm provenance file (.prov) signed by one of them (#15).
   */
  readonly chartKeyring?: readonly string[];
}

export interface PlumblineConfig extends PlumblineProps {
  readonly stackName: string;
  /** Optional: synth stays environment-agnostic without it, and needs no credentials either way. */
  readonly env?: { readonly account: string; readonly region: string };
}

export class PlumblineConfigError extends Error {
  constructor(
    readonly file: string,
    readonly issues: readonly string[],
  ) {
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    super(`${file}: ${issues[0] ?? 'invalid'}${more}`);
    this.name = 'PlumblineConfigError';
  }
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;

const label = z.string().regex(DNS_LABEL, 'must be a DNS label (lowercase letters, digits, -)');
const account = z.string().regex(ACCOUNT, 'must be a 12-digit AWS account id');
const region = z.string().regex(REGION, 'must be an AWS region such as eu-west-1');

const keyFiles = z
  .array(z.string().trim().min(1, 'must be a file path'))
  .min(1, 'must list at least one key file')
  .max(20, 'must list at most 20 key files');

const repository = z.strictObject({
  url: z
    .url({ protocol: /^https$/, error: 'must be an https:// clone URL' })
    // Credentials in the URL would be logged with it; they belong in credentialsSecretName.
    .refine(
      (u) => !/^https:\/\/[^/]*@/.test(u),
      'must not carry credentials: put them in credentialsSecretName',
    ),
  branch: z.string().min(1).max(255),
  provider: z.enum(WEBHOOK_PROVIDERS),
  credentialsSecretName: z
    .string()
    .regex(/^[\w/+=.@-]{1,512}$/, 'must be a Secrets Manager secret name')
    .optional(),
  verifySignatures: z
    .strictObject({ openpgp: keyFiles.optional(), ssh: keyFiles.optional() })
    .refine((v) => v.openpgp !== undefined || v.ssh !== undefined, 'must list openpgp or ssh key files')
    .optional(),
  commitStatus: z.boolean().optional(),
});

const cluster = z.strictObject({
  name: z
    .string()
    .regex(/^[a-zA-Z][-a-zA-Z0-9]{0,49}$/, 'must be an EKS cluster name (at most 50 characters)'),
  region,
  account: account.optional(),
  allowedNamespaces: z.array(label).min(1, 'must list at least one namespace').max(50),
  access: z.enum(CLUSTER_ACCESS_LEVELS).default('edit'),
  clusterScoped: z.boolean().default(false),
});

const schema = z
  .strictObject({
    $schema: z.string().optional(),
    stackName: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/)
      .default('Plumbline'),
    env: z.strictObject({ account, region }).optional(),
    repositories: z.array(repository).min(1, 'must list at least one repository'),
    clusters: z.array(cluster).min(1, 'must list at least one cluster'),
    schedule: z
      .string()
      .superRefine((expr, ctx) => {
        const problem = scheduleProblem(expr);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
    alarmEmail: z.email().optional(),
    alarmTopicArn: z
      .string()
      .regex(/^arn:aws[-a-z]*:sns:[-a-z0-9]+:\d{12}:[\w-]+$/, 'must be an SNS topic ARN')
      .optional(),
    network: z
      .strictObject({
        vpcId: z.string().regex(/^vpc-[0-9a-f]+$/, 'must be a VPC id'),
        subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/, 'must be a subnet id')).min(1),
        availabilityZones: z.array(z.string().min(1)).min(1),
        securityGroupIds: z
          .array(z.string().regex(/^sg-[0-9a-f]+$/, 'must be a security group id'))
          .optional(),
        clusterSecurityGroupIds: z
          .array(z.string().regex(/^sg-[0-9a-f]+$/, 'must be a security group id'))
          .min(1)
          .optional(),
        createEndpoints: z.boolean().optional(),
        routeTableIds: z
          .array(z.string().regex(/^rtb-[0-9a-f]+$/, 'must be a route table id'))
          .min(1)
          .optional(),
      })
      .refine((n) => !n.createEndpoints || n.routeTableIds !== undefined, {
        path: ['routeTableIds'],
        message: "needed with createEndpoints: DynamoDB's gateway endpoint is a route in these tables",
      })
      .optional(),
    logRetentionDays: z.number().int().min(1).max(3653).optional(),
    webhookConcurrency: z.number().int().min(0).max(1000).optional(),
    chartRepositories: z
      .array(
        z
          .string()
          .regex(
            /^(https?|oci):\/\/[^/@\s?#]+(\/[^\s?#]*)?$/,
            'must be an https://, http:// or oci:// URL without credentials',
          ),
      )
      .max(50)
      .optional(),
    chartKeyring: keyFiles.optional(),
  })
  .superRefine((config, ctx) => {
    const names = new Set<string>();
    config.clusters.forEach((c, i) => {
      if (names.has(c.name))
        ctx.addIssue({
          code: 'custom',
          path: ['clusters', i, 'name'],
          message: `duplicate cluster ${c.name}`,
        });
      names.add(c.name);
    });
    const urls = new Set<string>();
    config.clusters.forEach((c, i) => {
      if (c.account && c.account !== config.env?.account && !config.env)
        ctx.addIssue({
          code: 'custom',
          path: ['clusters', i, 'account'],
          message: 'a cluster in another account needs env.account (the trusted sync role lives there)',
        });
    });
    // Without env the stack's region is known only at deploy, so every cluster gets its access entry
    // in the main stack, and CloudFormation makes access entries in its own region only.
    const firstRegion = config.clusters[0]?.region;
    if (!config.env)
      config.clusters.forEach((c, i) => {
        if (c.region !== firstRegion)
          ctx.addIssue({
            code: 'custom',
            path: ['clusters', i, 'region'],
            message: `cluster ${c.name} is in ${c.region}, ${config.clusters[0]?.name} in ${firstRegion}: clusters in more than one region need env {account, region} (each other region gets an access stack)`,
          });
      });
    config.repositories.forEach((r, i) => {
      if (urls.has(r.url))
        ctx.addIssue({ code: 'custom', path: ['repositories', i, 'url'], message: 'duplicate repository' });
      urls.add(r.url);
      if (r.commitStatus && r.provider !== 'github')
        ctx.addIssue({
          code: 'custom',
          path: ['repositories', i, 'commitStatus'],
          message: 'commit statuses are set on GitHub only (provider github)',
        });
      if (r.commitStatus && !r.credentialsSecretName)
        ctx.addIssue({
          code: 'custom',
          path: ['repositories', i, 'commitStatus'],
          message: 'needs credentialsSecretName: the token that sets statuses is read from it',
        });
    });
  });

function where(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}

/** Validates a parsed config: every mistake becomes one line `path: message`. */
export function parsePlumblineConfig(raw: unknown, file = CONFIG_FILE): PlumblineConfig {
  const result = schema.safeParse(raw);
  if (!result.success) {
    throw new PlumblineConfigError(
      file,
      result.error.issues.map((issue) => `${where(issue.path) || '(root)'}: ${issue.message}`),
    );
  }
  const { $schema: _ignored, ...config } = result.data;
  // Key files are named relative to the config file, wherever synth runs from.
  const base = dirname(resolve(file));
  const repositories = config.repositories.map((repo) => {
    const keys = repo.verifySignatures;
    if (!keys) return repo;
    const resolved = (paths: readonly string[] | undefined) => paths?.map((p) => resolve(base, p));
    return {
      ...repo,
      verifySignatures: {
        ...(keys.openpgp ? { openpgp: resolved(keys.openpgp) } : {}),
        ...(keys.ssh ? { ssh: resolved(keys.ssh) } : {}),
      },
    };
  });
  return {
    ...config,
    repositories,
    ...(config.chartKeyring ? { chartKeyring: config.chartKeyring.map((p) => resolve(base, p)) } : {}),
  };
}
