import { inspect } from 'node:util';
import { Redactor } from '../../core/redact';

/** A user and password (or app password), or a token sent the way GitHub takes it (basic, `x-access-token`). */
export type GitCredential = { username: string; password: string } | { token: string };

/** Where credentials come from (Secrets Manager in the Lambda, a file or environment in the CLI). */
export interface GitCredentials {
  forUrl(url: string): Promise<GitCredential | undefined>;
}

/** Fixed credentials, or none. */
export function staticCredentials(credential?: GitCredential): GitCredentials {
  return { forUrl: async () => credential };
}

/** The Authorization header, sent with the first request: no 401 round trip before every fetch. */
export function authorizationHeader(credential: GitCredential): string {
  const [user, secret] =
    'token' in credential ? ['x-access-token', credential.token] : [credential.username, credential.password];
  return `Basic ${Buffer.from(`${user}:${secret}`, 'utf8').toString('base64')}`;
}

/** A redactor that masks the credential's secret in every form it could take in text (the header included). */
export function credentialRedactor(credential: GitCredential | undefined): Redactor {
  const redactor = new Redactor();
  if (credential) {
    redactor.register('token' in credential ? credential.token : credential.password);
    redactor.register(authorizationHeader(credential).slice('Basic '.length));
  }
  return redactor;
}

/** The caught value as a cause, unless its inspected form contains a secret; then nothing is kept. */
export function safeCause(err: unknown, redactor: Redactor): ErrorOptions | undefined {
  const text = inspect(err, { depth: 4 });
  return redactor.redact(text) === text ? { cause: err } : undefined;
}
