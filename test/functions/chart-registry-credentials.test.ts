import 'aws-sdk-client-mock-jest';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { clusterRegistryCredentials } from '../../functions/shared/charts';
import { EksClusterAccess } from '../../lib/adapters/aws/cluster-access';

const HOST = '222222222222.dkr.ecr.eu-west-1.amazonaws.com';
const CLUSTER = {
  name: 'prod',
  region: 'eu-west-1',
  roleArn: 'arn:aws:iam::111111111111:role/plumbline-prod',
  allowedNamespaces: ['default'],
  clusterScoped: false,
};
const JOB = {
  repo: 'https://github.com/acme/platform-config.git',
  cluster: 'prod',
  app: 'shop',
  commit: '0123456789abcdef0123456789abcdef01234567',
  ref: 'refs/heads/main',
  trigger: 'webhook' as const,
  triggerId: 'd-1',
};

describe('clusterRegistryCredentials', () => {
  const sts = mockClient(STSClient);
  afterAll(() => sts.restore());

  it("signs ECR's GetAuthorizationToken with the job's cluster role session, not the function's own credentials", async () => {
    sts.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'ASIACLUSTERROLE',
        SecretAccessKey: 'cluster-secret',
        SessionToken: 'cluster-session',
        Expiration: new Date(Date.now() + 900_000),
      },
      AssumedRoleUser: {
        AssumedRoleId: 'AROA1:plumbline-shop',
        Arn: 'arn:aws:sts::111111111111:assumed-role/x/y',
      },
    });
    const requests: Record<string, string>[] = [];
    const fetch = async (_url: string, init: RequestInit) => {
      requests.push(init.headers as Record<string, string>);
      const token = Buffer.from('AWS:pw').toString('base64');
      return new Response(JSON.stringify({ authorizationData: [{ authorizationToken: token }] }));
    };
    const access = new EksClusterAccess({
      baseCredentials: async () => ({ accessKeyId: 'AKIAFUNCTION', secretAccessKey: 'function-secret' }),
    });
    const creds = clusterRegistryCredentials(access, { fetch })(CLUSTER, JOB);
    expect(await creds(HOST)).toMatchObject({ username: 'AWS', password: 'pw' });
    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: CLUSTER.roleArn,
      RoleSessionName: 'plumbline-shop-0123456789ab',
    });
    expect(requests).toHaveLength(1);
    expect(requests[0]?.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=ASIACLUSTERROLE\/\d{8}\/eu-west-1\/ecr\//,
    );
    expect(requests[0]?.['x-amz-security-token']).toBe('cluster-session');
  });

  it('asks nothing of STS for a registry that is not Amazon ECR', async () => {
    sts.reset();
    const creds = clusterRegistryCredentials(new EksClusterAccess())(CLUSTER, JOB);
    expect(await creds('ghcr.io')).toBeUndefined();
    expect(sts).not.toHaveReceivedCommand(AssumeRoleCommand);
  });
});
