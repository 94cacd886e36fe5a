import type { CliIo } from './io';

/** The flags a command's --help lists: `--name` words. */
export function flagsOf(help: string): string[] {
  return [...new Set(help.match(/--[a-z][a-z0-9-]*/g) ?? [])];
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The listed flag closest to `flag` when it is close enough to be a typo (or a prefix), else undefined. */
export function closestFlag(flag: string, flags: readonly string[]): string | undefined {
  let best: { flag: string; score: number } | undefined;
  for (const candidate of flags) {
    const score = candidate.startsWith(flag) && flag.length >= 4 ? 0 : distance(flag, candidate);
    if (score <= Math.max(2, Math.floor(candidate.length / 4)) && (!best || score < best.score))
      best = { flag: candidate, score };
  }
  return best?.flag;
}

/**
 * node:util parseArgs' errors in one line of our own, instead of its advice about `--` and
 * positionals: an unknown flag with the nearest one the command lists, a flag missing its value.
 */
export async function flagErrorLine(
  err: unknown,
  command: string,
  help: () => Promise<string>,
): Promise<string | undefined> {
  const code = (err as { code?: unknown } | null)?.code;
  // Not `instanceof Error`: node's own errors may come from another realm (as under jest).
  const raw = (err as { message?: unknown } | null)?.message;
  const message = typeof raw === 'string' ? raw : String(err);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const flag = /'(-[^']*)'/.exec(message)?.[1] ?? '';
    const near = flag.startsWith('--') ? closestFlag(flag, flagsOf(await help())) : undefined;
    const hint = near ? `did you mean ${near}? ` : '';
    return `unknown flag ${flag} for '${command}'; ${hint}run 'plumbline ${command} --help' for its flags`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const flag = /'(--?[^ ']+)/.exec(message)?.[1];
    if (flag && /argument missing/.test(message)) return `${flag} needs a value`;
    if (flag && /does not take an argument/.test(message)) return `${flag} takes no value`;
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const extra = /'([^']*)'/.exec(message)?.[1];
    return `unexpected argument ${JSON.stringify(extra ?? '')} for '${command}'; run 'plumbline ${command} --help'`;
  }
  return undefined;
}

/** An io that keeps what a command writes, to read its --help. */
export function capturingIo(): { io: CliIo; text: () => string } {
  let out = '';
  return {
    io: { out: (t) => (out += t), err: () => undefined, interrupted: new Promise(() => undefined) },
    text: () => out,
  };
}
