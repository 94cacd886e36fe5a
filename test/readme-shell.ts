import { type ChildProcess, spawn } from 'node:child_process';
import { finished } from './helpers/process';

/** Inline code in prose is a command when it starts with one of these. */
export const INLINE_PREFIXES = ['npx ', 'plumbline ', 'aws ', 'kubectl ', 'npm '];

export interface ReadmeCommand {
  /** The command as written, continuation lines joined, comment dropped, one part of an `&&` chain. */
  readonly text: string;
  /** `sh block at line N` or `inline at line N`. */
  readonly where: string;
  /** The comment written after it, if any (often the expected output or exit code). */
  readonly comment?: string;
}

/** Splits at the first `#` that starts a word outside quotes: the command and its comment. */
export function splitComment(line: string): { code: string; comment?: string } {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"') i++;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '\\') i++;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!)))
      return { code: line.slice(0, i).trimEnd(), comment: line.slice(i + 1).trim() };
  }
  return { code: line.trimEnd() };
}

/** The parts of an `a && b` chain (outside quotes). */
export function splitAnd(command: string): string[] {
  const parts: string[] = [];
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '&' && command[i + 1] === '&') {
      parts.push(command.slice(start, i).trim());
      start = i + 2;
      i++;
    }
  }
  parts.push(command.slice(start).trim());
  return parts.filter((p) => p !== '');
}

/** POSIX-shell words: single quotes literal, double quotes with backslash escapes, no expansion. */
export function shellWords(command: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word = (word ?? '') + c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && /["\\$`]/.test(command[i + 1] ?? '')) word = (word ?? '') + (command[++i] ?? '');
      else word = (word ?? '') + c;
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= '';
    } else if (c === '\\') word = (word ?? '') + (command[++i] ?? '');
    else word = (word ?? '') + c;
  }
  if (quote) throw new Error(`unterminated ${quote} in: ${command}`);
  if (word !== undefined) words.push(word);
  return words;
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

/**
 * Every shell command of a README: each line of its sh/bash/shell code blocks (`\` continuations
 * joined, comments and comment-only lines dropped, `&&` chains split), and inline code in the prose
 * that starts like a command (INLINE_PREFIXES; spans broken across lines joined, `\|` of tables
 * unescaped). In order, each text once.
 */
export function readmeCommands(markdown: string): ReadmeCommand[] {
  const found: ReadmeCommand[] = [];
  const seen = new Set<string>();
  const add = (text: string, where: string, comment?: string) => {
    const clean = text.replace(/\s+/g, ' ').trim();
    if (clean === '' || seen.has(clean)) return;
    seen.add(clean);
    found.push({ text: clean, where, ...(comment ? { comment } : {}) });
  };
  const fence = /^```([\w-]*)[^\n]*\n([\s\S]*?)^```[ \t]*$/gm;
  let prose = '';
  let last = 0;
  for (let m = fence.exec(markdown); m; m = fence.exec(markdown)) {
    // Keep the prose's line numbers: the block becomes as many empty lines.
    prose += markdown.slice(last, m.index) + '\n'.repeat(m[0].split('\n').length - 1);
    last = m.index + m[0].length;
    if (!['sh', 'bash', 'shell'].includes(m[1] ?? '')) continue;
    const first = lineOf(markdown, m.index) + 1;
    const lines = (m[2] ?? '').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const at = first + i;
      let line = lines[i] ?? '';
      while (/\\\s*$/.test(splitComment(line).code) && i + 1 < lines.length)
        line = `${splitComment(line).code.replace(/\\\s*$/, '')} ${lines[++i] ?? ''}`;
      const { code, comment } = splitComment(line);
      for (const part of splitAnd(code)) add(part, `sh block at line ${at}`, comment);
    }
  }
  prose += markdown.slice(last);
  const inline = /(?<!`)`([^`]+)`(?!`)/g;
  for (let m = inline.exec(prose); m; m = inline.exec(prose)) {
    const text = (m[1] ?? '').replace(/\\\|/g, '|').replace(/\s+/g, ' ');
    if (INLINE_PREFIXES.some((p) => text.startsWith(p)))
      add(text, `inline at line ${lineOf(prose, m.index)}`);
  }
  return found;
}

export interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A command left running (a server): its output so far, a wait for a line, and Ctrl-C. */
export interface Background {
  output(): string;
  waitFor(pattern: RegExp, from?: number, ms?: number): Promise<RegExpExecArray>;
  /**
   * Sends SIGINT to its process group, as Ctrl-C in a terminal does, and resolves with its exit code,
   * or the signal that ended it (npm re-raises the SIGINT its script ended on).
   */
  interrupt(): Promise<number | NodeJS.Signals>;
  readonly child: ChildProcess;
}

export function runProcess(
  argv: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<Ran> {
  return finished(
    spawn(argv[0]!, argv.slice(1), {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 60_000,
    }),
  );
}

export function startProcess(
  argv: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Background {
  // Its own process group, so that the interrupt reaches every process it starts (npm → sh → node).
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  const wake: Array<() => void> = [];
  const collect = (d: Buffer) => {
    out += d.toString();
    for (const w of wake.splice(0)) w();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | NodeJS.Signals>((resolve) => {
    child.on('close', (code, signal) => resolve(code ?? signal ?? -1));
  });
  return {
    child,
    output: () => out,
    async waitFor(pattern, from = 0, ms = 30_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const match = pattern.exec(out.slice(from));
        if (match) return match;
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`no ${pattern} within ${ms} ms from ${argv.join(' ')}; output:\n${out}`);
        await new Promise<void>((resolve) => {
          wake.push(resolve);
          setTimeout(resolve, 100);
        });
      }
    },
    async interrupt() {
      if (child.exitCode === null && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGINT');
        } catch {
          // Already gone.
        }
      }
      return exited;
    },
  };
}
