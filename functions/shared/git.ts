// The deployment's git sources live with the other adapters (lib/adapters/git); re-exported for the handlers.
export { GitSources } from '../../lib/adapters/git/sources';
