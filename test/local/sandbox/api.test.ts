import { request } from 'node:https';
import { type Sandbox, startSandbox } from '../../../lib/local/sandbox';
import { sandboxRequest } from '../../helpers/http';

const cm = (name: string, data: Record<string, string>, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...extra }, data });

describe('sandbox API semantics', () => {
  let sandbox: Sandbox;
  const call = (method: string, path: string, options: Parameters<typeof sandboxRequest>[3] = {}) =>
    sandboxRequest(sandbox, method, path, options);

  beforeAll(async () => {
    sandbox = await startSandbox({
      controllerDelayMs: 10,
      limitedTokens: [{ token: 'team-a-token', namespaces: ['team-a'], user: 'team-a' }],
    });
    await call('POST', '/api/v1/namespaces', {
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } }),
    });
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  it('answers 401 with a Status body without a valid bearer token', async () => {
    const none = await call('GET', '/api/v1/namespaces', { token: null });
    expect(none.status).toBe(401);
    expect(none.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    expect((await call('GET', '/api/v1/namespaces', { token: 'wrong-token' })).status).toBe(401);
  });

  it('confines a limited token to its namespaces and forbids its cluster-scoped writes', async () => {
    const token = 'team-a-token';
    expect(
      (await call('POST', '/api/v1/namespaces/team-a/configmaps', { token, body: cm('allowed', { a: '1' }) }))
        .status,
    ).toBe(201);
    const elsewhere = await call('POST', '/api/v1/namespaces/default/configmaps', {
      token,
      body: cm('denied', { a: '1' }),
    });
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.json()).toMatchObject({
      reason: 'Forbidden',
      message: expect.stringContaining('in the namespace "default"'),
    });
    const clusterWrite = await call('POST', '/api/v1/namespaces', {
      token,
      body: JSON.stringify({ metadata: { name: 'x' } }),
    });
    expect(clusterWrite.status).toBe(403);
    expect((await call('GET', '/api/v1/namespaces/team-a', { token })).status).toBe(200);
    expect((await call('GET', '/api/v1/configmaps', { token })).status).toBe(403);
  });

  it('returns NotFound, AlreadyExists and MethodNotAllowed as Status objects', async () => {
    const missing = await call('GET', '/api/v1/namespaces/default/configmaps/nope');
    expect(missing.json()).toMatchObject({
      kind: 'Status',
      reason: 'NotFound',
      code: 404,
      details: { name: 'nope', kind: 'configmaps' },
    });
    await call('POST', '/api/v1/namespaces/default/configmaps', { body: cm('dup', {}) });
    const dup = await call('POST', '/api/v1/namespaces/default/configmaps', { body: cm('dup', {}) });
    expect(dup.json()).toMatchObject({ reason: 'AlreadyExists', code: 409 });
    expect(
      (await call('POST', '/api/v1/namespaces/default/configmaps/dup', { body: cm('dup', {}) })).json(),
    ).toMatchObject({
      reason: 'MethodNotAllowed',
      code: 405,
    });
  });

  it('refuses a namespaced create in a missing namespace with 404', async () => {
    const res = await call('POST', '/api/v1/namespaces/ghost/configmaps', { body: cm('x', {}) });
    expect(res.status).toBe(404);
    expect(res.json()).toMatchObject({ reason: 'NotFound', message: 'namespaces "ghost" not found' });
  });

  it('rejects invalid names and labels with 422 Invalid and causes', async () => {
    const res = await call('POST', '/api/v1/namespaces/default/configmaps', {
      body: cm('Bad_Name', {}, { labels: { ok: 'no spaces allowed' } }),
    });
    expect(res.status).toBe(422);
    const body = res.json<{ reason: string; details: { causes: { field: string }[] } }>();
    expect(body.reason).toBe('Invalid');
    expect(body.details.causes.map((c) => c.field)).toEqual(['metadata.name', 'metadata.labels']);
  });

  it('rejects an update carrying a stale resourceVersion with 409 Conflict', async () => {
    const created = (
      await call('POST', '/api/v1/namespaces/default/configmaps', { body: cm('occ', { v: '1' }) })
    ).json<{ metadata: { resourceVersion: string } }>();
    const rv = created.metadata.resourceVersion;
    const first = await call('PUT', '/api/v1/namespaces/default/configmaps/occ', {
      body: cm('occ', { v: '2' }, { resourceVersion: rv }),
    });
    expect(first.status).toBe(200);
    const stale = await call('PUT', '/api/v1/namespaces/default/configmaps/occ', {
      body: cm('occ', { v: '3' }, { resourceVersion: rv }),
    });
    expect(stale.status).toBe(409);
    expect(stale.json()).toMatchObject({
      reason: 'Conflict',
      message: expect.stringContaining('the object has been modified'),
    });
  });

  it('changes nothing on dryRun=All for every write verb', async () => {
    await call('POST', '/api/v1/namespaces/default/configmaps', { body: cm('dry', { v: '1' }) });
    sandbox.resetStats();
    const before = (await call('GET', '/api/v1/namespaces/default/configmaps/dry')).body;
    const writes: [string, string, string, string?][] = [
      ['POST', '/api/v1/namespaces/default/configmaps?dryRun=All', cm('dry-new', {})],
      ['PUT', '/api/v1/namespaces/default/configmaps/dry?dryRun=All', cm('dry', { v: 'put' })],
      [
        'PATCH',
        '/api/v1/namespaces/default/configmaps/dry?dryRun=All',
        '{"data":{"v":"merge"}}',
        'application/merge-patch+json',
      ],
      [
        'PATCH',
        '/api/v1/namespaces/default/configmaps/dry?dryRun=All&fieldManager=m&force=true',
        cm('dry', { v: 'apply' }),
        'application/apply-patch+yaml',
      ],
      ['DELETE', '/api/v1/namespaces/default/configmaps/dry?dryRun=All', ''],
    ];
    for (const [method, path, body, contentType] of writes) {
      const res = await call(method, path, { body, ...(contentType ? { contentType } : {}) });
      expect([200, 201]).toContain(res.status);
    }
    expect((await call('GET', '/api/v1/namespaces/default/configmaps/dry')).body).toBe(before);
    expect((await call('GET', '/api/v1/namespaces/default/configmaps/dry-new')).status).toBe(404);
  });

  it('applies JSON patch, merge patch and strategic merge patch', async () => {
    const deploy = JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'patchme' },
      spec: {
        selector: { matchLabels: { app: 'p' } },
        template: {
          metadata: { labels: { app: 'p' } },
          spec: {
            containers: [
              { name: 'a', image: 'a:1' },
              { name: 'b', image: 'b:1' },
            ],
          },
        },
      },
    });
    expect(
      (await call('POST', '/apis/apps/v1/namespaces/default/deployments', { body: deploy })).status,
    ).toBe(201);
    const path = '/apis/apps/v1/namespaces/default/deployments/patchme';
    const smp = await call('PATCH', path, {
      body: '{"spec":{"template":{"spec":{"containers":[{"name":"b","image":"b:2"}]}}}}',
      contentType: 'application/strategic-merge-patch+json',
    });
    expect(
      smp.json<{ spec: { template: { spec: { containers: unknown[] } } } }>().spec.template.spec.containers,
    ).toEqual([
      { name: 'a', image: 'a:1' },
      { name: 'b', image: 'b:2' },
    ]);
    const json = await call('PATCH', path, {
      body: '[{"op":"replace","path":"/spec/replicas","value":3}]',
      contentType: 'application/json-patch+json',
    });
    expect(json.json<{ spec: { replicas: number } }>().spec.replicas).toBe(3);
    const merge = await call('PATCH', path, {
      body: '{"metadata":{"labels":{"x":"y"}}}',
      contentType: 'application/merge-patch+json',
    });
    expect(merge.json<{ metadata: { labels: Record<string, string> } }>().metadata.labels).toEqual({
      x: 'y',
    });
    const failedTest = await call('PATCH', path, {
      body: '[{"op":"test","path":"/spec/replicas","value":9}]',
      contentType: 'application/json-patch+json',
    });
    expect(failedTest.status).toBe(422);
  });

  it('refuses changes to immutable fields with 422 Invalid', async () => {
    const path = '/apis/apps/v1/namespaces/default/deployments/patchme';
    const res = await call('PATCH', path, {
      body: '{"spec":{"selector":{"matchLabels":{"app":"other"}}}}',
      contentType: 'application/merge-patch+json',
    });
    expect(res.status).toBe(422);
    expect(res.json()).toMatchObject({
      reason: 'Invalid',
      message: expect.stringContaining('spec.selector: field is immutable'),
    });
    await call('POST', '/api/v1/namespaces/default/configmaps', {
      body: JSON.stringify({ metadata: { name: 'frozen' }, data: { a: '1' }, immutable: true }),
    });
    const frozen = await call('PATCH', '/api/v1/namespaces/default/configmaps/frozen', {
      body: '{"data":{"a":"2"}}',
      contentType: 'application/merge-patch+json',
    });
    expect(frozen.status).toBe(422);
  });

  it('requires a fieldManager for apply and rejects unknown patch types', async () => {
    const noManager = await call('PATCH', '/api/v1/namespaces/default/configmaps/x', {
      body: cm('x', {}),
      contentType: 'application/apply-patch+yaml',
    });
    expect(noManager.status).toBe(422);
    const bad = await call('PATCH', '/api/v1/namespaces/default/configmaps/dry', {
      body: '{}',
      contentType: 'text/plain',
    });
    expect(bad.status).toBe(415);
  });

  it('drops fields the schema does not declare, warns of them by default, refuses them under Strict', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'gadgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: {
                    type: 'object',
                    properties: {
                      size: { type: 'integer' },
                      labels: { type: 'object', additionalProperties: { type: 'string' } },
                      parts: {
                        type: 'array',
                        items: { type: 'object', properties: { name: { type: 'string' } } },
                      },
                      free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                    },
                  },
                },
              },
            },
          },
        ],
      },
    };
    expect(
      (
        await call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
          body: JSON.stringify(crd),
        })
      ).status,
    ).toBe(201);
    const gadget = (name: string) =>
      JSON.stringify({
        apiVersion: 'example.com/v1',
        kind: 'Gadget',
        metadata: { name, lables: { typo: 'yes' } },
        spec: {
          size: 1,
          sise: 2,
          labels: { any: 'x' },
          parts: [{ name: 'a', colour: 'red' }],
          free: { any: { thing: 1 } },
        },
        extra: true,
      });
    const path = (name: string, query: string) =>
      `/apis/example.com/v1/namespaces/default/gadgets/${name}?fieldManager=m${query}`;
    const apply = (name: string, query: string) =>
      call('PATCH', path(name, query), { body: gadget(name), contentType: 'application/apply-patch+yaml' });

    const warned = await apply('warned', '');
    expect(warned.status).toBe(201);
    expect(warned.headers.warning).toBe(
      '299 - "unknown field \\"metadata.lables\\"", 299 - "unknown field \\"spec.sise\\"", 299 - "unknown field \\"spec.parts[0].colour\\"", 299 - "unknown field \\"extra\\""',
    );
    const stored = warned.json<{ metadata: Record<string, unknown>; spec: unknown; extra?: unknown }>();
    expect(stored.spec).toEqual({
      size: 1,
      labels: { any: 'x' },
      parts: [{ name: 'a' }],
      free: { any: { thing: 1 } },
    });
    expect(stored.extra).toBeUndefined();
    expect(stored.metadata.lables).toBeUndefined();

    const ignored = await apply('ignored', '&fieldValidation=Ignore');
    expect([ignored.status, ignored.headers.warning]).toEqual([201, undefined]);

    const strict = await apply('strict', '&fieldValidation=Strict');
    expect(strict.status).toBe(400);
    expect(strict.json<{ message: string }>().message).toBe(
      'Gadget in version "v1" cannot be handled as a Gadget: strict decoding error: unknown field "metadata.lables", unknown field "spec.sise", unknown field "spec.parts[0].colour", unknown field "extra"',
    );
    expect((await call('GET', '/apis/example.com/v1/namespaces/default/gadgets/strict')).status).toBe(404);
    expect((await apply('odd', '&fieldValidation=Loose')).status).toBe(400);
    // Built-in kinds have no schema here: only their metadata is checked.
    const configMap = await call('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Strict', {
      body: cm('typo', {}, { lables: { a: 'b' } }),
    });
    expect(configMap.status).toBe(400);
  });

  it('pages a list with limit and continue', async () => {
    for (const i of [1, 2, 3, 4, 5])
      await call('POST', '/api/v1/namespaces/team-a/configmaps', {
        body: cm(`page-${i}`, {}, { labels: { page: 'yes' } }),
      });
    const names: string[] = [];
    let cont = '';
    let pages = 0;
    do {
      const res = await call(
        'GET',
        `/api/v1/namespaces/team-a/configmaps?labelSelector=page%3Dyes&limit=2${cont ? `&continue=${cont}` : ''}`,
      );
      const body = res.json<{ items: { metadata: { name: string } }[]; metadata: { continue?: string } }>();
      names.push(...body.items.map((i) => i.metadata.name));
      cont = body.metadata.continue ?? '';
      pages += 1;
    } while (cont);
    expect(pages).toBe(3);
    expect(names).toEqual(['page-1', 'page-2', 'page-3', 'page-4', 'page-5']);
  });

  it('injects scripted failures: 429 with Retry-After, 500, and connection resets, then recovers', async () => {
    sandbox.faults.add({
      verb: 'get',
      path: '/configmaps/dup$',
      status: 429,
      retryAfterSeconds: 2,
      times: 1,
    });
    const limited = await call('GET', '/api/v1/namespaces/default/configmaps/dup');
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('2');
    sandbox.faults.add({ verb: 'get', path: '/configmaps/dup$', status: 500, times: 1 });
    expect((await call('GET', '/api/v1/namespaces/default/configmaps/dup')).status).toBe(500);
    sandbox.faults.add({ verb: 'get', path: '/configmaps/dup$', reset: true, times: 1 });
    await expect(call('GET', '/api/v1/namespaces/default/configmaps/dup')).rejects.toThrow();
    expect((await call('GET', '/api/v1/namespaces/default/configmaps/dup')).status).toBe(200);
  });

  it('accepts fault rules and serves statistics over the sandbox endpoints', async () => {
    expect((await call('POST', '/sandbox/v1/stats/reset', { body: '' })).status).toBe(200);
    await call('POST', '/sandbox/v1/faults', {
      body: JSON.stringify({ verb: 'list', status: 503, times: 1 }),
    });
    expect((await call('GET', '/api/v1/namespaces/default/configmaps')).status).toBe(503);
    await call('GET', '/api/v1/namespaces/default/configmaps');
    const stats = (await call('GET', '/sandbox/v1/stats')).json<{
      total: number;
      byVerb: Record<string, number>;
      byResource: Record<string, Record<string, number>>;
    }>();
    expect(stats.byVerb.list).toBe(2);
    expect(stats.byResource['/configmaps']).toEqual({ list: 2 });
    expect((await call('GET', '/sandbox/v1/stats', { token: 'team-a-token' })).status).toBe(403);
  });

  it('streams watch events from a resourceVersion', async () => {
    const list = (await call('GET', '/api/v1/namespaces/default/configmaps')).json<{
      metadata: { resourceVersion: string };
    }>();
    const events: { type: string; object: { metadata: { name: string } } }[] = [];
    const done = new Promise<void>((resolve, reject) => {
      const req = request(
        new URL(
          `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${list.metadata.resourceVersion}&timeoutSeconds=5`,
          sandbox.url,
        ),
        { headers: { Authorization: `Bearer ${sandbox.token}` }, ca: sandbox.caCert },
        (res) => {
          let buffer = '';
          res.on('data', (chunk: Buffer) => {
            buffer += chunk.toString();
            let newline = buffer.indexOf('\n');
            while (newline >= 0) {
              events.push(JSON.parse(buffer.slice(0, newline)));
              buffer = buffer.slice(newline + 1);
              newline = buffer.indexOf('\n');
            }
            if (events.length >= 3) {
              req.destroy();
              resolve();
            }
          });
        },
      );
      req.on('error', reject);
      req.end();
    });
    await call('POST', '/api/v1/namespaces/default/configmaps', { body: cm('watched', { v: '1' }) });
    await call('PATCH', '/api/v1/namespaces/default/configmaps/watched', {
      body: '{"data":{"v":"2"}}',
      contentType: 'application/merge-patch+json',
    });
    await call('DELETE', '/api/v1/namespaces/default/configmaps/watched');
    await done;
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual([
      'ADDED watched',
      'MODIFIED watched',
      'DELETED watched',
    ]);
  });

  it('cascades deletion to dependents by ownerReferences, or orphans them', async () => {
    const owner = (
      await call('POST', '/api/v1/namespaces/default/configmaps', { body: cm('owner', {}) })
    ).json<{ metadata: { uid: string } }>();
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid };
    await call('POST', '/api/v1/namespaces/default/configmaps', {
      body: cm('child', {}, { ownerReferences: [ref] }),
    });
    await call('DELETE', '/api/v1/namespaces/default/configmaps/owner', {
      body: JSON.stringify({ propagationPolicy: 'Background' }),
    });
    expect((await call('GET', '/api/v1/namespaces/default/configmaps/child')).status).toBe(404);
    const owner2 = (
      await call('POST', '/api/v1/namespaces/default/configmaps', { body: cm('owner2', {}) })
    ).json<{ metadata: { uid: string } }>();
    await call('POST', '/api/v1/namespaces/default/configmaps', {
      body: cm('orphan', {}, { ownerReferences: [{ ...ref, name: 'owner2', uid: owner2.metadata.uid }] }),
    });
    await call('DELETE', '/api/v1/namespaces/default/configmaps/owner2?propagationPolicy=Orphan');
    const orphan = await call('GET', '/api/v1/namespaces/default/configmaps/orphan');
    expect(orphan.status).toBe(200);
    expect(orphan.json<{ metadata: Record<string, unknown> }>().metadata.ownerReferences).toBeUndefined();
  });

  it('holds a deletion while finalizers remain and completes it when they are removed', async () => {
    await call('POST', '/api/v1/namespaces/default/configmaps', {
      body: cm('held', {}, { finalizers: ['example.com/hold'] }),
    });
    await call('DELETE', '/api/v1/namespaces/default/configmaps/held');
    const marked = await call('GET', '/api/v1/namespaces/default/configmaps/held');
    expect(
      marked.json<{ metadata: { deletionTimestamp?: string } }>().metadata.deletionTimestamp,
    ).toBeTruthy();
    await call('PATCH', '/api/v1/namespaces/default/configmaps/held', {
      body: '{"metadata":{"finalizers":null}}',
      contentType: 'application/merge-patch+json',
    });
    expect((await call('GET', '/api/v1/namespaces/default/configmaps/held')).status).toBe(404);
  });

  it('reports workload status after the controller delay and keeps a fail-rollout workload unhealthy', async () => {
    const deploy = (name: string, annotations: Record<string, string>): string =>
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name, annotations },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: { containers: [{ name: 'c', image: 'i' }] },
          },
        },
      });
    await call('POST', '/apis/apps/v1/namespaces/default/deployments', { body: deploy('healthy', {}) });
    await call('POST', '/apis/apps/v1/namespaces/default/deployments', {
      body: deploy('broken', { 'sandbox.plumbline.dev/fail-rollout': 'true' }),
    });
    await new Promise((r) => setTimeout(r, 150));
    type Status = {
      status: {
        observedGeneration: number;
        availableReplicas: number;
        conditions: { type: string; status: string; reason: string }[];
      };
    };
    const healthy = (
      await call('GET', '/apis/apps/v1/namespaces/default/deployments/healthy')
    ).json<Status>();
    expect(healthy.status).toMatchObject({ observedGeneration: 1, availableReplicas: 2 });
    expect(healthy.status.conditions.find((c) => c.type === 'Available')?.status).toBe('True');
    const broken = (await call('GET', '/apis/apps/v1/namespaces/default/deployments/broken')).json<Status>();
    expect(broken.status.availableReplicas).toBe(0);
    expect(broken.status.conditions.find((c) => c.type === 'Progressing')).toMatchObject({
      status: 'False',
      reason: 'ProgressDeadlineExceeded',
    });
  });

  it('rejects request bodies over 3 MiB with 413', async () => {
    const huge = cm('huge', { blob: 'x'.repeat(3 * 1024 * 1024 + 10) });
    const res = await call('POST', '/api/v1/namespaces/default/configmaps', { body: huge });
    expect(res.status).toBe(413);
    expect(res.json()).toMatchObject({ reason: 'RequestEntityTooLarge' });
  });
});
