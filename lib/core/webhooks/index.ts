export * from './dedupe';
export * from './errors';
export * from './receive';
export * from './repository';
export * from './types';
export * from './verify';
