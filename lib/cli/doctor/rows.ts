/**
 * One line of `plumbline doctor`: `ok` ✓, `fail` ✗ (exit 1), or `skip` – for what cannot or need not
 * be checked yet (the stack before `cdk deploy`, a cluster in an account these credentials do not
 * reach). Every ✗ carries the command or config edit that fixes it; a – says what would check it.
 */
export type RowStatus = 'ok' | 'fail' | 'skip';

export interface DoctorRow {
  readonly status: RowStatus;
  /** What was checked, e.g. `cluster prod: authentication mode`. */
  readonly check: string;
  readonly detail: string;
  /** The command (aws CLI, cdk, kubectl) or config edit that fixes a ✗, or checks a –. */
  readonly fix?: string;
}

export const ok = (check: string, detail: string): DoctorRow => ({ status: 'ok', check, detail });
export const fail = (check: string, detail: string, fix: string): DoctorRow => ({
  status: 'fail',
  check,
  detail,
  fix,
});
export const skip = (check: string, detail: string, fix?: string): DoctorRow => ({
  status: 'skip',
  check,
  detail,
  ...(fix ? { fix } : {}),
});

const MARK: Record<RowStatus, string> = { ok: '✓', fail: '✗', skip: '–' };

/** The rows as text, each fix on its own indented line, then a count. */
export function formatRows(rows: readonly DoctorRow[]): string {
  const lines: string[] = [];
  for (const row of rows) {
    lines.push(`${MARK[row.status]} ${row.check}: ${row.detail}`);
    if (row.fix) lines.push(`    ${row.status === 'fail' ? 'fix' : 'then'}: ${row.fix}`);
  }
  const count = (s: RowStatus) => rows.filter((r) => r.status === s).length;
  lines.push('', `${count('ok')} ✓, ${count('fail')} ✗, ${count('skip')} not checked`);
  return `${lines.join('\n')}\n`;
}

/** 1 when any check failed; rows not checked do not fail the run (docs/adr/0023). */
export function exitCodeOf(rows: readonly DoctorRow[]): number {
  return rows.some((r) => r.status === 'fail') ? 1 : 0;
}

/** One-line text of a caught AWS or network error, without its stack. */
export function messageOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0] ?? text;
}
