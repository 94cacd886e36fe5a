export * from './errors';
export * from './json-patch';
export * from './merge-patch';
export * from './strategic-merge-patch';
