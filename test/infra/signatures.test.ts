import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { LayerVersion } from 'aws-cdk-lib/aws-lambda';
import { CHART_KEYRING_DEFINE } from '../../functions/shared/chart-keyring';
import { SIGNATURE_TRUST_DEFINE } from '../../functions/shared/signature-trust';
import { PlumblineConfigError, type PlumblineProps, parsePlumblineConfig } from '../../infra/config';
import { PlumblineStack } from '../../infra/plumbline-stack';
import { allowedSigners, type GpgKey, makeGpgKey, makeSshKey, type SshKey, tempDir } from '../helpers/git';
import { KUBECTL_LAYER_ARN, PROPS, ROOT, synth } from './stack';

const run = promisify(execFile);
const URL = PROPS.repositories[0]!.url;

/** #7: per-repository signature policy, compiled into the sync function's bundle. */
describe('verifySignatures', () => {
  let dir: string;
  let ssh: SshKey;
  let gpg: GpgKey;
  let signersFile: string;
  let pgpFile: string;
  beforeAll(async () => {
    dir = tempDir('trust');
    [ssh, gpg] = await Promise.all([makeSshKey('ed25519'), makeGpgKey('Release Bot <release@example.com>')]);
    signersFile = join(dir, 'allowed_signers');
    writeFileSync(signersFile, allowedSigners([{ principal: 'dev@example.com', key: ssh }]));
    pgpFile = join(dir, 'release.asc');
    writeFileSync(pgpFile, gpg.publicKey);
  }, 30_000);
  afterAll(async () => {
    await gpg.stop();
  });

  const withKeys = (verifySignatures: { openpgp?: string[]; ssh?: string[] }): PlumblineProps => ({
    ...PROPS,
    repositories: [{ ...PROPS.repositories[0]!, verifySignatures }],
  });
  const issuesOf = (raw: unknown, file?: string): readonly string[] => {
    try {
      parsePlumblineConfig(raw, file);
    } catch (err: unknown) {
      if (err instanceof PlumblineConfigError) return err.issues;
      throw err;
    }
    return [];
  };
  const config = (verifySignatures: unknown) => ({
    repositories: [{ url: URL, branch: 'main', provider: 'github', verifySignatures }],
    clusters: [{ name: 'prod', region: 'eu-west-1', allowedNamespaces: ['apps'] }],
  });

  it('validates the field in plumbline.config.json, one line per mistake', () => {
    expect(issuesOf(config({}))).toEqual([
      'repositories[0].verifySignatures: must list openpgp or ssh key files',
    ]);
    expect(issuesOf(config({ ssh: [], openpgp: [''] }))).toEqual([
      'repositories[0].verifySignatures.openpgp[0]: must be a file path',
      'repositories[0].verifySignatures.ssh: must list at least one key file',
    ]);
    expect(issuesOf(config({ gpg: ['k.asc'] }))[0]).toMatch(/^repositories\[0\]\.verifySignatures: .*gpg/);
  });

  it('reads key file paths relative to the config file', () => {
    const parsed = parsePlumblineConfig(
      config({ ssh: ['keys/allowed_signers'], openpgp: ['/etc/k.asc'] }),
      join(dir, 'deploy', 'plumbline.config.json'),
    );
    expect(parsed.repositories[0]?.verifySignatures).toEqual({
      ssh: [join(dir, 'deploy', 'keys', 'allowed_signers')],
      openpgp: ['/etc/k.asc'],
    });
  });

  it('gives the sync function the keys through an esbuild define, never through its environment', () => {
    const { stack, template } = synth(withKeys({ openpgp: [pgpFile], ssh: [signersFile] }));
    const { sync, webhook, reconcile } = stack.plumbline;
    const trust = JSON.parse(JSON.parse(sync.define[SIGNATURE_TRUST_DEFINE]!));
    expect(trust).toEqual({
      [URL]: { openpgpKeys: gpg.publicKey, allowedSigners: readFileSync(signersFile, 'utf8') },
    });
    expect(webhook.define).toEqual({});
    expect(reconcile.define).toEqual({});
    const json = JSON.stringify(template.toJSON());
    expect(json).not.toContain('PLUMBLINE_SIGNATURE_TRUST');
    expect(json).not.toContain(ssh.publicKey.split(' ')[1]!);
    expect(json).not.toContain('PGP PUBLIC KEY');
  });

  it('always defines the trust and the chart keyring, empty without a policy, so the environment can never supply one', () => {
    const { stack } = synth();
    expect(stack.plumbline.sync.define).toEqual({
      [SIGNATURE_TRUST_DEFINE]: JSON.stringify('{}'),
      [CHART_KEYRING_DEFINE]: JSON.stringify(''),
    });
  });

  it.each([
    [
      'a missing file',
      () => ({ ssh: [join(dir, 'nope')] }),
      /^repositories\[0\]\.verifySignatures\.ssh\[0\]: cannot read .*nope: ENOENT$/,
    ],
    [
      'a bad allowed_signers line',
      () => {
        const file = join(dir, 'bad_signers');
        writeFileSync(file, `# team\ndev@example.com ssh-ed25519\n`);
        return { ssh: [file] };
      },
      /^repositories\[0\]\.verifySignatures\.ssh\[0\]: .*bad_signers line 2: /,
    ],
    [
      'an empty allowed_signers file',
      () => {
        const file = join(dir, 'empty_signers');
        writeFileSync(file, '# nobody yet\n');
        return { ssh: [file] };
      },
      /^repositories\[0\]\.verifySignatures\.ssh\[0\]: .*empty_signers: no allowed signer$/,
    ],
    [
      'an SSH key given as an OpenPGP key',
      () => ({ ssh: [signersFile], openpgp: [signersFile] }),
      /^repositories\[0\]\.verifySignatures\.openpgp\[0\]: .*allowed_signers: no armored public key block$/,
    ],
    [
      'a corrupt OpenPGP key',
      () => {
        const file = join(dir, 'corrupt.asc');
        const lines = gpg.publicKey.split('\n');
        writeFileSync(file, lines.map((l, i) => (i === 3 ? l.replace(/[A-Za-z]/g, 'A') : l)).join('\n'));
        return { openpgp: [file] };
      },
      /^repositories\[0\]\.verifySignatures\.openpgp\[0\]: .*corrupt\.asc: key block 1 cannot be read: /,
    ],
  ])('fails synth with one line naming the field and the file for %s', (_name, files, expected) => {
    let message = '';
    try {
      synth(withKeys(files()));
    } catch (err: unknown) {
      message = err instanceof Error ? err.message : String(err);
    }
    expect(message).toMatch(expected);
    expect(message).not.toContain('\n');
  });

  it('compiles the trust into the real bundle, where an environment variable cannot replace it', async () => {
    const app = new App({
      context: { 'aws:cdk:bundling-stacks': ['Plumbline'] },
      builtinCloudFormationValidation: false,
      outdir: tempDir('cdk-out'),
    });
    const stack = new PlumblineStack(app, 'Plumbline', {
      env: { account: '111111111111', region: 'eu-west-1' },
      plumbline: withKeys({ ssh: [signersFile] }),
      projectRoot: ROOT,
      kubectlLayer: (scope) => LayerVersion.fromLayerVersionArn(scope, 'KubectlLayer', KUBECTL_LAYER_ARN),
    });
    const template = Template.fromStack(stack);
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find(
      (r) => r.Properties.Architectures?.[0] === 'x86_64',
    );
    const key = String(fn?.Properties.Code.S3Key).replace(/\.zip$/, '');
    const bundle = join(app.outdir, `asset.${key}`, 'index.js');
    expect(existsSync(bundle)).toBe(true);
    const script = `process.stdout.write(JSON.stringify(require(${JSON.stringify(bundle)}).signatureTrustFromEnv()))`;
    const { stdout } = await run(process.execPath, ['-e', script], {
      env: { PATH: process.env.PATH, AWS_REGION: 'eu-west-1', PLUMBLINE_SIGNATURE_TRUST: '{}' },
    });
    expect(JSON.parse(stdout)).toEqual({ [URL]: { allowedSigners: readFileSync(signersFile, 'utf8') } });

    // openpgp.js ships beside the bundle, not in it, and loads from the asset when a job needs it.
    expect(readFileSync(bundle, 'utf8').includes('openpgpjs.org')).toBe(false);
    const asset = join(app.outdir, `asset.${key}`);
    expect(existsSync(join(asset, 'node_modules', 'openpgp', 'index.mjs'))).toBe(true);
    const load = `import('openpgp').then((m) => process.stdout.write(typeof m.readKeys))`;
    const loaded = await run(process.execPath, ['-e', load], {
      cwd: asset,
      env: { PATH: process.env.PATH ?? '' },
    });
    expect(loaded.stdout).toBe('function');
  }, 60_000);
});
