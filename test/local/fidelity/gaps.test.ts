import { type Sandbox, startSandbox } from '../../../lib/local/sandbox';
import { appDir } from '../../helpers/app-dir';
import { runCli } from '../../helpers/cli';
import { readFixture } from '../../helpers/fixtures';
import { sandboxRequest } from '../../helpers/http';
import { makeKubectl, type RunResult } from '../../helpers/kubectl';

/** The value `read` settles on within two seconds (the controller writes status asynchronously). */
async function eventually(
  read: () => Promise<string>,
  until: (v: string) => boolean = (v) => v !== '',
): Promise<string> {
  let value = await read();
  for (let i = 0; i < 40 && !until(value); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await read();
  }
  return value;
}

/**
 * The five places where the sandbox differed from a 1.33 API server on real manifests (issue 15),
 * each driven by the real kubectl and, where Plumbline meets it, by `plumbline sync`.
 */
describe('sandbox fidelity gaps', () => {
  let sandbox: Sandbox;
  let kubectl: (args: string[], stdin?: string) => Promise<RunResult>;
  const k = (): string[] => ['--kubeconfig', sandbox.kubeconfigPath];

  const ok = async (args: string[], stdin?: string): Promise<string> => {
    const result = await kubectl(args, stdin);
    if (result.code !== 0)
      throw new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return result.stdout;
  };

  beforeAll(async () => {
    sandbox = await startSandbox({ controllerDelayMs: 10 });
    kubectl = makeKubectl(sandbox.kubeconfigPath);
    await ok(['create', 'namespace', 'gaps']);
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  describe('RBAC names', () => {
    const rbac = (name: string): string =>
      [
        `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: ${name}\nrules:\n  - apiGroups: [""]\n    resources: [secrets]\n    verbs: [get]\n`,
        `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: ${name}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: ${name}\nsubjects:\n  - kind: ServiceAccount\n    name: robot\n    namespace: gaps\n`,
        `apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: ${name}\n  namespace: gaps\nrules:\n  - apiGroups: [""]\n    resources: [configmaps]\n    verbs: [get]\n`,
        `apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: ${name}\n  namespace: gaps\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: ${name}\nsubjects:\n  - kind: ServiceAccount\n    name: robot\n    namespace: gaps\n`,
      ].join('---\n');

    it('accepts a colon in all four RBAC kinds, client-side and server-side', async () => {
      const out = await ok(['apply', '-f', '-'], rbac('example-controller:issuers'));
      expect(out).toContain('clusterrole.rbac.authorization.k8s.io/example-controller:issuers created');
      expect(out).toContain('rolebinding.rbac.authorization.k8s.io/example-controller:issuers created');
      const ssa = await ok(['apply', '--server-side', '-f', '-'], rbac('example:leader-election'));
      expect(ssa.match(/serverside-applied/g)).toHaveLength(4);
    });

    it("refuses a RBAC name with '%', and a colon in a ConfigMap's name, as the API server does", async () => {
      // kubectl refuses '%' itself, so the request goes to the API directly.
      const percent = await sandboxRequest(
        sandbox,
        'POST',
        '/apis/rbac.authorization.k8s.io/v1/clusterroles',
        {
          body: JSON.stringify({ metadata: { name: 'fifty%off' }, rules: [] }),
        },
      );
      expect(percent.status).toBe(422);
      expect(percent.json<{ message: string }>().message).toContain(
        `metadata.name: Invalid value: "fifty%off": may not contain '%'`,
      );
      const cm = await kubectl(['create', 'configmap', 'a:b', '-n', 'gaps']);
      expect(cm.code).toBe(1);
      expect(cm.stderr).toContain('a lowercase RFC 1123 subdomain');
    });
  });

  describe('webhook lists keyed by name', () => {
    const webhook = (name: string): string =>
      `  - name: ${name}\n    admissionReviewVersions: [v1]\n    sideEffects: None\n    clientConfig:\n      service:\n        name: webhook\n        namespace: gaps\n        path: /validate\n    rules:\n      - apiGroups: [example.com]\n        apiVersions: [v1]\n        operations: [CREATE, UPDATE]\n        resources: [widgets]\n`;
    const config = (kind: string, name: string, ...hooks: string[]): string =>
      `apiVersion: admissionregistration.k8s.io/v1\nkind: ${kind}\nmetadata:\n  name: ${name}\nwebhooks:\n${hooks.map(webhook).join('')}`;
    const caPatch = (index: number): string =>
      JSON.stringify([{ op: 'add', path: `/webhooks/${index}/clientConfig/caBundle`, value: 'Q0EK' }]);
    const names = async (resource: string, name: string): Promise<string> =>
      ok(['get', resource, name, '-o', 'jsonpath={.webhooks[*].name} {.webhooks[0].clientConfig.caBundle}']);

    it.each([
      ['ValidatingWebhookConfiguration', 'validatingwebhookconfigurations'],
      ['MutatingWebhookConfiguration', 'mutatingwebhookconfigurations'],
    ])(
      'removes a %s webhook dropped from the applied file after another manager patched a caBundle',
      async (kind, resource) => {
        const name = `kubectl-${resource.slice(0, 8)}`;
        await ok(['apply', '--server-side', '-f', '-'], config(kind, name, 'a.example.com', 'b.example.com'));
        // cainjector's part: one field of one webhook, written by another manager.
        await ok(['patch', resource, name, '--type=json', '-p', caPatch(0)]);
        await ok(['apply', '--server-side', '-f', '-'], config(kind, name, 'a.example.com'));
        expect(await names(resource, name)).toBe('a.example.com Q0EK');
      },
    );

    it('lets plumbline see drift by webhook name, and remove a webhook dropped from Git in the next sync', async () => {
      const app = appDir({
        'webhook.yaml': config(
          'ValidatingWebhookConfiguration',
          'plumbline-hooks',
          'a.example.com',
          'b.example.com',
        ),
      });
      const args = [app.dir, '--app', 'hooks', ...k()];
      expect((await runCli(['sync', ...args])).code).toBe(0);
      await ok([
        'patch',
        'validatingwebhookconfigurations',
        'plumbline-hooks',
        '--type=json',
        '-p',
        caPatch(0),
      ]);
      expect((await runCli(['drift', ...args])).code).toBe(0);
      const sideEffects = JSON.stringify([
        { op: 'replace', path: '/webhooks/0/sideEffects', value: 'NoneOnDryRun' },
      ]);
      await ok([
        'patch',
        'validatingwebhookconfigurations',
        'plumbline-hooks',
        '--type=json',
        '-p',
        sideEffects,
      ]);
      const drift = await runCli(['drift', ...args]);
      expect(drift.stdout).toContain('.webhooks[name=a.example.com].sideEffects');
      app.set({
        'webhook.yaml': config('ValidatingWebhookConfiguration', 'plumbline-hooks', 'a.example.com'),
      });
      expect((await runCli(['diff', ...args])).stdout).toContain(
        '.webhooks[name=b.example.com]: removed (no longer in Git)',
      );
      const sync = await runCli(['sync', ...args]);
      expect(sync.stdout).toContain('1 configured');
      expect(await names('validatingwebhookconfigurations', 'plumbline-hooks')).toBe('a.example.com Q0EK');
      expect(await runCli(['drift', ...args])).toMatchObject({
        code: 0,
        stdout: 'app hooks: 0 drifted, 0 orphan(s)\n',
      });
    });
  });

  describe('kinds a 1.33 server serves', () => {
    const manifests = [
      'apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata:\n  name: replica-limit\nspec:\n  failurePolicy: Fail\n  matchConstraints:\n    resourceRules:\n      - apiGroups: [apps]\n        apiVersions: [v1]\n        operations: [CREATE, UPDATE]\n        resources: [deployments]\n  validations:\n    - expression: "object.spec.replicas <= 5"\n      message: at most 5 replicas\n',
      'apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\nmetadata:\n  name: replica-limit\nspec:\n  policyName: replica-limit\n  validationActions: [Deny, Audit]\n',
      'apiVersion: v1\nkind: PersistentVolume\nmetadata:\n  name: local-disk\nspec:\n  capacity:\n    storage: 1Gi\n  accessModes: [ReadWriteOnce]\n  hostPath:\n    path: /data\n',
      'apiVersion: v1\nkind: ReplicationController\nmetadata:\n  name: legacy\n  namespace: gaps\nspec:\n  replicas: 2\n  template:\n    metadata:\n      labels:\n        app: legacy\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n',
    ].join('---\n');

    it('lists ValidatingAdmissionPolicy(Binding), ReplicationController and PersistentVolume in discovery', async () => {
      const out = await ok(['api-resources', '--no-headers']);
      expect(out).toMatch(
        /^validatingadmissionpolicies\s+admissionregistration.k8s.io\/v1\s+false\s+ValidatingAdmissionPolicy$/m,
      );
      expect(out).toMatch(
        /^validatingadmissionpolicybindings\s+admissionregistration.k8s.io\/v1\s+false\s+ValidatingAdmissionPolicyBinding$/m,
      );
      expect(out).toMatch(/^persistentvolumes\s+pv\s+v1\s+false\s+PersistentVolume$/m);
      expect(out).toMatch(/^replicationcontrollers\s+rc\s+v1\s+true\s+ReplicationController$/m);
    });

    it('lists their PATCH operations in the OpenAPI v3 kubectl reads', async () => {
      const paths = async (gv: string): Promise<string[]> =>
        Object.keys((JSON.parse(await ok(['get', '--raw', `/openapi/v3/${gv}`])) as { paths: object }).paths);
      expect(await paths('apis/admissionregistration.k8s.io/v1')).toEqual(
        expect.arrayContaining([
          '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/{name}',
          '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings/{name}',
        ]),
      );
      expect(await paths('api/v1')).toEqual(
        expect.arrayContaining([
          '/api/v1/persistentvolumes/{name}',
          '/api/v1/namespaces/{namespace}/replicationcontrollers/{name}',
        ]),
      );
    });

    it('applies them client-side (validated against the OpenAPI) and reports their status', async () => {
      const out = await ok(['apply', '-f', '-'], manifests);
      expect(out).toContain('validatingadmissionpolicy.admissionregistration.k8s.io/replica-limit created');
      expect(out).toContain(
        'validatingadmissionpolicybinding.admissionregistration.k8s.io/replica-limit created',
      );
      expect(out).toContain('persistentvolume/local-disk created');
      expect(out).toContain('replicationcontroller/legacy created');
      await ok([
        'wait',
        'rc/legacy',
        '-n',
        'gaps',
        '--for=jsonpath={.status.readyReplicas}=2',
        '--timeout=10s',
      ]);
      await ok(['wait', 'pv/local-disk', '--for=jsonpath={.status.phase}=Available', '--timeout=10s']);
      // The selector and labels the API server defaults from the pod template.
      expect(await ok(['get', 'rc', 'legacy', '-n', 'gaps', '-o', 'jsonpath={.spec.selector.app}'])).toBe(
        'legacy',
      );
      expect((await ok(['get', 'all', '-n', 'gaps', '-o', 'name'])).split('\n')).toContain(
        'replicationcontroller/legacy',
      );
    });
  });

  describe('LoadBalancer Services', () => {
    const service = (name: string): string =>
      `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n  namespace: gaps\nspec:\n  type: LoadBalancer\n  selector:\n    app: web\n  ports:\n    - port: 80\n      targetPort: 8080\n`;

    it('get an ELB-like hostname from the controller, and lose it when the type changes', async () => {
      await ok(['apply', '-f', '-'], service('public'));
      await ok([
        'wait',
        'svc/public',
        '-n',
        'gaps',
        '--for=jsonpath={.status.loadBalancer.ingress[0].hostname}',
        '--timeout=10s',
      ]);
      const hostname = await ok([
        'get',
        'svc',
        'public',
        '-n',
        'gaps',
        '-o',
        'jsonpath={.status.loadBalancer.ingress[0].hostname}',
      ]);
      expect(hostname).toMatch(/^k8s-gaps-public-[0-9a-f]{10}\.elb\.us-east-1\.amazonaws\.com$/);
      await ok(['patch', 'svc', 'public', '-n', 'gaps', '-p', '{"spec":{"type":"ClusterIP"}}']);
      const read = () => ok(['get', 'svc', 'public', '-n', 'gaps', '-o', 'jsonpath={.status}']);
      expect(await eventually(read, (v) => !v.includes('ingress'))).toBe('{"loadBalancer":{}}');
    });

    it('let plumbline sync --wait finish', async () => {
      const app = appDir({ 'svc.yaml': service('waited') });
      const sync = await runCli(['sync', app.dir, '--app', 'lb', ...k(), '--wait', '--timeout', '20s']);
      expect(sync.stderr).toBe('');
      expect(sync.code).toBe(0);
      expect(sync.stdout).toMatch(/app lb: 1 created/);
    });
  });

  describe('a CRD and its custom resources in one file', () => {
    const file = (group: string): string =>
      [
        readFixture('sandbox', 'mixed', '10-crd.yaml'),
        readFixture('sandbox', 'crs', 'widgets.yaml').replace(/namespace: shop/g, 'namespace: gaps'),
      ]
        .join('---\n')
        .replace(/example\.com/g, group);

    it.each([
      ['client-side', [], 'created'],
      ['server-side', ['--server-side'], 'serverside-applied'],
    ])(
      'kubectl %s creates the CRD and fails the resources until it exists, as against a real server',
      async (_how, flags, verb) => {
        const group = `${verb.slice(0, 6)}.example.com`;
        const first = await kubectl(['apply', ...flags, '-f', '-'], file(group));
        expect(first.code).toBe(1);
        expect(first.stdout).toBe(`customresourcedefinition.apiextensions.k8s.io/widgets.${group} ${verb}\n`);
        expect(first.stderr).toContain(
          `resource mapping not found for name: "sprocket" namespace: "gaps" from "STDIN": no matches for kind "Widget" in version "${group}/v1"`,
        );
        expect(first.stderr).toContain('ensure CRDs are installed first');
        const second = await ok(['apply', ...flags, '-f', '-'], file(group));
        expect(second).toContain(`widget.${group}/sprocket ${verb}`);
      },
    );

    it('syncs in one plumbline sync: the CRD first, established, then its resources', async () => {
      const app = appDir({ 'all.yaml': file('plumbline.example.com') });
      const sync = await runCli(['sync', app.dir, '--app', 'widgets', '-n', 'gaps', ...k()]);
      expect(sync.stderr).toBe('');
      expect(sync.stdout).toMatch(/app widgets: 3 created, 0 configured/);
      expect(await ok(['get', 'widgets.plumbline.example.com', '-n', 'gaps', '-o', 'name'])).toBe(
        'widget.plumbline.example.com/cog\nwidget.plumbline.example.com/sprocket\n',
      );
      expect((await runCli(['sync', app.dir, '--app', 'widgets', '-n', 'gaps', ...k()])).stdout).toMatch(
        /0 created, 0 configured, 3 unchanged/,
      );
    });
  });

  it('serves /openapi/v2, a document without definitions', async () => {
    const out = JSON.parse(await ok(['get', '--raw', '/openapi/v2'])) as {
      swagger: string;
      definitions: object;
    };
    expect(out).toMatchObject({ swagger: '2.0', definitions: {} });
  });
});
