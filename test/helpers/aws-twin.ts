import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for the AWS services that have no local twin, for code that runs in another
 * process (the shipped Lambda bundles), where aws-sdk-client-mock cannot reach: the SDK is pointed at
 * it with AWS_ENDPOINT_URL. It answers only the calls the functions make, in each service's wire
 * protocol (STS query/XML, EKS REST JSON, SQS JSON 1.0, KMS/Secrets Manager/EventBridge JSON 1.1),
 * and records them.
 */
export interface AwsTwin {
  readonly url: string;
  readonly account: string;
  readonly region: string;
  /** SendMessageBatch entries, in order, by queue URL. */
  readonly messages: Map<string, SqsEntry[]>;
  /** PutEvents entries. */
  readonly events: Record<string, unknown>[];
  /** `service.Operation` of every call, in order. */
  readonly calls: string[];
  /** Credentials issued by AssumeRole, by access key id: what an EKS token must be signed with. */
  readonly sessions: Map<string, { secretAccessKey: string; sessionToken: string; arn: string }>;
  /** EKS DescribeCluster answers, by cluster name. */
  readonly clusters: Map<string, { endpoint: string; caCert: string }>;
  /** Secret values by ARN or name. */
  readonly secrets: Map<string, string>;
  /** S3 objects (path-style, versioned, never overwritten: as under Object Lock) by `bucket/key`. */
  readonly objects: Map<string, { body: Buffer; versionId: string; lastModified: string }>;
  stop(): Promise<void>;
}

export interface SqsEntry {
  readonly MessageBody: string;
  readonly MessageGroupId?: string;
  readonly MessageDeduplicationId?: string;
  readonly MessageId: string;
  readonly SequenceNumber: string;
}

class TwinError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = 'TwinError';
  }
}

type Json = Record<string, unknown>;

export async function startAwsTwin(options: { account?: string; region?: string } = {}): Promise<AwsTwin> {
  const account = options.account ?? '000000000000';
  const region = options.region ?? 'us-east-1';
  const macKeys = new Map<string, Buffer>();
  let sequence = 0;
  const twin: Omit<AwsTwin, 'url' | 'stop'> = {
    account,
    region,
    messages: new Map(),
    events: [],
    calls: [],
    sessions: new Map(),
    clusters: new Map(),
    secrets: new Map(),
    objects: new Map(),
  };
  const macKey = (keyId: string): Buffer => {
    let key = macKeys.get(keyId);
    if (!key) {
      key = randomBytes(32);
      macKeys.set(keyId, key);
    }
    return key;
  };

  const json: Record<string, (input: Json) => Json> = {
    'AmazonSQS.SendMessageBatch': (input) => {
      const queue = String(input.QueueUrl);
      const list = twin.messages.get(queue) ?? [];
      twin.messages.set(queue, list);
      const Successful = (input.Entries as Json[]).map((entry) => {
        const stored = {
          MessageBody: String(entry.MessageBody),
          MessageGroupId: entry.MessageGroupId as string | undefined,
          MessageDeduplicationId: entry.MessageDeduplicationId as string | undefined,
          MessageId: randomUUID(),
          SequenceNumber: String(++sequence).padStart(20, '0'),
        };
        list.push(stored);
        return {
          Id: entry.Id,
          MessageId: stored.MessageId,
          SequenceNumber: stored.SequenceNumber,
          MD5OfMessageBody: createHash('md5').update(stored.MessageBody).digest('hex'),
        };
      });
      return { Successful, Failed: [] };
    },
    'TrentService.GenerateMac': (input) => ({
      KeyId: input.KeyId,
      MacAlgorithm: input.MacAlgorithm,
      Mac: hmac(macKey(String(input.KeyId)), String(input.Message)),
    }),
    'TrentService.VerifyMac': (input) => {
      const expected = Buffer.from(hmac(macKey(String(input.KeyId)), String(input.Message)), 'base64');
      const given = Buffer.from(String(input.Mac), 'base64');
      if (given.length !== expected.length || !timingSafeEqual(given, expected))
        throw new TwinError(400, 'KMSInvalidMacException', 'the MAC is not valid');
      return { KeyId: input.KeyId, MacAlgorithm: input.MacAlgorithm, MacValid: true };
    },
    'secretsmanager.GetSecretValue': (input) => {
      const id = String(input.SecretId);
      const value = twin.secrets.get(id);
      if (value === undefined)
        throw new TwinError(400, 'ResourceNotFoundException', `Secrets Manager can't find ${id}`);
      return { ARN: id, Name: id, SecretString: value, VersionId: 'v1' };
    },
    'AWSEvents.PutEvents': (input) => {
      const entries = input.Entries as Json[];
      twin.events.push(...entries);
      return { FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: randomUUID() })) };
    },
  };

  function assumeRole(form: URLSearchParams): string {
    const roleArn = form.get('RoleArn') ?? '';
    const session = form.get('RoleSessionName') ?? '';
    const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
    const role = roleArn.split('/').pop() ?? '';
    const arn = `arn:aws:sts::${account}:assumed-role/${role}/${session}`;
    const creds = {
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(60).toString('base64'),
      arn,
    };
    twin.sessions.set(accessKeyId, creds);
    const expiration = new Date(Date.now() + 15 * 60 * 1000).toISOString();
    return `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>${accessKeyId}</AccessKeyId><SecretAccessKey>${creds.secretAccessKey}</SecretAccessKey><SessionToken>${creds.sessionToken}</SessionToken><Expiration>${expiration}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROA${accessKeyId.slice(4)}:${session}</AssumedRoleId><Arn>${arn}</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></AssumeRoleResponse>`;
  }

  function describeCluster(name: string): Json {
    const cluster = twin.clusters.get(name);
    if (!cluster)
      throw new TwinError(404, 'ResourceNotFoundException', `No cluster found for name: ${name}.`);
    return {
      cluster: {
        name,
        arn: `arn:aws:eks:${region}:${account}:cluster/${name}`,
        endpoint: cluster.endpoint,
        certificateAuthority: { data: Buffer.from(cluster.caCert).toString('base64') },
        status: 'ACTIVE',
      },
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const target = req.headers['x-amz-target'];
    try {
      if (typeof target === 'string') {
        twin.calls.push(target);
        const op = json[target];
        if (!op) throw new TwinError(400, 'UnknownOperationException', `the twin does not answer ${target}`);
        const version = target.startsWith('AmazonSQS.') ? '1.0' : '1.1';
        send(
          res,
          200,
          `application/x-amz-json-${version}`,
          JSON.stringify(op(JSON.parse(body || '{}') as Json)),
        );
        return;
      }
      const eks = /^\/clusters\/([^/?]+)$/.exec(req.url ?? '');
      if (req.method === 'GET' && eks) {
        twin.calls.push('eks.DescribeCluster');
        send(res, 200, 'application/json', JSON.stringify(describeCluster(decodeURIComponent(eks[1]!))));
        return;
      }
      if (req.method === 'PUT' || req.method === 'GET') {
        try {
          s3(req, res, Buffer.concat(chunks));
        } catch (err: unknown) {
          // S3 answers errors in XML.
          const e = err instanceof TwinError ? err : new TwinError(500, 'InternalError', String(err));
          send(
            res,
            e.status,
            'application/xml',
            `<Error><Code>${e.type}</Code><Message>${e.message}</Message></Error>`,
          );
        }
        return;
      }
      const form = new URLSearchParams(body);
      if (req.method === 'POST' && form.get('Action') === 'AssumeRole') {
        twin.calls.push('sts.AssumeRole');
        send(res, 200, 'text/xml', assumeRole(form));
        return;
      }
      throw new TwinError(
        400,
        'UnknownOperationException',
        `the twin does not answer ${req.method} ${req.url}`,
      );
    } catch (err: unknown) {
      const e = err instanceof TwinError ? err : new TwinError(500, 'InternalFailure', String(err));
      res.setHeader('x-amzn-errortype', e.type);
      send(res, e.status, 'application/json', JSON.stringify({ __type: e.type, message: e.message }));
    }
  }

  /** PutObject (If-None-Match: *), ListObjectVersions and GetObject, path-style: the audit checkpoints. */
  function s3(req: IncomingMessage, res: ServerResponse, raw: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://twin');
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    if (req.method === 'PUT' && key) {
      twin.calls.push('s3.PutObject');
      const id = `${bucket}/${key}`;
      if (req.headers['if-none-match'] === '*' && twin.objects.has(id))
        throw new TwinError(
          412,
          'PreconditionFailed',
          'At least one of the pre-conditions you specified did not hold',
        );
      const encoded = String(req.headers['content-encoding'] ?? '').includes('aws-chunked');
      const object = {
        body: encoded ? dechunk(raw) : raw,
        versionId: randomUUID(),
        lastModified: new Date().toISOString(),
      };
      twin.objects.set(id, object);
      res.writeHead(200, {
        etag: `"${createHash('md5').update(object.body).digest('hex')}"`,
        'x-amz-version-id': object.versionId,
      });
      res.end();
      return;
    }
    if (req.method === 'GET' && !key && url.searchParams.has('versions')) {
      twin.calls.push('s3.ListObjectVersions');
      const prefix = url.searchParams.get('prefix') ?? '';
      const versions = [...twin.objects.entries()]
        .filter(([id]) => id.startsWith(`${bucket}/${prefix}`))
        .map(([id, o]) => {
          const k = id.slice(bucket.length + 1);
          return `<Version><Key>${k}</Key><VersionId>${o.versionId}</VersionId><IsLatest>true</IsLatest><LastModified>${o.lastModified}</LastModified><Size>${o.body.length}</Size><StorageClass>STANDARD</StorageClass></Version>`;
        });
      send(
        res,
        200,
        'application/xml',
        `<?xml version="1.0" encoding="UTF-8"?><ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${bucket}</Name><Prefix>${prefix}</Prefix><IsTruncated>false</IsTruncated>${versions.join('')}</ListVersionsResult>`,
      );
      return;
    }
    if (req.method === 'GET' && key) {
      twin.calls.push('s3.GetObject');
      const object = twin.objects.get(`${bucket}/${key}`);
      const version = url.searchParams.get('versionId');
      if (!object || (version && version !== object.versionId))
        throw new TwinError(404, 'NoSuchKey', 'The specified key does not exist.');
      res.writeHead(200, { 'content-type': 'application/json', 'x-amz-version-id': object.versionId });
      res.end(object.body);
      return;
    }
    throw new TwinError(
      400,
      'UnknownOperationException',
      `the twin does not answer ${req.method} ${req.url}`,
    );
  }

  const server: Server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    ...twin,
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function hmac(key: Buffer, messageBase64: string): string {
  return createHmac('sha256', key).update(Buffer.from(messageBase64, 'base64')).digest('base64');
}

/** The payload of an `aws-chunked` body: `<hex size>[;ext]\r\n<data>\r\n` … up to the 0 chunk (trailers dropped). */
function dechunk(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', at);
    const size = Number.parseInt(raw.subarray(at, eol).toString('latin1').split(';')[0]!, 16);
    if (!(size > 0)) return Buffer.concat(parts);
    parts.push(raw.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'x-amzn-requestid': randomUUID() });
  res.end(body);
}
