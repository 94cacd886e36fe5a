export * from './commit-status';
export * from './errors';
export * from './repo-url';
