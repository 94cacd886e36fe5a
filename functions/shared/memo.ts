export { errorLine, kept, once } from '../../lib/core/memo';
