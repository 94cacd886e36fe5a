export { ACCESS_POLICIES, type AccessPolicy, EKS_POLICY_NAMES } from '../../core/access/policies';
export type { TokenGrant } from './auth';
export { FAIL_ROLLOUT_ANNOTATION } from './controller';
export { ApiStatusError } from './errors';
export type { FaultRule } from './faults';
export type { ResourceType } from './registry';
export { kubeconfigYaml, type Sandbox, type SandboxOptions, startSandbox } from './sandbox';
export type { SandboxStats } from './stats';
