import { createHmac } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  fromApiGatewayV2,
  fromNodeRequest,
  type NodeBodyRead,
  toApiGatewayV2Response,
  writeNodeResponse,
} from '../../lib/adapters/webhooks';
import { createWebhookVerifier } from '../../lib/core/webhooks';
import { readFixture } from '../helpers/fixtures';

const SECRET = 'adapter-secret';
const verifier = createWebhookVerifier({ provider: 'github', secret: SECRET, maxBodyBytes: 64 * 1024 });
const body = readFixture('webhooks', 'github-push.json');
const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;

describe('fromApiGatewayV2', () => {
  const event = {
    headers: { 'x-hub-signature-256': signature, 'x-github-event': 'push', 'x-github-delivery': 'gw-1' },
    body,
    isBase64Encoded: false,
  };

  it('hands a text body to the verifier as its UTF-8 bytes', () => {
    expect(verifier.verify(fromApiGatewayV2(event))).toMatchObject({ status: 202, deliveryId: 'gw-1' });
  });

  it('hands a base64 body on still encoded, and the verifier checks the decoded bytes', () => {
    const encoded = { ...event, body: Buffer.from(body).toString('base64'), isBase64Encoded: true };
    const request = fromApiGatewayV2(encoded);
    expect(request.isBase64Encoded).toBe(true);
    expect(verifier.verify(request)).toMatchObject({ status: 202 });
  });

  it('treats a missing body and headers as an unauthenticated request', () => {
    expect(verifier.verify(fromApiGatewayV2({}))).toMatchObject({ status: 401 });
  });

  it('answers with the status and a JSON body that echoes nothing of the payload', () => {
    const response = toApiGatewayV2Response(verifier.verify(fromApiGatewayV2(event)), { enqueued: 2 });
    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body)).toEqual({
      status: 202,
      kind: 'push',
      deliveryId: 'gw-1',
      refs: 1,
      enqueued: 2,
    });
  });
});

describe('fromNodeRequest', () => {
  let server: Server;
  let port: number;
  let lastRead: NodeBodyRead | undefined;

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      void fromNodeRequest(req, { maxBodyBytes: 64 * 1024 }).then((read) => {
        lastRead = read;
        writeNodeResponse(res, read.ok ? verifier.verify(read.request) : read);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  function post(
    headers: Record<string, string>,
    write: (req: ReturnType<typeof httpRequest>) => void,
  ): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, method: 'POST', path: '/webhook', headers },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      write(req);
    });
  }

  it('reads a body under the cap and the verifier accepts it', async () => {
    const status = await post({ 'x-hub-signature-256': signature, 'x-github-event': 'push' }, (req) =>
      req.end(body),
    );
    expect(status).toBe(202);
  });

  it('refuses a declared Content-Length over the cap with 413 before reading a byte', async () => {
    const status = await post({ 'content-length': String(1024 * 1024) }, (req) =>
      req.write(Buffer.alloc(1024)),
    );
    expect(status).toBe(413);
    expect(lastRead).toMatchObject({ ok: false, status: 413, bytesRead: 0 });
  });

  it('stops reading a chunked body once it passes the cap, answering 413 without buffering the rest', async () => {
    let sent = 0;
    let answered = false;
    const status = await post({ 'transfer-encoding': 'chunked' }, (req) => {
      req.on('response', () => {
        answered = true;
      });
      req.on('error', () => undefined);
      const chunk = Buffer.alloc(16 * 1024, 'x');
      const pump = (): void => {
        // Up to 4 MiB, unless the server answers first.
        while (!answered && sent < 4 * 1024 * 1024) {
          sent += chunk.length;
          if (!req.write(chunk)) {
            req.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
    expect(status).toBe(413);
    if (lastRead?.ok !== false) throw new Error('expected a refused read');
    expect(lastRead.bytesRead).toBeGreaterThan(64 * 1024);
    expect(lastRead.bytesRead).toBeLessThanOrEqual(64 * 1024 + 64 * 1024);
  });
});
