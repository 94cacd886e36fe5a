export type { GitServerAuth } from './auth';
export { GitServerError } from './errors';
export type { RefUpdate } from './refs';
export {
  type GitPush,
  type GitServer,
  type GitServerOptions,
  type GitServerRequest,
  startGitServer,
} from './server';
