import { ChartRefusedError } from '../../lib/adapters/charts';
import { ecrCredentials } from '../../lib/adapters/charts/ecr';

const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const CREDS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'session' };

function fakeEcr(status = 200, token = Buffer.from('AWS:registry-password').toString('base64')) {
  const requests: { url: string; init: RequestInit }[] = [];
  return {
    requests,
    fetch: async (url: string, init: RequestInit) => {
      requests.push({ url, init });
      return new Response(
        JSON.stringify({ authorizationData: [{ authorizationToken: token, expiresAt: 4_102_444_800 }] }),
        { status },
      );
    },
  };
}

describe('ecrCredentials', () => {
  it('calls GetAuthorizationToken with SigV4 for an ECR host, once while the token lasts', async () => {
    const ecr = fakeEcr();
    const creds = ecrCredentials({ credentials: async () => CREDS, fetch: ecr.fetch });
    expect(await creds(HOST)).toMatchObject({ username: 'AWS', password: 'registry-password' });
    expect(await creds(HOST)).toMatchObject({ password: 'registry-password' });
    expect(ecr.requests).toHaveLength(1);
    const [request] = ecr.requests;
    expect(request?.url).toBe('https://api.ecr.eu-west-1.amazonaws.com/');
    const headers = request?.init.headers as Record<string, string>;
    expect(headers['x-amz-target']).toBe('AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken');
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/ecr\/aws4_request, SignedHeaders=[^,]*x-amz-target[^,]*, Signature=[0-9a-f]{64}$/,
    );
    expect(headers['x-amz-security-token']).toBe('session');
    expect(JSON.parse(String(request?.init.body))).toEqual({ registryIds: ['123456789012'] });
  });

  it('gives nothing for another registry, with no request', async () => {
    const ecr = fakeEcr();
    const creds = ecrCredentials({ credentials: async () => CREDS, fetch: ecr.fetch });
    expect(await creds('ghcr.io')).toBeUndefined();
    expect(await creds('123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.io')).toBeUndefined();
    expect(ecr.requests).toHaveLength(0);
  });

  it('refuses, not retryably, when ECR denies the role', async () => {
    const creds = ecrCredentials({ credentials: async () => CREDS, fetch: fakeEcr(400).fetch });
    const err = await creds(HOST).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChartRefusedError);
    expect((err as ChartRefusedError).retryable).toBe(false);
  });
});
