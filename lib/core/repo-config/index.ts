export * from './errors';
export { checkRepoPath, isDnsLabel, MAX_TIMEOUT_SECONDS } from './fields';
export * from './load';
export * from './parse';
export * from './query';
export * from './schema';
