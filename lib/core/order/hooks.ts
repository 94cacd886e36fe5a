/**
 * What a manifest is to a sync, read from its hook annotations as Argo CD reads them
 * (gitops-engine `pkg/sync/hook`): an ordinary object, a hook of one or more phases, or skipped.
 * Helm's hooks map to Argo CD's phases; Argo CD's annotation, when it names a phase, wins.
 */

import {
  ARGO_HOOK_ANNOTATION,
  ARGO_HOOK_DELETE_POLICY_ANNOTATION,
  HELM_HOOK_ANNOTATION,
  HELM_HOOK_DELETE_POLICY_ANNOTATION,
  hasHookAnnotation,
} from '../manifests/annotations';
import { idOf, type KubeObject, subjectOf } from '../manifests/object';
import { InvalidHookError } from './errors';

/** The phases a hook runs in, in the order a sync reaches them. */
export const HOOK_PHASES = ['PreSync', 'Sync', 'PostSync', 'SyncFail'] as const;
export type HookPhase = (typeof HOOK_PHASES)[number];

export type DeletePolicy = 'BeforeHookCreation' | 'HookSucceeded' | 'HookFailed';

export type Role =
  | { readonly role: 'object' }
  | {
      readonly role: 'hook';
      readonly phases: readonly HookPhase[];
      readonly deletePolicies: readonly DeletePolicy[];
    }
  /** Not applied at all: Argo CD's `Skip`, Helm's test, delete and rollback hooks, unknown hook names. */
  | { readonly role: 'skip'; readonly reason: string };

const HELM_PHASES: Readonly<Record<string, HookPhase>> = {
  'pre-install': 'PreSync',
  'pre-upgrade': 'PreSync',
  'post-install': 'PostSync',
  'post-upgrade': 'PostSync',
};

/** Helm events a sync never reaches: the hooks that wait for them are not applied. */
const HELM_UNREACHED: Readonly<Record<string, string>> = {
  test: 'a Helm test hook runs under `helm test`, never in a sync',
  'test-success': 'a Helm test hook runs under `helm test`, never in a sync',
  'test-failure': 'a Helm test hook runs under `helm test`, never in a sync',
  'pre-delete': 'a Helm delete hook runs when a release is deleted, never in a sync',
  'post-delete': 'a Helm delete hook runs when a release is deleted, never in a sync',
  'pre-rollback': 'a Helm rollback hook runs on `helm rollback`, never in a sync',
  'post-rollback': 'a Helm rollback hook runs on `helm rollback`, never in a sync',
};

const DELETE_POLICIES: Readonly<Record<string, DeletePolicy>> = {
  BeforeHookCreation: 'BeforeHookCreation',
  HookSucceeded: 'HookSucceeded',
  HookFailed: 'HookFailed',
  'before-hook-creation': 'BeforeHookCreation',
  'hook-succeeded': 'HookSucceeded',
  'hook-failed': 'HookFailed',
};

/** A comma-separated annotation as its trimmed, non-empty items (as Argo CD splits it). */
function csv(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

function isPhase(text: string): text is HookPhase {
  return (HOOK_PHASES as readonly string[]).includes(text);
}

/** The object's role in a sync; throws InvalidHookError for a delete policy no one defines. */
export function roleOf(object: KubeObject): Role {
  const annotations = object.metadata.annotations;
  if (!hasHookAnnotation(annotations)) return { role: 'object' };
  const argo = csv(annotations?.[ARGO_HOOK_ANNOTATION]);
  const helm = csv(annotations?.[HELM_HOOK_ANNOTATION]);
  let phases: HookPhase[] = unique(argo.filter(isPhase));
  if (phases.length === 0 && argo.includes('Skip'))
    return { role: 'skip', reason: `${ARGO_HOOK_ANNOTATION}: Skip` };
  // Argo CD reads Helm's annotation only when its own names no phase.
  if (phases.length === 0) phases = unique(helm.flatMap((e) => (HELM_PHASES[e] ? [HELM_PHASES[e]] : [])));
  if (phases.length === 0) {
    const reached = helm.map((e) => HELM_UNREACHED[e]).find((r) => r !== undefined);
    const named = argo.length > 0 ? `${ARGO_HOOK_ANNOTATION}: ${argo.join(',')}` : '';
    return {
      role: 'skip',
      reason:
        reached ??
        `${named || `${HELM_HOOK_ANNOTATION}: ${helm.join(',')}`} names no phase a sync runs (PreSync, Sync, PostSync, SyncFail; pre-/post-install, pre-/post-upgrade): not applied`,
    };
  }
  const policies: DeletePolicy[] = [];
  for (const key of [ARGO_HOOK_DELETE_POLICY_ANNOTATION, HELM_HOOK_DELETE_POLICY_ANNOTATION]) {
    for (const text of csv(annotations?.[key])) {
      const policy = DELETE_POLICIES[text];
      if (!policy)
        throw new InvalidHookError(
          `${subjectOf(idOf(object))}: annotation ${key} names unknown policy ${JSON.stringify(text)} (known: BeforeHookCreation, HookSucceeded, HookFailed, or Helm's before-hook-creation, hook-succeeded, hook-failed)`,
        );
      policies.push(policy);
    }
  }
  // Argo CD's default, and Helm's: the previous run's object is deleted before the next is created.
  return {
    role: 'hook',
    phases: sortPhases(phases),
    deletePolicies: policies.length > 0 ? unique(policies) : ['BeforeHookCreation'],
  };
}

function sortPhases(phases: readonly HookPhase[]): HookPhase[] {
  return [...phases].sort((a, b) => HOOK_PHASES.indexOf(a) - HOOK_PHASES.indexOf(b));
}
