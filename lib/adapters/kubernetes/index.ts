export * from './cluster';
export * from './http';
export * from './inventory-store';
export * from './pooled-kubeconfig';
export * from './retry';
