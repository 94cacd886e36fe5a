export * from './api-gateway';
export * from './node-http';
export * from './response';
