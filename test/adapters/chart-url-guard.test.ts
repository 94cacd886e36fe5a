import { ChartRefusedError } from '../../lib/adapters/charts/errors';
import type { FetchLike } from '../../lib/adapters/charts/http-client';
import { pullFromChartRepository } from '../../lib/adapters/charts/http-repo';
import { pullFromRegistry, sameSite } from '../../lib/adapters/charts/oci';
import { urlProblem } from '../../lib/adapters/charts/url-guard';

/** A fetch answering from a table of URL → response; it records each URL and its Authorization. */
function scripted(routes: Record<string, () => Response>) {
  const seen: { url: string; auth: string | undefined }[] = [];
  const fetch: FetchLike = async (url, init) => {
    const headers = (init.headers ?? {}) as Record<string, string>;
    seen.push({ url, auth: headers.authorization });
    const route = routes[url];
    if (!route) throw new Error(`unexpected request ${url}`);
    return route();
  };
  return { fetch, seen };
}
const redirect = (to: string) => () => new Response(null, { status: 302, headers: { location: to } });
const refusedWith = async (p: Promise<unknown>): Promise<string> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ChartRefusedError);
  return (err as Error).message;
};

const OPTIONS = { maxChartBytes: 1024 * 1024, timeoutMs: 5000 };

describe('chart URL guard', () => {
  it.each([
    ['http://169.254.169.254/latest/meta-data/', 'https://charts.example.com', 'link-local'],
    ['https://169.254.170.2/v2/credentials', 'https://charts.example.com', 'link-local'],
    ['http://[fd00:ec2::254]/latest', 'https://charts.example.com', 'link-local'],
    ['http://127.0.0.1:9001/2018-06-01/runtime/invocation/next', 'https://charts.example.com', 'loopback'],
    ['https://localhost/x', 'oci://registry.example.com/charts', 'loopback'],
    ['http://[::ffff:169.254.169.254]/latest', 'https://charts.example.com', 'link-local'],
    ['https://[::ffff:127.0.0.1]:9001/x', 'https://charts.example.com', 'loopback'],
    ['https://2130706433/x', 'https://charts.example.com', 'loopback'],
    ['https://0xa9fea9fe/x', 'https://charts.example.com', 'link-local'],
    ['https://[::1]/x', 'https://charts.example.com', 'loopback'],
    ['http://cdn.example.net/a.tgz', 'https://charts.example.com', 'plain HTTP'],
    ['http://cdn.example.net/a.tgz', 'http://charts.example.com', 'plain HTTP'],
    ['https://user:pw@cdn.example.net/a.tgz', 'https://charts.example.com', 'credentials'],
    ['file:///etc/passwd', 'https://charts.example.com', 'not HTTP'],
  ])('refuses %s for %s', (target, repository, problem) => {
    expect(urlProblem(target, repository)).toContain(problem);
  });

  it.each([
    ['https://s3.amazonaws.com/bucket/blob?X-Amz-Signature=x', 'oci://registry.example.com/charts'],
    ['http://charts.internal/a.tgz', 'http://charts.internal'],
    ['http://127.0.0.1:5000/v2/x', 'oci://127.0.0.1:5000/charts'],
    ['http://localhost:8080/token', 'http://localhost:8080'],
  ])('allows %s for %s', (target, repository) => {
    expect(urlProblem(target, repository)).toBeUndefined();
  });

  it('does not follow a chart repository redirect to the instance metadata address', async () => {
    const { fetch, seen } = scripted({
      'https://charts.example.com/index.yaml': redirect('http://169.254.169.254/latest/meta-data/iam/'),
    });
    const ref = { repository: 'https://charts.example.com', name: 'web', version: '1.0.0' };
    const message = await refusedWith(pullFromChartRepository(ref, { ...OPTIONS, fetch }));
    expect(message).toContain('will not fetch http://169.254.169.254');
    expect(seen.map((s) => s.url)).toEqual(['https://charts.example.com/index.yaml']);
  });

  it("does not fetch an index.yaml archive URL on the Lambda runtime API's loopback address", async () => {
    const index = `apiVersion: v1\nentries:\n  web:\n    - version: 1.0.0\n      urls: [http://127.0.0.1:9001/2018-06-01/runtime/invocation/next]\n`;
    const { fetch, seen } = scripted({
      'https://charts.example.com/index.yaml': () => new Response(index),
    });
    const ref = { repository: 'https://charts.example.com', name: 'web', version: '1.0.0' };
    expect(await refusedWith(pullFromChartRepository(ref, { ...OPTIONS, fetch }))).toContain('loopback');
    expect(seen).toHaveLength(1);
  });

  it('refuses an OCI token realm on loopback, and sends credentials to no other domain', async () => {
    const challenge = (realm: string) => () =>
      new Response(null, {
        status: 401,
        headers: {
          'www-authenticate': `Bearer realm="${realm}",service="r",scope="repository:charts/web:pull"`,
        },
      });
    const ref = { repository: 'oci://registry.example.com/charts', name: 'web', version: '1.0.0' };
    const manifest = 'https://registry.example.com/v2/charts/web/manifests/1.0.0';
    const credentials = async () => ({ username: 'AWS', password: 'secret-token' });

    const loop = scripted({ [manifest]: challenge('http://127.0.0.1:9001/token') });
    expect(
      await refusedWith(pullFromRegistry(ref, { ...OPTIONS, fetch: loop.fetch, credentials })),
    ).toContain('loopback');
    expect(loop.seen).toHaveLength(1);

    const foreign = scripted({
      [manifest]: challenge('https://attacker.example.net/token'),
      'https://attacker.example.net/token?service=r&scope=repository%3Acharts%2Fweb%3Apull': () =>
        new Response(null, { status: 403 }),
    });
    await refusedWith(pullFromRegistry(ref, { ...OPTIONS, fetch: foreign.fetch, credentials }));
    expect(foreign.seen[1]?.auth).toBeUndefined();
  });

  it('drops Authorization when a redirect leaves the origin', async () => {
    const { fetch, seen } = scripted({
      'https://charts.example.com/index.yaml': redirect('https://cdn.example.net/index.yaml'),
      'https://cdn.example.net/index.yaml': () => new Response('apiVersion: v1\nentries: {}\n'),
    });
    const ref = { repository: 'https://charts.example.com', name: 'web', version: '1.0.0' };
    await refusedWith(
      pullFromChartRepository(ref, { ...OPTIONS, fetch, basic: { username: 'u', password: 'p' } }),
    );
    expect(seen.map((s) => [s.url, s.auth !== undefined])).toEqual([
      ['https://charts.example.com/index.yaml', true],
      ['https://cdn.example.net/index.yaml', false],
    ]);
  });

  it('shares credentials with a token service of the same domain only', () => {
    expect(sameSite('auth.docker.io', 'registry-1.docker.io')).toBe(true);
    expect(sameSite('registry.example.com', 'registry.example.com:443')).toBe(true);
    expect(sameSite('attacker.example.net', 'registry.example.com')).toBe(false);
    expect(sameSite('10.0.0.2', '10.0.0.1')).toBe(false);
  });
});
