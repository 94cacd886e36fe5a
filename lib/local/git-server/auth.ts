import { createHash, timingSafeEqual } from 'node:crypto';

/** What the server requires: a user and password (HTTP basic), or a token (bearer, or basic with any user). */
export type GitServerAuth = { username: string; password: string } | { token: string };

/** Equal-length digests, so the comparison takes the same time whatever the lengths. */
function same(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}

function basic(header: string): { username: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match?.[1]) return undefined;
  const text = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/**
 * The user a request authenticates as, or undefined when it does not. A token is accepted as a bearer
 * token or as the password of basic auth with any user name, as GitHub accepts `x-access-token:TOKEN`.
 */
export function authenticate(auth: GitServerAuth, header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if ('token' in auth) {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (bearer?.[1] !== undefined) return same(bearer[1], auth.token) ? 'token' : undefined;
    const creds = basic(header);
    return creds && same(creds.password, auth.token) ? creds.username || 'token' : undefined;
  }
  const creds = basic(header);
  if (!creds) return undefined;
  const userOk = same(creds.username, auth.username);
  const passwordOk = same(creds.password, auth.password);
  return userOk && passwordOk ? creds.username : undefined;
}
