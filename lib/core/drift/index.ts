export { compareDeclared, type FieldDiff } from './compare';
export { FieldsV1Error } from './errors';
export { ownedFieldsMissing } from './owned-fields';
