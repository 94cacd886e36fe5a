import * as k8s from '@kubernetes/client-node';
import { KubeHttp } from '../../lib/adapters/kubernetes';
import { type LocalSession, type SyncLine, startLocal } from '../../lib/local/pipeline';
import { fixturePath } from '../helpers/fixtures';

/**
 * Local mode with two apps that declare one ConfigMap: the second is refused on every check,
 * instead of the two taking the object from each other on every push and tick (issue 14, finding 1).
 */
describe('local mode: two apps declaring one object', () => {
  let session: LocalSession;
  let http: KubeHttp;
  const syncs: SyncLine[] = [];

  beforeAll(async () => {
    session = await startLocal({
      exampleDir: fixturePath('local', 'two-apps'),
      log: () => undefined,
      onSync: (line) => syncs.push(line),
    });
    const kc = new k8s.KubeConfig();
    kc.loadFromString(session.sandbox?.kubeconfig ?? '');
    http = new KubeHttp(kc);
  }, 60_000);
  afterAll(async () => {
    await http.close();
    await session.stop();
  });

  it('keeps the object with its first owner across ticks, and fails the other app each time', async () => {
    for (let tick = 1; tick <= 2; tick++) {
      const mark = syncs.length;
      await session.tick();
      await session.queue.drained();
      const lines = syncs.slice(mark);
      expect(lines.find((s) => s.job.app === 'team-a')?.status).toBe('synced');
      expect(lines.find((s) => s.job.app === 'team-b')?.status).toBe('failed');
      const { body } = await http.send({
        method: 'GET',
        path: '/api/v1/namespaces/default/configmaps/hello-config',
      });
      const live = body as { metadata: { labels: Record<string, string> }; data: Record<string, string> };
      expect({ tick, owner: live.metadata.labels['plumbline.dev/app'], data: live.data }).toEqual({
        tick,
        owner: 'team-a',
        data: { greeting: 'hello' },
      });
    }
    // team-b's audit records say why, naming the owner.
    const records = await session.audit.query({ cluster: session.info.cluster, limit: 100 });
    const refused = records.filter((r) => r.app === 'team-b');
    expect(refused).toHaveLength(2);
    for (const record of refused) expect(JSON.stringify(record.changes)).toContain('owned by app team-a');
  }, 60_000);
});
