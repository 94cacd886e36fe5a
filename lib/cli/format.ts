import type { FieldDiff } from '../core/drift';
import type { Change, DiffEntry, DriftReport, SyncResult } from '../core/sync';

function table(rows: readonly string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows
    .map((row) =>
      row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '),
    )
    .join('\n');
}

function value(v: unknown): string {
  return v === undefined ? '(unset)' : typeof v === 'string' ? v : JSON.stringify(v);
}

export function formatFieldDiffs(fields: readonly FieldDiff[], indent = '    '): string {
  return fields.map((f) => `${indent}${f.path}: ${value(f.live)} -> ${value(f.desired)}`).join('\n');
}

/** The change-set table: every row that is not `unchanged`, then one line of counts. */
export function formatSync(result: SyncResult, dryRun: boolean): string {
  const rows: Change[] = result.changes.filter((c) => c.action !== 'unchanged');
  const lines: string[] = [];
  if (rows.length > 0)
    lines.push(
      table([['ACTION', 'OBJECT', 'REASON'], ...rows.map((c) => [c.action, c.subject, c.reason ?? ''])]),
    );
  const c = result.counts;
  lines.push(
    `${dryRun ? '(dry run) ' : ''}app ${result.app}${result.revision ? ` at ${result.revision.slice(0, 12)}` : ''}: ${c.created} created, ${c.configured} configured, ${c.unchanged} unchanged, ${c.deleted} deleted, ${c.skipped} skipped, ${c.failed} failed in ${result.durationMs} ms`,
  );
  for (const u of result.unhealthy) lines.push(`not healthy: ${u.subject}: ${u.status}: ${u.message}`);
  for (const change of result.changes)
    for (const warning of change.warnings ?? []) lines.push(`warning: ${change.subject}: ${warning}`);
  return `${lines.join('\n')}\n`;
}

export function formatDiff(app: string, entries: readonly DiffEntry[]): string {
  if (entries.length === 0) return `app ${app}: no changes\n`;
  const lines: string[] = [];
  for (const e of entries) {
    lines.push(`${e.action} ${e.subject}${e.refusal ? `: ${e.refusal}` : ''}`);
    if (e.fields.length > 0) lines.push(formatFieldDiffs(e.fields));
    for (const path of e.removes) lines.push(`    ${path}: removed (no longer in Git)`);
  }
  lines.push(`app ${app}: ${entries.length} object(s) would change`);
  return `${lines.join('\n')}\n`;
}

export function formatDrift(report: DriftReport): string {
  const lines: string[] = [];
  for (const d of report.drifted) {
    lines.push(`drifted ${d.subject}: ${d.refusal ?? d.reason}`);
    if (d.fields.length > 0) lines.push(formatFieldDiffs(d.fields));
  }
  for (const o of report.orphans)
    lines.push(`orphan ${o.subject}: labelled for app ${report.app} but not in its inventory`);
  lines.push(`app ${report.app}: ${report.drifted.length} drifted, ${report.orphans.length} orphan(s)`);
  return `${lines.join('\n')}\n`;
}
