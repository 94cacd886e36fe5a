import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  checkCommitSignature,
  GitSource,
  loadSignatureTrust,
  verifierFromFiles,
} from '../../../lib/adapters/git';
import {
  createSignatureVerifier,
  SignatureConfigError,
  SignatureError,
  type SignatureVerifier,
} from '../../../lib/core/signatures';
import {
  allowedSigners,
  commitFiles,
  type GitFixture,
  type GpgKey,
  git,
  makeGpgKey,
  makeSshKey,
  makeWorkRepo,
  push,
  run,
  type Signer,
  type SshKey,
  startGitFixture,
  tamperCommit,
  tempDir,
  type WorkRepo,
} from '../../helpers/git';

let fixture: GitFixture;
let work: WorkRepo;
let source: GitSource;
let trusted: GpgKey;
let untrusted: GpgKey;
const ssh: Record<'ed25519' | 'ecdsa' | 'rsa' | 'stranger' | 'wrongNamespace', SshKey> = {} as never;
let verifier: SignatureVerifier;
let allowedSignersFile: string;
let keysFile: string;

/** A commit on its own branch, pushed and fetched: the id GitSource verifies. */
async function signed(
  branch: string,
  signer?: Signer,
  edit?: (commit: string) => Promise<string>,
): Promise<string> {
  let commit = await commitFiles(
    work,
    { [`apps/${branch}.yaml`]: `branch: ${branch}\n` },
    `commit ${branch}`,
    signer,
  );
  if (edit) commit = await edit(commit);
  await push(work, branch);
  expect((await source.fetch(branch)).commit).toBe(commit);
  return commit;
}

async function refusal(commit: string): Promise<SignatureError> {
  const err = await checkCommitSignature(source, commit, 'head', verifier).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SignatureError);
  return err as SignatureError;
}

beforeAll(async () => {
  fixture = await startGitFixture();
  const url = await fixture.bare('signed');
  work = await makeWorkRepo(url);
  [trusted, untrusted, ssh.ed25519, ssh.ecdsa, ssh.rsa, ssh.stranger, ssh.wrongNamespace] = await Promise.all(
    [
      makeGpgKey('Release Bot <release@example.com>'),
      makeGpgKey('Mallory <mallory@example.com>'),
      makeSshKey('ed25519'),
      makeSshKey('ecdsa'),
      makeSshKey('rsa'),
      makeSshKey('ed25519'),
      makeSshKey('ed25519'),
    ],
  );
  const dir = tempDir('trust');
  allowedSignersFile = join(dir, 'allowed_signers');
  writeFileSync(
    allowedSignersFile,
    allowedSigners([
      { principal: 'dev@example.com', key: ssh.ed25519, namespaces: 'git' },
      { principal: 'ops@example.com,dev@example.com', key: ssh.ecdsa },
      { principal: 'rsa@example.com', key: ssh.rsa, namespaces: 'file,git' },
      { principal: 'files@example.com', key: ssh.wrongNamespace, namespaces: 'file' },
    ]),
  );
  keysFile = join(dir, 'keys.asc');
  writeFileSync(keysFile, trusted.publicKey);
  verifier = await verifierFromFiles([`openpgp:${keysFile}`, `ssh:${allowedSignersFile}`]);
  source = new GitSource({ url, cacheDir: tempDir('git-cache') });
}, 60_000);

afterAll(async () => {
  source.close();
  await Promise.all([trusted.stop(), untrusted.stop()]);
  await fixture.stop();
});

describe('commit signatures on fetched commits', () => {
  it('verifies a gpg-signed commit and names the key and its user', async () => {
    const commit = await signed('gpg-valid', trusted);
    // git itself agrees, with the same key.
    await git(work.dir, ['verify-commit', commit], trusted.env);
    expect(await checkCommitSignature(source, commit, 'head', verifier)).toEqual({
      verified: true,
      format: 'openpgp',
      fingerprint: trusted.fingerprint,
      signer: 'Release Bot <release@example.com>',
    });
  });

  it.each(['ed25519', 'ecdsa', 'rsa'] as const)('verifies an ssh-signed commit (%s key)', async (type) => {
    const commit = await signed(`ssh-${type}`, ssh[type]);
    await git(work.dir, ['-c', `gpg.ssh.allowedSignersFile=${allowedSignersFile}`, 'verify-commit', commit]);
    const result = await checkCommitSignature(source, commit, 'head', verifier);
    // The fingerprint `ssh-keygen -l` prints for the key.
    const listed = (await run('ssh-keygen', ['-l', '-f', `${ssh[type].privateKeyPath}.pub`])).split(' ')[1];
    expect(result).toMatchObject({ verified: true, format: 'ssh', fingerprint: listed });
    expect(result?.signer).toBe(
      { ed25519: 'dev@example.com', ecdsa: 'ops@example.com,dev@example.com', rsa: 'rsa@example.com' }[type],
    );
  });

  it('refuses an unsigned commit', async () => {
    const commit = await signed('unsigned');
    const err = await refusal(commit);
    expect(err).toMatchObject({
      commit,
      reason: 'unsigned',
      message: `commit ${commit}: the commit is not signed`,
    });
  });

  it('refuses commits signed by keys that are not trusted', async () => {
    const gpg = await refusal(await signed('gpg-wrong-key', untrusted));
    expect(gpg.reason).toBe('unknown-key');
    expect(gpg.message).toContain(`${untrusted.fingerprint.slice(-16)}, which is not a trusted key`);
    const stranger = await refusal(await signed('ssh-wrong-key', ssh.stranger));
    expect(stranger.reason).toBe('unknown-key');
    expect(stranger.message).toMatch(/signed by SSH key SHA256:\S+, which is not an allowed signer$/);
  });

  it('refuses an ssh key whose allowed_signers line does not allow the git namespace', async () => {
    const err = await refusal(await signed('ssh-file-only', ssh.wrongNamespace));
    expect(err.reason).toBe('unknown-key');
    expect(err.message).toContain('is not allowed to sign git commits');
  });

  it.each([
    ['gpg', () => trusted],
    ['ssh', () => ssh.ed25519],
  ] as const)('refuses a %s-signed commit whose content changed after signing', async (_kind, signer) => {
    let original = '';
    const commit = await signed(`tampered-${_kind}`, signer(), async (c) => {
      original = c;
      return tamperCommit(work, c, 'a different message, same signature');
    });
    expect(commit).not.toBe(original);
    await expect(
      git(
        work.dir,
        ['-c', `gpg.ssh.allowedSignersFile=${allowedSignersFile}`, 'verify-commit', commit],
        trusted.env,
      ),
    ).rejects.toThrow();
    const err = await refusal(commit);
    expect(err.reason).toBe('bad-signature');
    expect(err.message).toMatch(/does not verify/);
  });

  it('applies nothing for policy none, and needs keys for policy head', async () => {
    const commit = await signed('policy-none');
    expect(await checkCommitSignature(source, commit, 'none', undefined)).toBeUndefined();
    await expect(checkCommitSignature(source, commit, 'head', undefined)).rejects.toBeInstanceOf(
      SignatureConfigError,
    );
    await expect(createSignatureVerifier({})).rejects.toThrow('no trusted OpenPGP key or SSH allowed signer');
    await expect(loadSignatureTrust(['pgp:/x'])).rejects.toThrow(
      'is not openpgp:KEYS.asc or ssh:ALLOWED_SIGNERS',
    );
    await expect(loadSignatureTrust(['ssh:/does/not/exist'])).rejects.toThrow(
      'cannot read /does/not/exist: ENOENT',
    );
  });

  it('refuses a signature of a kind with no trusted keys configured', async () => {
    const sshOnly = await createSignatureVerifier(await loadSignatureTrust([`ssh:${allowedSignersFile}`]));
    const commit = await signed('gpg-no-pgp-keys', trusted);
    await expect(checkCommitSignature(source, commit, 'head', sshOnly)).rejects.toMatchObject({
      reason: 'unknown-key',
      message: expect.stringContaining('no OpenPGP key is trusted'),
    });
  });
});
