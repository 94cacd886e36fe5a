import type { Provider } from '../types';
import { bitbucket } from './bitbucket';
import { generic } from './generic';
import { gitea } from './gitea';
import { github } from './github';
import { gitlab } from './gitlab';
import type { ProviderSpec } from './spec';

export type { EventKind, Key, ProviderSpec } from './spec';

export const PROVIDER_SPECS: Readonly<Record<Provider, ProviderSpec>> = {
  github,
  gitlab,
  bitbucket,
  gitea,
  generic,
};
