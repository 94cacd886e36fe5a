import 'aws-sdk-client-mock-jest';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { GitSources } from '../../functions/shared/git';

const sm = mockClient(SecretsManagerClient);
const URL_A = 'https://github.com/acme/a.git';
const URL_B = 'https://github.com/acme/b.git';

function sources(): GitSources {
  return new GitSources(
    [
      {
        url: URL_A,
        branch: 'main',
        provider: 'github',
        credentialsSecretName: 'plumbline/git/platform-config',
      },
      { url: URL_B, branch: 'main', provider: 'github' },
    ],
    new SecretsManagerClient({ region: 'eu-west-1' }),
  );
}

beforeEach(() => sm.reset());
afterAll(() => sm.restore());

/** The repositories' credentials secrets, as the sync function reads them for git and for commit statuses. */
describe('GitSources.apiToken', () => {
  it('reads the token, or the password, of the repository credentials secret', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: '{"token":"ghp_one"}' });
    await expect(sources().apiToken(URL_A)).resolves.toBe('ghp_one');
    sm.on(GetSecretValueCommand).resolves({ SecretString: '{"username":"bot","password":"pw-two"}' });
    await expect(sources().apiToken(URL_A)).resolves.toBe('pw-two');
    expect(sm).toHaveReceivedCommandWith(GetSecretValueCommand, {
      SecretId: 'plumbline/git/platform-config',
    });
  });

  it('refuses a repository without a credentials secret, and a secret that is not the expected JSON, without echoing it', async () => {
    await expect(sources().apiToken(URL_B)).rejects.toThrow(`repository ${URL_B} has no credentials secret`);
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'ghp_not-json-s3cret' });
    const err = await sources()
      .apiToken(URL_A)
      .catch((e: unknown) => e as Error);
    expect((err as Error).message).toBe(
      `the git credentials of ${URL_A} must be JSON with "token" or "username" and "password"`,
    );
    expect(String((err as Error).cause ?? '')).not.toContain('s3cret');
  });
});
