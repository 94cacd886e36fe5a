import { PlumblineError } from '../errors';

const SHORT_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Escapes line breaks and other control characters so a message stays on one line, whatever
 * file names or keys a repository holds (logs, audit records and `error: …` lines rely on it).
 */
export function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => {
    return SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** A manifest that cannot be loaded; the message names the file and the 1-based document. */
export class ManifestError extends PlumblineError {
  readonly retryable = false;
  override readonly badInput = true;
  constructor(message: string, options?: ErrorOptions) {
    super(oneLine(message), options);
    this.name = 'ManifestError';
  }
}
