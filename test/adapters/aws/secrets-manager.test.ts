import { BatchGetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { SecretsManagerStore } from '../../../lib/adapters/aws/secrets-manager';

const sm = mockClient(SecretsManagerClient);

describe('SecretsManagerStore', () => {
  afterEach(() => sm.reset());

  it('reads in batches of 20, treats missing secrets as absent, and caches what it read', async () => {
    sm.on(BatchGetSecretValueCommand).callsFake((input: { SecretIdList: string[] }) => ({
      SecretValues: input.SecretIdList.filter((id) => id !== 'p/missing').map((id) => ({
        Name: id,
        SecretString: `{"v":"${id}"}`,
      })),
      Errors: input.SecretIdList.includes('p/missing')
        ? [{ SecretId: 'p/missing', ErrorCode: 'ResourceNotFoundException' }]
        : [],
    }));
    const store = new SecretsManagerStore({ client: new SecretsManagerClient({ region: 'eu-west-1' }) });
    const names = [...Array.from({ length: 25 }, (_, i) => `p/s${i}`), 'p/missing'];
    const out = await store.getSecretStrings(names);
    expect(out.size).toBe(25);
    expect(out.has('p/missing')).toBe(false);
    expect(sm).toHaveReceivedCommandTimes(BatchGetSecretValueCommand, 2);
    await store.getSecretStrings(['p/s1', 'p/missing']);
    expect(sm).toHaveReceivedCommandTimes(BatchGetSecretValueCommand, 2);
  });

  it('fails clearly on access errors without echoing values', async () => {
    sm.on(BatchGetSecretValueCommand).resolves({
      Errors: [{ SecretId: 'p/x', ErrorCode: 'AccessDeniedException', Message: 'denied' }],
    });
    const store = new SecretsManagerStore({ client: new SecretsManagerClient({ region: 'eu-west-1' }) });
    await expect(store.getSecretStrings(['p/x'])).rejects.toThrow(
      'cannot read secret p/x: AccessDeniedException',
    );
  });
});

describe('SecretsManagerStore under throttling', () => {
  // One mock per client class per file: a second mockClient() would replace the first's stub.
  afterEach(() => sm.reset());

  it('retries a throttled batch read, then succeeds', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    sm.on(BatchGetSecretValueCommand)
      .rejectsOnce(throttled)
      .resolves({ SecretValues: [{ Name: 'p/a', SecretString: '{"k":"v"}' }] });
    const store = new SecretsManagerStore({
      client: new SecretsManagerClient({ region: 'eu-west-1' }),
      sleep: async () => undefined,
    });
    expect((await store.getSecretStrings(['p/a'])).get('p/a')).toBe('{"k":"v"}');
    expect(sm).toHaveReceivedCommandTimes(BatchGetSecretValueCommand, 2);
  });

  it('names the secrets and the error when access is denied', async () => {
    sm.on(BatchGetSecretValueCommand).rejects(
      Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }),
    );
    const store = new SecretsManagerStore({
      client: new SecretsManagerClient({ region: 'eu-west-1' }),
      sleep: async () => undefined,
    });
    await expect(store.getSecretStrings(['plumbline/prod/db'])).rejects.toThrow(
      'cannot read secrets plumbline/prod/db from Secrets Manager: AccessDeniedException',
    );
  });
});
