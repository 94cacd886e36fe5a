import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RenderError } from './errors';

export const DEFAULT_RENDER_MS = 60_000;
export const DEFAULT_MAX_OUTPUT_BYTES = 20 * 1024 * 1024;
/** stderr kept in memory; only its start reaches the error, the rest is for redaction to see whole values. */
const STDERR_CAP = 64 * 1024;
/** Characters of stderr in an error message. */
export const STDERR_SUMMARY_CHARS = 1024;

/** What masks secret values in text (a Redactor from lib/core/redact). */
export interface TextRedactor {
  redact(text: string): string;
}

export interface RunRequest {
  /** The renderer, named in every error: `kustomize`, `helm`. */
  readonly renderer: string;
  /** What is rendered, named in every error: the app path. */
  readonly subject?: string;
  /** Absolute path of the executable; run directly, never through a shell. */
  readonly binary: string;
  readonly args: readonly string[];
  /** Working directory; default the run's private home. */
  readonly cwd?: string;
  readonly timeoutMs?: number;
  readonly maxOutputBytes?: number;
  readonly redactor?: TextRedactor;
  /** Text replaced in stderr before it is summarized: the copy's temporary root by `.`, say. */
  readonly replace?: readonly (readonly [string, string])[];
}

export interface RunOutput {
  readonly stdout: string;
  readonly ms: number;
}

/**
 * The whole environment of a renderer process: a fixed PATH, and private HOME, XDG and Helm
 * directories inside `dir` (HELM_PLUGINS empty). Nothing comes from process.env, so no AWS
 * credentials, tokens, proxies or kubeconfig reach the child. TMPDIR points inside `dir` too, so
 * whatever the binary leaves behind goes when the run's directory does.
 */
export async function privateEnvironment(dir: string): Promise<Record<string, string>> {
  const paths = {
    HOME: join(dir, 'home'),
    XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_CACHE_HOME: join(dir, 'cache'),
    XDG_DATA_HOME: join(dir, 'data'),
    HELM_CACHE_HOME: join(dir, 'helm', 'cache'),
    HELM_CONFIG_HOME: join(dir, 'helm', 'config'),
    HELM_DATA_HOME: join(dir, 'helm', 'data'),
    HELM_PLUGINS: join(dir, 'helm', 'plugins'),
    TMPDIR: join(dir, 'tmp'),
  };
  for (const path of Object.values(paths)) await mkdir(path, { recursive: true, mode: 0o700 });
  return { PATH: '/usr/bin:/bin', ...paths, KUBECONFIG: '/dev/null' };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences are what is removed
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;

/**
 * stderr as one line for an error message: paths replaced, colour codes removed, secrets redacted
 * (before truncating, so that no value is cut in half and slips past), whitespace collapsed, and
 * at most STDERR_SUMMARY_CHARS characters.
 */
export function summarizeStderr(
  stderr: string,
  redactor?: TextRedactor,
  replace: readonly (readonly [string, string])[] = [],
): string {
  let text = stderr;
  for (const [from, to] of [...replace].sort((a, b) => b[0].length - a[0].length)) {
    if (from !== '') text = text.split(from).join(to);
  }
  text = text.replace(ANSI, '');
  // What kustomize and helm quote of a manifest that a Secret's value can be in.
  text = text
    .replace(/unknown anchor '[^']*'/g, "unknown anchor '***'")
    .replace(/invalid literal source \S+/g, 'invalid literal source ***');
  if (redactor) text = redactor.redact(text);
  text = text.replace(/\s+/g, ' ').trim();
  return text.length > STDERR_SUMMARY_CHARS ? `${text.slice(0, STDERR_SUMMARY_CHARS)}…` : text;
}

function codeOf(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string')
    return err.code;
  return err instanceof Error ? err.message : String(err);
}

/** SIGKILL to the child's whole process group (it leads its own: `detached`), ignoring a group already gone. */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // ESRCH: every process of the group has exited.
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function spawnAndWait(req: RunRequest, env: Record<string, string>, cwd: string): Promise<RunOutput> {
  const who = req.subject === undefined ? req.renderer : `${req.renderer} for ${req.subject}`;
  const timeoutMs = req.timeoutMs ?? DEFAULT_RENDER_MS;
  const maxOutput = req.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: RenderError): void => {
      if (settled) return;
      settled = true;
      reject(error);
    };
    let child: ChildProcess;
    try {
      child = spawn(req.binary, [...req.args], {
        env,
        cwd,
        shell: false,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err: unknown) {
      // Invalid arguments (a NUL byte, say) throw before any process exists.
      return fail(new RenderError(`${who}: cannot run ${req.binary}: ${codeOf(err)}`, { cause: err }));
    }
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let stopped: 'time' | 'output' | undefined;
    const timer = setTimeout(() => {
      stopped ??= 'time';
      killGroup(child);
    }, timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (stopped) return;
      outBytes += chunk.length;
      if (outBytes > maxOutput) {
        stopped = 'output';
        killGroup(child);
        return;
      }
      stdout.push(chunk);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (errBytes >= STDERR_CAP) return;
      const kept = chunk.subarray(0, STDERR_CAP - errBytes);
      errBytes += kept.length;
      stderr.push(kept);
    });
    child.on('error', (err: unknown) => {
      clearTimeout(timer);
      killGroup(child);
      fail(new RenderError(`${who}: cannot run ${req.binary}: ${codeOf(err)}`, { cause: err }));
    });
    // Whatever the binary started in its group goes with it; pipes it held open then close.
    child.on('exit', () => killGroup(child));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = Math.round(performance.now() - started);
      if (stopped === 'time') {
        return fail(new RenderError(`${who}: did not finish within ${timeoutMs} ms (time limit), killed`));
      }
      if (stopped === 'output') {
        return fail(new RenderError(`${who}: wrote more than ${maxOutput} bytes (output limit), killed`));
      }
      const summary = summarizeStderr(Buffer.concat(stderr).toString('utf8'), req.redactor, req.replace);
      const tail = summary === '' ? '' : `: ${summary}`;
      if (signal) return fail(new RenderError(`${who}: killed by ${signal}${tail}`));
      if (code !== 0) return fail(new RenderError(`${who}: failed with exit code ${code}${tail}`));
      let text: string;
      try {
        text = utf8.decode(Buffer.concat(stdout));
      } catch (err: unknown) {
        return fail(new RenderError(`${who}: output is not valid UTF-8 text`, { cause: err }));
      }
      settled = true;
      resolve({ stdout: text, ms });
    });
  });
}

/**
 * Runs a renderer binary: no shell, an argv array, the private environment above in a temporary
 * directory removed afterwards, stdin closed, a time limit and an output cap that SIGKILL the
 * process group. Every failure is a one-line RenderError naming the renderer and the subject;
 * a failing binary's stderr is summarized into it (see summarizeStderr).
 */
export async function runBinary(req: RunRequest): Promise<RunOutput> {
  const dir = await mkdtemp(join(tmpdir(), 'plumbline-run-'));
  try {
    const env = await privateEnvironment(dir);
    return await spawnAndWait(req, env, req.cwd ?? env.HOME ?? dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
