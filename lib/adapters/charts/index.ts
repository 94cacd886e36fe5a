export * from './allow-list';
export * from './errors';
export * from './http-client';
export * from './lock';
export * from './oci';
// ecr.ts (SigV4) is imported by its own path, so that the renderers do not load the signer.
export * from './provenance';
export * from './source';
