import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { ConfigMapInventoryStore, KubeHttp, KubernetesCluster } from '../../lib/adapters/kubernetes';
import { PlainRenderer } from '../../lib/adapters/renderers';
import { JsonFileSecretStore } from '../../lib/adapters/secrets/json-file';
import { canonicalJson, draftFromSync, sealRecord } from '../../lib/core/audit';
import { Redactor } from '../../lib/core/redact';
import { DEFAULT_RENDER_LIMITS } from '../../lib/core/render';
import { syncApp } from '../../lib/core/sync';
import { type Sandbox, startSandbox } from '../../lib/local/sandbox';
import { copyApp } from '../helpers/app-dir';
import { runCli } from '../helpers/cli';
import { sandboxRequest } from '../helpers/http';

const SECRET = 'Tr0ub4dor&3-horse-battery';

/** #6: a known secret value never appears in any output, error, change set, diff, drift or audit record. */
describe('secret values from the secret store', () => {
  let sandbox: Sandbox;
  let secretsFile: string;
  const app = copyApp('shop');
  beforeAll(async () => {
    sandbox = await startSandbox({ controllerDelayMs: 10 });
    secretsFile = join(mkdtempSync(join(tmpdir(), 'plumbline-secrets-')), 'secrets.json');
    writeFileSync(
      secretsFile,
      JSON.stringify({ 'plumbline/local/shop-db': { password: SECRET, user: 'shop' } }),
    );
    app.write(
      'db-secret.yaml',
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  url: "postgres://${secretsmanager:plumbline/local/shop-db#user}:${secretsmanager:plumbline/local/shop-db#password}@db:5432/shop"\n',
    );
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  const cli = (command: string, ...extra: string[]) =>
    runCli([
      command,
      app.dir,
      '--app',
      'shop',
      '--kubeconfig',
      sandbox.kubeconfigPath,
      '--secrets-file',
      secretsFile,
      ...extra,
    ]);

  it('resolves the placeholder into the live Secret', async () => {
    const run = await cli('sync');
    expect(run.code).toBe(0);
    const live = (await sandboxRequest(sandbox, 'GET', '/api/v1/namespaces/default/secrets/db')).json<{
      data: { url: string };
    }>();
    expect(Buffer.from(live.data.url, 'base64').toString()).toBe(`postgres://shop:${SECRET}@db:5432/shop`);
  });

  it('masks a value composed from a reference, and its base64, when the API server echoes them', async () => {
    const composed = Buffer.from(`postgres://shop:${SECRET}@db:5432/shop`).toString('base64');
    await sandboxRequest(sandbox, 'DELETE', '/api/v1/namespaces/default/secrets/db');
    sandbox.faults.add({
      verb: 'apply',
      path: '/secrets/db$',
      warning: `webhook saw data.url=${composed}`,
      times: 1,
    });
    const run = await cli('sync', '-o', 'json');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('webhook saw data.url=***');
    expect(run.stdout).not.toContain(composed);
  });

  it('never prints the value: sync, diff and drift, text and JSON, after an out-of-band change', async () => {
    const outputs: string[] = [];
    for (const extra of [[], ['-o', 'json']]) {
      const run = await cli('sync', ...extra);
      outputs.push(run.stdout, run.stderr);
    }
    await sandboxRequest(sandbox, 'PATCH', '/api/v1/namespaces/default/secrets/db', {
      body: JSON.stringify({ data: { url: Buffer.from('postgres://shop:other@db').toString('base64') } }),
      contentType: 'application/merge-patch+json',
    });
    for (const command of ['diff', 'drift']) {
      for (const extra of [[], ['-o', 'json']]) {
        const run = await cli(command, ...extra);
        expect(run.code).toBe(1);
        outputs.push(run.stdout, run.stderr);
      }
    }
    const all = outputs.join('\n');
    expect(all).toContain('Secret/default/db');
    for (const form of [
      SECRET,
      Buffer.from(SECRET).toString('base64'),
      Buffer.from(`postgres://shop:${SECRET}@db:5432/shop`).toString('base64'),
    ]) {
      expect(all).not.toContain(form);
    }
  });

  it('refuses a missing key with an error that names the secret, not a value', async () => {
    app.write(
      'db-secret.yaml',
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  pw: "${secretsmanager:plumbline/local/shop-db#nope}"\n',
    );
    sandbox.resetStats();
    const run = await cli('sync');
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('error: Secret/default/db: secret "plumbline/local/shop-db" has no key "nope"\n');
    expect(sandbox.stats().byVerb.apply ?? 0).toBe(0);
  });

  it('keeps the value out of the audit record of the sync', async () => {
    app.write(
      'db-secret.yaml',
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  annotations:\n    plumbline.dev/secretsmanager: plumbline/local/shop-db\n',
    );
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sandbox.kubeconfig);
    const http = new KubeHttp(kc);
    const cluster = new KubernetesCluster(http);
    const rendered = await new PlainRenderer().render({
      repoRoot: app.root,
      appPath: app.dir,
      limits: DEFAULT_RENDER_LIMITS,
    });
    const result = await syncApp(
      rendered.manifests,
      {
        cluster,
        inventory: new ConfigMapInventoryStore(cluster),
        secrets: { store: new JsonFileSecretStore(secretsFile), prefix: 'plumbline/local/' },
      },
      {
        app: 'shop',
        namespace: 'default',
        allow: { clusterScoped: true },
        prune: true,
        dryRun: false,
        force: true,
        concurrency: 4,
        wait: false,
        timeoutMs: 1000,
      },
    );
    await http.close();
    const redactor = new Redactor();
    redactor.register(SECRET);
    const record = sealRecord('local', draftFromSync(result, { trigger: 'manual', redactor }), undefined);
    expect(canonicalJson(record)).not.toContain(SECRET);
    expect(JSON.stringify(result)).not.toContain(SECRET);
  });
});
