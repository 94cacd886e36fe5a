import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';

type Tracing = typeof import('../../functions/shared/tracing');

/** What X-Ray receives: segment documents over UDP, a JSON header line then the document. */
interface SegmentDocument {
  readonly name: string;
  readonly annotations?: Record<string, unknown>;
  readonly fault?: boolean;
  readonly error?: boolean;
  readonly cause?: { readonly exceptions?: readonly { readonly message?: string }[] };
}

const LAMBDA_ENV = {
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
  AWS_LAMBDA_FUNCTION_NAME: 'Plumbline-sync',
  AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
  LAMBDA_TASK_ROOT: '/var/task',
  _X_AMZN_TRACE_ID: 'Root=1-6745e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
  AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
};

/**
 * functions/shared/tracing.ts as it runs in Lambda: Powertools Tracer with a UDP socket standing in
 * for the X-Ray daemon (the SDK sends closed subsegments to AWS_XRAY_DAEMON_ADDRESS).
 */
describe('tracing', () => {
  let daemon: Socket;
  const documents: SegmentDocument[] = [];
  let tracing: Tracing;
  const saved = { ...process.env };

  beforeAll(async () => {
    daemon = createSocket('udp4');
    daemon.on('message', (packet) => {
      const [, body] = packet.toString('utf8').split('\n');
      if (body) documents.push(JSON.parse(body) as SegmentDocument);
    });
    await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
    const { port } = daemon.address() as AddressInfo;
    Object.assign(process.env, LAMBDA_ENV, { AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${port}` });
    // The Tracer reads its environment when the module is loaded, as in a Lambda container.
    jest.isolateModules(() => {
      tracing = require('../../functions/shared/tracing') as Tracing;
    });
  });
  afterAll(() => {
    process.env = saved;
    daemon.close();
  });

  const received = async (name: string): Promise<SegmentDocument> => {
    for (let i = 0; i < 100; i++) {
      const found = documents.find((d) => d.name === name);
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`no segment ${name} received; got ${documents.map((d) => d.name).join(', ')}`);
  };

  it('sends a subsegment per invocation with the cold start, the service and the job keys as annotations', async () => {
    expect(tracing.tracer.isTracingEnabled()).toBe(true);
    const result = await tracing.traceInvocation('sync', async () => {
      tracing.annotate({ cluster: 'prod', app: 'web', commit: 'abc', delivery: undefined });
      return 42;
    });
    expect(result).toBe(42);
    const doc = await received('## sync');
    expect(doc.annotations).toEqual({
      ColdStart: true,
      Service: 'plumbline',
      cluster: 'prod',
      app: 'web',
      commit: 'abc',
    });
  });

  it('records an error on the subsegment and rethrows it; the next invocation is warm', async () => {
    await expect(
      tracing.traceInvocation('webhook', async () => {
        throw new Error('enqueue failed');
      }),
    ).rejects.toThrow('enqueue failed');
    const doc = await received('## webhook');
    expect(doc.annotations?.ColdStart).toBe(false);
    expect(doc.cause?.exceptions?.[0]?.message).toBe('enqueue failed');
  });

  it('does nothing outside Lambda: no segment, no annotation, the function just runs', async () => {
    let outside: Tracing | undefined;
    const env = { ...process.env };
    delete process.env.AWS_EXECUTION_ENV;
    jest.isolateModules(() => {
      outside = require('../../functions/shared/tracing') as Tracing;
    });
    process.env = env;
    expect(outside!.tracer.isTracingEnabled()).toBe(false);
    documents.length = 0;
    await expect(outside!.traceInvocation('reconcile', async () => 'ran')).resolves.toBe('ran');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(documents).toEqual([]);
  });
});
