import { readFileSync } from 'node:fs';
import type { SecretStore } from '../../core/secrets';
import { SecretResolutionError } from '../../core/secrets';

/**
 * Secrets from a local JSON file, for the CLI and local mode: `{"<name>": {"<key>": "<value>"}}`
 * (or a plain string value), the same shape Secrets Manager holds.
 */
export class JsonFileSecretStore implements SecretStore {
  private readonly secrets: Map<string, string>;

  constructor(file: string) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err: unknown) {
      // The message names the file only: a parse error could quote a value.
      throw new SecretResolutionError(`secrets file ${file} cannot be read as JSON`, { cause: err });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new SecretResolutionError(`secrets file ${file} must hold a JSON object of secret names`);
    this.secrets = new Map(
      Object.entries(parsed).map(([name, value]) => [
        name,
        typeof value === 'string' ? value : JSON.stringify(value),
      ]),
    );
  }

  async getSecretStrings(names: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const name of names) {
      const value = this.secrets.get(name);
      if (value !== undefined) out.set(name, value);
    }
    return out;
  }
}
