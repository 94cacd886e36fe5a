import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as k8s from '@kubernetes/client-node';
import type { Deployment } from '../../functions/shared/deployment';
import type { GitSources } from '../../functions/shared/git';
import type { SyncDeps } from '../../functions/sync';
import type { DynamoDbAuditStore } from '../../lib/adapters/aws/audit-dynamodb';
import { DynamoDbPipelineState } from '../../lib/adapters/aws/pipeline-state';
import { DynamoDbInventoryStore, DynamoDbSyncClaims } from '../../lib/adapters/aws/state-dynamodb';
import { KubeHttp } from '../../lib/adapters/kubernetes/http';
import type { Sandbox } from '../../lib/local/sandbox';

/**
 * The sync function's state, repository and cluster on local twins: claims and inventories in a
 * DynamoDB Local state table, the git server through GitSources, the sandbox in place of EKS.
 */
export function localSyncDeps(parts: {
  readonly deployment: Deployment;
  readonly git: GitSources;
  readonly dynamodb: DynamoDBClient;
  readonly stateTable: string;
  readonly audit: DynamoDbAuditStore;
  readonly sandbox: Sandbox;
  /** What EKS access would name as the session that acted on the cluster. */
  readonly principal?: string;
}): Pick<SyncDeps, 'deployment' | 'repository' | 'claims' | 'audit' | 'state' | 'inventory' | 'connect'> {
  const { git, dynamodb, stateTable, sandbox, principal } = parts;
  return {
    deployment: parts.deployment,
    repository: (url) => git.reader(url),
    claims: new DynamoDbSyncClaims({ tableName: stateTable, client: dynamodb }),
    audit: parts.audit,
    state: new DynamoDbPipelineState({ tableName: stateTable, client: dynamodb }),
    inventory: (cluster) => new DynamoDbInventoryStore({ tableName: stateTable, client: dynamodb }, cluster),
    connect: async () => {
      const kc = new k8s.KubeConfig();
      kc.loadFromString(sandbox.kubeconfig);
      return { http: new KubeHttp(kc), ...(principal ? { principal } : {}) };
    },
  };
}
