/** Errors of drift detection. */

/** A managedFields `fieldsV1` value is not the trie Kubernetes writes. */
export class FieldsV1Error extends Error {
  /** Where in the trie the problem is, in the path format of FieldDiff. */
  readonly path: string;

  constructor(subject: string, path: string, problem: string, options?: ErrorOptions) {
    super(`${subject}: malformed managedFields fieldsV1 at ${path || '(root)'}: ${problem}`, options);
    this.name = 'FieldsV1Error';
    this.path = path;
  }
}
