import { createHash, verify } from 'node:crypto';
import { parsePublicKey, SshFormatError, type SshPublicKey, SshReader, sshString } from './ssh-wire';

/** An SSH signature (OpenSSH PROTOCOL.sshsig) taken apart. */
export interface SshSignature {
  /** The signer's public key blob as carried in the signature. */
  readonly publicKey: Buffer;
  readonly namespace: string;
  readonly hashAlgorithm: string;
  /** e.g. ssh-ed25519, rsa-sha2-512, ecdsa-sha2-nistp256. */
  readonly signatureType: string;
  readonly signature: Buffer;
  readonly reserved: Buffer;
}

const BEGIN = '-----BEGIN SSH SIGNATURE-----';
const END = '-----END SSH SIGNATURE-----';
const MAGIC = Buffer.from('SSHSIG', 'latin1');

/** Parses the armored form; throws SshFormatError for anything that is not a version-1 SSHSIG. */
export function parseSshSignature(armored: string): SshSignature {
  const start = armored.indexOf(BEGIN);
  const end = armored.indexOf(END);
  if (start < 0 || end < start) throw new SshFormatError('no SSH SIGNATURE armor');
  const base64 = armored.slice(start + BEGIN.length, end).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) throw new SshFormatError('the armor is not base64');
  const blob = Buffer.from(base64, 'base64');
  const reader = new SshReader(blob);
  if (!reader.bytes(6).equals(MAGIC)) throw new SshFormatError('no SSHSIG magic');
  const version = reader.uint32();
  if (version !== 1) throw new SshFormatError(`SSHSIG version ${version}`);
  const publicKey = reader.string();
  const namespace = reader.text();
  const reserved = reader.string();
  const hashAlgorithm = reader.text();
  const wrapped = new SshReader(reader.string());
  if (!reader.done) throw new SshFormatError('trailing bytes after the signature');
  const signatureType = wrapped.text();
  const signature = wrapped.string();
  if (!wrapped.done) throw new SshFormatError('trailing bytes in the signature blob');
  return { publicKey, namespace, hashAlgorithm, signatureType, signature, reserved };
}

const HASHES = new Set(['sha256', 'sha512']);

/** The bytes the key signed: the SSHSIG preamble with the namespace and the message's hash. */
function signedData(sig: SshSignature, message: Buffer): Buffer {
  const digest = createHash(sig.hashAlgorithm).update(message).digest();
  return Buffer.concat([
    MAGIC,
    sshString(sig.namespace),
    sshString(sig.reserved),
    sshString(sig.hashAlgorithm),
    sshString(digest),
  ]);
}

/** r‖s, each left-padded to the curve size, from an SSH ECDSA signature (two mpints). */
function ecdsaRaw(signature: Buffer, size: number): Buffer {
  const reader = new SshReader(signature);
  const r = reader.mpint();
  const s = reader.mpint();
  if (!reader.done || r.length > size || s.length > size)
    throw new SshFormatError('malformed ECDSA signature');
  const out = Buffer.alloc(size * 2);
  r.copy(out, size - r.length);
  s.copy(out, 2 * size - s.length);
  return out;
}

/**
 * Checks the signature over `message` with its embedded key (the caller has matched the key against
 * the allowed signers). Throws SshFormatError for algorithms outside ed25519, ECDSA P-256/384/521 and
 * RSA with SHA-2; returns false for a signature that does not verify.
 */
export function verifySshSignature(sig: SshSignature, message: Buffer): { ok: boolean; key: SshPublicKey } {
  if (!HASHES.has(sig.hashAlgorithm)) throw new SshFormatError(`hash algorithm ${sig.hashAlgorithm}`);
  const key = parsePublicKey(sig.publicKey);
  const data = signedData(sig, message);
  if (key.type === 'ssh-ed25519') {
    if (sig.signatureType !== 'ssh-ed25519')
      throw new SshFormatError(`${sig.signatureType} with an ed25519 key`);
    return { ok: sig.signature.length === 64 && verify(null, data, key.key, sig.signature), key };
  }
  if (key.curve) {
    if (sig.signatureType !== key.type)
      throw new SshFormatError(`${sig.signatureType} with a ${key.type} key`);
    const raw = ecdsaRaw(sig.signature, key.curve.size);
    return { ok: verify(key.curve.hash, data, { key: key.key, dsaEncoding: 'ieee-p1363' }, raw), key };
  }
  // RSA: SHA-1 (`ssh-rsa` signatures) is refused, as OpenSSH does by default.
  const hash = { 'rsa-sha2-512': 'sha512', 'rsa-sha2-256': 'sha256' }[sig.signatureType];
  if (hash === undefined) throw new SshFormatError(`${sig.signatureType} signatures`);
  return { ok: verify(hash, data, key.key, sig.signature), key };
}
