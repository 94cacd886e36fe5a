import { GitTreeError } from '../../lib/adapters/git';
import { RenderError } from '../../lib/adapters/renderers/errors';
import { isPermanent, PlumblineError } from '../../lib/core/errors';
import { ManifestError } from '../../lib/core/manifests/errors';
import { InvalidSyncWaveError } from '../../lib/core/order/errors';
import { JobBusyError, JobConfigError } from '../../lib/core/pipeline';
import { RepoConfigError, UnknownAppError } from '../../lib/core/repo-config/errors';
import { SecretResolutionError } from '../../lib/core/secrets/errors';
import { SignatureError } from '../../lib/core/signatures/errors';
import { DesiredStateError, PolicyError } from '../../lib/core/sync/errors';

describe('PlumblineError', () => {
  const permanent: [string, Error][] = [
    ['RepoConfigError', new RepoConfigError('plumbline.yaml', [{ path: 'apps', message: 'bad' }])],
    ['UnknownAppError', new UnknownAppError('plumbline.yaml', 'x', [])],
    ['RenderError', new RenderError('apps/x: bad')],
    ['ManifestError', new ManifestError('a.yaml: bad')],
    ['PolicyError', new PolicyError('namespace "x" is not allowed')],
    ['DesiredStateError', new DesiredStateError('duplicate')],
    ['InvalidSyncWaveError', new InvalidSyncWaveError('ConfigMap/x', 'soon')],
    ['SecretResolutionError', new SecretResolutionError('no such secret')],
    ['GitTreeError', new GitTreeError('a symlink', 'symlink', 'a')],
    ['JobConfigError', new JobConfigError('app x targets cluster y')],
    ['SignatureError', new SignatureError('c0ffee', 'unsigned', 'the commit is not signed')],
  ];

  it.each(permanent)('%s is a permanent PlumblineError that keeps its name and message', (name, err) => {
    expect(err).toBeInstanceOf(PlumblineError);
    expect(err.name).toBe(name);
    expect(isPermanent(err)).toBe(true);
  });

  it('decides by type, never by name: a foreign error named like a permanent one is transient', () => {
    const lookalike = new Error('boom');
    lookalike.name = 'RenderError';
    expect(isPermanent(lookalike)).toBe(false);
    expect(isPermanent(new JobBusyError('busy'))).toBe(false);
    expect(isPermanent('a string')).toBe(false);
  });

  it('passes the cause on', () => {
    const cause = new Error('inner');
    expect(new PolicyError('outer', { cause }).cause).toBe(cause);
  });
});
