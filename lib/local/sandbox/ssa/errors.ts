/** Errors of server-side apply, with the messages the Kubernetes API server sends. */

export interface FieldConflict {
  /** The manager that owns the field. */
  manager: string;
  /** The field, as Kubernetes prints it: `.spec.replicas`, `.spec.containers[name="nginx"].image`. */
  field: string;
  /** The status cause message Kubernetes sends: `conflict with "kubectl-edit" using apps/v1`. */
  message: string;
}

/** Fields another manager owns would change; the API server answers 409 Conflict. */
export class ApplyConflictError extends Error {
  readonly conflicts: FieldConflict[];

  constructor(conflicts: FieldConflict[], options?: ErrorOptions) {
    super(conflictMessage(conflicts), options);
    this.name = 'ApplyConflictError';
    this.conflicts = conflicts;
  }
}

/** The applied configuration cannot be merged (a keyed item without its key, duplicate keys, managedFields set). */
export class InvalidApplyError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidApplyError';
  }
}

/** `getConflictMessage` of k8s.io/apimachinery `managedfields/internal/conflict.go`. */
function conflictMessage(conflicts: readonly FieldConflict[]): string {
  const [only] = conflicts;
  if (conflicts.length === 1 && only) return `Apply failed with 1 conflict: ${only.message}: ${only.field}`;
  const lines: string[] = [];
  let last: string | undefined;
  for (const c of conflicts) {
    // Conflicts arrive grouped by manager, so a new heading starts each group.
    if (c.message !== last) lines.push(`conflicts with ${c.message.slice('conflict with '.length)}:`);
    last = c.message;
    lines.push(`- ${c.field}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}
