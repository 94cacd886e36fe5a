/**
 * Kubernetes resource quantities (`500m`, `1.5Gi`, `1e3`, the number `2`), read exactly as the API
 * server reads them (k8s.io/apimachinery resource.ParseQuantity), so that a manifest's `cpu: 0.5`
 * and the `500m` the server stores compare equal.
 */

/** value = n × 10^e10 × 2^e2, exactly. */
export interface ExactQuantity {
  readonly n: bigint;
  readonly e10: number;
  readonly e2: number;
}

const DECIMAL_SI: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SI: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const NUMBER = /^([+-]?)(\d*)(?:\.(\d*))?(.*)$/;
const EXPONENT = /^[eE]([+-]?\d+)$/;
/** Beyond this the text is not a quantity worth the BigInt arithmetic (the server caps at 2^63 too). */
const MAX_EXPONENT = 400;
const NANO = -9;

/**
 * The exact value of a quantity given as a string or a JSON number, rounded up (away from zero) to
 * nano units as the server rounds it; undefined when it is not a quantity.
 */
export function parseQuantity(value: unknown): ExactQuantity | undefined {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    text = String(value);
  } else if (typeof value === 'string') {
    text = value;
  } else {
    return undefined;
  }
  const match = NUMBER.exec(text);
  if (!match) return undefined;
  const [, sign = '', whole = '', fraction = '', suffix = ''] = match;
  if (whole === '' && fraction === '') return undefined;
  let e10 = -fraction.length;
  let e2 = 0;
  if (suffix in DECIMAL_SI) e10 += DECIMAL_SI[suffix] ?? 0;
  else if (suffix in BINARY_SI) e2 = BINARY_SI[suffix] ?? 0;
  else {
    const exponent = EXPONENT.exec(suffix);
    if (!exponent) return undefined;
    e10 += Number(exponent[1]);
  }
  if (Math.abs(e10) > MAX_EXPONENT) return undefined;
  let n = BigInt(`${whole}${fraction}` || '0');
  if (sign === '-') n = -n;
  if (n === 0n) return { n, e10: 0, e2: 0 };
  if (e2 === 0 && e10 < NANO) {
    const divisor = 10n ** BigInt(NANO - e10);
    const magnitude = n < 0n ? -n : n;
    const rounded = (magnitude + divisor - 1n) / divisor;
    return { n: n < 0n ? -rounded : rounded, e10: NANO, e2: 0 };
  }
  return { n, e10, e2 };
}

function scaled(q: ExactQuantity, e10: number, e2: number): bigint {
  return q.n * 10n ** BigInt(q.e10 - e10) * 2n ** BigInt(q.e2 - e2);
}

/** Both are quantities of the same value: `0.5` and `500m`, `1024Mi` and `1Gi`, `1` and `"1"`. */
export function sameQuantity(a: unknown, b: unknown): boolean {
  const x = parseQuantity(a);
  const y = x && parseQuantity(b);
  if (!x || !y) return false;
  const e10 = Math.min(x.e10, y.e10);
  const e2 = Math.min(x.e2, y.e2);
  return scaled(x, e10, e2) === scaled(y, e10, e2);
}

/**
 * Where built-in kinds hold quantities, as drift paths (paths.ts) end: a key of a resources
 * `limits`/`requests` map (containers, pod-level resources, PVCs and their templates), of a Pod's
 * `overhead` (a RuntimeClass's `overhead.podFixed`), a PersistentVolume's `capacity`, a ResourceQuota's `hard`, a LimitRange item's
 * `max`/`min`/`default`/`defaultRequest`/`maxLimitRequestRatio`; an `emptyDir.sizeLimit`, a
 * `divisor` (downward API), and a HorizontalPodAutoscaler target's `value`/`averageValue`.
 */
const QUANTITY_PATH = new RegExp(
  [
    String.raw`\.resources\.(?:limits|requests)`,
    String.raw`\.overhead(?:\.podFixed)?`,
    String.raw`^\.spec\.capacity`,
    String.raw`^\.spec\.hard`,
    String.raw`^\.spec\.limits\[[^\]]*\]\.(?:max|min|default|defaultRequest|maxLimitRequestRatio)`,
  ]
    .map((map) => `(?:${map})(?:\\.[A-Za-z0-9_-]+|\\["(?:[^"\\\\]|\\\\.)*"\\])$`)
    .concat([
      String.raw`\.emptyDir\.sizeLimit$`,
      String.raw`\.divisor$`,
      String.raw`\.target\.(?:value|averageValue)$`,
    ])
    .join('|'),
);

/** Whether the field at this drift path holds a quantity in a built-in kind. */
export function isQuantityPath(path: string): boolean {
  return QUANTITY_PATH.test(path);
}
