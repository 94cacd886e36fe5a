export { type ApplyOptions, BEFORE_FIRST_APPLY, serverSideApply } from './apply';
export { ApplyConflictError, type FieldConflict, InvalidApplyError } from './errors';
export { fromFieldsV1, toFieldsV1 } from './fields-v1';
export { FieldSet, formatPath } from './fieldset';
export type { ManagedFieldsEntry } from './managed-fields';
export { fieldSetOf } from './object-set';
export { trackUpdate, type UpdateOptions } from './update';
