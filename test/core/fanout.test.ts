import { stringify } from 'yaml';
import { AppPathIndex, fanOut, planFanOut } from '../../lib/core/fanout';
import { parseRepoConfig, type RepoConfig } from '../../lib/core/repo-config';
import type { NormalizedPush } from '../../lib/core/webhooks';

const ZEROS = '0'.repeat(40);
const BEFORE = 'a'.repeat(40);
const AFTER = 'b'.repeat(40);

const config: RepoConfig = parseRepoConfig(
  stringify({
    version: 1,
    apps: [
      { name: 'web', path: 'apps/web', cluster: 'prod', namespace: 'web', dependsOn: ['bases/service'] },
      { name: 'webshop', path: 'apps/webshop', cluster: 'prod', namespace: 'shop' },
      { name: 'web-staging', path: 'apps/web', cluster: 'staging', namespace: 'web' },
      {
        name: 'api',
        path: 'charts/api',
        cluster: 'prod',
        namespace: 'api',
        renderer: 'helm',
        helm: { valueFiles: ['values/api-prod.yaml'] },
      },
      {
        name: 'jobs',
        path: 'apps/jobs',
        cluster: 'staging',
        namespace: 'jobs',
        dependsOn: ['shared/cron.yaml'],
      },
    ],
  }),
);

function push(overrides: Partial<NormalizedPush> = {}): NormalizedPush {
  return {
    provider: 'github',
    deliveryId: 'd-1',
    repoUrl: 'https://github.com/acme/platform-config.git',
    ref: 'refs/heads/main',
    before: BEFORE,
    after: AFTER,
    changedPaths: [],
    pusher: 'octocat',
    ...overrides,
  };
}

async function apps(
  p: NormalizedPush,
  options: Parameters<typeof fanOut>[2] = { branch: 'main' },
): Promise<string[]> {
  return (await fanOut(p, config, options)).map((r) => `${r.cluster}/${r.app}`);
}

describe('fanOut', () => {
  it('makes one sync request per app whose path a changed file is under, carrying the push', async () => {
    const requests = await fanOut(push({ changedPaths: ['apps/web/deployment.yaml'] }), config, {
      branch: 'main',
    });
    expect(requests).toEqual([
      {
        cluster: 'prod',
        app: 'web',
        commit: AFTER,
        ref: 'refs/heads/main',
        deliveryId: 'd-1',
        trigger: 'webhook',
      },
      {
        cluster: 'staging',
        app: 'web-staging',
        commit: AFTER,
        ref: 'refs/heads/main',
        deliveryId: 'd-1',
        trigger: 'webhook',
      },
    ]);
  });

  it('matches whole path segments: apps/web does not match apps/webshop', async () => {
    expect(await apps(push({ changedPaths: ['apps/webshop/x.yaml'] }))).toEqual(['prod/webshop']);
    expect(await apps(push({ changedPaths: ['apps/web'] }))).toEqual(['prod/web', 'staging/web-staging']);
    expect(await apps(push({ changedPaths: ['apps/web.yaml', 'apps', 'README.md'] }))).toEqual([]);
  });

  it('syncs an app when a dependsOn directory or file or a helm value file changes', async () => {
    expect(await apps(push({ changedPaths: ['bases/service/pdb.yaml'] }))).toEqual(['prod/web']);
    expect(await apps(push({ changedPaths: ['shared/cron.yaml'] }))).toEqual(['staging/jobs']);
    expect(await apps(push({ changedPaths: ['values/api-prod.yaml'] }))).toEqual(['prod/api']);
    expect(await apps(push({ changedPaths: ['shared/cron.yaml.bak', 'values/api-prod.yaml.orig'] }))).toEqual(
      [],
    );
  });

  it('syncs every app when plumbline.yaml changed', async () => {
    const plan = await planFanOut(push({ changedPaths: ['plumbline.yaml'] }), config, { branch: 'main' });
    expect(plan.reason).toBe('config-changed');
    expect(plan.requests).toHaveLength(config.apps.length);
    expect(await apps(push({ changedPaths: ['apps/plumbline.yaml'] }))).toEqual([]);
  });

  it('does nothing for a push to another branch or a tag', async () => {
    expect(await apps(push({ ref: 'refs/heads/feature', changedPaths: ['plumbline.yaml'] }))).toEqual([]);
    expect(await apps(push({ ref: 'refs/tags/main', changedPaths: ['apps/web/x'] }))).toEqual([]);
    expect(await apps(push({ changedPaths: ['apps/web/x'] }), { branch: 'release' })).toEqual([]);
  });

  it('does nothing when the tracked branch is deleted', async () => {
    const plan = await planFanOut(push({ after: ZEROS, changedPaths: undefined }), config, {
      branch: 'main',
    });
    expect(plan).toEqual({ requests: [], reason: 'branch-deleted' });
  });

  it('diffs the two commits through the callback when the payload lists no paths', async () => {
    const calls: string[][] = [];
    const changedPaths = async (before: string, after: string): Promise<string[]> => {
      calls.push([before, after]);
      return ['charts/api/templates/deploy.yaml'];
    };
    expect(await apps(push({ changedPaths: undefined }), { branch: 'main', changedPaths })).toEqual([
      'prod/api',
    ]);
    expect(calls).toEqual([[BEFORE, AFTER]]);
    await apps(push({ changedPaths: ['apps/web/x'] }), { branch: 'main', changedPaths });
    expect(calls).toHaveLength(1);
  });

  it('syncs every app when the branch is new, whatever the payload lists', async () => {
    const plan = await planFanOut(push({ before: ZEROS, changedPaths: undefined }), config, {
      branch: 'main',
      changedPaths: async () => {
        throw new Error('cannot diff against nothing');
      },
    });
    expect(plan.reason).toBe('new-branch');
    expect(plan.requests).toHaveLength(config.apps.length);
    expect(await apps(push({ before: ZEROS, changedPaths: [] }))).toHaveLength(config.apps.length);
  });

  it('syncs every app when no diff can be had, keeping the reason', async () => {
    expect((await planFanOut(push({ changedPaths: undefined }), config, { branch: 'main' })).reason).toBe(
      'no-diff-available',
    );
    const plan = await planFanOut(push({ changedPaths: undefined }), config, {
      branch: 'main',
      changedPaths: async () => {
        throw new Error('object aaaa not found');
      },
    });
    expect(plan.reason).toBe('diff-failed');
    expect(plan.requests).toHaveLength(config.apps.length);
    expect(plan.error?.message).toBe(
      `cannot list the paths changed between ${BEFORE} and ${AFTER}: object aaaa not found`,
    );
  });

  it('syncs an app at the repository root on any change, and only then', async () => {
    const root = parseRepoConfig('version: 1\napps: [{name: all, path: ., cluster: c, namespace: n}]\n');
    expect(await fanOut(push({ changedPaths: ['anything/at/all'] }), root, { branch: 'main' })).toHaveLength(
      1,
    );
    expect(await fanOut(push({ changedPaths: [] }), root, { branch: 'main' })).toHaveLength(0);
  });
});

describe('AppPathIndex', () => {
  it('finds the apps of 100 changed paths among 1,500 in well under a millisecond', () => {
    const text = stringify({
      version: 1,
      apps: Array.from({ length: 1500 }, (_, i) => ({
        name: `app-${i}`,
        path: `teams/t${i % 30}/app-${i}`,
        cluster: `c${i % 5}`,
        namespace: 'ns',
        dependsOn: [`bases/b${i % 50}`],
      })),
    });
    const index = new AppPathIndex(parseRepoConfig(text).apps);
    const paths = Array.from(
      { length: 100 },
      (_, i) => `teams/t${(i * 7) % 30}/app-${i * 7}/deploy/file-${i}.yaml`,
    );
    expect(index.match(paths)).toHaveLength(100);
    const runs = 200;
    const start = process.hrtime.bigint();
    for (let i = 0; i < runs; i++) index.match(paths);
    const perCallMs = Number(process.hrtime.bigint() - start) / 1e6 / runs;
    expect(perCallMs).toBeLessThan(1);
  });
});
