export {
  CHANGED_MASK,
  MASK,
  MIN_SECRET_LENGTH,
  Redactor,
  redactDiffs,
  redactObject,
  secretValuesOf,
} from './redact';
