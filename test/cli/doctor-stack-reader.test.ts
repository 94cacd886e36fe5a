import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseDescribeStacks, QueryStackReader, StackReadError } from '../../lib/cli/doctor/stack-reader';
import { isPermanent } from '../../lib/core/errors';

// A DescribeStacks answer as CloudFormation's Query API sends it (trimmed: the elements doctor reads,
// and nested members in Parameters and Tags that must not be taken for outputs).
const DESCRIBED = `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <DescribeStacksResult>
    <Stacks>
      <member>
        <StackName>Plumbline</StackName>
        <StackStatusReason>done</StackStatusReason>
        <StackStatus>UPDATE_COMPLETE</StackStatus>
        <Parameters>
          <member><ParameterKey>BootstrapVersion</ParameterKey><ParameterValue>/cdk-bootstrap/hnb659fds/version</ParameterValue></member>
        </Parameters>
        <Outputs>
          <member>
            <OutputKey>WebhookUrl</OutputKey>
            <OutputValue>https://abc.execute-api.eu-west-1.amazonaws.com/webhooks/&lt;provider&gt;</OutputValue>
          </member>
          <member>
            <Description>the audit table</Description>
            <OutputKey>AuditTableName</OutputKey>
            <OutputValue>Plumbline-AuditTable&amp;1</OutputValue>
          </member>
        </Outputs>
        <Tags>
          <member><Key>team</Key><Value>platform</Value></member>
        </Tags>
      </member>
    </Stacks>
  </DescribeStacksResult>
</DescribeStacksResponse>`;

const error = (code: string, message: string) =>
  `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r</RequestId></ErrorResponse>`;

interface Seen {
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

describe('QueryStackReader', () => {
  let server: Server;
  let base: string;
  let answer: { status: number; body: string };
  const seen: Seen[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString('utf8');
      });
      req.on('end', () => {
        seen.push({ headers: req.headers, body });
        res.writeHead(answer.status, { 'content-type': 'text/xml' }).end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const reader = () =>
    new QueryStackReader(
      async () => ({ accessKeyId: 'AKIDSTACKS', secretAccessKey: 'stacks-secret' }),
      () => base,
    );

  it('sends a SigV4-signed DescribeStacks and reads the status and outputs', async () => {
    answer = { status: 200, body: DESCRIBED };
    const stack = await reader().describe('Plumbline', 'eu-west-1');
    expect(stack).toEqual({
      status: 'UPDATE_COMPLETE',
      outputs: {
        WebhookUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com/webhooks/<provider>',
        AuditTableName: 'Plumbline-AuditTable&1',
      },
    });
    const last = seen.at(-1)!;
    expect(new URLSearchParams(last.body).get('Action')).toBe('DescribeStacks');
    expect(new URLSearchParams(last.body).get('StackName')).toBe('Plumbline');
    expect(last.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDSTACKS\/\d{8}\/eu-west-1\/cloudformation\/aws4_request, SignedHeaders=\S*host\S*, Signature=[0-9a-f]{64}$/,
    );
  });

  it('answers undefined for a stack that does not exist', async () => {
    answer = { status: 400, body: error('ValidationError', 'Stack with id Plumbline does not exist') };
    expect(await reader().describe('Plumbline', 'eu-west-1')).toBeUndefined();
  });

  it('throws a permanent StackReadError when access is denied', async () => {
    answer = {
      status: 403,
      body: error('AccessDenied', 'User: alice is not authorized to perform: cloudformation:DescribeStacks'),
    };
    const err = await reader()
      .describe('Plumbline', 'eu-west-1')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StackReadError);
    expect(isPermanent(err)).toBe(true);
    expect((err as Error).message).toBe(
      'DescribeStacks Plumbline in eu-west-1: AccessDenied: User: alice is not authorized to perform: cloudformation:DescribeStacks',
    );
  });

  it('reads a stack without outputs as none', () => {
    expect(
      parseDescribeStacks(
        '<DescribeStacksResponse><DescribeStacksResult><Stacks><member><StackStatus>CREATE_IN_PROGRESS</StackStatus></member></Stacks></DescribeStacksResult></DescribeStacksResponse>',
      ),
    ).toEqual({ status: 'CREATE_IN_PROGRESS', outputs: {} });
  });
});
