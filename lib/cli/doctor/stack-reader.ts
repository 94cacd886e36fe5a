import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { PlumblineError } from '../../core/errors';

export interface DeployedStack {
  readonly status: string;
  readonly outputs: Readonly<Record<string, string>>;
}

/** CloudFormation's DescribeStacks, narrowed to what doctor reads; undefined: no such stack. */
export interface StackReader {
  describe(stackName: string, region: string): Promise<DeployedStack | undefined>;
}

export class StackReadError extends PlumblineError {
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StackReadError';
    this.retryable = retryable;
  }
}

/**
 * DescribeStacks over CloudFormation's Query API, signed with SigV4. The project does not carry
 * @aws-sdk/client-cloudformation (not in the shared node_modules), and one read-only call does not
 * justify it; with that client this becomes a DescribeStacksCommand behind the same port.
 */
export class QueryStackReader implements StackReader {
  constructor(
    private readonly credentials: AwsCredentialIdentityProvider,
    /** For tests: a base URL such as `http://127.0.0.1:PORT` instead of the regional endpoint. */
    private readonly endpoint?: (region: string) => string,
  ) {}

  async describe(stackName: string, region: string): Promise<DeployedStack | undefined> {
    const base = new URL(this.endpoint?.(region) ?? `https://cloudformation.${region}.${dnsSuffix(region)}`);
    const body = new URLSearchParams({
      Action: 'DescribeStacks',
      StackName: stackName,
      Version: '2010-05-15',
    }).toString();
    const request = new HttpRequest({
      method: 'POST',
      protocol: base.protocol,
      hostname: base.hostname,
      ...(base.port ? { port: Number(base.port) } : {}),
      path: '/',
      headers: {
        host: base.host,
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      },
      body,
    });
    const signer = new SignatureV4({
      credentials: this.credentials,
      region,
      service: 'cloudformation',
      sha256: Sha256,
    });
    const signed = await signer.sign(request);
    let response: Response;
    try {
      response = await fetch(base, {
        method: 'POST',
        headers: signed.headers,
        body,
        signal: AbortSignal.timeout(15_000),
      });
    } catch (err: unknown) {
      throw new StackReadError(`cannot reach CloudFormation in ${region}: ${String(err)}`, true, {
        cause: err,
      });
    }
    const xml = await response.text();
    if (response.ok) return parseDescribeStacks(xml);
    const code = tag(xml, 'Code');
    const message = tag(xml, 'Message') ?? `HTTP ${response.status}`;
    // The one way CloudFormation says "no such stack": a ValidationError naming it.
    if (code === 'ValidationError' && /does not exist/.test(message)) return undefined;
    throw new StackReadError(
      `DescribeStacks ${stackName} in ${region}: ${code ?? 'error'}: ${message}`,
      response.status >= 500 || code === 'Throttling',
    );
  }
}

function dnsSuffix(region: string): string {
  return region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(Number.parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(Number.parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? '';
  });
}

function tag(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  return m ? unescapeXml(m[1] ?? '') : undefined;
}

/** The first stack of a DescribeStacksResponse: its status and outputs (flat elements, no attributes). */
export function parseDescribeStacks(xml: string): DeployedStack | undefined {
  const stack = /<Stacks>\s*<member>([\s\S]*)<\/member>\s*<\/Stacks>/.exec(xml)?.[1];
  if (stack === undefined) return undefined;
  const status = tag(stack, 'StackStatus') ?? 'UNKNOWN';
  const outputs: Record<string, string> = {};
  const block = /<Outputs>([\s\S]*?)<\/Outputs>/.exec(stack)?.[1] ?? '';
  for (const member of block.match(/<member>[\s\S]*?<\/member>/g) ?? []) {
    const key = tag(member, 'OutputKey');
    const value = tag(member, 'OutputValue');
    if (key !== undefined && value !== undefined) outputs[key] = value;
  }
  return { status, outputs };
}
