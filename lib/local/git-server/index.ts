export type { GitServerAuth } from './auth';
export { GitServerError } from './errors';
export { type GitServer, type GitServerOptions, type GitServerRequest, startGitServer } from './server';
