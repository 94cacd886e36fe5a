export { compareDeclared, type FieldDiff } from './compare';
export { FieldsV1Error } from './errors';
export { type IgnoreRule, pointerProblem, rulesFor, withIgnoredFromLive } from './ignore';
export { ownedFieldsMissing } from './owned-fields';
