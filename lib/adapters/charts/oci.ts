import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { ChartRef } from '../../core/render';
import { ChartFetchError, ChartRefusedError } from './errors';
import { type FetchLike, httpGet, origin } from './http-client';
import type { PulledArchive } from './http-repo';
import { MAX_PROVENANCE_BYTES, PROVENANCE_LAYER } from './provenance';
import { guardUrl } from './url-guard';

export const CHART_LAYER = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';
const MANIFEST_TYPES = ['application/vnd.oci.image.manifest.v1+json'];
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const MAX_TOKEN_BYTES = 1024 * 1024;

/** Basic credentials for a registry host (Amazon ECR: `AWS` and the authorization token). */
export type RegistryCredentials = (
  host: string,
) => Promise<{ readonly username: string; readonly password: string } | undefined>;

export interface OciPullOptions {
  readonly maxChartBytes: number;
  readonly timeoutMs: number;
  readonly fetch?: FetchLike;
  readonly credentials?: RegistryCredentials;
  /** Also fetch the manifest's provenance layer when it has one (helm push of a signed chart). */
  readonly provenance?: boolean;
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/;

/** `oci://host/path` → the registry's base URL and the repository of the chart in it. */
export function ociLocation(ref: ChartRef): { base: string; host: string; repository: string } {
  const url = new URL(ref.repository);
  const host = url.host.toLowerCase();
  // Loopback registries are plain HTTP (tests, `npm start`), as `helm push --plain-http`; others TLS.
  const scheme = LOOPBACK.test(host) ? 'http' : 'https';
  const path = url.pathname.replace(/^\/+|\/+$/g, '');
  return { base: `${scheme}://${host}`, host, repository: path === '' ? ref.name : `${path}/${ref.name}` };
}

/** `Bearer realm="…",service="…",scope="…"` → its parameters. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const [scheme = '', ...rest] = header.trim().split(/\s+/);
  const params: Record<string, string> = {};
  for (const match of rest.join(' ').matchAll(/([A-Za-z]+)="([^"]*)"/g))
    params[match[1]!.toLowerCase()] = match[2]!;
  return { scheme: scheme.toLowerCase(), params };
}

/**
 * A Helm chart from an OCI registry through the Distribution API, as `helm pull oci://…` does:
 * the manifest of the version's tag, then its chart layer blob, checked against the layer digest.
 * A 401 is answered once with the challenge's bearer-token flow (anonymous or Basic credentials)
 * or, for a Basic challenge, the credentials themselves.
 */
export async function pullFromRegistry(ref: ChartRef, options: OciPullOptions): Promise<PulledArchive> {
  const what = `chart ${ref.name} ${ref.version} from ${ref.repository}`;
  const { base, host, repository } = ociLocation(ref);
  // OCI tags cannot hold '+': Helm pushes 1.0.0+build as 1.0.0_build.
  const tag = ref.version.replace(/\+/g, '_');
  const get = (url: string, headers: Record<string, string>, maxBytes: number, label: string) =>
    httpGet(url, {
      what: `${what}: ${label}`,
      repository: ref.repository,
      headers,
      maxBytes,
      timeoutMs: options.timeoutMs,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  const manifestUrl = `${base}/v2/${repository}/manifests/${encodeURIComponent(tag)}`;
  const accept = { accept: MANIFEST_TYPES.join(', ') };
  let auth: Record<string, string> = {};
  let manifest = await get(manifestUrl, accept, MAX_MANIFEST_BYTES, 'manifest');
  if (manifest.status === 401) {
    auth = await authorize(
      ref,
      manifest.headers.get('www-authenticate') ?? '',
      host,
      repository,
      options,
      what,
    );
    manifest = await get(manifestUrl, { ...accept, ...auth }, MAX_MANIFEST_BYTES, 'manifest');
  }
  if (manifest.status === 404)
    throw new ChartRefusedError(`${what}: the registry has no such chart or version`);
  if (manifest.status === 401 || manifest.status === 403)
    throw new ChartRefusedError(`${what}: the registry refused access (${manifest.status})`);
  if (manifest.status !== 200)
    throw new ChartRefusedError(`${what}: the manifest answered ${manifest.status}`);
  let layers: unknown;
  const blobOf = async (layer: { digest: string }, maxBytes: number, label: string): Promise<Buffer> => {
    const blob = await get(`${base}/v2/${repository}/blobs/${layer.digest}`, auth, maxBytes, label);
    if (blob.status !== 200) throw new ChartRefusedError(`${what}: the ${label} answered ${blob.status}`);
    const actual = `sha256:${createHash('sha256').update(blob.body).digest('hex')}`;
    if (actual !== layer.digest)
      throw new ChartRefusedError(
        `${what}: the ${label}'s content is ${actual}, not the ${layer.digest} its manifest names`,
      );
    return blob.body;
  };
  try {
    layers = (JSON.parse(manifest.body.toString('utf8')) as { layers?: unknown }).layers;
  } catch (err: unknown) {
    throw new ChartRefusedError(`${what}: the manifest is not JSON`, { cause: err });
  }
  const layer = (Array.isArray(layers) ? layers : []).find(
    (l): l is { mediaType: string; digest: string; size?: number } =>
      typeof l === 'object' && l !== null && l.mediaType === CHART_LAYER && typeof l.digest === 'string',
  );
  if (layer === undefined)
    throw new ChartRefusedError(`${what}: the manifest has no Helm chart layer (${CHART_LAYER})`);
  if (!/^sha256:[0-9a-f]{64}$/.test(layer.digest))
    throw new ChartRefusedError(`${what}: the chart layer's digest ${layer.digest} is not a sha256 digest`);
  if (typeof layer.size === 'number' && layer.size > options.maxChartBytes)
    throw new ChartRefusedError(
      `${what}: the chart is ${layer.size} bytes, over the ${options.maxChartBytes}-byte limit`,
    );
  const archive = await blobOf(layer, options.maxChartBytes, 'chart layer');
  if (!options.provenance) return { archive };
  const prov = (layers as unknown[]).find(
    (l): l is { digest: string } =>
      typeof l === 'object' &&
      l !== null &&
      (l as { mediaType?: unknown }).mediaType === PROVENANCE_LAYER &&
      typeof (l as { digest?: unknown }).digest === 'string' &&
      /^sha256:[0-9a-f]{64}$/.test((l as { digest: string }).digest),
  );
  if (prov === undefined) return { archive };
  return { archive, provenance: await blobOf(prov, MAX_PROVENANCE_BYTES, 'provenance layer') };
}

/** Whether a token service's host is the registry's, or shares its domain (registry-1.docker.io, auth.docker.io). */
export function sameSite(realmHost: string, registryHost: string): boolean {
  const a = realmHost.toLowerCase();
  const b = registryHost.toLowerCase().replace(/:\d+$/, '');
  if (a === b) return true;
  if (isIP(a.replace(/^\[|\]$/g, '')) !== 0 || isIP(b.replace(/^\[|\]$/g, '')) !== 0) return false;
  const domain = (h: string) => h.split('.').slice(-2).join('.');
  return a.includes('.') && domain(a) === domain(b);
}

async function authorize(
  ref: ChartRef,
  header: string,
  host: string,
  repository: string,
  options: OciPullOptions,
  what: string,
): Promise<Record<string, string>> {
  const { scheme, params } = parseChallenge(header);
  const creds = options.credentials ? await options.credentials(host) : undefined;
  const basic = creds
    ? `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`
    : undefined;
  if (scheme === 'basic') {
    if (!basic)
      throw new ChartRefusedError(
        `${what}: the registry asks for credentials and none are configured for ${host}`,
      );
    return { authorization: basic };
  }
  if (scheme !== 'bearer' || !params.realm)
    throw new ChartRefusedError(`${what}: the registry's authentication challenge is not understood`);
  let realm: URL;
  try {
    realm = new URL(params.realm);
  } catch (err: unknown) {
    throw new ChartRefusedError(`${what}: the token service is not a URL`, { cause: err });
  }
  guardUrl(realm.href, ref.repository, `${what}: token service`);
  if (params.service) realm.searchParams.set('service', params.service);
  realm.searchParams.set('scope', params.scope ?? `repository:${repository}:pull`);
  const answer = await httpGet(realm.href, {
    what: `${what}: token`,
    repository: ref.repository,
    // The registry names the token service: its credentials go only to the registry's own domain.
    headers: basic && sameSite(realm.hostname, host) ? { authorization: basic } : {},
    maxBytes: MAX_TOKEN_BYTES,
    timeoutMs: options.timeoutMs,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  if (answer.status !== 200)
    throw new ChartRefusedError(`${what}: the token service ${origin(realm.href)} answered ${answer.status}`);
  let token: unknown;
  try {
    const body = JSON.parse(answer.body.toString('utf8')) as { token?: unknown; access_token?: unknown };
    token = body.token ?? body.access_token;
  } catch (err: unknown) {
    throw new ChartFetchError(`${what}: the token service answered no JSON`, {
      cause: err,
      retryable: false,
    });
  }
  if (typeof token !== 'string' || token === '')
    throw new ChartRefusedError(`${what}: the token service gave no token`);
  return { authorization: `Bearer ${token}` };
}
