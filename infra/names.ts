export * from '../lib/core/deployment/names';
