import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../infra/build-app';
import { type PlumblineConfig, PlumblineConfigError, parsePlumblineConfig } from '../../infra/config';
import { clusterRoleName, syncRoleName } from '../../infra/names';
import { scheduleProblem } from '../../infra/schedule';
import { fakeLayer, PROPS, synth } from './stack';

const roleNames = (template: Template) =>
  Object.values(template.findResources('AWS::IAM::Role')).map((r) => r.Properties.RoleName as unknown);

function issues(raw: Record<string, unknown>): readonly string[] {
  try {
    parsePlumblineConfig({
      repositories: [{ url: 'https://github.com/acme/config.git', branch: 'main', provider: 'github' }],
      clusters: [{ name: 'prod', region: 'eu-west-1', allowedNamespaces: ['apps'] }],
      ...raw,
    });
    return [];
  } catch (err: unknown) {
    if (err instanceof PlumblineConfigError) return err.issues;
    throw err;
  }
}

/** buildApp without bundling (the functions get placeholder assets) or the 36 MB kubectl layer. */
function app(config: PlumblineConfig) {
  return buildApp(
    config,
    new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false }),
    {
      kubectlLayer: fakeLayer,
    },
  );
}

describe('IAM role names', () => {
  it('differ between two regions of one account, for the sync role and the cluster roles', () => {
    const clusters = [
      { name: 'prod', region: 'eu-west-1', allowedNamespaces: ['apps'], clusterScoped: false },
    ];
    const eu = synth({ ...PROPS, clusters }, { env: { account: '111111111111', region: 'eu-west-1' } });
    const us = synth(
      { ...PROPS, clusters: [{ ...clusters[0]!, region: 'us-east-1' }] },
      { env: { account: '111111111111', region: 'us-east-1' } },
    );
    const euNames = roleNames(eu.template).filter((n) => n !== undefined);
    const usNames = roleNames(us.template).filter((n) => n !== undefined);
    expect(euNames.sort()).toEqual(['Plumbline-sync-eu-west-1', 'plumbline-prod-eu-west-1']);
    expect(usNames.sort()).toEqual(['Plumbline-sync-us-east-1', 'plumbline-prod-us-east-1']);
  });

  it('names the sync role by the deploy-time region when the stack has no env', () => {
    expect(roleNames(synth(PROPS, { env: 'agnostic' }).template)).toContainEqual({
      'Fn::Join': ['', ['Plumbline-sync-', { Ref: 'AWS::Region' }]],
    });
  });

  it('stays within 64 characters for the longest stack and cluster names, and long names stay apart', () => {
    const stack = `S${'a'.repeat(127)}`;
    const cluster = `c${'b'.repeat(49)}`;
    for (const region of ['eu-west-1', 'us-isof-south-1']) {
      expect(syncRoleName(stack, region).length).toBeLessThanOrEqual(64);
      expect(clusterRoleName(cluster, region).length).toBeLessThanOrEqual(64);
      expect(clusterRoleName(cluster, region)).toMatch(new RegExp(`^plumbline-cb+-[0-9a-f]{8}-${region}$`));
    }
    expect(clusterRoleName(`${cluster.slice(0, -1)}x`, 'eu-west-1')).not.toBe(
      clusterRoleName(cluster, 'eu-west-1'),
    );
    expect(syncRoleName(`${stack}x`, 'eu-west-1')).not.toBe(syncRoleName(stack, 'eu-west-1'));
    expect(syncRoleName('Plumbline', 'eu-west-1')).toBe('Plumbline-sync-eu-west-1');
  });

  it('lets the main stack assume the role an access stack makes, and the access stack trust the sync role', () => {
    const built = app({
      stackName: 'Plumbline',
      env: { account: '111111111111', region: 'eu-west-1' },
      repositories: PROPS.repositories,
      clusters: [
        {
          name: 'edge',
          region: 'us-east-1',
          account: '222222222222',
          allowedNamespaces: ['edge'],
          clusterScoped: false,
        },
      ],
    });
    const main = Template.fromStack(built.node.findChild('Plumbline') as Stack);
    const access = Template.fromStack(built.node.findChild('Plumbline-access-edge') as Stack);
    const [edgeRole] = Object.values(access.findResources('AWS::IAM::Role'));
    expect(edgeRole?.Properties.RoleName).toBe('plumbline-edge-us-east-1');
    const trusted = JSON.stringify(edgeRole?.Properties.AssumeRolePolicyDocument);
    expect(trusted).toContain(':iam::111111111111:role/Plumbline-sync-eu-west-1');
    expect(roleNames(main)).toContain('Plumbline-sync-eu-west-1');
    expect(JSON.stringify(main.toJSON())).toContain(':iam::222222222222:role/plumbline-edge-us-east-1');
  });
});

describe('access stacks', () => {
  it('are deployed after the main stack, so cdk deploy --all cannot race it', () => {
    const built = app({
      stackName: 'Plumbline',
      env: { account: '111111111111', region: 'eu-west-1' },
      repositories: PROPS.repositories,
      clusters: [
        { name: 'prod', region: 'eu-west-1', allowedNamespaces: ['apps'], clusterScoped: false },
        { name: 'edge', region: 'us-east-1', allowedNamespaces: ['edge'], clusterScoped: false },
        {
          name: 'far',
          region: 'eu-west-1',
          account: '222222222222',
          allowedNamespaces: ['far'],
          clusterScoped: false,
        },
      ],
    });
    const main = built.node.findChild('Plumbline') as Stack;
    for (const id of ['Plumbline-access-edge', 'Plumbline-access-far'])
      expect((built.node.findChild(id) as Stack).dependencies).toEqual([main]);
    const manifest = built.synth().manifest.artifacts ?? {};
    expect(manifest['Plumbline-access-edge']?.dependencies).toContain('Plumbline');
  });
});

describe('parsePlumblineConfig regions', () => {
  it('refuses clusters in two regions without env, naming the cluster and the fix', () => {
    const two = [
      { name: 'prod', region: 'eu-west-1', allowedNamespaces: ['apps'] },
      { name: 'edge', region: 'us-east-1', allowedNamespaces: ['edge'] },
    ];
    expect(issues({ clusters: two })).toEqual([
      'clusters[1].region: cluster edge is in us-east-1, prod in eu-west-1: clusters in more than one region need env {account, region} (each other region gets an access stack)',
    ]);
    expect(issues({ clusters: two, env: { account: '111111111111', region: 'eu-west-1' } })).toEqual([]);
  });
});

describe('schedule', () => {
  it.each([
    'rate(1 minute)',
    'rate(5 minutes)',
    'rate(1 hour)',
    'rate(12 hours)',
    'rate(1 day)',
    'rate(7 days)',
  ])('accepts %s', (expr) => {
    expect(scheduleProblem(expr)).toBeUndefined();
    expect(issues({ schedule: expr })).toEqual([]);
  });

  it.each(['cron(0 12 * * ? *)', 'cron(0/15 8-17 ? * MON-FRI *)', 'cron(0 10 ? * 6L 2027)'])(
    'accepts %s',
    (expr) => {
      expect(scheduleProblem(expr)).toBeUndefined();
    },
  );

  it.each([
    ['rate(5 minute)', 'schedule: rate(5 minute): EventBridge wants rate(5 minutes)'],
    ['rate(1 minutes)', 'schedule: rate(1 minutes): EventBridge wants rate(1 minute)'],
    ['rate(0 minutes)', 'schedule: rate(0 minutes): the value must be a whole number above 0'],
    ['rate(-1 minutes)', 'schedule: rate(-1 minutes): the value must be a whole number above 0'],
    ['rate(5 weeks)', 'schedule: rate(5 weeks): the unit must be minutes, hours or days'],
    [
      'cron(0 12 * * *)',
      'schedule: cron(0 12 * * *): needs 6 fields (minutes hours day-of-month month day-of-week year), not 5',
    ],
    [
      'cron(0 12 * * * *)',
      'schedule: cron(0 12 * * * *): exactly one of day-of-month and day-of-week must be ?',
    ],
    [
      'every 5 minutes',
      'schedule: must be rate(N minutes|hours|days) or cron(minutes hours day-of-month month day-of-week year)',
    ],
  ])('refuses %s with one line', (expr, line) => {
    expect(issues({ schedule: expr })).toEqual([line]);
  });

  it('is checked by the construct too, for stacks built without plumbline.config.json', () => {
    expect(() => synth({ ...PROPS, schedule: 'rate(5 minute)' })).toThrow(
      'schedule: rate(5 minute): EventBridge wants rate(5 minutes)',
    );
  });
});
