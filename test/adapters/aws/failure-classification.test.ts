import 'aws-sdk-client-mock-jest';
import { DescribeClusterCommand, EKSClient, ResourceNotFoundException } from '@aws-sdk/client-eks';
import {
  BatchGetSecretValueCommand,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import * as k8s from '@kubernetes/client-node';
import { mockClient } from 'aws-sdk-client-mock';
import { isRetryableAwsError } from '../../../lib/adapters/aws/aws-errors';
import { ClusterAccessError, EksClusterAccess } from '../../../lib/adapters/aws/cluster-access';
import { SecretsManagerStore } from '../../../lib/adapters/aws/secrets-manager';
import { GitSourceError } from '../../../lib/adapters/git/errors';
import { KubeHttp } from '../../../lib/adapters/kubernetes/http';
import { isPermanent } from '../../../lib/core/errors';
import { ClusterApiError, ClusterUnreachableError } from '../../../lib/core/sync/ports';
import { type Sandbox, startSandbox } from '../../../lib/local/sandbox';

const ROLE = 'arn:aws:iam::111111111111:role/plumbline-prod';
const target = { name: 'prod', region: 'eu-west-1', roleArn: ROLE };
const noSleep = async () => undefined;

const stsError = (name: string, status: number | undefined, fault: 'client' | 'server') =>
  new STSServiceException({
    name,
    message: `${name} from STS`,
    $fault: fault,
    $metadata: status === undefined ? {} : { httpStatusCode: status },
  });

/** What the sync job sees when the cluster's role cannot be assumed. */
async function assumeFailure(err: unknown): Promise<unknown> {
  const access = new EksClusterAccess({ sts: () => new STSClient({ region: 'eu-west-1' }), sleep: noSleep });
  sts.on(AssumeRoleCommand).rejects(err as Error);
  return access.credentials(target).then(
    () => undefined,
    (e: unknown) => e,
  );
}

const sts = mockClient(STSClient);
const eks = mockClient(EKSClient);
const sm = mockClient(SecretsManagerClient);
afterEach(() => {
  sts.reset();
  eks.reset();
  sm.reset();
});

describe('failure classification of AWS calls', () => {
  it('takes AssumeRole AccessDenied (403) and bad credentials as permanent', async () => {
    for (const err of [
      stsError('AccessDenied', 403, 'client'),
      stsError('InvalidClientTokenId', 403, 'client'),
      stsError('RegionDisabledException', 403, 'client'),
    ]) {
      const failed = await assumeFailure(err);
      expect(failed).toBeInstanceOf(ClusterAccessError);
      expect(isPermanent(failed)).toBe(true);
      expect((failed as Error).cause).toBe(err);
    }
  });

  it('takes a throttled, failing or unreachable STS as transient (after its own retries)', async () => {
    for (const err of [
      stsError('Throttling', 400, 'client'),
      stsError('InternalFailure', 500, 'server'),
      stsError('ServiceUnavailable', 503, 'server'),
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      Object.assign(new Error('timed out'), { name: 'TimeoutError' }),
    ]) {
      const failed = await assumeFailure(err);
      expect(failed).toBeInstanceOf(ClusterAccessError);
      expect(isPermanent(failed)).toBe(false);
    }
    // The throttled one was retried four times before it was given up.
    sts.reset();
    await assumeFailure(stsError('Throttling', 400, 'client'));
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 4);
  });

  it('takes a cluster that does not exist (EKS ResourceNotFoundException) as permanent, a 503 as transient', async () => {
    const access = new EksClusterAccess({
      baseCredentials: async () => ({ accessKeyId: 'AKID', secretAccessKey: 's' }),
      eks: () => new EKSClient({ region: 'eu-west-1' }),
      sleep: noSleep,
    });
    eks
      .on(DescribeClusterCommand)
      .rejects(new ResourceNotFoundException({ message: 'No cluster found for name: prod.', $metadata: {} }));
    const missing = await access.describe({ name: 'prod', region: 'eu-west-1' }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ClusterAccessError);
    expect(isPermanent(missing)).toBe(true);

    eks.reset();
    eks.on(DescribeClusterCommand).rejects(
      Object.assign(new Error('Service Unavailable'), {
        name: 'ServiceUnavailableException',
        $fault: 'server',
        $metadata: { httpStatusCode: 503 },
      }),
    );
    const down = await access.describe({ name: 'staging', region: 'eu-west-1' }).catch((e: unknown) => e);
    expect(isPermanent(down)).toBe(false);
  });

  it('takes a cluster without an endpoint yet (being created) as transient', async () => {
    eks.on(DescribeClusterCommand).resolves({ cluster: { status: 'CREATING' } });
    const access = new EksClusterAccess({
      baseCredentials: async () => ({ accessKeyId: 'AKID', secretAccessKey: 's' }),
      eks: () => new EKSClient({ region: 'eu-west-1' }),
    });
    const err = await access.describe({ name: 'prod', region: 'eu-west-1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClusterAccessError);
    expect(isPermanent(err)).toBe(false);
  });

  it('makes a Secrets Manager AccessDenied permanent and its throttling transient', async () => {
    const denied = new SecretsManagerServiceException({
      name: 'AccessDeniedException',
      message: 'not authorized',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
    sm.on(BatchGetSecretValueCommand).rejects(denied);
    const store = () => new SecretsManagerStore({ client: new SecretsManagerClient({}), sleep: noSleep });
    expect(
      isPermanent(
        await store()
          .getSecretStrings(['plumbline/prod/db'])
          .catch((e: unknown) => e),
      ),
    ).toBe(true);
    sm.reset();
    sm.on(BatchGetSecretValueCommand).rejects(
      new SecretsManagerServiceException({
        name: 'ThrottlingException',
        message: 'Rate exceeded',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const throttled = await store()
      .getSecretStrings(['plumbline/prod/db'])
      .catch((e: unknown) => e);
    expect(throttled).toBeInstanceOf(Error);
    expect(isPermanent(throttled)).toBe(false);
  });

  it('decides by what the SDK attached, not by our class names', () => {
    expect(isRetryableAwsError({ name: 'AccessDenied', $metadata: { httpStatusCode: 429 } })).toBe(true);
    expect(isRetryableAwsError({ name: 'Whatever', $metadata: { httpStatusCode: 408 } })).toBe(true);
    expect(isRetryableAwsError({ name: 'Whatever', $metadata: { httpStatusCode: 404 } })).toBe(false);
    expect(isRetryableAwsError({ name: 'Whatever', $fault: 'server', $metadata: {} })).toBe(true);
    expect(
      isRetryableAwsError({ name: 'Whatever', $retryable: { throttling: true }, $fault: 'client' }),
    ).toBe(true);
    expect(isRetryableAwsError('a string')).toBe(true);
  });
});

describe('failure classification of git', () => {
  it('retries only a network or local failure', () => {
    expect(isPermanent(new GitSourceError('HTTP 401', 'auth'))).toBe(true);
    expect(isPermanent(new GitSourceError('HTTP 404', 'not-found'))).toBe(true);
    expect(isPermanent(new GitSourceError('no such ref', 'ref-not-found'))).toBe(true);
    expect(isPermanent(new GitSourceError('not among the last 50', 'missing-commit'))).toBe(true);
    expect(isPermanent(new GitSourceError('HTTP 502', 'network'))).toBe(false);
    expect(isPermanent(new GitSourceError('ENOSPC', 'io'))).toBe(false);
  });
});

describe('failure classification of the Kubernetes API', () => {
  let sandbox: Sandbox;
  let http: KubeHttp;
  beforeAll(async () => {
    sandbox = await startSandbox();
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sandbox.kubeconfig);
    http = new KubeHttp(kc, { attempts: 2, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 });
  });
  afterAll(async () => {
    await http.close();
    await sandbox.stop();
  });

  const get = () =>
    http.send({ method: 'GET', path: '/api/v1/namespaces/default/configmaps' }).catch((e: unknown) => e);

  it.each([401, 403, 404, 422])('takes HTTP %i as permanent', async (status) => {
    sandbox.faults.add({ verb: 'list', status, times: 1 });
    const err = await get();
    expect(err).toBeInstanceOf(ClusterApiError);
    expect((err as ClusterApiError).code).toBe(status);
    expect(isPermanent(err)).toBe(true);
  });

  it.each([429, 500, 503])(
    'takes HTTP %i, still failing after the adapter’s retries, as transient',
    async (status) => {
      sandbox.faults.add({ verb: 'list', status, times: 2 });
      const err = await get();
      expect(err).toBeInstanceOf(ClusterApiError);
      expect(isPermanent(err)).toBe(false);
    },
  );

  it('takes a connection that keeps being reset as transient', async () => {
    sandbox.faults.add({ verb: 'list', reset: true, times: 2 });
    const err = await get();
    expect(err).toBeInstanceOf(ClusterUnreachableError);
    expect(isPermanent(err)).toBe(false);
  });
});
