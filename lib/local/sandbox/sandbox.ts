import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import type { AccessPolicy } from '../../core/access/policies';
import type { TokenGrant } from './auth';
import { generateCertificates } from './certs';
import { SandboxController } from './controller';
import { ApiCore } from './core';
import { badRequest } from './errors';
import { FaultInjector, type FaultRule } from './faults';
import type { OperationResult } from './operations/request';
import type { Obj } from './schema';
import { handleRequest } from './server';
import { type SandboxStats, StatsRecorder } from './stats';

export interface SandboxOptions {
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  readonly port?: number;
  /** Where to write the kubeconfig; default a new temporary directory. */
  readonly kubeconfigPath?: string;
  /** The admin bearer token; default random. */
  readonly token?: string;
  /**
   * Extra tokens limited to namespaces, to exercise least-privilege failures; with `policy`, the
   * token has that EKS access policy's permissions there (cluster-admin: everywhere).
   */
  readonly limitedTokens?: readonly {
    readonly token: string;
    readonly namespaces: readonly string[];
    readonly policy?: AccessPolicy;
    readonly user?: string;
  }[];
  /** Delay before the controllers report workload status (default 100 ms). */
  readonly controllerDelayMs?: number;
  /** Latency added to every API request (default 0). */
  readonly latencyMs?: number;
  /**
   * How long a new CRD's kinds stay out of discovery after it is stored (default 0). Real API
   * servers update discovery asynchronously; a client must wait for it, not only for Established.
   */
  readonly crdDiscoveryDelayMs?: number;
}

export interface Sandbox {
  readonly url: string;
  readonly kubeconfigPath: string;
  /** The kubeconfig as YAML text (context `plumbline-sandbox`, namespace `default`). */
  readonly kubeconfig: string;
  readonly token: string;
  readonly caCert: string;
  readonly core: ApiCore;
  readonly faults: FaultInjector;
  stats(): SandboxStats;
  resetStats(): void;
  /** A kubeconfig for another token (a limited one), written beside the admin one. */
  kubeconfigFor(token: string, fileName: string): string;
  stop(): Promise<void>;
}

const INITIAL_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export function kubeconfigYaml(url: string, caCert: string, token: string, user = 'sandbox-admin'): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'plumbline-sandbox',
        cluster: { server: url, 'certificate-authority-data': Buffer.from(caCert).toString('base64') },
      },
    ],
    users: [{ name: user, user: { token } }],
    contexts: [
      { name: 'plumbline-sandbox', context: { cluster: 'plumbline-sandbox', user, namespace: 'default' } },
    ],
    'current-context': 'plumbline-sandbox',
    preferences: {},
  });
}

/** Starts the sandbox Kubernetes API on 127.0.0.1 over HTTPS and writes its kubeconfig. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const certs = await generateCertificates();
  const token = options.token ?? randomBytes(24).toString('base64url');
  if (token.length < 8) throw new Error('the sandbox token must be at least 8 characters');
  const grants: TokenGrant[] = [{ token }, ...(options.limitedTokens ?? []).map((t) => ({ ...t }))];
  const core = new ApiCore();
  core.registry.crdDiscoveryDelayMs = options.crdDiscoveryDelayMs ?? 0;
  for (const name of INITIAL_NAMESPACES) {
    const rt = core.registry.lookup('', 'v1', 'namespaces')!;
    core.persist(
      rt,
      undefined,
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
      { dryRun: false },
    );
  }
  const faults = new FaultInjector(options.latencyMs ?? 0);
  const stats = new StatsRecorder();
  const stopping = new AbortController();
  const controller = new SandboxController(core, options.controllerDelayMs ?? 100);
  let serverAddress = '127.0.0.1:0';

  const sandboxEndpoint = (method: string, path: string, body: string): OperationResult | undefined => {
    if (path === '/sandbox/v1/stats' && method === 'GET')
      return { status: 200, body: stats.snapshot() as unknown as Obj };
    if (path === '/sandbox/v1/stats/reset' && method === 'POST') {
      stats.reset();
      return { status: 200, body: { status: 'Success' } };
    }
    if (path === '/sandbox/v1/faults') {
      if (method === 'GET') return { status: 200, body: { rules: faults.list() } };
      if (method === 'DELETE') {
        faults.clear();
        return { status: 200, body: { status: 'Success' } };
      }
      if (method === 'POST') {
        try {
          faults.add(JSON.parse(body) as FaultRule);
        } catch (err: unknown) {
          throw badRequest(`invalid fault rule: ${err instanceof Error ? err.message : String(err)}`);
        }
        return { status: 200, body: { status: 'Success' } };
      }
    }
    return undefined;
  };

  const sockets = new Set<Socket>();
  const server: Server = createServer(
    { cert: certs.serverCert, key: certs.serverKey, keepAliveTimeout: 30_000 },
    (req, res) => {
      void handleRequest(
        {
          core,
          grants,
          faults,
          stats,
          serverAddress: () => serverAddress,
          stopping: stopping.signal,
          sandboxEndpoint,
        },
        req,
        res,
      );
    },
  );
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  serverAddress = `127.0.0.1:${port}`;
  const url = `https://127.0.0.1:${port}`;
  const kubeconfigPath =
    options.kubeconfigPath ?? join(mkdtempSync(join(tmpdir(), 'plumbline-sandbox-')), 'kubeconfig');
  const kubeconfig = kubeconfigYaml(url, certs.caCert, token);
  mkdirSync(dirname(kubeconfigPath), { recursive: true });
  writeFileSync(kubeconfigPath, kubeconfig, { mode: 0o600 });

  return {
    url,
    kubeconfigPath,
    kubeconfig,
    token,
    caCert: certs.caCert,
    core,
    faults,
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    kubeconfigFor(other: string, fileName: string): string {
      const path = join(dirname(kubeconfigPath), fileName);
      writeFileSync(path, kubeconfigYaml(url, certs.caCert, other, 'sandbox-limited'), { mode: 0o600 });
      return path;
    },
    async stop(): Promise<void> {
      stopping.abort();
      controller.stop();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
