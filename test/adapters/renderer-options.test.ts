import {
  AppLabelError,
  labelManifests,
  parseRendererConfig,
  RendererConfigError,
  withAppLabels,
} from '../../lib/core/render';

function refusal(raw: unknown, defaults = {}): string {
  try {
    parseRendererConfig(raw, 'plumbline.yaml apps[0].renderer', defaults);
  } catch (err: unknown) {
    expect(err).toBeInstanceOf(RendererConfigError);
    const message = (err as Error).message;
    expect(message).not.toMatch(/[\r\n]/);
    return message.replace('plumbline.yaml apps[0].renderer: ', '');
  }
  throw new Error(`${JSON.stringify(raw)} was accepted`);
}

const helm = (extra: Record<string, unknown>) => ({
  type: 'helm',
  helm: { releaseName: 'web', namespace: 'shop', ...extra },
});

describe('parseRendererConfig', () => {
  it('accepts a renderer name or a mapping, helm options filled from the app', () => {
    expect(parseRendererConfig('kustomize', 'x')).toEqual({ type: 'kustomize' });
    expect(parseRendererConfig({ type: 'plain' }, 'x')).toEqual({ type: 'plain' });
    expect(parseRendererConfig({}, 'x')).toEqual({ type: 'auto' });
    expect(parseRendererConfig('auto', 'x', { releaseName: 'web', namespace: 'shop' })).toEqual({
      type: 'auto',
      helm: { releaseName: 'web', namespace: 'shop' },
    });
    expect(
      parseRendererConfig(
        {
          type: 'helm',
          helm: {
            valueFiles: ['values/./prod.yaml'],
            values: { args: ['--verbose'], nested: { list: [1, null, true] } },
            kubeVersion: 'v1.33.0',
            includeCrds: false,
          },
        },
        'x',
        { releaseName: 'web', namespace: 'shop' },
      ),
    ).toEqual({
      type: 'helm',
      helm: {
        releaseName: 'web',
        namespace: 'shop',
        valueFiles: ['values/prod.yaml'],
        values: { args: ['--verbose'], nested: { list: [1, null, true] } },
        kubeVersion: 'v1.33.0',
        includeCrds: false,
      },
    });
  });

  it.each([
    [
      helm({ valueFiles: ['--post-renderer=/bin/sh'] }),
      'helm.valueFiles[0] "--post-renderer=/bin/sh" starts with \'-\'',
    ],
    [helm({ releaseName: '--enable-helm' }), 'helm.releaseName "--enable-helm" starts with \'-\''],
    [helm({ kubeVersion: '--helm-command=x' }), 'helm.kubeVersion "--helm-command=x" starts with \'-\''],
    [helm({ namespace: '-n' }), 'helm.namespace "-n" starts with \'-\''],
    [{ type: '--enable-helm' }, 'type "--enable-helm" starts with \'-\''],
    ['--enable-alpha-plugins', 'type "--enable-alpha-plugins" starts with \'-\''],
  ])('refuses flag smuggling: %j', (raw, message) => {
    expect(refusal(raw)).toBe(`${message}: values that look like command-line flags are refused`);
  });

  it.each([
    [{ type: 'kustomize', enableHelm: true }, 'unknown key "enableHelm" (allowed: type)'],
    [{ type: 'kustomize', helm: {} }, 'unknown key "helm" (allowed: type)'],
    [
      helm({ postRenderer: '/bin/sh' }),
      'unknown key helm."postRenderer" (allowed: releaseName, namespace, valueFiles, values, kubeVersion, includeCrds, chart)',
    ],
    [{ type: 'jsonnet' }, 'unknown renderer "jsonnet" (known: plain, kustomize, helm, auto)'],
    [42, 'renderer must be a name or a mapping with a type'],
    [helm({ valueFiles: ['../secrets.yaml'] }), 'helm.valueFiles[0] "../secrets.yaml" leaves the repository'],
    [helm({ valueFiles: ['a/../../b.yaml'] }), 'helm.valueFiles[0] "a/../../b.yaml" leaves the repository'],
    [
      helm({ valueFiles: ['/etc/passwd'] }),
      'helm.valueFiles[0] "/etc/passwd" is absolute: value files are relative to the repository root',
    ],
    [helm({ valueFiles: 'values.yaml' }), 'helm.valueFiles must be a list of at most 64 paths'],
    [
      helm({ kubeVersion: '1.33; rm -rf /' }),
      'helm.kubeVersion "1.33; rm -rf /" is not a Kubernetes version such as v1.33.0 or 1.33',
    ],
    [
      helm({ releaseName: 'Web_App' }),
      "helm.releaseName \"Web_App\" is not a Helm release name (lowercase letters, digits, '-' and '.', at most 53)",
    ],
    [helm({ namespace: 'a.b' }), 'helm.namespace "a.b" is not a namespace name'],
    [helm({ includeCrds: 'yes' }), 'helm.includeCrds must be true or false'],
    [helm({ values: ['a'] }), 'helm.values must be a mapping'],
    [{ type: 'helm', helm: { namespace: 'shop' } }, 'helm.releaseName is required'],
  ])('refuses %j', (raw, message) => {
    expect(refusal(raw)).toBe(message);
  });
});

describe('withAppLabels', () => {
  const object = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', labels: { tier: 'web' } } };

  it("adds Plumbline's two labels to a copy, keeping the others", () => {
    const labelled = withAppLabels(object, 'shop');
    expect(labelled.metadata.labels).toEqual({
      tier: 'web',
      'app.kubernetes.io/managed-by': 'plumbline',
      'plumbline.dev/app': 'shop',
    });
    expect(object.metadata.labels).toEqual({ tier: 'web' });
  });

  it('refuses a plumbline.dev/app label naming another app, and an invalid app name', () => {
    const other = { ...object, metadata: { name: 'a', labels: { 'plumbline.dev/app': 'other' } } };
    expect(() =>
      labelManifests([{ object: other, source: { file: 'a.yaml', document: 2 } }], 'shop'),
    ).toThrow(
      new AppLabelError(
        'a.yaml (document 2): label plumbline.dev/app="other" contradicts the app name "shop"',
      ),
    );
    expect(() => labelManifests([], 'Shop_1')).toThrow(AppLabelError);
  });
});
