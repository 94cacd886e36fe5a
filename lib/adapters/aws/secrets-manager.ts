import {
  BatchGetSecretValueCommand,
  type BatchGetSecretValueCommandOutput,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { SecretResolutionError, type SecretStore } from '../../core/secrets';
import { isRetryableAwsError } from './aws-errors';
import { retryThrottled } from './throttling';

/** BatchGetSecretValue takes at most 20 secret ids per call. */
const BATCH = 20;

/**
 * AWS Secrets Manager as the secret store: BatchGetSecretValue in batches of 20, results cached
 * for the life of the store (one invocation). Missing secrets are absent from the result.
 */
export class SecretsManagerStore implements SecretStore {
  private client: SecretsManagerClient | undefined;
  private readonly cache = new Map<string, string | null>();

  constructor(
    private readonly options: {
      readonly client?: SecretsManagerClient;
      readonly region?: string;
      readonly sleep?: (ms: number) => Promise<void>;
    } = {},
  ) {}

  /** Throttling is retried with backoff (several clusters syncing at once share the account's quota). */
  private send(command: BatchGetSecretValueCommand): Promise<BatchGetSecretValueCommandOutput> {
    return retryThrottled(() => this.sm().send(command), this.options.sleep);
  }

  private sm(): SecretsManagerClient {
    this.client ??=
      this.options.client ??
      new SecretsManagerClient(this.options.region ? { region: this.options.region } : {});
    return this.client;
  }

  async getSecretStrings(names: readonly string[]): Promise<Map<string, string>> {
    const missing = names.filter((n) => !this.cache.has(n));
    for (let i = 0; i < missing.length; i += BATCH) {
      const ids = missing.slice(i, i + BATCH);
      let nextToken: string | undefined;
      do {
        let out: BatchGetSecretValueCommandOutput;
        try {
          out = await this.send(
            new BatchGetSecretValueCommand({
              SecretIdList: ids,
              ...(nextToken ? { NextToken: nextToken } : {}),
            }),
          );
        } catch (err: unknown) {
          throw new SecretResolutionError(
            `cannot read secrets ${ids.join(', ')} from Secrets Manager: ${err instanceof Error ? err.name : 'error'}`,
            // Throttled (after retries), a 5xx or no answer: the sync is tried again; AccessDenied is not.
            { cause: err, retryable: isRetryableAwsError(err) },
          );
        }
        for (const v of out.SecretValues ?? []) {
          if (v.Name && v.SecretString !== undefined) this.cache.set(v.Name, v.SecretString);
          if (v.ARN && v.SecretString !== undefined && ids.includes(v.ARN))
            this.cache.set(v.ARN, v.SecretString);
        }
        for (const e of out.Errors ?? []) {
          if (!e.SecretId) continue;
          if (e.ErrorCode === 'ResourceNotFoundException') this.cache.set(e.SecretId, null);
          else throw new SecretResolutionError(`cannot read secret ${e.SecretId}: ${e.ErrorCode ?? 'error'}`);
        }
        nextToken = out.NextToken;
      } while (nextToken);
      for (const id of ids) if (!this.cache.has(id)) this.cache.set(id, null);
    }
    const result = new Map<string, string>();
    for (const name of names) {
      const value = this.cache.get(name);
      if (typeof value === 'string') result.set(name, value);
    }
    return result;
  }
}
