import type { KubeObject } from '../../lib/core/manifests';
import { Redactor } from '../../lib/core/redact';
import { applyObject, isUnchanged } from '../../lib/core/sync/apply-object';
import { ClusterApiError, type ClusterPort, type ResourceInfo } from '../../lib/core/sync/ports';

const SECRETS: ResourceInfo = {
  group: '',
  version: 'v1',
  kind: 'Secret',
  plural: 'secrets',
  namespaced: true,
};
const secret: KubeObject = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 's', namespace: 'n' },
  stringData: { token: 'hunter2-very-secret' },
};

function failingCluster(err: Error): ClusterPort {
  const fail = async (): Promise<never> => {
    throw err;
  };
  return {
    resource: fail,
    resourceFor: fail,
    refreshDiscovery: () => undefined,
    list: fail,
    get: fail,
    apply: fail,
    patch: fail,
    create: fail,
    replace: fail,
    listNamespace: fail,
    remove: fail,
  };
}

describe('applyObject', () => {
  it('redacts secret values that an API error echoes back', async () => {
    const redactor = new Redactor();
    redactor.register('hunter2-very-secret');
    const echo = new ClusterApiError(
      'Secret "s" is invalid: stringData.token: Invalid value: "hunter2-very-secret": too long',
      422,
      'Invalid',
    );
    const ctx = {
      cluster: failingCluster(echo),
      force: true,
      dryRun: false,
      fieldManager: 'plumbline-shop',
      redactor,
      sleep: async () => undefined,
      replaceTimeoutMs: 10,
    };
    const change = await applyObject(
      ctx,
      {
        object: secret,
        id: { group: '', kind: 'Secret', namespace: 'n', name: 's' },
        namespaced: true,
        source: undefined,
      },
      SECRETS,
      undefined,
    );
    expect(change.action).toBe('failed');
    expect(change.reason).not.toContain('hunter2-very-secret');
    expect(change.reason).toContain('***');
  });
});

describe('isUnchanged', () => {
  const live: KubeObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'c',
      namespace: 'n',
      managedFields: [
        { manager: 'plumbline-c', operation: 'Apply', fieldsV1: { 'f:data': { 'f:a': {}, 'f:b': {} } } },
      ],
    },
    data: { a: '1', b: '2', c: 'added by someone else' },
  };
  it('is true when every declared field matches and Git dropped nothing Plumbline owns', () => {
    expect(
      isUnchanged(
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'c', namespace: 'n' },
          data: { a: '1', b: '2' },
        },
        live,
        'c',
      ),
    ).toBe(true);
  });
  it('is false when Git dropped a field Plumbline still owns', () => {
    expect(
      isUnchanged(
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n' }, data: { a: '1' } },
        live,
        'c',
      ),
    ).toBe(false);
  });
  it('is false when a declared value differs or the object is missing', () => {
    expect(
      isUnchanged(
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'c', namespace: 'n' },
          data: { a: '9', b: '2' },
        },
        live,
        'c',
      ),
    ).toBe(false);
    expect(
      isUnchanged(
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n' }, data: {} },
        undefined,
        'c',
      ),
    ).toBe(false);
  });
});

describe('isUnchanged with one field manager per app', () => {
  it("ignores fields another app's manager owns, which this app's manifest need not declare", () => {
    const live: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'c',
        namespace: 'n',
        labels: { 'plumbline.dev/app': 'web' },
        managedFields: [
          { manager: 'plumbline-web', operation: 'Apply', fieldsV1: { 'f:data': { 'f:a': {} } } },
          { manager: 'plumbline-api', operation: 'Apply', fieldsV1: { 'f:data': { 'f:b': {} } } },
        ],
      },
      data: { a: '1', b: '2' },
    };
    const desired: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'n', labels: { 'plumbline.dev/app': 'web' } },
      data: { a: '1' },
    };
    expect(isUnchanged(desired, live, 'web')).toBe(true);
    // Dropping a field it owns itself is a change.
    expect(isUnchanged({ ...desired, data: { b: '2' } }, live, 'web')).toBe(false);
  });
});
