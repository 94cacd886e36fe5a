import type { Obj } from '../../manifests/object';
import type { Check, HeaderMap } from '../headers';
import type { NormalizedPush, Provider } from '../types';

export type EventKind = 'push' | 'ping' | 'other';

/** The secret in the forms the providers need, prepared once per verifier. */
export interface Key {
  readonly secret: string;
  /** sha256 of the secret, for constant-time token comparison. */
  readonly digest: Buffer;
}

/** What differs between git hosts; verify.ts does the rest in the same order for all of them. */
export interface ProviderSpec {
  readonly provider: Provider;
  /** Header names in order of preference; the first present wins. */
  readonly eventHeaders: readonly string[];
  readonly deliveryHeaders: readonly string[];
  authenticate(headers: HeaderMap, body: Buffer, key: Key): Check;
  classify(event: string): EventKind;
  /** Throws PayloadError on a payload that is not a push; everything else returns. */
  normalize(payload: Obj, base: Pick<NormalizedPush, 'provider' | 'deliveryId'>): NormalizedPush[];
}
