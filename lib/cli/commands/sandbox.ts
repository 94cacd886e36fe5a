import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { ACCESS_POLICIES, type AccessPolicy, kubeconfigYaml, startSandbox } from '../../local/sandbox';
import { UsageError } from '../errors';
import type { CliIo } from '../io';

export const SANDBOX_HELP = `Usage: plumbline sandbox [--port N] [--kubeconfig FILE] [--token T] [--limited-token T=ns1,ns2]
                        [--access-kubeconfig FILE --access-policy P [--access-namespaces ns1,ns2]]

Starts the sandbox Kubernetes API server on https://127.0.0.1 and writes a kubeconfig for it.
Runs until interrupted (Ctrl-C, SIGTERM).

Options:
  --port N                  port to listen on (default: a free port)
  --kubeconfig FILE         where to write the kubeconfig (default: a new temporary directory)
  --token T                 the admin bearer token (default: random)
  --limited-token T=NS,...  an extra token allowed only in these namespaces (repeatable)
  --access-kubeconfig FILE  also write a kubeconfig whose identity has an EKS access policy's permissions
  --access-policy P         view | edit | admin (in --access-namespaces) | cluster-admin (everywhere),
                            as AmazonEKSViewPolicy, ...EditPolicy, ...AdminPolicy, ...ClusterAdminPolicy
  --access-namespaces NS,.. the namespaces the access policy applies in (not with cluster-admin)
  --controller-delay MS     delay before workloads report status (default 100)
  --latency-ms MS           latency added to every API request (default 0), to model a remote API server
  -o json                   print {url, kubeconfig} as JSON
`;

export async function sandboxCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      kubeconfig: { type: 'string' },
      token: { type: 'string' },
      'limited-token': { type: 'string', multiple: true },
      'access-kubeconfig': { type: 'string' },
      'access-policy': { type: 'string' },
      'access-namespaces': { type: 'string' },
      'controller-delay': { type: 'string' },
      'latency-ms': { type: 'string' },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    io.out(SANDBOX_HELP);
    return 0;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be a port number, got "${values.port}"`);
  const controllerDelayMs =
    values['controller-delay'] === undefined ? undefined : Number(values['controller-delay']);
  if (controllerDelayMs !== undefined && (!Number.isFinite(controllerDelayMs) || controllerDelayMs < 0)) {
    throw new UsageError(
      `--controller-delay must be a number of milliseconds, got "${values['controller-delay']}"`,
    );
  }
  const latencyMs = values['latency-ms'] === undefined ? 0 : Number(values['latency-ms']);
  if (!Number.isFinite(latencyMs) || latencyMs < 0)
    throw new UsageError(`--latency-ms must be a number of milliseconds, got "${values['latency-ms']}"`);
  const limitedTokens: {
    token: string;
    namespaces: string[];
    policy?: AccessPolicy;
    user?: string;
  }[] = (values['limited-token'] ?? []).map((spec) => {
    const [token, namespaces] = spec.split('=', 2);
    if (!token || !namespaces)
      throw new UsageError(`--limited-token must look like TOKEN=ns1,ns2, got "${spec}"`);
    return { token, namespaces: namespaces.split(',').filter((n) => n !== '') };
  });
  const access = accessIdentity(values);
  if (access) limitedTokens.push(access);
  if (values.output !== undefined && values.output !== 'json')
    throw new UsageError(`-o supports only json, got "${values.output}"`);
  const sandbox = await startSandbox({
    port,
    ...(values.kubeconfig ? { kubeconfigPath: values.kubeconfig } : {}),
    ...(values.token ? { token: values.token } : {}),
    limitedTokens,
    ...(controllerDelayMs !== undefined ? { controllerDelayMs } : {}),
    latencyMs,
  });
  const accessPath = values['access-kubeconfig'];
  if (access && accessPath) {
    mkdirSync(dirname(accessPath), { recursive: true });
    writeFileSync(accessPath, kubeconfigYaml(sandbox.url, sandbox.caCert, access.token, access.user), {
      mode: 0o600,
    });
  }
  if (values.output === 'json')
    io.out(
      `${JSON.stringify({ url: sandbox.url, kubeconfig: sandbox.kubeconfigPath, ...(accessPath ? { accessKubeconfig: accessPath } : {}) })}\n`,
    );
  else {
    io.out(`sandbox API server: ${sandbox.url}\n`);
    io.out(`kubeconfig:         ${sandbox.kubeconfigPath}\n`);
    if (access && accessPath) io.out(`access kubeconfig:  ${accessPath} (${describeAccess(access)})\n`);
    io.out(`try:                kubectl --kubeconfig ${sandbox.kubeconfigPath} get namespaces\n`);
  }
  await io.interrupted;
  await sandbox.stop();
  return 0;
}

interface AccessFlags {
  readonly 'access-kubeconfig'?: string | undefined;
  readonly 'access-policy'?: string | undefined;
  readonly 'access-namespaces'?: string | undefined;
}

/** The identity of --access-kubeconfig, or undefined without it; a UsageError for flags that do not fit. */
function accessIdentity(
  values: AccessFlags,
): { token: string; namespaces: string[]; policy: AccessPolicy; user: string } | undefined {
  const path = values['access-kubeconfig'];
  const policy = values['access-policy'];
  const namespaces = (values['access-namespaces'] ?? '').split(',').filter((n) => n !== '');
  if (path === undefined) {
    if (policy !== undefined || values['access-namespaces'] !== undefined)
      throw new UsageError('--access-policy and --access-namespaces need --access-kubeconfig FILE');
    return undefined;
  }
  if (policy === undefined)
    throw new UsageError(`--access-kubeconfig needs --access-policy (${ACCESS_POLICIES.join(', ')})`);
  if (!(ACCESS_POLICIES as readonly string[]).includes(policy))
    throw new UsageError(`--access-policy must be one of ${ACCESS_POLICIES.join(', ')}, got "${policy}"`);
  if (policy === 'cluster-admin' && namespaces.length > 0)
    throw new UsageError('--access-policy cluster-admin applies cluster-wide: drop --access-namespaces');
  if (policy !== 'cluster-admin' && namespaces.length === 0)
    throw new UsageError(`--access-policy ${policy} needs --access-namespaces ns1,ns2`);
  return {
    token: randomBytes(24).toString('base64url'),
    namespaces,
    policy: policy as AccessPolicy,
    user: 'plumbline-access',
  };
}

function describeAccess(access: { policy: AccessPolicy; namespaces: readonly string[] }): string {
  return access.policy === 'cluster-admin'
    ? 'cluster-admin, cluster-wide'
    : `${access.policy} in ${access.namespaces.join(', ')}`;
}
