export * from './annotations';
export * from './errors';
export * from './object';
export * from './parse';
