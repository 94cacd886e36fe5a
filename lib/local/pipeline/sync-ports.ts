import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as k8s from '@kubernetes/client-node';
import type { DynamoDbAuditStore } from '../../adapters/aws/audit-dynamodb';
import { DynamoDbPipelineState } from '../../adapters/aws/pipeline-state';
import { DynamoDbInventoryStore, DynamoDbSyncClaims } from '../../adapters/aws/state-dynamodb';
import type { ChartSource } from '../../adapters/charts';
import type { GitSources } from '../../adapters/git/sources';
import { KubeHttp, KubernetesCluster } from '../../adapters/kubernetes';
import { rendererFor } from '../../adapters/renderers';
import { JsonFileSecretStore } from '../../adapters/secrets/json-file';
import type { SyncJobPorts } from '../../core/pipeline';

export interface LocalPortsOptions {
  readonly git: GitSources;
  readonly repo: string;
  readonly dynamodb: DynamoDBClient;
  readonly stateTable: string;
  readonly audit: DynamoDbAuditStore;
  readonly cluster: string;
  readonly kubeconfig: string;
  readonly secretsFile: string;
  /** The run's random content-hash key (Secret values in audit records). */
  readonly contentHashKey?: string;
  readonly publish: (detail: Record<string, unknown>) => void;
  /** What the Lambda logs as a warning (the API server's warnings, a commit status not set). */
  readonly warn?: (message: string, attributes: Record<string, unknown>) => void;
  /** Remote charts (the session's local chart repository on the allow-list). */
  readonly charts?: ChartSource;
}

/** The sync Lambda's ports (functions/sync.ts) on local parts, as test/functions/sync-pipeline.test.ts wires them. */
export async function localSyncPorts(o: LocalPortsOptions): Promise<SyncJobPorts> {
  const table = { tableName: o.stateTable, client: o.dynamodb };
  return {
    claims: new DynamoDbSyncClaims(table),
    repo: await o.git.reader(o.repo),
    renderer: (config) => rendererFor(config, o.charts ? { charts: o.charts } : {}),
    render: (renderer, repoRoot, appPath, limits) => renderer.render({ repoRoot, appPath, limits }),
    connect: async () => {
      const kc = new k8s.KubeConfig();
      kc.loadFromString(o.kubeconfig);
      const http = new KubeHttp(kc);
      return {
        cluster: new KubernetesCluster(http),
        inventory: new DynamoDbInventoryStore(table, o.cluster),
        close: () => http.close(),
      };
    },
    secrets: { store: new JsonFileSecretStore(o.secretsFile), prefix: `plumbline/${o.cluster}/` },
    audit: o.audit,
    state: new DynamoDbPipelineState(table),
    publish: async (detail) => o.publish(detail),
    // No Lambda deadline locally: a generous budget for health waits.
    remainingMs: () => 15 * 60_000,
    ...(o.contentHashKey ? { contentHashKey: o.contentHashKey } : {}),
    ...(o.warn ? { warn: o.warn } : {}),
  };
}
