import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli';
import { commitFiles, type GitFixture, makeWorkRepo, push, startGitFixture, tempDir } from '../helpers/git';

const cm = (name: string, extra = '') =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  a: "1"${extra}\n`;

/** A Flux bootstrap directory: a kustomize build file (no metadata) beside Flux's own objects. */
const FLUX_KUSTOMIZATION = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - gotk-sync.yaml
`;
const FLUX_SYNC = `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
  namespace: flux-system
spec:
  url: https://example.com/fleet.git
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: flux-system
  namespace: flux-system
spec:
  path: ./clusters/staging
`;

function write(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

/** What real platform repositories hold (#15 item 4): Flux directories, large bundles, bases outside the app. */
describe('real-world repositories', () => {
  it('skips the Kustomize and Flux config kinds in a plain directory, with a note each, and renders the rest', async () => {
    const root = tempDir('flux-dir');
    write(root, {
      'clusters/staging/app.yaml': cm('web'),
      'clusters/staging/flux-system/kustomization.yaml': FLUX_KUSTOMIZATION,
      'clusters/staging/flux-system/gotk-sync.yaml': FLUX_SYNC,
    });
    const run = await runCli([
      'render',
      join(root, 'clusters/staging'),
      '--repo-root',
      root,
      '--renderer',
      'plain',
      '-o',
      'json',
    ]);
    expect(run.code).toBe(0);
    const items = (JSON.parse(run.stdout) as { items: { kind: string; metadata: { name: string } }[] }).items;
    expect(items.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['ConfigMap/web']);
    const notes = run.stderr.trim().split('\n');
    expect(notes).toHaveLength(3);
    expect(notes[0]).toMatch(
      /^note: clusters\/staging\/flux-system\/gotk-sync\.yaml \(document 1\): skipped source\.toolkit\.fluxcd\.io\/v1 GitRepository: a Flux GitRepository configures Flux's controllers/,
    );
    expect(run.stderr).toContain('skipped kustomize.toolkit.fluxcd.io/v1 Kustomization');
    expect(run.stderr).toContain(
      'flux-system/kustomization.yaml (document 1): skipped kustomize.config.k8s.io/v1beta1 Kustomization: a Kustomize Kustomization is a build file, not an object; set renderer: kustomize',
    );
  });

  it('renders a 3 MB bundle by default, refuses a file over --max-file-bytes naming the limit, and refuses a bad limit with exit 2', async () => {
    const root = tempDir('big-file');
    // argo-rollouts' install.yaml is 3.05 MB: one large ConfigMap stands in for it.
    write(root, { 'app/install.yaml': cm('big', `\n  b: "${'x'.repeat(3_100_000)}"`) });
    const ok = await runCli(['render', join(root, 'app'), '--renderer', 'plain', '-o', 'json']);
    expect(ok.code).toBe(0);
    const over = await runCli([
      'render',
      join(root, 'app'),
      '--renderer',
      'plain',
      '--max-file-bytes',
      '1000000',
    ]);
    expect(over.code).toBe(2);
    expect(over.stderr).toMatch(
      /^error: install\.yaml is \d+ bytes, over the 1000000-byte limit \(maxFileBytes\)\n$/,
    );
    for (const bad of ['0', '1.5', '8Mi', '99999999999']) {
      const run = await runCli(['render', join(root, 'app'), '--max-file-bytes', bad]);
      expect(run.code).toBe(2);
      expect(run.stderr.split('\n').filter(Boolean)).toHaveLength(1);
      expect(run.stderr).toMatch(
        /^error: --max-file-bytes must be a whole number of bytes from 1 to 52428800/,
      );
    }
  });

  describe('with --repo', () => {
    let git: GitFixture;
    let url: string;

    beforeAll(async () => {
      process.env.PLUMBLINE_CACHE_DIR = tempDir('real-repos-cache');
      git = await startGitFixture();
      url = await git.bare('guestbook');
      const work = await makeWorkRepo(url);
      await commitFiles(
        work,
        {
          'plumbline.yaml': [
            'version: 1',
            'apps:',
            // Argo CD's kustomize-guestbook shape: the overlay names a base beside it, and no dependsOn.
            '  - {name: guestbook, path: overlays/dev, cluster: local, namespace: default}',
            '  - {name: tiny, path: tiny, cluster: local, namespace: default, maxFileBytes: 40}',
          ].join('\n'),
          'overlays/dev/kustomization.yaml': 'resources:\n  - ../../base\nnamePrefix: dev-\n',
          'base/kustomization.yaml': 'resources:\n  - cm.yaml\n  - ../common/shared\n',
          'base/cm.yaml': cm('guestbook'),
          'common/shared/kustomization.yaml': 'resources:\n  - shared.yaml\n',
          'common/shared/shared.yaml': cm('shared'),
          'unrelated/secret.yaml': cm('unrelated'),
          'tiny/cm.yaml': cm('tiny'),
        },
        'guestbook',
      );
      await push(work);
    });
    afterAll(() => git.stop());

    it('finds a kustomize base outside the app path, and its base in turn, and says to add them to dependsOn', async () => {
      const run = await runCli(['render', '--repo', url, '--app', 'guestbook', '-o', 'json']);
      expect(run.code).toBe(0);
      const items = (JSON.parse(run.stdout) as { items: { metadata: { name: string } }[] }).items;
      expect(items.map((o) => o.metadata.name).sort()).toEqual(['dev-guestbook', 'dev-shared']);
      expect(run.stderr).toBe(
        [
          "note: read base too: a kustomization of the app names it; add it to the app's dependsOn in plumbline.yaml so that a push changing it syncs the app",
          "note: read common/shared too: a kustomization of the app names it; add it to the app's dependsOn in plumbline.yaml so that a push changing it syncs the app",
          '',
        ].join('\n'),
      );
    });

    it("applies the app's maxFileBytes from plumbline.yaml, and refuses --max-file-bytes with --repo", async () => {
      const run = await runCli(['render', '--repo', url, '--app', 'tiny']);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^error: .*tiny\/cm\.yaml is \d+ bytes, over the 40-byte (file )?limit/);
      const both = await runCli(['render', '--repo', url, '--app', 'tiny', '--max-file-bytes', '5000']);
      expect(both.code).toBe(2);
      expect(both.stderr).toBe(
        'error: --max-file-bytes is for PATH; with --repo the app sets maxFileBytes in plumbline.yaml\n',
      );
    });
  });
});
