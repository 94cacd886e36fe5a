export * from './changeset';
export * from './desired';
export * from './engine';
export * from './errors';
export * from './inspect';
export * from './ports';
export * from './prune-app';
