import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LocalSession, type SyncLine, startLocal } from '../../lib/local/pipeline';

/** Local mode's schedule runs the reconcile function's orphan check (#14, finding 4's second half). */
describe('plumbline local (orphaned apps)', () => {
  let session: LocalSession;
  const syncs: SyncLine[] = [];

  beforeAll(async () => {
    session = await startLocal({
      exampleDir: join(process.cwd(), 'examples', 'config-repo'),
      log: () => undefined,
      onSync: (line) => syncs.push(line),
    });
  }, 120_000);
  afterAll(async () => {
    await session?.stop();
  }, 60_000);

  it('records an app removed from plumbline.yaml as orphaned on the next tick, once, and leaves its objects', async () => {
    await session.tick();
    await session.queue.drained();
    expect(syncs.filter((s) => s.status === 'synced').map((s) => s.job.app)).toContain('widgets');

    const file = join(session.work.dir, 'plumbline.yaml');
    // Drop the widgets app: its entry runs from its comment to the end of the file.
    const yaml = readFileSync(file, 'utf8');
    writeFileSync(file, yaml.slice(0, yaml.indexOf('  # A CustomResourceDefinition')));
    const removal = await session.work.commitAndPush('remove the widgets app');
    await session.webhooks.waitFor(removal.after);
    await session.queue.drained();
    await session.tick();
    await session.queue.drained();
    await session.tick();
    await session.queue.drained();

    const orphaned = (await session.audit.query({ cluster: 'local' })).filter(
      (r) => r.outcome === 'orphaned',
    );
    expect(orphaned.map((r) => [r.app, r.commit, r.counts.skipped])).toEqual([['widgets', removal.after, 3]]);
    expect(
      session.sandbox?.core.get(
        session.sandbox.core.registry.lookup('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!,
        '',
        'widgets.example.com',
      ),
    ).toBeDefined();
  }, 120_000);
});
