import fc from 'fast-check';
import { builtinSchema, type Obj } from '../../../../lib/local/sandbox/schema';
import { fieldSetOf, fromFieldsV1, toFieldsV1 } from '../../../../lib/local/sandbox/ssa';
import { apply, configMap, deployment, entryOf } from './objects';

const flatMap = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd', 'e'), fc.constantFrom('1', '2'));

const containerSpecs = fc.uniqueArray(
  fc.record({
    name: fc.constantFrom('app', 'proxy', 'init', 'log'),
    image: fc.constantFrom('x:1', 'x:2'),
    ports: fc.uniqueArray(fc.constantFrom(80, 443, 8080), { maxLength: 2 }),
    env: fc.dictionary(fc.constantFrom('A', 'B'), fc.constantFrom('0', '1')),
  }),
  { selector: (c) => c.name, minLength: 1, maxLength: 3 },
);

const deployments = fc
  .record({
    replicas: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
    containers: containerSpecs,
  })
  .map((d) => deployment(d));

describe('serverSideApply properties', () => {
  it('is idempotent: applying the same configuration twice changes nothing', () => {
    fc.assert(
      fc.property(deployments, deployments, (first, second) => {
        const live = apply(apply(undefined, first, 'one'), second, 'two', { force: true });
        expect(apply(live, second, 'two', { now: 'later' })).toEqual(live);
      }),
    );
  });

  it('leaves exactly the second configuration’s keys plus the keys others still own', () => {
    fc.assert(
      fc.property(flatMap, flatMap, flatMap, (other, first, second) => {
        // A model of the rules: a key changed by an apply leaves the other manager; a key the applier
        // drops survives only while the other manager owns it.
        const model: Record<string, string> = { ...other };
        const othersOwn = new Set(Object.keys(other));
        for (const step of [first, second]) {
          for (const [k, v] of Object.entries(step)) {
            if (model[k] !== v) othersOwn.delete(k);
            model[k] = v;
          }
        }
        for (const k of Object.keys(first)) if (!(k in second) && !othersOwn.has(k)) delete model[k];

        let live = apply(undefined, configMap(other), 'other');
        live = apply(live, configMap(first), 'me', { force: true });
        live = apply(live, configMap(second), 'me', { force: true });
        expect(live.data ?? {}).toEqual(model);
      }),
    );
  });

  it('records as the applier’s set exactly the field set of what it applied', () => {
    fc.assert(
      fc.property(deployments, (applied) => {
        const out = apply(undefined, applied, 'm');
        const recorded = fromFieldsV1(entryOf(out, 'm')?.fieldsV1);
        expect(recorded.equals(fieldSetOf(applied as Obj, builtinSchema, true))).toBe(true);
        expect(toFieldsV1(recorded)).toEqual(entryOf(out, 'm')?.fieldsV1);
      }),
    );
  });
});
