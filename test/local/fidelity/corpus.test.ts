import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveLayerBinary } from '../../../lib/adapters/binaries';
import { type Sandbox, startSandbox } from '../../../lib/local/sandbox';
import { largeCrd, largeCrdYaml } from '../../fixtures/corpus/large-crd';
import { runCli } from '../../helpers/cli';
import { fixturePath } from '../../helpers/fixtures';
import { makeKubectl, type RunResult } from '../../helpers/kubectl';

type Kubectl = (args: string[], stdin?: string) => Promise<RunResult>;

const ITEMS = ['rbac', 'webhooks', 'policies', 'aggregated', 'large-crd', 'umbrella'] as const;
type Item = (typeof ITEMS)[number];

/** The item as Plumbline reads it: a directory (the large CRD is built, not committed). */
function appDirOf(item: Item): string {
  const dir = mkdtempSync(join(tmpdir(), `plumbline-corpus-${item}-`));
  cpSync(fixturePath('corpus', item), dir, { recursive: true });
  if (item === 'large-crd') writeFileSync(join(dir, 'crd.yaml'), largeCrdYaml());
  return dir;
}

/** The item as kubectl reads it: YAML documents, the umbrella chart rendered by the real helm. */
function manifestsOf(item: Item): string {
  const dir = appDirOf(item);
  if (item === 'umbrella')
    return execFileSync(resolveLayerBinary('helm'), ['template', 'shop', dir, '-n', 'corpus'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: dir },
    });
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n---\n');
}

/** The corpus (test/fixtures/corpus/README.md) against the sandbox: kubectl both ways, and Plumbline. */
describe('fidelity corpus', () => {
  const sandboxes: Sandbox[] = [];
  const start = async (): Promise<{ sandbox: Sandbox; kubectl: Kubectl }> => {
    const sandbox = await startSandbox({ controllerDelayMs: 10 });
    sandboxes.push(sandbox);
    const kubectl = makeKubectl(sandbox.kubeconfigPath);
    const made = await kubectl(['create', 'namespace', 'corpus']);
    if (made.code !== 0) throw new Error(made.stderr);
    return { sandbox, kubectl };
  };
  let clientSide: Kubectl;
  let serverSide: Kubectl;
  let plumbline: Sandbox;
  beforeAll(async () => {
    clientSide = (await start()).kubectl;
    serverSide = (await start()).kubectl;
    plumbline = (await start()).sandbox;
  });
  afterAll(async () => {
    for (const sandbox of sandboxes) await sandbox.stop();
  });

  it('builds a CRD of several hundred KB with four versions', () => {
    const crd = largeCrd() as { spec: { versions: { name: string }[] } };
    expect(largeCrdYaml().length).toBeGreaterThan(400_000);
    expect(crd.spec.versions.map((v) => v.name)).toEqual(['v1alpha1', 'v1alpha2', 'v1beta1', 'v1']);
  });

  it.each(ITEMS)(
    '%s: kubectl applies it client-side, and again with every object unchanged',
    async (item) => {
      let text = manifestsOf(item);
      if (item === 'large-crd') {
        // As on a real server: client-side apply stores the whole CRD in an annotation, over the
        // 256 KiB limit. `kubectl create` stores none, so that is how such a CRD goes in.
        const crd = largeCrdYaml();
        const refused = await clientSide(['apply', '-f', '-'], crd);
        expect(refused.stderr).toContain('metadata.annotations: Too long: must have at most 262144 bytes');
        const created = await clientSide(['create', '-f', '-'], crd);
        expect(created.stderr).toBe('');
        text = readFileSync(fixturePath('corpus', 'large-crd', 'route.yaml'), 'utf8');
      }
      const first = await clientSide(['apply', '-f', '-'], text);
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      const again = await clientSide(['apply', '-f', '-'], text);
      expect(again.stderr).toBe('');
      expect(again.stdout.trim().split('\n')).toEqual(
        first.stdout
          .trim()
          .split('\n')
          .map((line) => line.replace(/ created$/, ' unchanged')),
      );
    },
  );

  it.each(ITEMS)(
    '%s: kubectl applies it server-side, and diff --server-side then finds nothing',
    async (item) => {
      const text = manifestsOf(item);
      if (item === 'large-crd') {
        // The CRD first, as against a real server: its kinds cannot be mapped before it exists.
        const crd = await serverSide(['apply', '--server-side', '-f', '-'], largeCrdYaml());
        expect(crd.stderr).toBe('');
      }
      const applied = await serverSide(['apply', '--server-side', '-f', '-'], text);
      expect(applied.stderr).toBe('');
      expect(applied.code).toBe(0);
      const diff = await serverSide(['diff', '--server-side', '-f', '-'], text);
      expect(diff).toMatchObject({ code: 0, stdout: '', stderr: '' });
    },
  );

  it.each(ITEMS)(
    '%s: plumbline syncs it in one sync; a re-sync writes nothing and drift is clean',
    async (item) => {
      const dir = appDirOf(item);
      const args = [dir, '--app', `corpus-${item}`, '-n', 'corpus', '--kubeconfig', plumbline.kubeconfigPath];
      const first = await runCli(['sync', ...args]);
      expect(first.stderr).toBe('');
      expect(first.stdout).toMatch(/ 0 configured, 0 unchanged, 0 deleted, 0 skipped, 0 failed/);
      expect(first.code).toBe(0);
      const writes = (): number => {
        const v = plumbline.stats().byVerb;
        return (v.apply ?? 0) + (v.create ?? 0) + (v.update ?? 0) + (v.patch ?? 0) + (v.delete ?? 0);
      };
      const before = writes();
      const again = await runCli(['sync', ...args]);
      expect(again.stdout).toMatch(
        /: 0 created, 0 configured, \d+ unchanged, 0 deleted, 0 skipped, 0 failed/,
      );
      expect(writes() - before).toBe(0);
      expect(await runCli(['drift', ...args])).toMatchObject({
        code: 0,
        stdout: `app corpus-${item}: 0 drifted, 0 orphan(s)\n`,
      });
    },
  );

  it('fills an aggregated ClusterRole with the rules of the roles it selects, each rule once', async () => {
    const rules = async (): Promise<unknown[]> => {
      const out = await serverSide(['get', 'clusterrole', 'rollouts-aggregate', '-o', 'json']);
      return ((JSON.parse(out.stdout) as { rules?: unknown[] }).rules ?? []) as unknown[];
    };
    let live = await rules();
    for (let i = 0; i < 40 && live.length < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      live = await rules();
    }
    expect(live).toEqual([
      {
        apiGroups: ['rollouts.example.com'],
        resources: ['rollouts', 'rollouts/status', 'analysisruns'],
        verbs: ['get', 'list', 'watch'],
      },
      {
        apiGroups: ['rollouts.example.com'],
        resources: ['rollouts'],
        verbs: ['create', 'update', 'patch', 'delete'],
      },
    ]);
  });

  it('makes a server-side apply of `rules: []` on an aggregated role conflict with the controller, as a real server does', async () => {
    const role =
      'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: empty-aggregate\naggregationRule:\n  clusterRoleSelectors:\n    - matchLabels:\n        rollouts.example.com/aggregate-to-rollouts: "true"\nrules: []\n';
    expect((await serverSide(['apply', '--server-side', '-f', '-'], role)).code).toBe(0);
    let again = await serverSide(['apply', '--server-side', '-f', '-'], role);
    for (let i = 0; i < 40 && again.code === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      again = await serverSide(['apply', '--server-side', '-f', '-'], role);
    }
    expect(again.stderr).toContain('conflict with "clusterrole-aggregation-controller": .rules');
  });
});
