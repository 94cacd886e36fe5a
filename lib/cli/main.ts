import { PlumblineError } from '../core/errors';
import { MissingAccessError } from '../core/sync/errors';
import { diffCommand, driftCommand } from './commands/inspect';
import { renderCommand } from './commands/render';
import { syncCommand } from './commands/sync';
import { UsageError } from './errors';
import { capturingIo, flagErrorLine } from './flag-errors';
import { type CliIo, processIo } from './io';

const VERSION = '0.1.0';

export const HELP = `plumbline ${VERSION} — serverless GitOps for Amazon EKS

Usage: plumbline <command> [options]

Commands:
  sandbox     start the sandbox Kubernetes API server and write a kubeconfig for it
  local       the whole pipeline on one machine (npm start); local --once runs the scripted scenario
  render      render an app directory (plain YAML, kustomize, helm) to YAML
  diff        what a sync would change
  sync        apply an app to a cluster (server-side apply, prune, wait)
  prune-app   delete what an app removed from plumbline.yaml left, under the prune safety rules
  drift       detect-only drift check
  audit       query and verify the audit trail (audit init|query|verify)
  eks         EKS helpers: eks token prints an ExecCredential like aws eks get-token
  doctor      check a deployment against the AWS account (read-only), before and after cdk deploy
  chart       chart lock: pin remote charts' digests in the app's plumbline.lock

Exit codes: 0 success; 1 the answer is "yes" or the operation failed; 2 bad usage or input.
Run 'plumbline <command> --help' for a command's options.
`;

export type Command = (args: string[], io: CliIo) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  // Loaded on demand: the sandbox pulls in X.509 and server code no other command needs.
  sandbox: async (args, io) => (await import('./commands/sandbox.js')).sandboxCommand(args, io),
  render: renderCommand,
  diff: diffCommand,
  sync: syncCommand,
  drift: driftCommand,
  'prune-app': async (args, io) => (await import('./commands/prune-app.js')).pruneAppCommand(args, io),
  // Loaded on demand: the AWS SDK is not needed by the other commands.
  audit: async (args, io) => (await import('./commands/audit.js')).auditCommand(args, io),
  // Loaded on demand: it starts DynamoDB Local, the sandbox and a git server.
  local: async (args, io) => (await import('./commands/local.js')).localCommand(args, io),
  eks: async (args, io) => (await import('./commands/eks.js')).eksCommand(args, io),
  doctor: async (args, io) => (await import('./commands/doctor.js')).doctorCommand(args, io),
  chart: async (args, io) => (await import('./commands/chart.js')).chartCommand(args, io),
};

/** Runs the CLI and returns the exit code; never throws. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.out(HELP);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === 'version') {
    io.out(`${VERSION}\n`);
    return 0;
  }
  try {
    const run = COMMANDS[command];
    if (run) return await run(rest, io);
    throw new UsageError(`unknown command '${command}'; run 'plumbline --help'`);
  } catch (err: unknown) {
    const run = COMMANDS[command];
    const help = async () => {
      const capture = capturingIo();
      await run?.(['--help'], capture.io);
      return capture.text();
    };
    const flagLine = run ? await flagErrorLine(err, command, help).catch(() => undefined) : undefined;
    // A missing-access refusal lists one permission a line: each line is the point.
    const text = err instanceof MissingAccessError ? err.message : oneLine(err);
    io.err(`error: ${flagLine ?? text}\n`);
    return isUsage(err) ? 2 : 1;
  }
}

function isUsage(err: unknown): boolean {
  if (err instanceof PlumblineError && err.badInput) return true;
  // node:util parseArgs reports unknown or malformed options with these codes.
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

function oneLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0] ?? message;
}
