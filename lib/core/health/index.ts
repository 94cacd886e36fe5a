export { assessHealth } from './health';
export type { Health, HealthStatus } from './status';
