export * from './errors';
export * from './plain';
export * from './repo-tree';
