import { parseArgs } from 'node:util';
import { startSandbox } from '../../local/sandbox';
import { UsageError } from '../errors';
import type { CliIo } from '../io';

export const SANDBOX_HELP = `Usage: plumbline sandbox [--port N] [--kubeconfig FILE] [--token T] [--limited-token T=ns1,ns2]

Starts the sandbox Kubernetes API server on https://127.0.0.1 and writes a kubeconfig for it.
Runs until interrupted (Ctrl-C, SIGTERM).

Options:
  --port N                  port to listen on (default: a free port)
  --kubeconfig FILE         where to write the kubeconfig (default: a new temporary directory)
  --token T                 the admin bearer token (default: random)
  --limited-token T=NS,...  an extra token allowed only in these namespaces (repeatable)
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
  const limitedTokens = (values['limited-token'] ?? []).map((spec) => {
    const [token, namespaces] = spec.split('=', 2);
    if (!token || !namespaces)
      throw new UsageError(`--limited-token must look like TOKEN=ns1,ns2, got "${spec}"`);
    return { token, namespaces: namespaces.split(',').filter((n) => n !== '') };
  });
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
  if (values.output === 'json')
    io.out(`${JSON.stringify({ url: sandbox.url, kubeconfig: sandbox.kubeconfigPath })}\n`);
  else {
    io.out(`sandbox API server: ${sandbox.url}\n`);
    io.out(`kubeconfig:         ${sandbox.kubeconfigPath}\n`);
    io.out(`try:                kubectl --kubeconfig ${sandbox.kubeconfigPath} get namespaces\n`);
  }
  await io.interrupted;
  await sandbox.stop();
  return 0;
}
