import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type GitServer, type GitServerAuth, startGitServer } from '../../lib/local/git-server';

// Every git command here is asynchronous: the git server runs in the test's own process, and a
// synchronous child would block the event loop the server needs to answer it.

/** Every directory made here, removed after the test file that imported this helper. */
const created: string[] = [];
afterAll(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `plumbline-${prefix}-`));
  created.push(dir);
  return dir;
}

const HOME = tempDir('git-home');

/** An environment that no user or system git configuration leaks into. */
export function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: 'Dev Eloper',
    GIT_AUTHOR_EMAIL: 'dev@example.com',
    GIT_COMMITTER_NAME: 'Dev Eloper',
    GIT_COMMITTER_EMAIL: 'dev@example.com',
    ...extra,
  };
}

export function run(
  file: string,
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string>; input?: string | Buffer } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { cwd: options.cwd, env: gitEnv(options.env), maxBuffer: 64 * 1024 * 1024, encoding: 'buffer' },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${file} ${args.join(' ')}: ${stderr.toString().trim() || err.message}`));
        else resolve(stdout.toString('latin1'));
      },
    );
    child.stdin?.end(options.input);
  });
}

export function git(
  cwd: string,
  args: readonly string[],
  env?: Record<string, string>,
  input?: string | Buffer,
) {
  return run('git', args, { cwd, env, input });
}

/** A git server on a free port serving a fresh directory of bare repositories. */
export interface GitFixture {
  readonly root: string;
  readonly server: GitServer;
  readonly auth?: GitServerAuth;
  url(name: string): string;
  /** Creates an empty bare repository `name.git` (default branch main) and returns its URL. */
  bare(name: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startGitFixture(auth?: GitServerAuth): Promise<GitFixture> {
  const root = tempDir('git-srv');
  const server = await startGitServer({ root, auth });
  const url = (name: string) => `${server.url}/${name}.git`;
  return {
    root,
    server,
    auth,
    url,
    async bare(name) {
      await git(root, ['init', '-q', '--bare', '-b', 'main', `${name}.git`]);
      return url(name);
    },
    async stop() {
      await server.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** How a signer signs: `git -c` settings and environment. */
export interface Signer {
  readonly config: readonly string[];
  readonly env: Record<string, string>;
}

export interface WorkRepo {
  readonly dir: string;
  /** `-c` settings for every command that talks to the server (credentials when it needs them). */
  readonly remoteConfig: readonly string[];
}

function basicHeader(auth: GitServerAuth): string {
  const pair = 'token' in auth ? `x-access-token:${auth.token}` : `${auth.username}:${auth.password}`;
  return `Authorization: Basic ${Buffer.from(pair).toString('base64')}`;
}

/** A work tree on branch main whose origin is `remote`, e.g. a fixture's URL. */
export async function makeWorkRepo(remote: string, auth?: GitServerAuth): Promise<WorkRepo> {
  const dir = tempDir('git-work');
  await git(dir, ['init', '-q', '-b', 'main']);
  await git(dir, ['remote', 'add', 'origin', remote]);
  return { dir, remoteConfig: auth ? ['-c', `http.extraHeader=${basicHeader(auth)}`] : [] };
}

/** Content, a symbolic link, a submodule (gitlink to a commit id), or null to delete. */
export type FileSpec = string | Buffer | { symlink: string } | { submodule: string } | null;

/** Writes the files, commits everything (signed when a signer is given) and returns the commit id. */
export async function commitFiles(
  work: WorkRepo,
  files: Record<string, FileSpec>,
  message = 'change',
  signer?: Signer,
): Promise<string> {
  for (const [path, spec] of Object.entries(files)) {
    const full = join(work.dir, path);
    rmSync(full, { recursive: true, force: true });
    if (spec === null) continue;
    mkdirSync(dirname(full), { recursive: true });
    if (typeof spec === 'string' || Buffer.isBuffer(spec)) writeFileSync(full, spec);
    else if ('symlink' in spec) symlinkSync(spec.symlink, full);
    else {
      // An empty directory is an unpopulated submodule: `add -A` keeps the gitlink.
      mkdirSync(full);
      await git(work.dir, ['update-index', '--add', '--cacheinfo', `160000,${spec.submodule},${path}`]);
    }
  }
  await git(work.dir, ['add', '-A']);
  const sign = signer ? [...signer.config, 'commit', '-S'] : ['commit'];
  await git(work.dir, [...sign, '-q', '--allow-empty', '-m', message], signer?.env);
  return head(work);
}

export async function head(work: WorkRepo, ref = 'HEAD'): Promise<string> {
  return (await git(work.dir, ['rev-parse', ref])).trim();
}

export async function push(work: WorkRepo, branch = 'main'): Promise<void> {
  await git(work.dir, [...work.remoteConfig, 'push', '-q', 'origin', `HEAD:refs/heads/${branch}`]);
}

export async function forcePush(work: WorkRepo, branch = 'main'): Promise<void> {
  await git(work.dir, [...work.remoteConfig, 'push', '-q', '--force', 'origin', `HEAD:refs/heads/${branch}`]);
}

export async function deleteBranch(work: WorkRepo, branch: string): Promise<void> {
  await git(work.dir, [...work.remoteConfig, 'push', '-q', 'origin', `:refs/heads/${branch}`]);
}

/** A tree written byte for byte, names unchecked: entries git itself would never write ('..', '.git'). */
export type RawTree = { [name: string]: string | RawTree };

async function writeRawTree(work: WorkRepo, tree: RawTree): Promise<string> {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(tree)) {
    const isTree = typeof value !== 'string';
    const oid = isTree
      ? await writeRawTree(work, value)
      : (await git(work.dir, ['hash-object', '-w', '--stdin'], undefined, value)).trim();
    parts.push(Buffer.from(`${isTree ? '40000' : '100644'} ${name}\0`, 'latin1'), Buffer.from(oid, 'hex'));
  }
  const body = Buffer.concat(parts);
  return (
    await git(work.dir, ['hash-object', '-w', '-t', 'tree', '--literally', '--stdin'], undefined, body)
  ).trim();
}

/** Commits a raw tree on top of HEAD (moving main to it) and returns the commit id. */
export async function commitRawTree(work: WorkRepo, tree: RawTree, message = 'raw tree'): Promise<string> {
  const treeOid = await writeRawTree(work, tree);
  const parent = await head(work);
  const commit = (await git(work.dir, ['commit-tree', treeOid, '-p', parent, '-m', message])).trim();
  await git(work.dir, ['update-ref', 'refs/heads/main', commit]);
  return commit;
}

/**
 * A copy of a commit with another message and the signature header kept, moved to main: what an
 * attacker who rewrites history without the key produces. Returns its id.
 */
export async function tamperCommit(work: WorkRepo, commit: string, message: string): Promise<string> {
  const raw = await git(work.dir, ['cat-file', 'commit', commit]);
  const split = raw.indexOf('\n\n');
  const rewritten = `${raw.slice(0, split)}\n\n${message}\n`;
  const input = Buffer.from(rewritten, 'latin1');
  const oid = (
    await git(work.dir, ['hash-object', '-w', '-t', 'commit', '--stdin'], undefined, input)
  ).trim();
  await git(work.dir, ['update-ref', 'refs/heads/main', oid]);
  return oid;
}

export interface GpgKey extends Signer {
  readonly home: string;
  readonly fingerprint: string;
  /** The armored public key. */
  readonly publicKey: string;
  /** Ends the gpg-agent the key's home started. */
  stop(): Promise<void>;
}

/** A passphrase-less ed25519 signing key in a throwaway GNUPGHOME. */
export async function makeGpgKey(uid = 'Dev Eloper <dev@example.com>'): Promise<GpgKey> {
  // Not a tempDir: removed by stop(), after gpgconf has ended the agent living in it.
  const home = mkdtempSync(join(tmpdir(), 'plumbline-gnupg-'));
  const env = { GNUPGHOME: home };
  const gpg = (args: string[]) => run('gpg', ['--batch', '--no-tty', ...args], { env });
  await gpg(['--passphrase', '', '--quick-gen-key', uid, 'ed25519', 'sign', 'never']);
  const listing = await gpg(['--with-colons', '--list-keys']);
  const fingerprint = /^fpr:(?:[^:]*:){8}([0-9A-F]{40}):/m.exec(listing)?.[1];
  if (fingerprint === undefined) throw new Error('gpg made no key');
  const publicKey = await gpg(['--armor', '--export', fingerprint]);
  return {
    home,
    fingerprint,
    publicKey,
    env,
    config: ['-c', 'gpg.format=openpgp', '-c', 'gpg.program=gpg', '-c', `user.signingkey=${fingerprint}`],
    async stop() {
      await run('gpgconf', ['--kill', 'gpg-agent'], { env }).catch(() => undefined);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export interface SshKey extends Signer {
  readonly privateKeyPath: string;
  /** The public key line: `type base64 comment`. */
  readonly publicKey: string;
}

const SSH_TYPES = {
  ed25519: ['-t', 'ed25519'],
  ecdsa: ['-t', 'ecdsa', '-b', '256'],
  rsa: ['-t', 'rsa', '-b', '2048'],
};

/** A passphrase-less SSH key, and git settings to sign commits with it (`gpg.format=ssh`). */
export async function makeSshKey(type: keyof typeof SSH_TYPES = 'ed25519'): Promise<SshKey> {
  const privateKeyPath = join(tempDir('ssh'), `id_${type}`);
  await run('ssh-keygen', [
    '-q',
    ...SSH_TYPES[type],
    '-N',
    '',
    '-C',
    `dev-${type}@example.com`,
    '-f',
    privateKeyPath,
  ]);
  const publicKey = (await readFile(`${privateKeyPath}.pub`, 'utf8')).trim();
  return {
    privateKeyPath,
    publicKey,
    env: {},
    config: ['-c', 'gpg.format=ssh', '-c', `user.signingkey=${privateKeyPath}`],
  };
}

/** An allowed_signers file: one line per entry, `principal [namespaces="…"] keytype key`. */
export function allowedSigners(
  entries: readonly { principal: string; key: SshKey; namespaces?: string; options?: string }[],
): string {
  return entries
    .map(({ principal, key, namespaces, options }) => {
      const opts = [options, namespaces === undefined ? undefined : `namespaces="${namespaces}"`].filter(
        Boolean,
      );
      const [type, blob] = key.publicKey.split(' ');
      return [principal, opts.join(','), type, blob].filter((part) => part !== '').join(' ');
    })
    .join('\n')
    .concat('\n');
}
