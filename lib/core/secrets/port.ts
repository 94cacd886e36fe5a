/** Where secret values come from: AWS Secrets Manager in Lambda, a JSON file locally. */
export interface SecretStore {
  /**
   * The secret strings of `names` (each a JSON object of keys to values, or a plain string).
   * Names that do not exist are absent from the result; other failures throw.
   */
  getSecretStrings(names: readonly string[]): Promise<Map<string, string>>;
}
