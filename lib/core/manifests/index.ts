export * from './annotations';
export * from './object';
export * from './errors';
export * from './parse';
