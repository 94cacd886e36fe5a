import { GenerateMacCommand, KMSClient, type KMSClientConfig, VerifyMacCommand } from '@aws-sdk/client-kms';
import type { AuditMac } from '../../core/audit';
import { AuditKmsError } from './audit-errors';

export interface KmsAuditMacOptions {
  /** The HMAC_256 key (KeyUsage GENERATE_VERIFY_MAC): id, ARN or alias. */
  readonly keyId: string;
  readonly client?: KMSClient;
  readonly clientConfig?: KMSClientConfig;
}

/**
 * Record and checkpoint MACs made inside KMS: the writer may call GenerateMac, the auditor VerifyMac,
 * and no one can read the key (ADR 0018).
 */
export class KmsAuditMac implements AuditMac {
  private kms: KMSClient | undefined;

  constructor(private readonly options: KmsAuditMacOptions) {}

  get keyId(): string {
    return this.options.keyId;
  }

  private get client(): KMSClient {
    this.kms ??= this.options.client ?? new KMSClient(this.options.clientConfig ?? {});
    return this.kms;
  }

  /** Releases a client this instance built. */
  close(): void {
    if (!this.options.client) this.kms?.destroy();
    this.kms = undefined;
  }

  async mac(message: Uint8Array): Promise<string> {
    try {
      const out = await this.client.send(
        new GenerateMacCommand({ KeyId: this.keyId, MacAlgorithm: 'HMAC_SHA_256', Message: message }),
      );
      if (!out.Mac) throw new Error('GenerateMac returned no Mac');
      return Buffer.from(out.Mac).toString('base64');
    } catch (err: unknown) {
      throw this.wrap('GenerateMac', err);
    }
  }

  async verify(message: Uint8Array, mac: string): Promise<boolean> {
    const given = Buffer.from(mac, 'base64');
    // Not an HMAC-SHA256 at all (KMS would refuse an empty one as invalid input, not as a wrong MAC).
    if (given.byteLength !== 32) return false;
    try {
      const out = await this.client.send(
        new VerifyMacCommand({
          KeyId: this.keyId,
          MacAlgorithm: 'HMAC_SHA_256',
          Message: message,
          Mac: given,
        }),
      );
      return out.MacValid === true;
    } catch (err: unknown) {
      // KMS answers a wrong MAC with an exception, not MacValid false.
      if ((err as { name?: unknown } | null)?.name === 'KMSInvalidMacException') return false;
      throw this.wrap('VerifyMac', err);
    }
  }

  private wrap(op: string, err: unknown): Error {
    const name = err instanceof Error ? err.name : 'Error';
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return new AuditKmsError(`KMS key ${this.keyId}: ${op} failed: ${name}: ${message}`, { cause: err });
  }
}
