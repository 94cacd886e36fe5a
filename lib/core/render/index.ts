export * from './errors';
export * from './labels';
export * from './options';
export * from './port';
