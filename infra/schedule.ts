export * from '../lib/core/deployment/schedule';
