import { createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from './canonical';
import { AuditKeyError } from './errors';

/**
 * Authenticates audit records and checkpoints with a key the writer can use but never read (KMS
 * GenerateMac/VerifyMac in AWS, a local key file otherwise). MACs are base64 strings.
 * See docs/adr/0018-audit-macs-and-checkpoints.md.
 */
export interface AuditMac {
  /** Names the key in messages (a KMS key ARN or alias, or `file:<path>`); never the key itself. */
  readonly keyId: string;
  mac(message: Uint8Array): Promise<string>;
  /** False when the MAC is not this key's MAC of the message; throws only when the key cannot be used. */
  verify(message: Uint8Array, mac: string): Promise<boolean>;
}

/** A record's MAC covers its hash, which covers its content, cluster, seq and prevHash. */
export function recordMacMessage(hash: string): Uint8Array {
  return Buffer.from(`plumbline-audit/record/v1\n${hash}`, 'utf8');
}

/** What a checkpoint attests: the head of a cluster's chain at a time. */
export interface CheckpointBody {
  readonly cluster: string;
  readonly seq: number;
  readonly hash: string;
  /** ISO time the checkpoint was written. */
  readonly time: string;
}

/** Domain-separated from records, so a record's MAC can never pass as a checkpoint's. */
export function checkpointMacMessage(body: CheckpointBody): Uint8Array {
  const { cluster, seq, hash, time } = body;
  return Buffer.from(`plumbline-audit/checkpoint/v1\n${canonicalJson({ cluster, seq, hash, time })}`, 'utf8');
}

/** HMAC-SHA256 under a key held in memory (the local key file's record key). */
export class HmacAuditMac implements AuditMac {
  private readonly key: Buffer;

  constructor(
    key: Uint8Array,
    readonly keyId: string,
  ) {
    if (key.byteLength < 32)
      throw new AuditKeyError(`audit key ${keyId}: the record key is shorter than 32 bytes`);
    this.key = Buffer.from(key);
  }

  async mac(message: Uint8Array): Promise<string> {
    return createHmac('sha256', this.key).update(message).digest('base64');
  }

  async verify(message: Uint8Array, mac: string): Promise<boolean> {
    const expected = createHmac('sha256', this.key).update(message).digest();
    const given = Buffer.from(mac, 'base64');
    return given.byteLength === expected.byteLength && timingSafeEqual(given, expected);
  }
}
