import { posix } from 'node:path';

/** Checks of single plumbline.yaml fields: each returns the normalized value or a one-line reason. */
export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// EKS cluster names: also the SQS message group and part of the audit table's partition key.
const CLUSTER = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;
const DURATION = /^(?:(\d{1,4})h)?(?:(\d{1,6})m)?(?:(\d{1,7})s)?$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;

/** A sync (apply, prune and wait) runs inside one Lambda invocation, which ends at 15 minutes. */
export const MAX_TIMEOUT_SECONDS = 15 * 60;

export function quote(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

export function isDnsLabel(value: string): boolean {
  return value.length <= 63 && DNS_LABEL.test(value);
}

export function checkDnsLabel(value: string): Checked<string> {
  if (isDnsLabel(value)) return { ok: true, value };
  return {
    ok: false,
    message: `invalid DNS label ${quote(value)} (lowercase letters, digits and '-', at most 63)`,
  };
}

export function checkCluster(value: string): Checked<string> {
  if (CLUSTER.test(value)) return { ok: true, value };
  return {
    ok: false,
    message: `invalid cluster name ${quote(value)} (letters, digits, '-' and '_', at most 100)`,
  };
}

/**
 * A '/'-separated path relative to the repository root, normalized (`./apps/web/` → `apps/web`);
 * `.` is the root itself. `..` segments, absolute paths, backslashes, control characters, a leading
 * '-' (renderers pass paths on command lines) and the `.git` directory are refused.
 */
export function checkRepoPath(value: string): Checked<string> {
  if (value === '') return { ok: false, message: 'must not be empty' };
  if (value.includes('\\') || CONTROL.test(value)) {
    return {
      ok: false,
      message: `${quote(value)} is not a repository path ('/'-separated, no control characters)`,
    };
  }
  if (value.startsWith('/')) {
    return { ok: false, message: `${quote(value)} is absolute: paths are relative to the repository root` };
  }
  const segments = value.split('/');
  if (segments.includes('..')) return { ok: false, message: `${quote(value)} contains '..'` };
  if (segments.includes('.git')) return { ok: false, message: `${quote(value)} is inside .git` };
  if (value.startsWith('-')) {
    return { ok: false, message: `${quote(value)} starts with '-': paths that look like flags are refused` };
  }
  const normal = posix.normalize(value).replace(/\/+$/, '');
  return { ok: true, value: normal === '' ? '.' : normal };
}

/** `30s`, `5m`, `1h`, `1m30s` to seconds: more than zero, at most MAX_TIMEOUT_SECONDS. */
export function checkDuration(value: string): Checked<number> {
  const match = value === '' ? null : DURATION.exec(value);
  if (!match) return { ok: false, message: `invalid duration ${quote(value)} (like 90s, 5m or 1m30s)` };
  const [, h = '0', m = '0', s = '0'] = match;
  const seconds = Number(h) * 3600 + Number(m) * 60 + Number(s);
  if (seconds === 0) return { ok: false, message: `duration ${quote(value)} must be more than zero` };
  if (seconds > MAX_TIMEOUT_SECONDS) {
    return {
      ok: false,
      message: `duration ${quote(value)} is longer than 15m (a sync runs within one Lambda invocation)`,
    };
  }
  return { ok: true, value: seconds };
}
