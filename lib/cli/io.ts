/** Where a command writes; tests pass buffers, the binary passes the process streams. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Resolves when the command should stop (SIGINT/SIGTERM for the binary). */
  readonly interrupted: Promise<void>;
  /** Whether stderr is a terminal (progress lines are drawn only there). */
  readonly isTTY?: boolean;
}

export function processIo(): CliIo {
  const interrupted = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    interrupted,
    isTTY: process.stderr.isTTY === true,
  };
}
