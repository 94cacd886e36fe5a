import { appendFileSync, existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditOutbox } from '../../lib/cli/audit-outbox';
import type { AuditDraft, AuditRecord } from '../../lib/core/audit';

function draft(app: string): AuditDraft {
  return {
    app,
    trigger: 'manual',
    outcome: 'succeeded',
    who: {},
    ts: '2026-12-07T09:00:00.000Z',
    durationMs: 1,
    changes: [],
    counts: { created: 1, configured: 0, unchanged: 0, deleted: 0, skipped: 0, failed: 0 },
  };
}

describe('AuditOutbox', () => {
  it('keeps drafts durably (mode 0600) and appends them in order, keeping the rest when an append fails', async () => {
    const outbox = new AuditOutbox(mkdtempSync(join(tmpdir(), 'outbox-')), 'audit-table', 'prod');
    for (const app of ['a', 'b', 'c']) outbox.keep(draft(app));
    expect(statSync(outbox.file).mode & 0o777).toBe(0o600);
    const appended: string[] = [];
    let fail = 'b';
    const store = {
      append: async (cluster: string, d: AuditDraft) => {
        expect(cluster).toBe('prod');
        if (d.app === fail) throw new Error('DynamoDB down');
        appended.push(d.app);
        return { seq: appended.length } as AuditRecord;
      },
    };
    await expect(outbox.flush(store)).rejects.toThrow('DynamoDB down');
    expect(outbox.pending().map((d) => d.app)).toEqual(['b', 'c']);
    fail = '';
    expect(await outbox.flush(store)).toEqual([2, 3]);
    expect(appended).toEqual(['a', 'b', 'c']);
    expect(existsSync(outbox.file)).toBe(false);
    expect(await outbox.flush(store)).toEqual([]);
  });

  it('names the file and line of a kept draft that is not JSON', () => {
    const outbox = new AuditOutbox(mkdtempSync(join(tmpdir(), 'outbox-')), 'audit-table', 'prod');
    outbox.keep(draft('a'));
    appendFileSync(outbox.file, '{cut short\n');
    expect(() => outbox.pending()).toThrow(`audit outbox ${outbox.file}: line 2 is not JSON`);
    expect(readFileSync(outbox.file, 'utf8').split('\n')).toHaveLength(3);
  });
});
