import { PlumblineError } from '../errors';
import type { Inventory, StoredInventory } from '../inventory';
import type { KubeObject } from '../manifests';

/** A served resource, as discovery describes it. */
export interface ResourceInfo {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

export interface ApplyOptions {
  readonly force: boolean;
  readonly dryRun: boolean;
  /** The field manager of the write; the adapter's own (Plumbline's state) when unset. An app's is appFieldManager(app). */
  readonly fieldManager?: string;
}

/** One RFC 6902 operation, as the migration of field managers sends them (a `test`, then a `replace`). */
export interface JsonPatchOperation {
  readonly op: 'test' | 'replace' | 'add' | 'remove';
  readonly path: string;
  readonly value?: unknown;
}

export interface ApplyResult {
  readonly object: KubeObject;
  /** True when the apply created the object (HTTP 201). */
  readonly created: boolean;
  /** What the API server warned of (a deprecated API, an admission webhook's note). */
  readonly warnings?: readonly string[];
}

/** One permission, as a SelfSubjectAccessReview's resourceAttributes ('' namespace: cluster scope). */
export interface AccessCheck {
  readonly group: string;
  readonly resource: string;
  readonly namespace: string;
  readonly verb: string;
}

/** The cluster as the engine sees it; the Kubernetes adapter implements it (retries included). */
export interface ClusterPort {
  /** The resource serving apiVersion/kind, or undefined when the cluster does not serve it. */
  resource(apiVersion: string, kind: string): Promise<ResourceInfo | undefined>;
  /** The preferred resource serving a group's kind (for ids, which carry no version). */
  resourceFor(group: string, kind: string): Promise<ResourceInfo | undefined>;
  /** Forgets cached discovery, of one group-version or of all (after CRDs were applied). */
  refreshDiscovery(apiVersion?: string): void;
  /** Objects of a resource matching a label selector; namespace undefined = all (cluster-scoped kinds). */
  list(resource: ResourceInfo, namespace: string | undefined, labelSelector: string): Promise<KubeObject[]>;
  get(resource: ResourceInfo, namespace: string, name: string): Promise<KubeObject | undefined>;
  /** Server-side apply with the field manager of ApplyOptions. */
  apply(resource: ResourceInfo, object: KubeObject, options: ApplyOptions): Promise<ApplyResult>;
  /** A JSON patch of one object, returning it as stored; a failed `test` is a ClusterApiError (422). */
  patch(
    resource: ResourceInfo,
    namespace: string,
    name: string,
    operations: readonly JsonPatchOperation[],
    options: { readonly dryRun: boolean; readonly fieldManager?: string },
  ): Promise<KubeObject>;
  /** Creates with POST: a ClusterApiError with code 409 when the object exists. */
  create(
    resource: ResourceInfo,
    object: KubeObject,
    options: { readonly dryRun: boolean },
  ): Promise<KubeObject>;
  /** Replaces with PUT, conditional on object.metadata.resourceVersion: a ClusterApiError with code 409 when it changed. */
  replace(
    resource: ResourceInfo,
    object: KubeObject,
    options: { readonly dryRun: boolean },
  ): Promise<KubeObject>;
  /**
   * Every object in a namespace, of every namespaced kind the cluster lists (one list per kind,
   * no selector): what deleting the namespace would delete with it.
   */
  listNamespace(namespace: string): Promise<KubeObject[]>;
  /**
   * Whether this identity may do it (a SelfSubjectAccessReview, answered once per job); undefined
   * when the cluster cannot say (it does not serve or refuses the review). Absent: never asked.
   */
  reviewAccess?(check: AccessCheck): Promise<boolean | undefined>;
  /**
   * Deletes (background propagation); false when it was already gone. With `resourceVersion`, only
   * that version of it (a ClusterApiError with code 409 otherwise).
   */
  remove(
    resource: ResourceInfo,
    namespace: string,
    name: string,
    options: { readonly dryRun: boolean; readonly resourceVersion?: string; readonly uid?: string },
  ): Promise<boolean>;
}

/**
 * Where an app's inventory is kept (a ConfigMap for the CLI, DynamoDB for the Lambda functions).
 * Writes are conditional, so two syncs of one app cannot both write over what they read.
 */
export interface InventoryStore {
  /** True when the inventory is kept in the app's namespace, which must then exist before the intent. */
  readonly inNamespace?: boolean;
  load(app: string, namespace: string): Promise<StoredInventory | undefined>;
  /**
   * Writes the inventory if the stored one is still at revision `expected` (undefined: none is
   * stored yet) and returns the new revision; throws InventoryBusyError when it is not.
   */
  save(
    app: string,
    namespace: string,
    inventory: Inventory,
    options: { readonly dryRun: boolean; readonly expected: string | undefined },
  ): Promise<string>;
  /** Deletes the inventory if it is still at revision `expected` (prune-app); InventoryBusyError otherwise. */
  remove(
    app: string,
    namespace: string,
    options: { readonly dryRun: boolean; readonly expected: string },
  ): Promise<void>;
}

/**
 * A failure reported by the Kubernetes API (a `Status`), thrown by ClusterPort implementations.
 * Retryable for 408, 429 and 5xx (the adapter has already retried those a few times); any other
 * answer — 401 and 403 above all — will be the same next time.
 */
export class ClusterApiError extends PlumblineError {
  readonly retryable: boolean;
  constructor(
    message: string,
    readonly code: number,
    readonly reason: string,
    readonly causes: readonly {
      readonly field?: string;
      readonly message?: string;
      readonly type?: string;
    }[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ClusterApiError';
    this.retryable = code === 408 || code === 429 || code >= 500;
  }
}

/** The cluster could not be reached (after retries): a network failure, worth another try later. */
export class ClusterUnreachableError extends PlumblineError {
  readonly retryable = true;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ClusterUnreachableError';
  }
}
