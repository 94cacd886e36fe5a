export * from './chart-repo';
export * from './registry';
