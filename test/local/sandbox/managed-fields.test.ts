import { type Sandbox, startSandbox } from '../../../lib/local/sandbox';
import { sandboxRequest } from '../../helpers/http';

interface Entry {
  manager: string;
  operation: string;
  apiVersion?: string;
  fieldsV1?: Record<string, unknown>;
}
interface Live {
  metadata: { resourceVersion: string; managedFields: Entry[] };
  data?: Record<string, string>;
}

/**
 * What kube-apiserver does with managedFields that a client rewrites (k8s.io/client-go/util/csaupgrade
 * does it with a JSON patch guarded by a `test` of resourceVersion), and with two Apply managers.
 */
describe('sandbox managedFields writes and Apply conflicts', () => {
  let sandbox: Sandbox;
  const ns = 'managed';
  const call = (method: string, path: string, options: Parameters<typeof sandboxRequest>[3] = {}) =>
    sandboxRequest(sandbox, method, path, options);
  const at = (name: string, query = '') => `/api/v1/namespaces/${ns}/configmaps/${name}${query}`;
  const apply = (name: string, manager: string, data: Record<string, string>, force = false) =>
    call('PATCH', at(name, `?fieldManager=${manager}&force=${force}`), {
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data }),
      contentType: 'application/apply-patch+yaml',
    });
  const get = async (name: string): Promise<Live> => (await call('GET', at(name))).json<Live>();
  const summary = (live: Live) => live.metadata.managedFields.map((e) => `${e.manager}/${e.operation}`);

  beforeAll(async () => {
    sandbox = await startSandbox({ controllerDelayMs: 10 });
    await call('POST', '/api/v1/namespaces', { body: JSON.stringify({ metadata: { name: ns } }) });
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  it('stores managedFields a JSON patch replaces, recording no entry for the patching manager', async () => {
    expect((await apply('renamed', 'plumbline', { a: '1', b: '2' })).status).toBe(201);
    const before = await get('renamed');
    const entries = before.metadata.managedFields.map((e) => ({ ...e, manager: 'plumbline-web' }));
    const res = await call('PATCH', at('renamed', '?fieldManager=plumbline-web'), {
      body: JSON.stringify([
        { op: 'test', path: '/metadata/resourceVersion', value: before.metadata.resourceVersion },
        { op: 'replace', path: '/metadata/managedFields', value: entries },
      ]),
      contentType: 'application/json-patch+json',
    });
    expect(res.status).toBe(200);
    const after = await get('renamed');
    expect(summary(after)).toEqual(['plumbline-web/Apply']);
    expect(after.metadata.managedFields[0]?.fieldsV1).toEqual(before.metadata.managedFields[0]?.fieldsV1);
    expect(after.metadata.resourceVersion).not.toBe(before.metadata.resourceVersion);
    // The new manager now owns the fields: an apply that drops one removes it, with no conflict.
    expect((await apply('renamed', 'plumbline-web', { a: '1' })).status).toBe(200);
    expect((await get('renamed')).data).toEqual({ a: '1' });
  });

  it('answers 422 and changes nothing when the JSON patch’s test of resourceVersion fails', async () => {
    await apply('stale', 'plumbline', { a: '1' });
    const before = await get('stale');
    const res = await call('PATCH', at('stale', '?fieldManager=plumbline-web'), {
      body: JSON.stringify([
        { op: 'test', path: '/metadata/resourceVersion', value: '1' },
        { op: 'replace', path: '/metadata/managedFields', value: [] },
      ]),
      contentType: 'application/json-patch+json',
    });
    expect(res.status).toBe(422);
    expect(res.json()).toMatchObject({ kind: 'Status', code: 422 });
    expect(await get('stale')).toEqual(before);
  });

  it('stores managedFields sent in a merge patch and in an update, recording no entry for the writer', async () => {
    await apply('merged', 'plumbline', { a: '1' });
    const before = await get('merged');
    const renamed = before.metadata.managedFields.map((e) => ({ ...e, manager: 'plumbline-web' }));
    const merge = await call('PATCH', at('merged', '?fieldManager=editor'), {
      body: JSON.stringify({ metadata: { managedFields: renamed } }),
      contentType: 'application/merge-patch+json',
    });
    expect(merge.status).toBe(200);
    expect(summary(await get('merged'))).toEqual(['plumbline-web/Apply']);
    const current = (await call('GET', at('merged'))).json<Record<string, unknown> & Live>();
    const back = current.metadata.managedFields.map((e) => ({ ...e, manager: 'plumbline-api' }));
    const put = await call('PUT', at('merged', '?fieldManager=editor'), {
      body: JSON.stringify({ ...current, metadata: { ...current.metadata, managedFields: back } }),
    });
    expect(put.status).toBe(200);
    expect(summary(await get('merged'))).toEqual(['plumbline-api/Apply']);
  });

  it('resets managedFields sent as [] and keeps them as stored when the sent entries own nothing', async () => {
    await apply('reset', 'plumbline', { a: '1' });
    const nothing = [
      { manager: 'x', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: {} },
    ];
    await call('PATCH', at('reset', '?fieldManager=editor'), {
      body: JSON.stringify({ metadata: { managedFields: nothing } }),
      contentType: 'application/merge-patch+json',
    });
    expect(summary(await get('reset'))).toEqual(['plumbline/Apply']);
    await call('PATCH', at('reset', '?fieldManager=editor'), {
      body: JSON.stringify({ metadata: { managedFields: [] } }),
      contentType: 'application/merge-patch+json',
    });
    expect((await get('reset')).metadata.managedFields ?? []).toEqual([]);
  });

  it('refuses an apply whose body carries managedFields with 400', async () => {
    const res = await call('PATCH', at('applied', '?fieldManager=plumbline'), {
      body: JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'applied', managedFields: [{ manager: 'x', operation: 'Apply' }] },
      }),
      contentType: 'application/apply-patch+yaml',
    });
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ reason: 'BadRequest', message: 'metadata.managedFields must be nil' });
  });

  it('reports a conflict between two Apply managers on a field whose value differs, naming the owner', async () => {
    await apply('shared', 'plumbline-a', { greeting: 'hello', same: 'x' });
    const conflict = await apply('shared', 'plumbline-b', { greeting: 'bonjour' });
    expect(conflict.status).toBe(409);
    expect(conflict.json()).toMatchObject({
      reason: 'Conflict',
      details: {
        causes: [
          { type: 'FieldManagerConflict', field: '.data.greeting', message: 'conflict with "plumbline-a"' },
        ],
      },
    });
    // The same value is shared ownership, not a conflict.
    expect((await apply('shared', 'plumbline-b', { same: 'x' })).status).toBe(200);
    expect(summary(await get('shared')).sort()).toEqual(['plumbline-a/Apply', 'plumbline-b/Apply']);
    const forced = await apply('shared', 'plumbline-b', { greeting: 'bonjour', same: 'x' }, true);
    expect(forced.status).toBe(200);
    const owners = (await get('shared')).metadata.managedFields;
    expect(owners.find((e) => e.manager === 'plumbline-a')?.fieldsV1).toEqual({ 'f:data': { 'f:same': {} } });
  });
});
