import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { eksToken } from '../../lib/adapters/aws/eks-token';
import { eksTokenCheck, type HttpsFront, startHttpsFront } from '../helpers/https-front';

const SESSION = { secretAccessKey: 'issued-secret', sessionToken: 'issued-session' };
const sessions = new Map([['ASIAISSUED', SESSION]]);
const check = eksTokenCheck('local', 'us-east-1', sessions);

async function bearer(
  options: { cluster?: string; accessKeyId?: string; secret?: string; now?: Date } = {},
): Promise<string> {
  const { token } = await eksToken({
    cluster: options.cluster ?? 'local',
    region: 'us-east-1',
    credentials: {
      accessKeyId: options.accessKeyId ?? 'ASIAISSUED',
      secretAccessKey: options.secret ?? SESSION.secretAccessKey,
      sessionToken: SESSION.sessionToken,
    },
    ...(options.now ? { now: options.now } : {}),
  });
  return `Bearer ${token}`;
}

/** The cluster endpoint the shipped sync bundle reaches: EKS's token check in front of the sandbox. */
describe('eksTokenCheck (test helper)', () => {
  it('accepts a token for the cluster signed with credentials the STS twin issued', async () => {
    expect(await check(await bearer())).toBe(true);
  });

  it('refuses a token for another cluster, a wrong secret, an unknown key, an old token or no token', async () => {
    expect(await check(await bearer({ cluster: 'other' }))).toBe(false);
    expect(await check(await bearer({ secret: 'guessed' }))).toBe(false);
    expect(await check(await bearer({ accessKeyId: 'ASIAUNKNOWN' }))).toBe(false);
    expect(await check(await bearer({ now: new Date(Date.now() - 20 * 60 * 1000) }))).toBe(false);
    expect(await check(undefined)).toBe(false);
    expect(await check('Bearer k8s-aws-v1.!!!')).toBe(false);
  });
});

describe('startHttpsFront (test helper)', () => {
  let target: Server;
  let front: HttpsFront;
  const seen: (string | undefined)[] = [];

  beforeAll(async () => {
    target = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.end('ok');
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    front = await startHttpsFront({
      target: `http://127.0.0.1:${(target.address() as AddressInfo).port}`,
      authorize: async (header) => ((await check(header)) ? 'Bearer admin' : undefined),
    });
  });
  afterAll(async () => {
    await front.stop();
    await new Promise((resolve) => target.close(resolve));
  });

  it('forwards an authorized request with the replaced header and refuses the rest with 401', async () => {
    const dispatcher = new Agent({ connect: { ca: front.caCert } });
    const ok = await request(`${front.url}/api`, { headers: { authorization: await bearer() }, dispatcher });
    expect(ok.statusCode).toBe(200);
    expect(await ok.body.text()).toBe('ok');
    const refused = await request(`${front.url}/api`, {
      headers: { authorization: await bearer({ cluster: 'other' }) },
      dispatcher,
    });
    expect(refused.statusCode).toBe(401);
    await refused.body.text();
    expect(seen).toEqual(['Bearer admin']);
    await dispatcher.close();
  });
});
