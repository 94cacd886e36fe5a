export * from './allow-list';
export * from './errors';
export * from './http-client';
export * from './lock';
export * from './oci';
export * from './source';
