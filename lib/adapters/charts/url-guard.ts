import { isIP } from 'node:net';
import { ChartRefusedError } from './errors';

/** Hops followed for one GET; registries send a blob to object storage in one. */
export const MAX_REDIRECTS = 5;

const LOOPBACK_HOST = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

/** The IPv4 address an IPv4-mapped IPv6 host stands for (URL writes `[::ffff:7f00:1]`), else the host. */
function unmapped(hostname: string): string {
  const bare = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(bare);
  if (hex) {
    const [hi, lo] = [Number.parseInt(hex[1] as string, 16), Number.parseInt(hex[2] as string, 16)];
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  return dotted ? (dotted[1] as string) : bare;
}

/** Loopback, however written. */
function loopbackHost(hostname: string): boolean {
  const host = unmapped(hostname);
  return LOOPBACK_HOST.test(host) || host === '::1';
}

/** Link-local (cloud metadata, 169.254.169.254, fd00:ec2::254) and unspecified addresses. */
function internalAddress(hostname: string): boolean {
  const host = unmapped(hostname);
  const family = isIP(host);
  if (family === 4) return /^(169\.254\.|0\.)/.test(host);
  if (family === 6) return /^(fe[89ab][0-9a-f]:|fd00:ec2:|::$)/.test(host);
  return false;
}

/**
 * Why a URL the repository sent us to (a redirect, index.yaml's archive URL, a token realm) may not
 * be fetched, or undefined. The allow-list names the repository, not where it points: a repository
 * (or whoever took it over) must not make the function reach loopback (Lambda's runtime API) or
 * link-local (instance metadata) addresses, nor downgrade to plain HTTP. Only a loopback repository
 * (tests, `npm start`) may point to loopback, over HTTP; another HTTP repository only to itself.
 */
export function urlProblem(target: string, repository: string): string | undefined {
  let url: URL;
  let home: URL;
  try {
    url = new URL(target);
    home = new URL(repository.replace(/^oci:/, 'https:'));
  } catch {
    return 'is not a URL';
  }
  const homeLoopback = loopbackHost(home.hostname);
  const loopback = loopbackHost(url.hostname);
  if (url.username !== '' || url.password !== '') return 'carries credentials in the URL';
  if (loopback && !homeLoopback) return 'is a loopback address';
  if (internalAddress(url.hostname)) return 'is a link-local or metadata address';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol !== 'http:') return `is not HTTP(S) (${url.protocol})`;
  if (loopback && homeLoopback) return undefined;
  return url.host.toLowerCase() === home.host.toLowerCase() && home.protocol === 'http:'
    ? undefined
    : 'is plain HTTP off the repository';
}

/** Throws ChartRefusedError (naming only the origin: a URL's query can be a signature) when refused. */
export function guardUrl(target: string, repository: string, what: string): void {
  const problem = urlProblem(target, repository);
  if (problem === undefined) return;
  let shown = '(invalid URL)';
  try {
    shown = new URL(target).origin;
  } catch {
    // shown stays a placeholder
  }
  throw new ChartRefusedError(`${what}: will not fetch ${shown}: it ${problem}`);
}
