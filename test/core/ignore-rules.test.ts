import { compareDeclared } from '../../lib/core/drift';
import { pointerProblem, withIgnoredFromLive } from '../../lib/core/drift/ignore';
import type { KubeObject } from '../../lib/core/manifests';
import { parseRepoConfig } from '../../lib/core/repo-config';

const deployment = (replicas: number, image: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'shop', annotations: { 'a/b': 'x' }, ...extra },
  spec: {
    replicas,
    template: {
      spec: {
        containers: [
          { name: 'web', image },
          { name: 'side', image: 'side:1' },
        ],
      },
    },
  },
});

const hpaOwned = {
  manager: 'kube-controller-manager',
  operation: 'Update',
  subresource: 'scale',
  fieldsV1: { 'f:spec': { 'f:replicas': {} } },
};

describe('withIgnoredFromLive', () => {
  it('takes a pointed field from live, so that the comparison finds nothing there', () => {
    const desired = deployment(2, 'web:2');
    const live = deployment(5, 'web:2');
    const out = withIgnoredFromLive(desired, live, [
      { kind: 'Deployment', jsonPointers: ['/spec/replicas'] },
    ]);
    expect(compareDeclared(out, live)).toEqual([]);
    expect((desired.spec as { replicas: number }).replicas).toBe(2); // not mutated
  });

  it('leaves other fields to Git', () => {
    const live = deployment(5, 'web:1');
    const out = withIgnoredFromLive(deployment(2, 'web:2'), live, [
      { kind: 'Deployment', jsonPointers: ['/spec/replicas'] },
    ]);
    expect(compareDeclared(out, live).map((d) => d.path)).toEqual([
      '.spec.template.spec.containers[name=web].image',
    ]);
  });

  it('decodes ~1 and ~0, and follows list indexes', () => {
    const live = deployment(2, 'web:9', { annotations: { 'a/b': 'live' } });
    const out = withIgnoredFromLive(deployment(2, 'web:2'), live, [
      {
        kind: 'Deployment',
        jsonPointers: ['/metadata/annotations/a~1b', '/spec/template/spec/containers/0/image'],
      },
    ]);
    expect(compareDeclared(out, live)).toEqual([]);
  });

  it('removes an ignored field the live object lacks, and creates from Git when nothing is live', () => {
    const desired = deployment(2, 'web:2');
    const live = deployment(2, 'web:2');
    delete (live.spec as Record<string, unknown>).replicas;
    const rules = [{ kind: 'Deployment', jsonPointers: ['/spec/replicas'] }];
    expect(
      (withIgnoredFromLive(desired, live, rules).spec as Record<string, unknown>).replicas,
    ).toBeUndefined();
    expect(withIgnoredFromLive(desired, undefined, rules)).toBe(desired);
  });

  it('takes the fields a named manager owns live, and only those', () => {
    const live = deployment(5, 'web:1', { managedFields: [hpaOwned] });
    const rules = [{ group: 'apps', kind: 'Deployment', managedFieldsManagers: ['kube-controller-manager'] }];
    const out = withIgnoredFromLive(deployment(2, 'web:2'), live, rules);
    expect(compareDeclared(out, live).map((d) => d.path)).toEqual([
      '.spec.template.spec.containers[name=web].image',
    ]);
  });

  it('walks keyed list items of a manager entry', () => {
    const live = deployment(2, 'web:live', {
      managedFields: [
        {
          manager: 'image-updater',
          operation: 'Update',
          fieldsV1: {
            'f:spec': {
              'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { 'f:image': {} } } } },
            },
          },
        },
      ],
    });
    const out = withIgnoredFromLive(deployment(2, 'web:git'), live, [
      { kind: 'Deployment', managedFieldsManagers: ['image-updater'] },
    ]);
    expect(compareDeclared(out, live)).toEqual([]);
  });

  it("keeps the app's ownership labels and adopt annotation when a manager that owns them live is ignored", () => {
    // Another app's manager owns the app label live; taking its fields would apply that app's label.
    const owned = {
      manager: 'plumbline-other',
      operation: 'Apply',
      fieldsV1: {
        'f:metadata': {
          'f:labels': { 'f:plumbline.dev/app': {}, 'f:app.kubernetes.io/managed-by': {}, 'f:tier': {} },
          'f:annotations': { 'f:plumbline.dev/adopt': {} },
        },
      },
    };
    const live = deployment(2, 'web:2', {
      labels: { 'plumbline.dev/app': 'other', 'app.kubernetes.io/managed-by': 'someone', tier: 'live' },
      annotations: { 'plumbline.dev/adopt': 'third' },
      managedFields: [owned],
    });
    const desired = deployment(2, 'web:2', {
      labels: { 'plumbline.dev/app': 'web', 'app.kubernetes.io/managed-by': 'plumbline', tier: 'git' },
      annotations: { 'plumbline.dev/adopt': 'other' },
    });
    const out = withIgnoredFromLive(desired, live, [
      { kind: '*', managedFieldsManagers: ['plumbline-other'] },
    ]);
    expect(out.metadata.labels).toEqual({
      'plumbline.dev/app': 'web',
      'app.kubernetes.io/managed-by': 'plumbline',
      tier: 'live',
    });
    expect(out.metadata.annotations).toEqual({ 'plumbline.dev/adopt': 'other' });
  });

  it('matches rules by group, kind, name and namespace', () => {
    const live = deployment(5, 'web:2');
    const desired = deployment(2, 'web:2');
    const miss = (rule: Record<string, string>) =>
      withIgnoredFromLive(desired, live, [
        { kind: 'Deployment', jsonPointers: ['/spec/replicas'], ...rule },
      ]) === desired;
    expect(miss({ group: '' })).toBe(true);
    expect(miss({ group: 'apps' })).toBe(false);
    expect(miss({ group: '*' })).toBe(false);
    expect(miss({ kind: 'StatefulSet' })).toBe(true);
    expect(miss({ kind: '*' })).toBe(false);
    expect(miss({ name: 'other' })).toBe(true);
    expect(miss({ namespace: 'other' })).toBe(true);
    expect(miss({ name: 'web', namespace: 'shop' })).toBe(false);
  });
});

describe('pointerProblem', () => {
  it.each([
    ['spec/replicas', 'must be a JSON pointer'],
    ['/', 'must be a JSON pointer'],
    ['/metadata/annotations/a~2b', 'has a ~ not followed by 0 or 1'],
    ['/metadata/name', 'identity or server-owned'],
    ['/kind', 'identity or server-owned'],
    ['/status/replicas', 'identity or server-owned'],
    ['/metadata', 'ownership labels'],
    ['/metadata/labels', 'ownership labels'],
    ['/metadata/labels/plumbline.dev~1app', 'ownership labels'],
    ['/metadata/labels/plumbline.dev~1app/x', 'ownership labels'],
    ['/metadata/labels/app.kubernetes.io~1managed-by', 'ownership labels'],
    ['/metadata/labels/plumbline.dev~1hook-of', 'ownership labels'],
    ['/metadata/annotations', 'adopt annotation'],
    ['/metadata/annotations/plumbline.dev~1adopt', 'adopt annotation'],
  ])('refuses %s', (pointer, problem) => {
    expect(pointerProblem(pointer)).toContain(problem);
  });

  it('accepts fields', () => {
    expect(pointerProblem('/spec/replicas')).toBeUndefined();
    expect(pointerProblem('/metadata/annotations/a~1b')).toBeUndefined();
    expect(pointerProblem('/metadata/labels/tier')).toBeUndefined();
  });
});

describe('plumbline.yaml ignoreDifferences', () => {
  const app = (rules: string) =>
    `version: 1\napps:\n  - name: web\n    path: web\n    cluster: c\n    namespace: web\n    ignoreDifferences: ${rules}\n`;
  const error = (rules: string) => {
    try {
      parseRepoConfig(app(rules));
    } catch (err: unknown) {
      return (err as Error).message;
    }
    return 'accepted';
  };

  it('reads rules as Argo CD spells them', () => {
    const config = parseRepoConfig(
      app('[{group: apps, kind: Deployment, jsonPointers: [/spec/replicas], managedFieldsManagers: [hpa]}]'),
    );
    expect(config.apps[0]?.ignoreDifferences).toEqual([
      { group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'], managedFieldsManagers: ['hpa'] },
    ]);
  });

  it('refuses jq paths, rules naming no field, bad pointers and unknown fields, naming the field', () => {
    expect(error('[{kind: Deployment, jqPathExpressions: [".spec"]}]')).toContain(
      'apps[0].ignoreDifferences[0].jqPathExpressions: jqPathExpressions are not supported',
    );
    expect(error('[{kind: Deployment}]')).toContain('names no field');
    expect(error('[{kind: Deployment, jsonPointers: [spec/replicas]}]')).toContain(
      'apps[0].ignoreDifferences[0].jsonPointers[0]: "spec/replicas" must be a JSON pointer',
    );
    expect(error('[{kind: Deployment, jsonPointers: [/x], colour: red}]')).toContain('colour');
    expect(error('[{kind: "*", jsonPointers: [/metadata/labels/plumbline.dev~1app]}]')).toContain(
      'apps[0].ignoreDifferences[0].jsonPointers[0]',
    );
  });
});
