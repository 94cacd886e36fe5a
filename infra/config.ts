// The deployment config is shared by the construct, the functions and `plumbline doctor`: its schema
// lives in lib/core/deployment, its file reader with the adapters.
export * from '../lib/adapters/deployment/config-file';
export * from '../lib/core/deployment/config';
