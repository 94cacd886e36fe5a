import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { AuditKeyError, HmacAuditMac } from '../../core/audit';

/**
 * The local audit key file (local mode, and the CLI without KMS): JSON, mode 0600, with two random
 * keys that are never derived from each other — `recordKey` (base64, 32 bytes) makes record and
 * checkpoint MACs; `contentHashKey` (64 hex characters, used as text) is the HMAC key of Secret values
 * in content hashes. See ADR 0018.
 */
export interface AuditKeyFile {
  readonly path: string;
  readonly mac: HmacAuditMac;
  readonly contentHashKey: string;
}

/** $PLUMBLINE_AUDIT_KEY_FILE, else ~/.plumbline/audit-key.json. */
export function defaultKeyFile(): string {
  return process.env.PLUMBLINE_AUDIT_KEY_FILE || join(homedir(), '.plumbline', 'audit-key.json');
}

/** Creates a key file with fresh random keys; never replaces one (a lost key cannot verify old records). */
export function generateKeyFile(path: string): AuditKeyFile {
  const recordKey = randomBytes(32).toString('base64');
  const contentHashKey = randomBytes(32).toString('hex');
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err: unknown) {
    const code = (err as { code?: unknown } | null)?.code;
    throw new AuditKeyError(
      code === 'EEXIST'
        ? `audit key file ${path} exists; a key is never replaced (old records verify only with it)`
        : `audit key file ${path} cannot be created: ${String(code ?? err)}`,
      { cause: err },
    );
  }
  try {
    writeSync(fd, `${JSON.stringify({ version: 1, recordKey, contentHashKey }, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return readKeyFile(path);
}

/** Reads and checks a key file: owner-only permissions, both keys present and long enough. */
export function readKeyFile(path: string): AuditKeyFile {
  let text: string;
  try {
    // Like ssh with a private key: a key others can read is not a key only the writer holds.
    const mode = statSync(path).mode & 0o777;
    if (process.platform !== 'win32' && (mode & 0o077) !== 0)
      throw new AuditKeyError(
        `audit key file ${path} is readable by others (mode ${mode.toString(8)}): chmod 600 it`,
      );
    text = readFileSync(path, 'utf8');
  } catch (err: unknown) {
    if (err instanceof AuditKeyError) throw err;
    const code = (err as { code?: unknown } | null)?.code;
    throw new AuditKeyError(
      code === 'ENOENT'
        ? `audit key file ${path} not found (create one with 'plumbline audit keygen --key-file ${path}')`
        : `audit key file ${path} cannot be read: ${String(code ?? err)}`,
      { cause: err },
    );
  }
  let value: { version?: unknown; recordKey?: unknown; contentHashKey?: unknown };
  try {
    value = JSON.parse(text) as typeof value;
  } catch (err: unknown) {
    throw new AuditKeyError(`audit key file ${path} is not JSON`, { cause: err });
  }
  const record = typeof value?.recordKey === 'string' ? Buffer.from(value.recordKey, 'base64') : undefined;
  if (value?.version !== 1 || !record || record.byteLength < 32)
    throw new AuditKeyError(`audit key file ${path}: want version 1 and a recordKey of 32 bytes (base64)`);
  if (typeof value.contentHashKey !== 'string' || !/^[0-9a-f]{64}$/.test(value.contentHashKey))
    throw new AuditKeyError(`audit key file ${path}: contentHashKey must be 64 hex characters`);
  return { path, mac: new HmacAuditMac(record, `file:${path}`), contentHashKey: value.contentHashKey };
}
