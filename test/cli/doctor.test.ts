import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Cluster,
  DescribeAccessEntryCommand,
  DescribeClusterCommand,
  EKSClient,
  ResourceNotFoundException as EksNotFound,
  ListAssociatedAccessPoliciesCommand,
} from '@aws-sdk/client-eks';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  ResourceNotFoundException as SecretNotFound,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { parsePlumblineConfig } from '../../infra/config';
import { eksToken } from '../../lib/adapters/aws/eks-token';
import { DOCTOR_HELP, doctorCommand } from '../../lib/cli/commands/doctor';
import { namespaceReader } from '../../lib/cli/doctor/namespaces';
import type { DoctorPorts } from '../../lib/cli/doctor/ports';
import { type DoctorRow, formatRows } from '../../lib/cli/doctor/rows';
import { runDoctor } from '../../lib/cli/doctor/run';
import { type DeployedStack, StackReadError } from '../../lib/cli/doctor/stack-reader';
import { type Sandbox, startSandbox } from '../../lib/local/sandbox';
import { runCli } from '../helpers/cli';
import { tempDir } from '../helpers/git';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const CALLER = `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/alice`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/plumbline-prod-${REGION}`;
const POLICY = (name: string) => `arn:aws:eks::aws:cluster-access-policy/${name}`;
const NOW = new Date('2026-12-07T11:00:00Z');
const CREDENTIALS = { accessKeyId: 'AKIDDOCTOR', secretAccessKey: 'doctor-secret-key' };
const STRANGER = { accessKeyId: 'AKIDSTRANGER', secretAccessKey: 'stranger-secret-key' };

const sts = mockClient(STSClient);
const eks = mockClient(EKSClient);
const secrets = mockClient(SecretsManagerClient);

let sandbox: Sandbox;

beforeAll(async () => {
  // The sandbox knows the one token these credentials sign for cluster prod at NOW: the EKS token
  // doctor mints is what authenticates its namespace reads.
  const { token } = await eksToken({ cluster: 'prod', region: REGION, credentials: CREDENTIALS, now: NOW });
  sandbox = await startSandbox({ token, controllerDelayMs: 10 });
  const namespaces = sandbox.core.registry.lookup('', 'v1', 'namespaces')!;
  for (const name of ['shop', 'web'])
    sandbox.core.persist(
      namespaces,
      undefined,
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
      { dryRun: false },
    );
});

afterAll(async () => {
  await sandbox.stop();
});

function rawConfig(overrides: Record<string, unknown> = {}, cluster: Record<string, unknown> = {}) {
  return {
    stackName: 'Plumbline',
    env: { account: ACCOUNT, region: REGION },
    repositories: [
      {
        url: 'https://github.com/acme/config.git',
        branch: 'main',
        provider: 'github',
        credentialsSecretName: 'plumbline-git',
      },
    ],
    clusters: [{ name: 'prod', region: REGION, allowedNamespaces: ['shop', 'web'], ...cluster }],
    ...overrides,
  };
}

function liveCluster(overrides: Partial<Cluster> = {}): Cluster {
  return {
    name: 'prod',
    status: 'ACTIVE',
    version: '1.31',
    endpoint: sandbox.url,
    certificateAuthority: { data: Buffer.from(sandbox.caCert).toString('base64') },
    accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP' },
    resourcesVpcConfig: {
      vpcId: 'vpc-0a1',
      endpointPublicAccess: true,
      endpointPrivateAccess: false,
      publicAccessCidrs: ['0.0.0.0/0'],
      clusterSecurityGroupId: 'sg-0c1',
    },
    ...overrides,
  };
}

const DEPLOYED: DeployedStack = {
  status: 'UPDATE_COMPLETE',
  outputs: {
    WebhookUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com/webhooks/<provider>',
    WebhookSecretArn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:WebhookSecret-AbC`,
    AuditTableName: 'Plumbline-audit',
    SyncRoleArn: `arn:aws:iam::${ACCOUNT}:role/Plumbline-sync`,
  },
};

interface World {
  stacks: Record<string, DeployedStack>;
  credentials: typeof CREDENTIALS;
  stackCalls: string[];
}

let world: World;

/** Everything in order: a deployed stack, its secrets, an active cluster with the access entry the config asks for. */
beforeEach(() => {
  world = { stacks: { [`${REGION}/Plumbline`]: DEPLOYED }, credentials: CREDENTIALS, stackCalls: [] };
  sts.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT, Arn: CALLER });
  secrets.on(DescribeSecretCommand).resolves({ Name: 'found' });
  secrets.on(ListSecretsCommand).resolves({ SecretList: [{ Name: 'plumbline/prod/db' }] });
  eks.on(DescribeClusterCommand).resolves({ cluster: liveCluster() });
  eks.on(DescribeAccessEntryCommand).resolves({ accessEntry: { principalArn: ROLE } });
  eks.on(ListAssociatedAccessPoliciesCommand).resolves({
    associatedAccessPolicies: [
      {
        policyArn: POLICY('AmazonEKSEditPolicy'),
        accessScope: { type: 'namespace', namespaces: ['web', 'shop'] },
      },
    ],
  });
});

afterEach(() => {
  sts.reset();
  eks.reset();
  secrets.reset();
});

function ports(): DoctorPorts {
  return {
    credentials: async () => world.credentials,
    sts: () => new STSClient({ region: REGION }),
    eks: (region) => new EKSClient({ region }),
    secrets: (region) => new SecretsManagerClient({ region }),
    stacks: {
      describe: async (name, region) => {
        world.stackCalls.push(`${region}/${name}`);
        return world.stacks[`${region}/${name}`];
      },
    },
    namespaces: namespaceReader(2000),
    now: () => NOW,
  };
}

async function doctor(config = rawConfig()): Promise<DoctorRow[]> {
  return runDoctor(
    { config: parsePlumblineConfig(config), configFile: 'plumbline.config.json', region: REGION },
    ports(),
  );
}

function row(rows: readonly DoctorRow[], check: string): DoctorRow {
  const found = rows.find((r) => r.check === check);
  if (!found) throw new Error(`no row "${check}" in:\n${rows.map((r) => r.check).join('\n')}`);
  return found;
}

const notFound = () => new EksNotFound({ message: 'not found', $metadata: {} });

describe('plumbline doctor', () => {
  it('passes every check of a healthy deployment, reading no secret value', async () => {
    const rows = await doctor();
    expect(rows.filter((r) => r.status !== 'ok')).toEqual([]);
    expect(rows.map((r) => r.check)).toEqual([
      'AWS credentials',
      'stack Plumbline (eu-west-1)',
      'stack Plumbline: outputs',
      'webhook secret',
      'git credentials plumbline-git (https://github.com/acme/config.git)',
      'cluster prod (eu-west-1)',
      'cluster prod: authentication mode',
      'cluster prod: endpoint access',
      'cluster prod: access entry',
      'cluster prod: namespaces',
      'cluster prod: secrets plumbline/prod/',
    ]);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 0);
    expect(secrets).toHaveReceivedCommandWith(DescribeSecretCommand, { SecretId: 'plumbline-git' });
    expect(secrets).toHaveReceivedCommandWith(DescribeSecretCommand, {
      SecretId: DEPLOYED.outputs.WebhookSecretArn,
    });
  });

  describe('AWS credentials', () => {
    it('stops at one ✗ when STS refuses them', async () => {
      sts
        .on(GetCallerIdentityCommand)
        .rejects(new Error('The security token included in the request is expired'));
      const rows = await doctor();
      expect(rows).toEqual([
        {
          status: 'fail',
          check: 'AWS credentials',
          detail: 'The security token included in the request is expired',
          fix: 'aws configure, or pass --profile',
        },
      ]);
    });

    it('fails credentials of an account that holds no part of the deployment', async () => {
      sts
        .on(GetCallerIdentityCommand)
        .resolves({ Account: '555555555555', Arn: 'arn:aws:iam::555555555555:user/bob' });
      const rows = await doctor();
      expect(rows).toEqual([
        {
          status: 'fail',
          check: 'AWS credentials',
          detail: `arn:aws:iam::555555555555:user/bob is in account 555555555555, which holds no part of this deployment (${ACCOUNT})`,
          fix: `plumbline doctor --config plumbline.config.json --profile <a profile of account ${ACCOUNT}>`,
        },
      ]);
    });
  });

  describe('the stack', () => {
    it('is a – row, with its access entry and webhook secret, before cdk deploy', async () => {
      world.stacks = {};
      eks.on(DescribeAccessEntryCommand).rejects(notFound());
      const rows = await doctor();
      expect(row(rows, 'stack Plumbline (eu-west-1)')).toMatchObject({
        status: 'skip',
        detail: 'not yet deployed',
        fix: 'npx cdk deploy --all',
      });
      expect(row(rows, 'webhook secret').status).toBe('skip');
      expect(row(rows, 'cluster prod: access entry')).toMatchObject({ status: 'skip' });
      expect(rows.some((r) => r.status === 'fail')).toBe(false);
      expect(formatRows(rows)).toContain(
        '– stack Plumbline (eu-west-1): not yet deployed\n    then: npx cdk deploy --all\n',
      );
      expect(formatRows(rows)).toMatch(/\n7 ✓, 0 ✗, 3 not checked\n$/);
    });

    it('fails when DescribeStacks is refused, and then judges a missing access entry a ✗', async () => {
      eks.on(DescribeAccessEntryCommand).rejects(notFound());
      const rows = await runDoctor(
        { config: parsePlumblineConfig(rawConfig()), configFile: 'plumbline.config.json', region: REGION },
        {
          ...ports(),
          stacks: {
            describe: async () => {
              throw new StackReadError('DescribeStacks Plumbline in eu-west-1: AccessDenied: no', false);
            },
          },
        },
      );
      expect(row(rows, 'stack Plumbline (eu-west-1)')).toMatchObject({
        status: 'fail',
        fix: 'allow cloudformation:DescribeStacks to this principal',
      });
      expect(row(rows, 'cluster prod: access entry').status).toBe('fail');
    });

    it('fails a rolled-back stack with the commands that clear it', async () => {
      world.stacks[`${REGION}/Plumbline`] = { ...DEPLOYED, status: 'ROLLBACK_COMPLETE' };
      const r = row(await doctor(), 'stack Plumbline (eu-west-1)');
      expect(r.status).toBe('fail');
      expect(r.fix).toBe(
        'aws cloudformation delete-stack --stack-name Plumbline --region eu-west-1 && npx cdk deploy --all',
      );
    });

    it('fails when an output the guide relies on is missing', async () => {
      const { WebhookSecretArn: _gone, ...outputs } = DEPLOYED.outputs;
      world.stacks[`${REGION}/Plumbline`] = { ...DEPLOYED, outputs };
      const rows = await doctor();
      expect(row(rows, 'stack Plumbline: outputs')).toMatchObject({
        status: 'fail',
        detail: 'missing WebhookSecretArn',
      });
      expect(row(rows, 'webhook secret').status).toBe('fail');
    });
  });

  describe('secrets', () => {
    it('fails a missing git credentials secret with the create-secret command', async () => {
      secrets
        .on(DescribeSecretCommand, { SecretId: 'plumbline-git' })
        .rejects(new SecretNotFound({ message: 'not found', $metadata: {} }));
      const r = row(await doctor(), 'git credentials plumbline-git (https://github.com/acme/config.git)');
      expect(r).toMatchObject({ status: 'fail', detail: 'not found in eu-west-1' });
      expect(r.fix).toBe(
        `aws secretsmanager create-secret --name plumbline-git --secret-string '{"token":"<git token>"}' --region eu-west-1`,
      );
    });

    it('fails a webhook secret scheduled for deletion with restore-secret', async () => {
      secrets
        .on(DescribeSecretCommand, { SecretId: DEPLOYED.outputs.WebhookSecretArn })
        .resolves({ DeletedDate: new Date('2026-12-30T00:00:00Z') });
      const r = row(await doctor(), 'webhook secret');
      expect(r).toMatchObject({ status: 'fail', detail: 'scheduled for deletion on 2026-12-30' });
      expect(r.fix).toBe(
        `aws secretsmanager restore-secret --secret-id ${DEPLOYED.outputs.WebhookSecretArn} --region eu-west-1`,
      );
    });

    it("lists the cluster's prefix in its region, and reports it empty without failing", async () => {
      secrets.on(ListSecretsCommand).resolves({ SecretList: [{ Name: 'plumbline/production/db' }] });
      const rows = await doctor(rawConfig({}, { region: 'eu-central-1' }));
      expect(row(rows, 'cluster prod: secrets plumbline/prod/')).toMatchObject({
        status: 'ok',
        detail: 'empty in eu-central-1 (needed only when manifests reference secrets)',
      });
      expect(secrets).toHaveReceivedCommandWith(ListSecretsCommand, {
        Filters: [{ Key: 'name', Values: ['plumbline/prod/'] }],
      });
    });

    it('counts the secrets under the prefix', async () => {
      expect(row(await doctor(), 'cluster prod: secrets plumbline/prod/').detail).toBe(
        '1 secret in eu-west-1',
      );
    });
  });

  describe('the cluster', () => {
    it('fails a cluster that does not exist, naming the config field', async () => {
      eks.on(DescribeClusterCommand).rejects(notFound());
      const rows = await doctor();
      const r = row(rows, 'cluster prod (eu-west-1)');
      expect(r.status).toBe('fail');
      expect(r.fix).toBe(
        'correct clusters[0].name or .region in plumbline.config.json (aws eks list-clusters --region eu-west-1 lists them)',
      );
      expect(rows.some((x) => x.check === 'cluster prod: authentication mode')).toBe(false);
    });

    it('fails an authentication mode without the API', async () => {
      eks
        .on(DescribeClusterCommand)
        .resolves({ cluster: liveCluster({ accessConfig: { authenticationMode: 'CONFIG_MAP' } }) });
      expect(row(await doctor(), 'cluster prod: authentication mode')).toEqual({
        status: 'fail',
        check: 'cluster prod: authentication mode',
        detail: 'CONFIG_MAP does not include the API (access entries)',
        fix: 'aws eks update-cluster-config --name prod --access-config authenticationMode=API_AND_CONFIG_MAP --region eu-west-1',
      });
    });

    it('passes API alone', async () => {
      eks
        .on(DescribeClusterCommand)
        .resolves({ cluster: liveCluster({ accessConfig: { authenticationMode: 'API' } }) });
      expect(row(await doctor(), 'cluster prod: authentication mode')).toMatchObject({
        status: 'ok',
        detail: 'API',
      });
    });
  });

  describe('endpoint access', () => {
    const network = { vpcId: 'vpc-0a1', subnetIds: ['subnet-0b1'], availabilityZones: ['eu-west-1a'] };
    const vpc = (v: Partial<NonNullable<Cluster['resourcesVpcConfig']>>) =>
      eks.on(DescribeClusterCommand).resolves({
        cluster: liveCluster({ resourcesVpcConfig: { ...liveCluster().resourcesVpcConfig, ...v } }),
      });

    it('fails a public endpoint limited to some addresses when network is not set', async () => {
      vpc({ publicAccessCidrs: ['203.0.113.0/24'] });
      const r = row(await doctor(), 'cluster prod: endpoint access');
      expect(r.status).toBe('fail');
      expect(r.fix).toContain('--resources-vpc-config publicAccessCidrs=0.0.0.0/0');
    });

    it('fails a private-only cluster when network is not set', async () => {
      vpc({ endpointPublicAccess: false, endpointPrivateAccess: true });
      const r = row(await doctor(), 'cluster prod: endpoint access');
      expect(r.status).toBe('fail');
      expect(r.fix).toBe(
        'set network {vpcId: vpc-0a1, subnetIds, availabilityZones} in plumbline.config.json',
      );
    });

    it('passes the private endpoint in the VPC network names', async () => {
      vpc({ endpointPrivateAccess: true });
      expect(row(await doctor(rawConfig({ network })), 'cluster prod: endpoint access').status).toBe('ok');
    });

    it('fails network when the private endpoint is off', async () => {
      const r = row(await doctor(rawConfig({ network })), 'cluster prod: endpoint access');
      expect(r.status).toBe('fail');
      expect(r.fix).toBe(
        'aws eks update-cluster-config --name prod --resources-vpc-config endpointPrivateAccess=true --region eu-west-1',
      );
    });

    it('fails network in another VPC than the cluster', async () => {
      vpc({ endpointPrivateAccess: true, vpcId: 'vpc-0ff' });
      const r = row(await doctor(rawConfig({ network })), 'cluster prod: endpoint access');
      expect(r.status).toBe('fail');
      expect(r.fix).toBe('set network.vpcId to vpc-0ff (and subnetIds of that VPC) in plumbline.config.json');
    });
  });

  describe('access entry', () => {
    const policies = (...list: { policy: string; namespaces?: string[] }[]) =>
      eks.on(ListAssociatedAccessPoliciesCommand).resolves({
        associatedAccessPolicies: list.map((p) => ({
          policyArn: POLICY(p.policy),
          accessScope: p.namespaces ? { type: 'namespace', namespaces: p.namespaces } : { type: 'cluster' },
        })),
      });

    it("reads the cluster role's entry", async () => {
      expect(row(await doctor(), 'cluster prod: access entry')).toMatchObject({
        status: 'ok',
        detail: 'AmazonEKSEditPolicy in shop, web',
      });
      expect(eks).toHaveReceivedCommandWith(DescribeAccessEntryCommand, {
        clusterName: 'prod',
        principalArn: ROLE,
      });
    });

    it('fails a missing entry after deploy', async () => {
      eks.on(DescribeAccessEntryCommand).rejects(notFound());
      expect(row(await doctor(), 'cluster prod: access entry')).toMatchObject({
        status: 'fail',
        detail: `no access entry for ${ROLE}`,
        fix: 'npx cdk deploy --all',
      });
    });

    it('fails a policy other than the one access names', async () => {
      const r = row(await doctor(rawConfig({}, { access: 'admin' })), 'cluster prod: access entry');
      expect(r).toMatchObject({
        status: 'fail',
        detail:
          'missing AmazonEKSAdminPolicy in shop, web; not in the config: AmazonEKSEditPolicy in web, shop',
      });
    });

    it('fails namespaces other than allowedNamespaces', async () => {
      policies({ policy: 'AmazonEKSEditPolicy', namespaces: ['shop'] });
      expect(row(await doctor(), 'cluster prod: access entry').status).toBe('fail');
    });

    it('wants cluster admin where clusterScoped, and passes it there', async () => {
      expect(
        row(await doctor(rawConfig({}, { clusterScoped: true })), 'cluster prod: access entry'),
      ).toMatchObject({
        status: 'fail',
        detail: 'missing AmazonEKSClusterAdminPolicy cluster-wide',
      });
      policies(
        { policy: 'AmazonEKSEditPolicy', namespaces: ['shop', 'web'] },
        { policy: 'AmazonEKSClusterAdminPolicy' },
      );
      expect(
        row(await doctor(rawConfig({}, { clusterScoped: true })), 'cluster prod: access entry').status,
      ).toBe('ok');
    });

    it('fails cluster admin the config does not give, with the disassociate command', async () => {
      policies(
        { policy: 'AmazonEKSEditPolicy', namespaces: ['shop', 'web'] },
        { policy: 'AmazonEKSClusterAdminPolicy' },
      );
      const r = row(await doctor(), 'cluster prod: access entry');
      expect(r.status).toBe('fail');
      expect(r.fix).toBe(
        `aws eks disassociate-access-policy --cluster-name prod --principal-arn ${ROLE} --policy-arn ${POLICY('AmazonEKSClusterAdminPolicy')} --region eu-west-1`,
      );
    });

    it("checks a remote cluster's access stack in the cluster's region", async () => {
      eks.on(DescribeAccessEntryCommand).rejects(notFound());
      const rows = await doctor(rawConfig({}, { region: 'us-east-1' }));
      expect(world.stackCalls).toContain('us-east-1/Plumbline-access-prod');
      expect(row(rows, 'cluster prod: access entry')).toMatchObject({
        status: 'skip',
        fix: 'npx cdk deploy Plumbline-access-prod',
      });
    });
  });

  describe('namespaces (the sandbox, through an EKS token)', () => {
    it('fails a namespace that does not exist with the kubectl command', async () => {
      const r = row(
        await doctor(rawConfig({}, { allowedNamespaces: ['shop', 'payments'] })),
        'cluster prod: namespaces',
      );
      expect(r).toMatchObject({ status: 'fail', detail: 'payments not found' });
      expect(r.fix).toBe(
        'aws eks update-kubeconfig --name prod --region eu-west-1 && kubectl create namespace payments',
      );
    });

    it('leaves a missing namespace to the apps where clusterScoped', async () => {
      eks.on(ListAssociatedAccessPoliciesCommand).resolves({ associatedAccessPolicies: [] });
      const rows = await doctor(rawConfig({}, { allowedNamespaces: ['payments'], clusterScoped: true }));
      expect(row(rows, 'cluster prod: namespaces').status).toBe('skip');
    });

    it('fails credentials the cluster does not know, with the access entry commands', async () => {
      world.credentials = STRANGER;
      const r = row(await doctor(), 'cluster prod: namespaces');
      expect(r.status).toBe('fail');
      expect(r.detail).toMatch(/^HTTP 401 reading namespace shop as arn:aws:iam::123456789012:role\/Admin/);
      expect(r.fix).toContain(
        `aws eks create-access-entry --cluster-name prod --principal-arn arn:aws:iam::${ACCOUNT}:role/Admin --region eu-west-1`,
      );
    });

    it('fails a principal the cluster knows but does not let read namespaces, with the associate command only', async () => {
      sandbox.faults.add({ verb: 'get', path: '^/api/v1/namespaces/shop$', status: 403, times: 1 });
      const r = row(await doctor(), 'cluster prod: namespaces');
      expect(r.status).toBe('fail');
      expect(r.detail).toMatch(/^HTTP 403 reading namespace shop as arn:aws:iam::123456789012:role\/Admin/);
      expect(r.fix).toBe(
        `aws eks associate-access-policy --cluster-name prod --principal-arn arn:aws:iam::${ACCOUNT}:role/Admin --policy-arn arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy --access-scope type=cluster --region eu-west-1`,
      );
    });

    it('fails an unreachable public endpoint', async () => {
      eks.on(DescribeClusterCommand).resolves({ cluster: liveCluster({ endpoint: 'https://127.0.0.1:1' }) });
      const r = row(await doctor(), 'cluster prod: namespaces');
      expect(r.status).toBe('fail');
      expect(r.detail).toMatch(/^cannot reach https:\/\/127\.0\.0\.1:1/);
    });
  });

  it('does not check a cluster in another account, and says how to', async () => {
    const rows = await doctor(rawConfig({}, { account: '210987654321' }));
    expect(row(rows, 'cluster prod')).toEqual({
      status: 'skip',
      check: 'cluster prod',
      detail: `in account 210987654321: no credentials there (these are ${ACCOUNT})`,
      fix: 'plumbline doctor --config plumbline.config.json --profile <a profile of account 210987654321>',
    });
    expect(eks).toHaveReceivedCommandTimes(DescribeClusterCommand, 0);
  });
});

describe('plumbline doctor (command)', () => {
  let dir: string;
  const io = () => {
    const out = { stdout: '', stderr: '' };
    return {
      out,
      io: {
        out: (t: string) => {
          out.stdout += t;
        },
        err: (t: string) => {
          out.stderr += t;
        },
        interrupted: new Promise<void>(() => undefined),
      },
    };
  };
  const write = (name: string, raw: unknown) => {
    const file = join(dir, name);
    writeFileSync(file, typeof raw === 'string' ? raw : JSON.stringify(raw));
    return file;
  };

  beforeAll(() => {
    dir = tempDir('doctor');
  });

  it('exits 0 and prints ✓ rows when every check passes', async () => {
    const { out, io: cli } = io();
    const code = await doctorCommand(['--config', write('ok.json', rawConfig())], cli, ports());
    expect(code).toBe(0);
    expect(out.stdout).toContain('✓ cluster prod: access entry: AmazonEKSEditPolicy in shop, web\n');
    expect(out.stdout).toMatch(/\n11 ✓, 0 ✗, 0 not checked\n$/);
  });

  it('exits 1 on any ✗ and prints its fix under it', async () => {
    eks
      .on(DescribeClusterCommand)
      .resolves({ cluster: liveCluster({ accessConfig: { authenticationMode: 'CONFIG_MAP' } }) });
    const { out, io: cli } = io();
    const code = await doctorCommand(['--config', write('ok.json', rawConfig())], cli, ports());
    expect(code).toBe(1);
    expect(out.stdout).toContain(
      '✗ cluster prod: authentication mode: CONFIG_MAP does not include the API (access entries)\n    fix: aws eks update-cluster-config',
    );
  });

  it('prints the rows as JSON with -o json', async () => {
    const { out, io: cli } = io();
    await doctorCommand(['--config', write('ok.json', rawConfig()), '-o', 'json'], cli, ports());
    const { rows } = JSON.parse(out.stdout) as { rows: DoctorRow[] };
    expect(rows).toHaveLength(11);
    expect(rows[0]).toMatchObject({ status: 'ok', check: 'AWS credentials' });
  });

  it.each([
    [
      'a missing config',
      (d: string) => ['--config', join(d, 'absent.json')],
      /^error: .*absent\.json: file not found\n$/,
    ],
    [
      'an invalid config',
      () => ['--config', write('bad.json', rawConfig({}, { allowedNamespaces: [] }))],
      /^error: .*bad\.json: clusters\[0\]\.allowedNamespaces: must list at least one namespace\n$/,
    ],
    [
      'an unknown flag',
      () => ['--config', 'x.json', '--regoin', 'eu-west-1'],
      /^error: unknown flag --regoin for 'doctor'; did you mean --region\?/,
    ],
    [
      'a bad region',
      () => ['--config', write('ok.json', rawConfig()), '--region', 'europe'],
      /is not an AWS region\n$/,
    ],
    [
      'a region other than env.region',
      () => ['--config', write('ok.json', rawConfig()), '--region', 'us-east-1'],
      /--region us-east-1 differs from env\.region eu-west-1/,
    ],
  ])('exits 2 with one line and no AWS call for %s', async (_what, args, message) => {
    const run = await runCli(['doctor', ...args(dir)]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(run.stdout).toBe('');
    expect(sts.calls()).toHaveLength(0);
    expect(eks.calls()).toHaveLength(0);
    expect(secrets.calls()).toHaveLength(0);
  });

  it('lists every flag in --help, and plumbline --help lists doctor', async () => {
    const run = await runCli(['doctor', '--help']);
    expect(run.code).toBe(0);
    for (const flag of ['--config FILE', '--region R', '--profile P', '-o, --output', '-h, --help'])
      expect(DOCTOR_HELP).toContain(flag);
    expect(run.stdout).toBe(DOCTOR_HELP);
    expect((await runCli(['--help'])).stdout).toMatch(/^ {2}doctor {6}check a deployment/m);
  });
});
