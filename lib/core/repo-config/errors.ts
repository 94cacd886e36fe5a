/** Errors of the repository config, plumbline.yaml. */
import { PlumblineError } from '../errors';
import { oneLine } from '../manifests/errors';

/** One mistake in plumbline.yaml: `path` is the field path, e.g. `apps[2].namespace` ('' for the file). */
export interface RepoConfigIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * plumbline.yaml is refused. The message is one line naming the file, the field path and the first
 * mistake (`plumbline.yaml: apps[2].namespace: invalid DNS label "Bad_NS"`); every mistake found is
 * in `issues`, in document order as far as it is known.
 */
export class RepoConfigError extends PlumblineError {
  readonly retryable = false;
  override readonly badInput = true;
  readonly file: string;
  readonly issues: readonly RepoConfigIssue[];

  constructor(file: string, issues: readonly RepoConfigIssue[], options?: ErrorOptions) {
    super(oneLine(summary(file, issues)), options);
    this.name = 'RepoConfigError';
    this.file = file;
    this.issues = issues;
  }
}

/** `--app NAME` names no app of plumbline.yaml. */
export class UnknownAppError extends PlumblineError {
  readonly retryable = false;
  override readonly badInput = true;
  readonly app: string;

  constructor(file: string, app: string, known: readonly string[]) {
    const shown = known.slice(0, 10).join(', ') + (known.length > 10 ? `, … (${known.length} apps)` : '');
    super(oneLine(`${file}: no app named ${JSON.stringify(app)} (apps: ${shown || 'none'})`));
    this.name = 'UnknownAppError';
    this.app = app;
  }
}

function summary(file: string, issues: readonly RepoConfigIssue[]): string {
  const first = issues[0];
  if (!first) return `${file}: invalid`;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return `${file}: ${first.path ? `${first.path}: ` : ''}${first.message}${more}`;
}
