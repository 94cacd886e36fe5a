import fc from 'fast-check';
import { compareDeclared } from '../../lib/core/drift';
import { isQuantityPath, parseQuantity, sameQuantity } from '../../lib/core/drift/quantity';
import { canonicalQuantity } from '../../lib/local/sandbox/quantities';

describe('resource quantities', () => {
  it('compares quantities by value, as the API server reads them', () => {
    const same: [unknown, unknown][] = [
      [0.5, '500m'],
      ['0.5', '500m'],
      [1, '1'],
      ['1000m', '1'],
      ['1024Mi', '1Gi'],
      ['1.5Gi', '1536Mi'],
      ['2000', '2k'],
      ['1e3', '1k'],
      ['1E', '1000P'],
      ['.5', '500m'],
      ['+1', '1'],
      [0, '0m'],
      ['0.0000000001', '1n'], // rounded up to nano units
      ['-0.5', '-500m'],
      [1e21, '1000E'],
    ];
    for (const [a, b] of same) expect([a, b, sameQuantity(a, b)]).toEqual([a, b, true]);
    const different: [unknown, unknown][] = [
      ['500m', '501m'],
      ['1Gi', '1G'],
      ['1Ki', '1k'],
      ['1', '-1'],
      ['1', 'one'],
      ['1 Gi', '1Gi'],
      ['1.5.5', '1'],
      [true, 1],
      [null, 0],
    ];
    for (const [a, b] of different) expect([a, b, sameQuantity(a, b)]).toEqual([a, b, false]);
    expect(parseQuantity('1e9999')).toBeUndefined();
    expect(parseQuantity('m')).toBeUndefined();
    expect(parseQuantity('.')).toBeUndefined();
  });

  it('knows where built-in kinds hold quantities', () => {
    for (const path of [
      '.spec.template.spec.containers[name=web].resources.limits.cpu',
      '.spec.containers[name=web].resources.requests["nvidia.com/gpu"]',
      '.spec.resources.requests.storage',
      '.spec.volumeClaimTemplates[0].spec.resources.requests.storage',
      '.spec.hard["requests.cpu"]',
      '.spec.capacity.storage',
      '.spec.limits[0].defaultRequest.memory',
      '.spec.template.spec.volumes[name=cache].emptyDir.sizeLimit',
      '.spec.template.spec.containers[name=web].env[name=MEM].valueFrom.resourceFieldRef.divisor',
      '.spec.metrics[0].resource.target.averageValue',
      '.spec.template.spec.overhead.cpu',
      '.overhead.podFixed.memory',
    ])
      expect([path, isQuantityPath(path)]).toEqual([path, true]);
    for (const path of [
      '.data.cpu',
      '.spec.template.spec.containers[name=web].env[name=CPU].value',
      '.spec.template.spec.containers[name=web].resources.limits',
      '.metadata.labels["resources.limits.cpu"]',
      '.spec.replicas',
    ])
      expect([path, isQuantityPath(path)]).toEqual([path, false]);
  });

  it('finds no drift where the server stored a declared quantity in canonical form, and finds a changed one', () => {
    const desired = {
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'web', resources: { limits: { cpu: 0.5, memory: '1024Mi' }, requests: { cpu: 1 } } },
            ],
          },
        },
      },
      data: { cpu: '0.5' },
    };
    const live = {
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'web', resources: { limits: { cpu: '500m', memory: '1Gi' }, requests: { cpu: '1' } } },
            ],
          },
        },
      },
      data: { cpu: '500m' },
    };
    // A ConfigMap's data is not a quantity: "0.5" → "500m" there is an edit.
    expect(compareDeclared(desired, live)).toEqual([{ path: '.data.cpu', desired: '0.5', live: '500m' }]);
    const edited = structuredClone(live);
    edited.spec.template.spec.containers[0]!.resources.limits.cpu = '600m';
    expect(compareDeclared(desired, edited).map((d) => d.path)).toEqual([
      '.spec.template.spec.containers[name=web].resources.limits.cpu',
      '.data.cpu',
    ]);
  });

  it('writes canonical quantities as the API server does', () => {
    const cases: [unknown, string][] = [
      ['0.5', '500m'],
      [0.5, '500m'],
      [2, '2'],
      ['0.1', '100m'],
      ['1.5', '1500m'],
      ['1000m', '1'],
      ['1001m', '1001m'],
      ['2000', '2k'],
      ['1000000', '1M'],
      ['100M', '100M'],
      ['0.0001', '100u'],
      ['0.0000000001', '1n'],
      ['1Gi', '1Gi'],
      ['1024Mi', '1Gi'],
      ['1000Mi', '1000Mi'],
      ['1.5Gi', '1536Mi'],
      ['0.5Gi', '512Mi'],
      ['0.5Ki', '512'],
      ['1.5Ki', '1536'],
      ['1e3', '1e3'],
      ['1.5e3', '1500'],
      ['12e6', '12e6'],
      ['0', '0'],
      ['0Gi', '0'],
      ['-500m', '-500m'],
    ];
    for (const [input, canonical] of cases)
      expect([input, canonicalQuantity(input)]).toEqual([input, canonical]);
    expect(canonicalQuantity('lots')).toBeUndefined();
  });

  it('reads back every canonical form as the same quantity (property)', () => {
    const suffix = fc.constantFrom(
      '',
      'n',
      'u',
      'm',
      'k',
      'M',
      'G',
      'T',
      'P',
      'E',
      'Ki',
      'Mi',
      'Gi',
      'Ti',
      'e3',
      'e-2',
      'E6',
    );
    const number = fc
      .tuple(fc.boolean(), fc.nat({ max: 1_000_000 }), fc.option(fc.nat({ max: 99_999 }), { nil: undefined }))
      .map(
        ([negative, whole, fraction]) =>
          `${negative ? '-' : ''}${whole}${fraction === undefined ? '' : `.${fraction}`}`,
      );
    fc.assert(
      fc.property(number, suffix, (n, s) => {
        const text = `${n}${s}`;
        const canonical = canonicalQuantity(text);
        expect(canonical).toBeDefined();
        expect(sameQuantity(text, canonical)).toBe(true);
        expect(canonicalQuantity(canonical)).toBe(canonical);
      }),
    );
  });
});
