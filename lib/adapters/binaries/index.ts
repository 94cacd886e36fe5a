export * from './errors';
export * from './layer-binaries';
export * from './zip';
