import type { KubeObject } from '../../lib/core/manifests';
import { foreignSelector, ownerOf, ownershipRefusal } from '../../lib/core/sync/ownership';
import { matchesLabels, parseLabelSelector } from '../../lib/local/sandbox/selectors';

function configMap(labels: Record<string, string>, annotations?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'hello-config', namespace: 'n', labels, ...(annotations ? { annotations } : {}) },
  };
}

describe('ownershipRefusal', () => {
  const ownedByA = configMap({ 'plumbline.dev/app': 'a' });
  it('refuses an object another app owns, naming the owner and the opt-in', () => {
    expect(ownershipRefusal(configMap({}), ownedByA, 'b')).toBe(
      'owned by app a; app b may take it over only if its manifest sets the annotation plumbline.dev/adopt: "a"',
    );
  });
  it('allows it when plumbline.dev/adopt names that very owner, and says so when it names another', () => {
    expect(ownershipRefusal(configMap({}, { 'plumbline.dev/adopt': 'a' }), ownedByA, 'b')).toBeUndefined();
    expect(ownershipRefusal(configMap({}, { 'plumbline.dev/adopt': 'c' }), ownedByA, 'b')).toContain(
      'owned by app a, not c as its plumbline.dev/adopt annotation says',
    );
  });
  it('allows objects no app owns, and the app’s own', () => {
    expect(ownershipRefusal(configMap({}), configMap({}), 'b')).toBeUndefined();
    expect(ownershipRefusal(configMap({}), configMap({ 'plumbline.dev/app': '' }), 'b')).toBeUndefined();
    expect(ownershipRefusal(configMap({}), ownedByA, 'a')).toBeUndefined();
  });
});

describe('ownerOf', () => {
  it('is the app label, when set', () => {
    expect(ownerOf(configMap({ 'plumbline.dev/app': 'a' }))).toBe('a');
    expect(ownerOf(configMap({}))).toBeUndefined();
  });
});

describe('foreignSelector', () => {
  it('selects objects labelled for any other app, and neither unlabelled objects nor the app’s own', () => {
    const selector = parseLabelSelector(foreignSelector('b'));
    const matches = (labels: Record<string, string>) => matchesLabels(selector, labels);
    expect(matches({ 'plumbline.dev/app': 'a' })).toBe(true);
    expect(matches({ 'plumbline.dev/app': 'b' })).toBe(false);
    expect(matches({ other: 'x' })).toBe(false);
  });
});
