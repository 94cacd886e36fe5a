import { parseQuantity } from '../../core/drift/quantity';
import { badRequest } from './errors';
import { isObj } from './objects';
import type { ResourceType } from './registry';
import type { Obj } from './schema';

/**
 * What the API server does to resource quantities on every write: a typed `resource.Quantity`
 * field is decoded and stored in canonical form (`0.5` → `500m`, `1024Mi` → `1Gi`, the number 2 →
 * `"2"`), and a value that is not a quantity is refused with 400. Only built-in kinds have typed
 * quantity fields; custom resources keep what was sent.
 */
export function canonicalQuantities(rt: ResourceType, object: Obj): Obj {
  const locations = LOCATIONS[`${rt.group}/${rt.kind}`];
  if (!locations) return object;
  let out = object;
  for (const location of locations) out = rewrite(out, location, 0) as Obj;
  return out;
}

type Format = 'decimal' | 'binary' | 'exponent';

const BINARY_SUFFIX = /(?:Ki|Mi|Gi|Ti|Pi|Ei)$/;
const EXPONENT_SUFFIX = /\d[eE][+-]?\d+$/;
const DECIMAL_SUFFIXES: Readonly<Record<number, string>> = {
  [-9]: 'n',
  [-6]: 'u',
  [-3]: 'm',
  0: '',
  3: 'k',
  6: 'M',
  9: 'G',
  12: 'T',
  15: 'P',
  18: 'E',
};
const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

/**
 * The canonical text of a quantity (k8s.io/apimachinery Quantity.CanonicalizeBytes): an integer
 * mantissa with the largest suffix of the format the value was written in that keeps it whole;
 * binary values under 1024, or not whole, are written in decimal.
 */
export function canonicalQuantity(value: unknown): string | undefined {
  const q = parseQuantity(value);
  if (!q) return undefined;
  if (q.n === 0n) return '0';
  const text = String(value);
  let format: Format = BINARY_SUFFIX.test(text)
    ? 'binary'
    : EXPONENT_SUFFIX.test(text)
      ? 'exponent'
      : 'decimal';
  // As a decimal: mantissa × 10^exponent (binary values are finite decimals: n × 2^e2 / 10^k).
  let mantissa = q.n * 2n ** BigInt(q.e2);
  let exponent = q.e10;
  if (format === 'binary') {
    const scale = 10n ** BigInt(Math.abs(exponent));
    const whole = exponent >= 0 || mantissa % scale === 0n;
    const small = exponent >= 0 ? abs(mantissa) * scale < 1024n : abs(mantissa) < 1024n * scale;
    if (whole && !small) return base1024(exponent >= 0 ? mantissa * scale : mantissa / scale);
    format = 'decimal';
  }
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent += 1;
  }
  const down = ((exponent % 3) + 3) % 3;
  mantissa *= 10n ** BigInt(down);
  exponent -= down;
  if (format === 'exponent') return `${mantissa}${exponent === 0 ? '' : `e${exponent}`}`;
  if (exponent > 18) {
    mantissa *= 10n ** BigInt(exponent - 18);
    exponent = 18;
  }
  return `${mantissa}${DECIMAL_SUFFIXES[exponent] ?? ''}`;
}

function abs(n: bigint): bigint {
  return n < 0n ? -n : n;
}

/** A whole binary value of at least 1024: divided by 1024 while it stays whole (Ki … Ei). */
function base1024(whole: bigint): string {
  let value = whole;
  let step = 0;
  while (step < BINARY_SUFFIXES.length - 1 && value % 1024n === 0n) {
    value /= 1024n;
    step += 1;
  }
  return `${value}${BINARY_SUFFIXES[step]}`;
}

// Where each built-in kind holds quantities: object paths, '*' for every item of a list or every
// value of a map.
const RESOURCES = [
  ['resources', 'limits', '*'],
  ['resources', 'requests', '*'],
];
const CONTAINER = [...RESOURCES, ['env', '*', 'valueFrom', 'resourceFieldRef', 'divisor']];
const POD_SPEC = [
  ...['containers', 'initContainers', 'ephemeralContainers'].flatMap((list) =>
    CONTAINER.map((path) => [list, '*', ...path]),
  ),
  ...RESOURCES,
  ['overhead', '*'],
  ['volumes', '*', 'emptyDir', 'sizeLimit'],
  ['volumes', '*', 'downwardAPI', 'items', '*', 'resourceFieldRef', 'divisor'],
  ...RESOURCES.map((path) => ['volumes', '*', 'ephemeral', 'volumeClaimTemplate', 'spec', ...path]),
];
const under = (prefix: string[], paths: string[][]): string[][] => paths.map((path) => [...prefix, ...path]);
const TEMPLATE = under(['spec', 'template', 'spec'], POD_SPEC);
const HPA_TARGETS = ['resource', 'pods', 'object', 'external', 'containerResource'].flatMap((source) =>
  ['value', 'averageValue'].map((field) => ['spec', 'metrics', '*', source, 'target', field]),
);

const LOCATIONS: Readonly<Record<string, string[][]>> = {
  '/Pod': under(['spec'], POD_SPEC),
  '/PodTemplate': under(['template', 'spec'], POD_SPEC),
  '/ReplicationController': TEMPLATE,
  'apps/Deployment': TEMPLATE,
  'apps/ReplicaSet': TEMPLATE,
  'apps/DaemonSet': TEMPLATE,
  'apps/StatefulSet': [...TEMPLATE, ...under(['spec', 'volumeClaimTemplates', '*', 'spec'], RESOURCES)],
  'batch/Job': TEMPLATE,
  'batch/CronJob': under(['spec', 'jobTemplate', 'spec', 'template', 'spec'], POD_SPEC),
  '/PersistentVolumeClaim': under(['spec'], RESOURCES),
  '/PersistentVolume': [['spec', 'capacity', '*']],
  '/ResourceQuota': [['spec', 'hard', '*']],
  '/LimitRange': ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'].map((field) => [
    'spec',
    'limits',
    '*',
    field,
    '*',
  ]),
  'autoscaling/HorizontalPodAutoscaler': HPA_TARGETS,
  'node.k8s.io/RuntimeClass': [['overhead', 'podFixed', '*']],
};

/** `value` with the quantities at `path[at…]` canonical; copies only what changes. */
function rewrite(value: unknown, path: readonly string[], at: number): unknown {
  if (at === path.length) {
    if (value === null || value === undefined) return value;
    const canonical = canonicalQuantity(value);
    if (canonical === undefined) {
      throw badRequest(
        `quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': ${JSON.stringify(value)}`,
      );
    }
    return canonical;
  }
  const step = path[at] as string;
  if (Array.isArray(value)) {
    if (step !== '*') return value;
    let copy: unknown[] | undefined;
    value.forEach((item, i) => {
      const next = rewrite(item, path, at + 1);
      if (next === item) return;
      copy ??= [...value];
      copy[i] = next;
    });
    return copy ?? value;
  }
  if (!isObj(value)) return value;
  const keys = step === '*' ? Object.keys(value) : Object.hasOwn(value, step) ? [step] : [];
  let copy: Obj | undefined;
  for (const key of keys) {
    const next = rewrite(value[key], path, at + 1);
    if (next === value[key]) continue;
    copy ??= { ...value };
    copy[key] = next;
  }
  return copy ?? value;
}
