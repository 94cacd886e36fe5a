import * as k8s from '@kubernetes/client-node';
import { ConfigMapInventoryStore, KubeHttp, KubernetesCluster } from '../../lib/adapters/kubernetes';
import { PlainRenderer } from '../../lib/adapters/renderers';
import { DEFAULT_RENDER_LIMITS } from '../../lib/core/render';
import { type SyncOptions, syncApp } from '../../lib/core/sync';
import { type Sandbox, startSandbox } from '../../lib/local/sandbox';
import { copyApp } from '../helpers/app-dir';
import { runCli } from '../helpers/cli';
import { sandboxRequest } from '../helpers/http';

/**
 * A real API server lists a new CRD's kinds in discovery a moment after the CRD is Established.
 * The first sync of an app that ships a CRD and its resources must wait for that, not fail with
 * "does not serve".
 */
describe('CRDs whose kinds reach discovery late', () => {
  const ns = 'crd-lag';

  async function sandboxWithLag(ms: number): Promise<Sandbox> {
    const sandbox = await startSandbox({ controllerDelayMs: 10, crdDiscoveryDelayMs: ms });
    await sandboxRequest(sandbox, 'POST', '/api/v1/namespaces', {
      body: JSON.stringify({ metadata: { name: ns } }),
    });
    return sandbox;
  }

  /** `plumbline sync` of the widgets app (a CRD and its resources) into `ns`, cluster-scoped kinds allowed. */
  const syncWidgets = (sandbox: Sandbox, dir: string, ...extra: string[]) =>
    runCli([
      'sync',
      dir,
      '--app',
      'widgets',
      '-n',
      ns,
      '--kubeconfig',
      sandbox.kubeconfigPath,
      '--allow-cluster-scoped',
      ...extra,
    ]);

  it('applies the custom resources once discovery lists their kind', async () => {
    const sandbox = await sandboxWithLag(700);
    try {
      const app = copyApp('widgets');
      const sync = await syncWidgets(sandbox, app.dir, '-o', 'json');
      expect(sync.stderr).toBe('');
      expect(sync.code).toBe(0);
      const changes = (JSON.parse(sync.stdout) as { changes: { subject: string; action: string }[] }).changes;
      expect(changes).toEqual(
        expect.arrayContaining([
          {
            id: expect.any(String),
            subject: 'CustomResourceDefinition/widgets.example.com',
            action: 'created',
            reason: null,
          },
          {
            id: expect.any(String),
            subject: `Widget.example.com/${ns}/sprocket`,
            action: 'created',
            reason: null,
          },
        ]),
      );
    } finally {
      await sandbox.stop();
    }
  });

  it('waits for the health of custom resources whose CRD the same sync created', async () => {
    const sandbox = await sandboxWithLag(300);
    try {
      const app = copyApp('widgets');
      const sync = await syncWidgets(sandbox, app.dir, '--wait', '--timeout', '10s', '-o', 'json');
      expect(JSON.parse(sync.stdout).unhealthy).toEqual([]);
      expect(sync.code).toBe(0);
    } finally {
      await sandbox.stop();
    }
  });

  it('fails the CRD, skips what needs it and keeps it in the inventory when discovery never lists it', async () => {
    const sandbox = await sandboxWithLag(10 * 60_000);
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sandbox.kubeconfig);
    const http = new KubeHttp(kc);
    try {
      const cluster = new KubernetesCluster(http);
      const app = copyApp('widgets');
      const rendered = await new PlainRenderer().render({
        repoRoot: app.root,
        appPath: app.dir,
        limits: DEFAULT_RENDER_LIMITS,
      });
      // A clock that moves a second per sleep: the 30 s deadline passes at once.
      let now = Date.now();
      const options: SyncOptions = {
        app: 'widgets',
        namespace: ns,
        allow: { clusterScoped: true },
        prune: true,
        dryRun: false,
        force: true,
        concurrency: 4,
        wait: false,
        timeoutMs: 1000,
      };
      const inventory = new ConfigMapInventoryStore(cluster);
      const result = await syncApp(
        rendered.manifests,
        {
          cluster,
          inventory,
          now: () => now,
          sleep: async () => {
            now += 1000;
          },
        },
        options,
      );
      expect(result.ok).toBe(false);
      const crd = result.changes.find((c) => c.subject === 'CustomResourceDefinition/widgets.example.com');
      expect(crd).toMatchObject({
        action: 'failed',
        reason: 'Established, but discovery did not list Widget in example.com/v1 within 30 s',
      });
      expect(result.changes.find((c) => c.subject === `Widget.example.com/${ns}/sprocket`)).toMatchObject({
        action: 'skipped',
      });
      const kept = (await inventory.load('widgets', ns))?.inventory.entries.map(
        (e) => `${e.id.kind}/${e.id.name}`,
      );
      expect(kept).toContain('CustomResourceDefinition/widgets.example.com');
    } finally {
      await http.close();
      await sandbox.stop();
    }
  });
  it('prunes a custom resource whose kind its group serves only in a version other than the preferred one', async () => {
    // As monitoring.coreos.com: the group prefers v1, but AlertmanagerConfig is v1alpha1 only.
    const sandbox = await sandboxWithLag(0);
    try {
      const app = copyApp('widgets');
      const crd = (kind: string, version: string) =>
        `apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: ${kind.toLowerCase()}s.example.com\nspec:\n  group: example.com\n  scope: Namespaced\n  names: {plural: ${kind.toLowerCase()}s, singular: ${kind.toLowerCase()}, kind: ${kind}}\n  versions:\n    - name: ${version}\n      served: true\n      storage: true\n      schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}\n`;
      app.write('gadget-crd.yaml', crd('Gadget', 'v1alpha1'));
      app.write(
        'gadget.yaml',
        'apiVersion: example.com/v1alpha1\nkind: Gadget\nmetadata:\n  name: old\nspec: {}\n',
      );
      expect((await syncWidgets(sandbox, app.dir)).code).toBe(0);
      app.remove('gadget.yaml');
      const prune = await syncWidgets(sandbox, app.dir, '--prune', '-o', 'json');
      expect(prune.code).toBe(0);
      expect(JSON.parse(prune.stdout).changes).toContainEqual(
        expect.objectContaining({ subject: `Gadget.example.com/${ns}/old`, action: 'deleted' }),
      );
      const gone = await sandboxRequest(
        sandbox,
        'GET',
        `/apis/example.com/v1alpha1/namespaces/${ns}/gadgets/old`,
      );
      expect(gone.status).toBe(404);
    } finally {
      await sandbox.stop();
    }
  });
});
