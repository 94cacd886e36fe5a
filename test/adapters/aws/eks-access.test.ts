import { createHash, createHmac } from 'node:crypto';
import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { EksClusterAccess, sessionName } from '../../../lib/adapters/aws/cluster-access';
import { eksToken, execCredential } from '../../../lib/adapters/aws/eks-token';

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session-token',
};

describe('eksToken', () => {
  it('is k8s-aws-v1. and a base64url presigned GetCallerIdentity URL that signs the cluster header', async () => {
    const now = new Date('2026-11-26T12:00:00Z');
    const { token, expiresAt } = await eksToken({ cluster: 'prod', region: 'eu-west-1', credentials, now });
    expect(token.startsWith('k8s-aws-v1.')).toBe(true);
    expect(token).not.toMatch(/[=+/]/);
    const url = new URL(Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString('utf8'));
    expect(url.host).toBe('sts.eu-west-1.amazonaws.com');
    expect(url.searchParams.get('Action')).toBe('GetCallerIdentity');
    expect(url.searchParams.get('Version')).toBe('2011-06-15');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
    expect(url.searchParams.get('X-Amz-Credential')).toBe('AKIDEXAMPLE/20261126/eu-west-1/sts/aws4_request');
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('session-token');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(expiresAt.toISOString()).toBe('2026-11-26T12:14:00.000Z');
  });

  it('signs the cluster name: another cluster gives another signature', async () => {
    const now = new Date('2026-11-26T12:00:00Z');
    const sig = async (cluster: string) =>
      new URL(
        Buffer.from(
          (await eksToken({ cluster, region: 'eu-west-1', credentials, now })).token.slice(11),
          'base64url',
        ).toString(),
      ).searchParams.get('X-Amz-Signature');
    expect(await sig('prod')).not.toBe(await sig('staging'));
  });

  it('prints an ExecCredential like aws eks get-token', async () => {
    const token = await eksToken({
      cluster: 'prod',
      region: 'eu-west-1',
      credentials,
      now: new Date('2026-11-26T12:00:00.123Z'),
    });
    expect(execCredential(token)).toEqual({
      kind: 'ExecCredential',
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      spec: {},
      status: { expirationTimestamp: '2026-11-26T12:14:00Z', token: token.token },
    });
  });
});

describe('EksClusterAccess', () => {
  const sts = mockClient(STSClient);
  const eks = mockClient(EKSClient);
  afterEach(() => {
    sts.reset();
    eks.reset();
  });

  it('assumes the cluster role once per 15 minutes with a session name carrying app and commit, and describes the cluster once', async () => {
    let now = Date.parse('2026-11-26T12:00:00Z');
    sts.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'ASIA1',
        SecretAccessKey: 'secret',
        SessionToken: 'tok',
        Expiration: new Date(now + 15 * 60 * 1000),
      },
    });
    eks.on(DescribeClusterCommand).resolves({
      cluster: {
        endpoint: 'https://ABC.gr7.eu-west-1.eks.amazonaws.com',
        certificateAuthority: { data: Buffer.from('CA').toString('base64') },
      },
    });
    const access = new EksClusterAccess({
      sts: () => new STSClient({ region: 'eu-west-1' }),
      eks: () => new EKSClient({ region: 'eu-west-1' }),
      now: () => now,
    });
    const target = {
      name: 'prod',
      region: 'eu-west-1',
      roleArn: 'arn:aws:iam::123456789012:role/plumbline-prod',
    };
    const kc = await access.kubeConfig(target, { app: 'web', commit: '0123456789abcdef0123' });
    expect(kc.getCurrentCluster()).toMatchObject({ server: 'https://ABC.gr7.eu-west-1.eks.amazonaws.com' });
    const opts: { ca?: Buffer; rejectUnauthorized?: boolean; headers?: Record<string, string> } = {};
    await kc.applyToHTTPSOptions(opts as never);
    expect(opts.ca?.toString()).toBe('CA');
    expect(opts.rejectUnauthorized).toBe(true);
    expect(opts.headers?.Authorization).toMatch(/^Bearer k8s-aws-v1\./);
    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: target.roleArn,
      RoleSessionName: 'plumbline-web-0123456789ab',
      DurationSeconds: 900,
    });
    now += 5 * 60 * 1000;
    await access.kubeConfig(target, { app: 'web', commit: '0123456789abcdef0123' });
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
    expect(eks).toHaveReceivedCommandTimes(DescribeClusterCommand, 1);
    now += 9 * 60 * 1000; // 14 minutes in: credentials and token are renewed
    await access.kubeConfig(target, { app: 'web', commit: '0123456789abcdef0123' });
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
  });

  it('gives each app and commit its own session and token, so the principal names the job that acted', async () => {
    const now = Date.parse('2026-11-26T12:00:00Z');
    sts.on(AssumeRoleCommand).callsFake((input: { RoleSessionName: string }) => ({
      Credentials: {
        AccessKeyId: `ASIA-${input.RoleSessionName}`,
        SecretAccessKey: 's',
        SessionToken: 't',
        Expiration: new Date(now + 15 * 60 * 1000),
      },
      AssumedRoleUser: {
        AssumedRoleId: 'AROA1:x',
        Arn: `arn:aws:sts::123456789012:assumed-role/plumbline-prod/${input.RoleSessionName}`,
      },
    }));
    eks.on(DescribeClusterCommand).resolves({
      cluster: { endpoint: 'https://ABC.eks.amazonaws.com', certificateAuthority: { data: 'Q0E=' } },
    });
    const access = new EksClusterAccess({
      sts: () => new STSClient({ region: 'eu-west-1' }),
      eks: () => new EKSClient({ region: 'eu-west-1' }),
      now: () => now,
    });
    const target = {
      name: 'prod',
      region: 'eu-west-1',
      roleArn: 'arn:aws:iam::123456789012:role/plumbline-prod',
    };
    const web = { app: 'web', commit: 'aaaaaaaaaaaaaaaa' };
    const api = { app: 'api', commit: 'bbbbbbbbbbbbbbbb' };
    const bearer = async (tags: typeof web): Promise<string | undefined> => {
      const opts: { headers?: Record<string, string> } = {};
      await (await access.kubeConfig(target, tags)).applyToHTTPSOptions(opts as never);
      return opts.headers?.Authorization;
    };

    const webToken = await bearer(web);
    const apiToken = await bearer(api);
    expect(apiToken).not.toBe(webToken);
    expect(await access.principal(target, web)).toMatch(/\/plumbline-web-aaaaaaaaaaaa$/);
    expect(await access.principal(target, api)).toMatch(/\/plumbline-api-bbbbbbbbbbbb$/);
    expect((await access.credentials(target, api)).accessKeyId).toBe('ASIA-plumbline-api-bbbbbbbbbbbb');
    // The same app and commit again (a redelivery, a scheduled check): its session is reused.
    expect(await bearer(web)).toBe(webToken);
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
    expect(eks).toHaveReceivedCommandTimes(DescribeClusterCommand, 1);

    // A container that syncs many apps keeps the 64 sessions used last.
    await access.credentials(target, web); // sessions, least recently used first: api, web
    for (let i = 0; i < 63; i++) await access.credentials(target, { app: `app-${i}`, commit: 'c' }); // api's goes
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 65);
    await access.credentials(target, web); // used again: kept
    await access.credentials(target, { app: 'app-63', commit: 'c' }); // app-0's goes
    await access.credentials(target, web);
    await access.credentials(target, { app: 'app-1', commit: 'c' });
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 66);
    await access.credentials(target, api);
    await access.credentials(target, { app: 'app-0', commit: 'c' });
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 68);
  });

  it("names the cluster role's current session as the principal, and none without a role", async () => {
    const arn = (n: number) => `arn:aws:sts::123456789012:assumed-role/plumbline-prod/session-${n}`;
    let now = Date.parse('2026-11-26T12:00:00Z');
    let n = 0;
    sts.on(AssumeRoleCommand).callsFake(() => ({
      Credentials: {
        AccessKeyId: 'ASIA1',
        SecretAccessKey: 's',
        SessionToken: 't',
        Expiration: new Date(now + 15 * 60 * 1000),
      },
      AssumedRoleUser: { AssumedRoleId: 'AROA1:x', Arn: arn(++n) },
    }));
    const access = new EksClusterAccess({
      sts: () => new STSClient({ region: 'eu-west-1' }),
      now: () => now,
    });
    const target = {
      name: 'prod',
      region: 'eu-west-1',
      roleArn: 'arn:aws:iam::123456789012:role/plumbline-prod',
    };
    expect(await access.principal(target)).toBe(arn(1));
    await access.credentials(target);
    expect(await access.principal(target)).toBe(arn(1));
    now += 13 * 60 * 1000; // renewed: the new session acts from now on
    expect(await access.principal(target)).toBe(arn(2));
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
    expect(
      await new EksClusterAccess({ baseCredentials: async () => credentials }).principal({
        name: 'dev',
        region: 'eu-west-1',
      }),
    ).toBeUndefined();
  });

  it('assumes the role again when the cached credentials have expired', async () => {
    const now = Date.parse('2026-11-26T12:00:00Z');
    sts.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'ASIA1',
        SecretAccessKey: 's',
        SessionToken: 't',
        Expiration: new Date(now - 1000),
      },
    });
    const access = new EksClusterAccess({
      sts: () => new STSClient({ region: 'eu-west-1' }),
      now: () => now,
    });
    const target = { name: 'prod', region: 'eu-west-1', roleArn: 'arn:aws:iam::1:role/x' };
    await access.credentials(target);
    await access.credentials(target);
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
  });

  it('retries a throttled AssumeRole with backoff', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
    sts
      .on(AssumeRoleCommand)
      .rejectsOnce(throttled)
      .resolves({
        Credentials: {
          AccessKeyId: 'ASIA1',
          SecretAccessKey: 's',
          SessionToken: 't',
          Expiration: new Date(Date.now() + 900_000),
        },
      });
    const access = new EksClusterAccess({
      sts: () => new STSClient({ region: 'eu-west-1' }),
      sleep: async () => undefined,
    });
    await expect(
      access.credentials({ name: 'prod', region: 'eu-west-1', roleArn: 'arn:aws:iam::1:role/x' }),
    ).resolves.toMatchObject({ accessKeyId: 'ASIA1' });
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 2);
  });

  it('fails with a clear error when the role cannot be assumed', async () => {
    sts.on(AssumeRoleCommand).rejects(new Error('AccessDenied: not authorized'));
    const access = new EksClusterAccess({ sts: () => new STSClient({ region: 'eu-west-1' }) });
    await expect(
      access.credentials({ name: 'prod', region: 'eu-west-1', roleArn: 'arn:aws:iam::1:role/x' }),
    ).rejects.toThrow('cannot assume arn:aws:iam::1:role/x for cluster prod: AccessDenied: not authorized');
  });

  it('retries a throttled DescribeCluster and names the cluster when it is denied', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    eks
      .on(DescribeClusterCommand)
      .rejectsOnce(throttled)
      .resolves({ cluster: { endpoint: 'https://x', certificateAuthority: { data: 'Q0E=' } } });
    const access = new EksClusterAccess({
      baseCredentials: async () => credentials,
      eks: () => new EKSClient({ region: 'eu-west-1' }),
      sleep: async () => undefined,
    });
    await expect(access.describe({ name: 'prod', region: 'eu-west-1' })).resolves.toEqual({
      endpoint: 'https://x',
      caData: 'Q0E=',
    });
    eks.reset();
    eks.on(DescribeClusterCommand).rejects(
      Object.assign(new Error('not authorized to perform eks:DescribeCluster'), {
        name: 'AccessDeniedException',
      }),
    );
    await expect(access.describe({ name: 'staging', region: 'eu-west-1' })).rejects.toThrow(
      'cannot describe EKS cluster staging in eu-west-1: not authorized to perform eks:DescribeCluster',
    );
  });

  it('keeps session names within what STS accepts', () => {
    expect(sessionName({ app: 'a b/c', commit: 'deadbeefcafe1234' })).toBe('plumbline-a-b-c-deadbeefcafe');
    expect(sessionName({ app: 'x'.repeat(80) }).length).toBe(64);
  });
});

describe('eksToken, checked the way STS checks it', () => {
  const hmac = (key: Buffer | string, data: string): Buffer =>
    createHmac('sha256', key).update(data, 'utf8').digest();
  const sha256hex = (data: string): string => createHash('sha256').update(data, 'utf8').digest('hex');
  // RFC 3986 encoding as SigV4 wants it.
  const enc = (s: string): string =>
    encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

  it('carries a signature that recomputes from the URL parameters, the cluster header and the credentials', async () => {
    const { token } = await eksToken({
      cluster: 'prod-eu',
      region: 'eu-west-1',
      credentials,
      now: new Date('2026-11-26T12:00:00Z'),
    });
    const url = new URL(Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString('utf8'));
    const params = [...url.searchParams.entries()];
    const allowed = new Set([
      'Action',
      'Version',
      'X-Amz-Algorithm',
      'X-Amz-Credential',
      'X-Amz-Date',
      'X-Amz-Expires',
      'X-Amz-SignedHeaders',
      'X-Amz-Security-Token',
      'X-Amz-Signature',
    ]);
    for (const [name] of params) expect(allowed.has(name)).toBe(true);
    const signature = url.searchParams.get('X-Amz-Signature');
    const amzDate = url.searchParams.get('X-Amz-Date') ?? '';
    const signedHeaders = url.searchParams.get('X-Amz-SignedHeaders') ?? '';
    expect(signedHeaders.split(';')).toContain('x-k8s-aws-id');
    const query = params
      .filter(([k]) => k !== 'X-Amz-Signature')
      .map(([k, v]) => [enc(k), enc(v)])
      .sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
    const headers: Record<string, string> = { host: url.host, 'x-k8s-aws-id': 'prod-eu' };
    const canonicalHeaders = signedHeaders
      .split(';')
      .map((h) => `${h}:${headers[h]}\n`)
      .join('');
    const canonicalRequest = ['GET', '/', query, canonicalHeaders, signedHeaders, sha256hex('')].join('\n');
    const scope = `${amzDate.slice(0, 8)}/eu-west-1/sts/aws4_request`;
    const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256hex(canonicalRequest)].join('\n');
    let key = hmac(`AWS4${credentials.secretAccessKey}`, amzDate.slice(0, 8));
    for (const part of ['eu-west-1', 'sts', 'aws4_request']) key = hmac(key, part);
    expect(createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex')).toBe(signature);
    // Another cluster name in the header would not verify.
    headers['x-k8s-aws-id'] = 'prod-us';
    const forged = [
      'GET',
      '/',
      query,
      signedHeaders
        .split(';')
        .map((h) => `${h}:${headers[h]}\n`)
        .join(''),
      signedHeaders,
      sha256hex(''),
    ].join('\n');
    const forgedSig = createHmac('sha256', key)
      .update(['AWS4-HMAC-SHA256', amzDate, scope, sha256hex(forged)].join('\n'), 'utf8')
      .digest('hex');
    expect(forgedSig).not.toBe(signature);
  });
});
