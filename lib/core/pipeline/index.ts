export * from './commit-status';
export * from './errors';
export * from './orphans';
export * from './ports';
export * from './redelivery';
export * from './sync-job';
