export * from './commit-status';
export * from './ports';
export * from './sync-job';
