import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PlainRenderer, RenderError } from '../../lib/adapters/renderers';
import { ManifestError } from '../../lib/core/manifests/errors';
import {
  DEFAULT_RENDER_LIMITS,
  type RenderInput,
  type RenderLimits,
  type RenderResult,
} from '../../lib/core/render';
import { fixturePath } from '../helpers/fixtures';

const FIXTURE_REPO = fixturePath('render', 'repo');
const renderer = new PlainRenderer();

function configMap(name: string): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;
}

function render(
  repoRoot: string,
  appPath: string,
  limits: Partial<RenderLimits> = {},
): Promise<RenderResult> {
  const input: RenderInput = { repoRoot, appPath, limits: { ...DEFAULT_RENDER_LIMITS, ...limits } };
  return renderer.render(input);
}

/** The RenderError a render rejects with, checked to be one line; fails on success or another error. */
async function renderError(
  repoRoot: string,
  appPath: string,
  limits: Partial<RenderLimits> = {},
): Promise<RenderError> {
  const outcome = await render(repoRoot, appPath, limits).then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(outcome instanceof RenderError)) throw new Error(`expected a RenderError, got ${String(outcome)}`);
  expect(outcome.name).toBe('RenderError');
  expect(outcome.message).not.toMatch(/[\r\n]/);
  return outcome;
}

function ids(result: RenderResult): string[] {
  return result.manifests.map(
    (m) => `${m.object.kind}/${m.object.metadata.name} ${m.source.file}#${m.source.document}`,
  );
}

describe('PlainRenderer', () => {
  it('loads a nested app in a fixed order: multi-document YAML, JSON, Lists, any-case extensions', async () => {
    const result = await render(FIXTURE_REPO, 'apps/web');
    expect(result.renderer).toBe('plain');
    expect(result.files).toEqual([
      'apps/web/config/list.yaml',
      'apps/web/config/nested/rbac.YML',
      'apps/web/config/settings.json',
      'apps/web/deploy.yaml',
      'apps/web/namespace.yaml',
    ]);
    expect(ids(result)).toEqual([
      'ServiceAccount/web apps/web/config/list.yaml#1',
      'ConfigMap/features apps/web/config/list.yaml#1',
      'Role/web:reader apps/web/config/nested/rbac.YML#1',
      'ConfigMap/settings apps/web/config/settings.json#1',
      'Deployment/web apps/web/deploy.yaml#2',
      'Service/web apps/web/deploy.yaml#3',
      'Namespace/shop apps/web/namespace.yaml#1',
    ]);
  });

  it('accepts an absolute app path inside the repository and names files relative to the root', async () => {
    const result = await render(FIXTURE_REPO, join(FIXTURE_REPO, 'apps', 'web', 'config', 'nested'));
    expect(result.files).toEqual(['apps/web/config/nested/rbac.YML']);
  });

  it('refuses an object declared in two files, naming both', async () => {
    const error = await renderError(FIXTURE_REPO, 'apps/dupes');
    expect(error.message).toBe(
      '/ConfigMap/shop/settings is declared twice: apps/dupes/a.yaml (document 1) and apps/dupes/sub/b.yaml (document 2)',
    );
  });

  it('reports an invalid manifest as a RenderError caused by the ManifestError, naming file and document', async () => {
    const error = await renderError(FIXTURE_REPO, 'apps/broken');
    expect(error.message).toBe('apps/broken/b-bad.yaml (document 2): metadata.name is required');
    expect(error.cause).toBeInstanceOf(ManifestError);
  });

  it.each([
    ['../outside', 'app path "../outside" leaves the repository'],
    ['apps/../../outside', 'app path "apps/../../outside" leaves the repository'],
    ['/etc', 'app path "/etc" leaves the repository'],
    ['apps/missing', 'app path apps/missing does not exist'],
    ['apps/web/deploy.yaml', 'app path apps/web/deploy.yaml is not a directory'],
  ])('refuses the app path %s', async (appPath, message) => {
    expect((await renderError(FIXTURE_REPO, appPath)).message).toBe(message);
  });
});

describe('PlainRenderer on hostile trees', () => {
  let tmp: string;
  let repo: string;
  let outside: string;
  let server: Server | undefined;

  async function write(path: string, content: string | Buffer): Promise<string> {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
    return path;
  }

  async function link(target: string, path: string): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    await symlink(target, path);
  }

  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'plumbline-render-'));
    repo = join(tmp, 'repo');
    outside = join(tmp, 'outside');
    await write(join(outside, 'secret.yaml'), configMap('stolen'));
    await write(join(repo, 'apps', 'web', 'ok.yaml'), configMap('ok'));
  });

  afterEach(async () => {
    await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
    server = undefined;
    await rm(tmp, { recursive: true, force: true });
  });

  it("renders the whole repository when the app path is '.', naming files from the root", async () => {
    expect((await render(repo, '.')).files).toEqual(['apps/web/ok.yaml']);
  });

  it('refuses a symbolic link to /etc/passwd', async () => {
    await link('/etc/passwd', join(repo, 'apps', 'web', 'passwd.yaml'));
    expect((await renderError(repo, 'apps/web')).message).toBe(
      'apps/web/passwd.yaml is a symbolic link that resolves outside the repository',
    );
  });

  it('refuses a chain of relative symbolic links that ends outside the repository', async () => {
    await link('../hop.yaml', join(repo, 'apps', 'web', 'a.yaml'));
    await link('../../outside/secret.yaml', join(repo, 'apps', 'hop.yaml'));
    expect((await renderError(repo, 'apps/web')).message).toBe(
      'apps/web/a.yaml is a symbolic link that resolves outside the repository',
    );
  });

  it('refuses a symbolic link to a directory outside, and an app path that resolves outside', async () => {
    await link(outside, join(repo, 'apps', 'web', 'ext'));
    expect((await renderError(repo, 'apps/web')).message).toBe(
      'apps/web/ext is a symbolic link that resolves outside the repository',
    );
    await link('../../outside', join(repo, 'apps', 'escape'));
    expect((await renderError(repo, 'apps/escape')).message).toBe(
      'app path apps/escape resolves outside the repository',
    );
  });

  it('follows symbolic links to a directory and a file inside the repository', async () => {
    await write(join(repo, 'shared', 'cm.yaml'), configMap('shared'));
    await write(join(repo, 'base', 'single.yaml'), configMap('single'));
    await link('../../shared', join(repo, 'apps', 'web', 'shared'));
    await link(join(repo, 'base', 'single.yaml'), join(repo, 'apps', 'web', 'linked.yaml'));
    const result = await render(repo, 'apps/web');
    expect(result.files).toEqual(['apps/web/linked.yaml', 'apps/web/ok.yaml', 'apps/web/shared/cm.yaml']);
    expect(result.manifests.map((m) => m.object.metadata.name)).toEqual(['single', 'ok', 'shared']);
  });

  it('refuses symbolic link loops and second links to what was already loaded', async () => {
    await link('..', join(repo, 'apps', 'web', 'sub', 'up'));
    expect((await renderError(repo, 'apps/web')).message).toBe(
      'apps/web/sub/up leads to apps/web again (a symbolic link loop or a second link to it)',
    );
    await rm(join(repo, 'apps', 'web', 'sub'), { recursive: true });
    await link('ok.yaml', join(repo, 'apps', 'web', 'same.yaml'));
    expect((await renderError(repo, 'apps/web')).message).toBe(
      'apps/web/same.yaml leads to apps/web/ok.yaml again (a symbolic link loop or a second link to it)',
    );
  });

  it('refuses a link to itself and a broken link', async () => {
    await link('self.yaml', join(repo, 'apps', 'web', 'self.yaml'));
    expect((await renderError(repo, 'apps/web')).message).toBe('apps/web/self.yaml is a symbolic link loop');
    await rm(join(repo, 'apps', 'web', 'self.yaml'));
    await link('gone.yaml', join(repo, 'apps', 'web', 'dangling.yaml'));
    expect((await renderError(repo, 'apps/web')).message).toBe(
      'apps/web/dangling.yaml is a broken symbolic link',
    );
  });

  it('skips hidden entries without following them', async () => {
    await link('/etc/passwd', join(repo, 'apps', 'web', '.passwd.yaml'));
    await link(outside, join(repo, 'apps', 'web', '.git'));
    expect((await render(repo, 'apps/web')).files).toEqual(['apps/web/ok.yaml']);
  });

  it('refuses a FIFO without opening it', async () => {
    execFileSync('mkfifo', [join(repo, 'apps', 'web', 'pipe.yaml')]);
    expect((await renderError(repo, 'apps/web')).message).toBe(
      'apps/web/pipe.yaml is a FIFO: an app holds only files, directories and links',
    );
  });

  it('refuses a socket, whatever its name', async () => {
    const path = join(repo, 'apps', 'web', 'control');
    server = createServer();
    await new Promise<void>((listening) => server?.listen(path, listening));
    expect((await renderError(repo, 'apps/web')).message).toBe(
      'apps/web/control is a socket: an app holds only files, directories and links',
    );
  });

  it('refuses a 3 GiB file by its size, before reading it', async () => {
    const path = await write(join(repo, 'apps', 'web', 'huge.yaml'), '');
    await truncate(path, 3 * 1024 ** 3);
    expect((await renderError(repo, 'apps/web')).message).toBe(
      'apps/web/huge.yaml is 3221225472 bytes, over the 8388608-byte limit (maxFileBytes)',
    );
  });

  it('accepts a file of exactly maxFileBytes and refuses one byte more', async () => {
    const path = join(repo, 'apps', 'web', 'ok.yaml');
    const { size } = await stat(path);
    expect((await render(repo, 'apps/web', { maxFileBytes: size })).files).toEqual(['apps/web/ok.yaml']);
    expect((await renderError(repo, 'apps/web', { maxFileBytes: size - 1 })).message).toBe(
      `apps/web/ok.yaml is ${size} bytes, over the ${size - 1}-byte limit (maxFileBytes)`,
    );
  });

  it('refuses an app whose files together pass maxTotalBytes, naming the file that crossed it', async () => {
    await write(join(repo, 'apps', 'web', 'a.yaml'), configMap('a'));
    await write(join(repo, 'apps', 'web', 'b.yaml'), configMap('b'));
    const size = (await stat(join(repo, 'apps', 'web', 'a.yaml'))).size;
    const okSize = (await stat(join(repo, 'apps', 'web', 'ok.yaml'))).size;
    expect((await render(repo, 'apps/web', { maxTotalBytes: 2 * size + okSize })).files).toHaveLength(3);
    expect((await renderError(repo, 'apps/web', { maxTotalBytes: 2 * size })).message).toBe(
      `apps/web/ok.yaml brings app apps/web to ${2 * size + okSize} bytes, over the ${2 * size}-byte limit (maxTotalBytes)`,
    );
  });

  it('counts documents across files against maxDocuments', async () => {
    await write(join(repo, 'apps', 'web', 'a.yaml'), `${configMap('a')}---\n${configMap('b')}`);
    await write(join(repo, 'apps', 'web', 'z.yaml'), `${configMap('y')}---\n${configMap('z')}`);
    expect((await renderError(repo, 'apps/web', { maxDocuments: 4 })).message).toBe(
      'apps/web/z.yaml (document 2): more than 4 documents (maxDocuments)',
    );
  });

  it('refuses a file that is not UTF-8 text', async () => {
    await write(join(repo, 'apps', 'web', 'latin1.yaml'), Buffer.from([0x6b, 0x3a, 0x20, 0xe9, 0x0a]));
    expect((await renderError(repo, 'apps/web')).message).toBe(
      'apps/web/latin1.yaml is not valid UTF-8 text',
    );
  });

  it('escapes a line break in a file name so the message stays on one line', async () => {
    await write(join(repo, 'apps', 'web', 'two\nlines.yaml'), 'kind: ConfigMap\n');
    expect((await renderError(repo, 'apps/web')).message).toBe(
      'apps/web/two\\nlines.yaml (document 1): apiVersion is required',
    );
  });
});
