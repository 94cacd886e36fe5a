import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { type Sandbox, startSandbox } from '../../../lib/local/sandbox';
import { fixturePath } from '../../helpers/fixtures';
import { makeKubectl, type RunResult } from '../../helpers/kubectl';

/** The real kubectl 1.33 (from the Lambda layer package) against the sandbox. */
describe('sandbox with the real kubectl', () => {
  let sandbox: Sandbox;
  let kubectl: (args: string[], stdin?: string) => Promise<RunResult>;

  const ok = async (args: string[], stdin?: string): Promise<string> => {
    const result = await kubectl(args, stdin);
    if (result.code !== 0)
      throw new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return result.stdout;
  };

  beforeAll(async () => {
    sandbox = await startSandbox({ controllerDelayMs: 20 });
    kubectl = makeKubectl(sandbox.kubeconfigPath);
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  it('reports the client and server versions', async () => {
    const out = JSON.parse(await ok(['version', '-o', 'json'])) as { serverVersion: { minor: string } };
    expect(out.serverVersion.minor).toBe('33');
  });

  it('lists the built-in API resources with short names and scope', async () => {
    const out = await ok(['api-resources', '--no-headers']);
    expect(out).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    expect(out).toMatch(/^namespaces\s+ns\s+v1\s+false\s+Namespace$/m);
    expect(out).toMatch(
      /^customresourcedefinitions\s+crd,crds\s+apiextensions.k8s.io\/v1\s+false\s+CustomResourceDefinition$/m,
    );
  });

  it('creates a namespace and lists the four a new cluster starts with', async () => {
    // kubectl's typed clients send protobuf here (client-go >= 1.31); the sandbox decodes it.
    expect(await ok(['create', 'namespace', 'team-a'])).toBe('namespace/team-a created\n');
    const names = (await ok(['get', 'namespaces', '-o', 'name'])).trim().split('\n');
    expect(names).toEqual(
      expect.arrayContaining([
        'namespace/default',
        'namespace/kube-system',
        'namespace/kube-public',
        'namespace/kube-node-lease',
        'namespace/team-a',
      ]),
    );
  });

  it('creates ConfigMaps, Secrets and ServiceAccounts with the imperative create commands', async () => {
    await ok(['create', 'configmap', 'settings', '-n', 'team-a', '--from-literal=mode=fast']);
    await ok(['create', 'secret', 'generic', 'creds', '-n', 'team-a', '--from-literal=user=admin']);
    await ok(['create', 'serviceaccount', 'robot', '-n', 'team-a']);
    expect(await ok(['get', 'configmap', 'settings', '-n', 'team-a', '-o', 'jsonpath={.data.mode}'])).toBe(
      'fast',
    );
    expect(await ok(['get', 'secret', 'creds', '-n', 'team-a', '-o', 'jsonpath={.type} {.data.user}'])).toBe(
      'Opaque YWRtaW4=',
    );
    expect(await ok(['get', 'serviceaccounts', '-n', 'team-a', '-o', 'name'])).toBe('serviceaccount/robot\n');
  });

  it('server-side applies a directory of mixed kinds with a CRD, then its custom resources', async () => {
    const out = await ok(['apply', '--server-side', '-f', fixturePath('sandbox', 'mixed')]);
    expect(out).toContain(
      'customresourcedefinition.apiextensions.k8s.io/widgets.example.com serverside-applied',
    );
    expect(out).toContain('deployment.apps/web serverside-applied');
    const crs = await ok(['apply', '--server-side', '-f', fixturePath('sandbox', 'crs')]);
    expect(crs).toContain('widget.example.com/sprocket serverside-applied');
    const widgets = await ok(['get', 'widgets', '-n', 'shop', '-o', 'name']);
    expect(widgets.trim().split('\n').sort()).toEqual([
      'widget.example.com/cog',
      'widget.example.com/sprocket',
    ]);
    const crd = parse(await ok(['get', 'crd', 'widgets.example.com', '-o', 'yaml'])) as {
      status: { conditions: { type: string; status: string }[] };
    };
    expect(crd.status.conditions).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'Established', status: 'True' })]),
    );
  });

  it('shows managedFields owned by the kubectl field manager', async () => {
    const cm = parse(
      await ok(['get', 'configmap', 'web-config', '-n', 'shop', '-o', 'yaml', '--show-managed-fields']),
    ) as {
      metadata: {
        managedFields: { manager: string; operation: string; fieldsV1: Record<string, unknown> }[];
      };
    };
    const entry = cm.metadata.managedFields.find((m) => m.manager === 'kubectl');
    expect(entry?.operation).toBe('Apply');
    expect(entry?.fieldsV1).toEqual({
      'f:data': { 'f:color': {}, 'f:greeting': {} },
      'f:metadata': { 'f:labels': { 'f:app': {} } },
    });
  });

  it('removes a field live when a re-apply no longer declares it', async () => {
    const manifest =
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\n  namespace: shop\n  labels:\n    app: web\ndata:\n  greeting: hello\n';
    await ok(['apply', '--server-side', '-f', '-'], manifest);
    const data = JSON.parse(
      await ok(['get', 'configmap', 'web-config', '-n', 'shop', '-o', 'jsonpath={.data}']),
    ) as Record<string, string>;
    expect(data).toEqual({ greeting: 'hello' });
  });

  it('refuses a second field manager without --force-conflicts and lets it win with it', async () => {
    const manifest =
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\n  namespace: shop\ndata:\n  greeting: bonjour\n';
    const refused = await kubectl(
      ['apply', '--server-side', '--field-manager', 'intruder', '-f', '-'],
      manifest,
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('conflict with "kubectl"');
    expect(refused.stderr).toContain('.data.greeting');
    await ok(
      ['apply', '--server-side', '--field-manager', 'intruder', '--force-conflicts', '-f', '-'],
      manifest,
    );
    expect(
      await ok(['get', 'configmap', 'web-config', '-n', 'shop', '-o', 'jsonpath={.data.greeting}']),
    ).toBe('bonjour');
  });

  it('upgrades a client-side-applied object to server-side apply: kubectl rewrites managedFields (csaupgrade)', async () => {
    const manifest = (data: string) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: upgraded\n  namespace: shop\ndata:\n${data}`;
    await ok(['apply', '-f', '-'], manifest('  a: "1"\n  b: "2"\n'));
    await ok(['apply', '--server-side', '-f', '-'], manifest('  a: "1"\n  b: "2"\n'));
    const managers = async () =>
      (
        JSON.parse(
          await ok(['get', 'configmap', 'upgraded', '-n', 'shop', '-o', 'json', '--show-managed-fields']),
        ) as {
          metadata: { managedFields: { manager: string; operation: string }[] };
        }
      ).metadata.managedFields.map((m) => `${m.manager}/${m.operation}`);
    expect(await managers()).not.toContain('kubectl-client-side-apply/Update');
    expect(await managers()).toContain('kubectl/Apply');
    // The fields moved to the server-side manager: dropping one from the manifest removes it.
    await ok(['apply', '--server-side', '-f', '-'], manifest('  a: "1"\n'));
    expect(await ok(['get', 'configmap', 'upgraded', '-n', 'shop', '-o', 'jsonpath={.data}'])).toBe(
      '{"a":"1"}',
    );
  });

  it('selects by a label that exists and differs from a value (a,a!=x)', async () => {
    const labelled = (name: string, labels: string) =>
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: shop\n  labels: {${labels}}\n`;
    await ok(['apply', '-f', '-'], labelled('owned-by-a', '"team": "a"'));
    await ok(['apply', '-f', '-'], labelled('owned-by-b', '"team": "b"'));
    await ok(['apply', '-f', '-'], labelled('unowned', '"other": "x"'));
    const names = await ok(['get', 'configmaps', '-n', 'shop', '-l', 'team,team!=a', '-o', 'name']);
    expect(names.trim().split('\n')).toEqual(['configmap/owned-by-b']);
  });

  it('exits 0 from diff --server-side when nothing changes and 1 when something would', async () => {
    const same = await kubectl([
      'diff',
      '--server-side',
      '-f',
      join(fixturePath('sandbox', 'mixed'), '40-workload.yaml'),
    ]);
    expect(same.code).toBe(0);
    const changed = join(mkdtempSync(join(tmpdir(), 'plumbline-diff-')), 'deploy.yaml');
    const original = await ok(['get', 'deployment', 'web', '-n', 'shop', '-o', 'jsonpath={.spec.replicas}']);
    writeFileSync(
      changed,
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n  labels:\n    app: web\nspec:\n  replicas: 5\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      serviceAccountName: web\n      containers:\n        - name: web\n          image: nginx:1.27\n          ports:\n            - containerPort: 80\n          env:\n            - name: GREETING\n              value: hello\n',
    );
    const diff = await kubectl(['diff', '--server-side', '-f', changed]);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toContain('+  replicas: 5');
    // diff is a dry run: nothing changed live.
    expect(await ok(['get', 'deployment', 'web', '-n', 'shop', '-o', 'jsonpath={.spec.replicas}'])).toBe(
      original,
    );
  });

  it('reports Deployment status from the controller loop', async () => {
    await ok(['rollout', 'status', 'deployment/web', '-n', 'shop', '--timeout=10s']);
  });

  it('deletes objects, and a namespace with everything in it', async () => {
    await ok(['delete', 'widget', 'cog', '-n', 'shop']);
    expect((await kubectl(['get', 'widget', 'cog', '-n', 'shop'])).stderr).toContain('NotFound');
    await ok(['delete', 'namespace', 'shop', '--timeout=20s']);
    expect((await kubectl(['get', 'namespace', 'shop'])).stderr).toContain('NotFound');
    expect(await ok(['get', 'configmaps', '-n', 'shop', '-o', 'name'])).toBe('');
  });

  it('removes the kind from discovery when its CRD is deleted', async () => {
    await ok(['delete', 'crd', 'widgets.example.com']);
    const out = await ok(['api-resources', '--no-headers']);
    expect(out).not.toContain('Widget');
  });
});
