import { AuditRecordError, draftFromSync, normalizeDraft } from '../../lib/core/audit';
import { countChanges, type SyncResult } from '../../lib/core/sync';

describe('audit record: hook runs', () => {
  const changes: SyncResult['changes'] = [
    {
      id: { group: 'batch', kind: 'Job', namespace: 'shop', name: 'migrate-x7k2p' },
      subject: 'Job/shop/migrate-x7k2p',
      action: 'created',
      reason: 'PreSync hook succeeded: job completed',
      hook: { phase: 'PreSync', durationMs: 812 },
    },
    {
      id: { group: 'apps', kind: 'Deployment', namespace: 'shop', name: 'web' },
      subject: 'Deployment/shop/web',
      action: 'configured',
    },
  ];
  const result: SyncResult = {
    app: 'shop',
    revision: undefined,
    changes,
    counts: countChanges(changes),
    durationMs: 900,
    unhealthy: [],
    ok: true,
  };

  it('records each hook run with its phase and duration, and no hook field on other entries', () => {
    const draft = normalizeDraft(
      draftFromSync(result, { trigger: 'manual', ts: '2026-01-01T00:00:00.000Z' }),
    );
    expect(draft.changes).toEqual([
      {
        id: 'batch/Job/shop/migrate-x7k2p',
        action: 'created',
        reason: 'PreSync hook succeeded: job completed',
        hook: { phase: 'PreSync', durationMs: 812 },
      },
      { id: 'apps/Deployment/shop/web', action: 'configured' },
    ]);
  });

  it('refuses an entry whose hook phase is not one a sync runs', () => {
    const draft = draftFromSync(result, { trigger: 'manual', ts: '2026-01-01T00:00:00.000Z' });
    const bad = {
      ...draft,
      changes: [{ ...draft.changes[0]!, hook: { phase: 'PostDelete' as 'PreSync', durationMs: 1 } }],
    };
    expect(() => normalizeDraft(bad)).toThrow(AuditRecordError);
  });
});
