export * from './errors';
export * from './fanout';
export * from './path-index';
