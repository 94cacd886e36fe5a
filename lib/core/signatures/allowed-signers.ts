import { messageOf, SignatureConfigError } from './errors';
import { sshFingerprint } from './ssh-wire';

/** One line of an allowed_signers file (ssh-keygen(1), ALLOWED SIGNERS). */
export interface AllowedSigner {
  /** The principals pattern list as written; reported as the signer. */
  readonly principals: string;
  readonly keyType: string;
  /** The public key blob. */
  readonly key: Buffer;
  readonly fingerprint: string;
  /** Pattern list of namespaces the key may sign for; any when absent. */
  readonly namespaces?: string;
  /** Seconds since the epoch. */
  readonly validAfter?: number;
  readonly validBefore?: number;
  /** The key is a CA for SSH certificates, which are not supported: such lines never match. */
  readonly certAuthority: boolean;
  readonly line: number;
}

const KEY_TYPE =
  /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp\d+|sk-[a-z0-9-]+@openssh\.com)(-cert-v01@openssh\.com)?$/;

/** Splits on whitespace (or `sep`) outside double quotes; quotes stay in the tokens. */
function tokens(text: string, sep: RegExp): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    if (!quoted && sep.test(ch)) {
      if (current !== '') out.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  if (quoted) throw new Error('an unterminated quote');
  if (current !== '') out.push(current);
  return out;
}

function unquote(value: string): string {
  return value.startsWith('"') && value.endsWith('"') && value.length >= 2 ? value.slice(1, -1) : value;
}

/** YYYYMMDD[HHMM[SS]][Z]; read as UTC with or without the Z (Lambda's local time is UTC). */
function timestamp(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?Z?$/.exec(value);
  if (!m) throw new Error(`the timestamp ${JSON.stringify(value)} is not YYYYMMDD[HHMM[SS]][Z]`);
  const [, y, mo, d, h = '0', mi = '0', s = '0'] = m;
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) / 1000;
}

function parseLine(text: string, line: number): AllowedSigner {
  const fields = tokens(text, /\s/);
  if (fields.length < 3) throw new Error('expected: principals [options] keytype base64-key');
  const principals = unquote(fields[0]!);
  const hasOptions = !KEY_TYPE.test(fields[1]!);
  const [keyType, base64] = hasOptions ? [fields[2], fields[3]] : [fields[1], fields[2]];
  if (keyType === undefined || base64 === undefined || !KEY_TYPE.test(keyType)) {
    throw new Error('no key type where one was expected');
  }
  const key = Buffer.from(base64, 'base64');
  if (key.length < 4 || key.toString('base64').replace(/=+$/, '') !== base64.replace(/=+$/, '')) {
    throw new Error('the key is not base64');
  }
  const signer: { -readonly [K in keyof AllowedSigner]: AllowedSigner[K] } = {
    principals,
    keyType,
    key,
    fingerprint: sshFingerprint(key),
    certAuthority: false,
    line,
  };
  for (const option of hasOptions ? tokens(fields[1]!, /,/) : []) {
    const eq = option.indexOf('=');
    const name = (eq < 0 ? option : option.slice(0, eq)).toLowerCase();
    const value = eq < 0 ? undefined : unquote(option.slice(eq + 1));
    if (name === 'cert-authority' && value === undefined) signer.certAuthority = true;
    else if (name === 'namespaces' && value !== undefined) signer.namespaces = value;
    else if (name === 'valid-after' && value !== undefined) signer.validAfter = timestamp(value);
    else if (name === 'valid-before' && value !== undefined) signer.validBefore = timestamp(value);
    else throw new Error(`the option ${JSON.stringify(option)} is not supported`);
  }
  return signer;
}

/** Parses an allowed_signers file; a malformed line is a configuration error naming its number. */
export function parseAllowedSigners(text: string, source = 'allowed_signers'): AllowedSigner[] {
  const signers: AllowedSigner[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    try {
      signers.push(parseLine(trimmed, i + 1));
    } catch (err: unknown) {
      const why = messageOf(err);
      throw new SignatureConfigError(`${source} line ${i + 1}: ${why}`, { cause: err });
    }
  });
  return signers;
}
