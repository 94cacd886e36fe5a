export * from './commit-status';
export * from './errors';
export * from './orphans';
export * from './ports';
export * from './sync-job';
