export * from './annotations';
export * from './config-kinds';
export * from './errors';
export * from './object';
export * from './parse';
