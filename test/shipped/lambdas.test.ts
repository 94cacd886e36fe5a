import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';
import type { SyncMessage } from '../../functions/shared/queue';
import { parseS3Url, S3CheckpointStore } from '../../lib/adapters/aws/audit-checkpoints-s3';
import { DynamoDbAuditStore } from '../../lib/adapters/aws/audit-dynamodb';
import { KmsAuditMac } from '../../lib/adapters/aws/audit-kms-mac';
import { type AuditRecord, verifyTrail } from '../../lib/core/audit';
import { type Sandbox, startSandbox } from '../../lib/local/sandbox';
import { githubPush, scheduledEvent, sqsRecord } from '../functions/events';
import { type AwsTwin, startAwsTwin } from '../helpers/aws-twin';
import {
  cdkSynth,
  createTemplateTables,
  type LocalNames,
  type ShippedFunction,
  shippedFunctions,
  type Template,
} from '../helpers/cdk-out';
import { useDynamoDbLocal } from '../helpers/dynamodb';
import {
  allowedSigners,
  commitFiles,
  type GitFixture,
  type GpgKey,
  makeGpgKey,
  makeSshKey,
  makeWorkRepo,
  push,
  type SshKey,
  startGitFixture,
  tempDir,
  type WorkRepo,
} from '../helpers/git';
import { eksTokenCheck, type HttpsFront, startHttpsFront } from '../helpers/https-front';
import { ROOT, runNode } from '../helpers/shipped';

const exec = promisify(execFile);
const CLUSTER = 'local';
const NAMESPACE = 'web';
const KINDS = ['plain', 'openpgp', 'ssh'] as const;
type Kind = (typeof KINDS)[number];
const WEBHOOK_SECRET = 'shipped-webhook-secret-0123456789abcdef';

const files = (kind: Kind, value: string) => ({
  'plumbline.yaml': `version: 1\napps:\n  - name: web-${kind}\n    path: apps/web\n    cluster: ${CLUSTER}\n    namespace: ${NAMESPACE}\n`,
  'apps/web/config.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-${kind}\ndata:\n  value: "${value}"\n`,
});

/**
 * The three Lambda bundles as `cdk synth` writes them into cdk.out, each loaded as Lambda loads it
 * (require index.js, call handler(event, context)) under the pinned Node 22, with the environment the
 * template gives it: webhook → queue → sync → audit record, against DynamoDB Local, the sandbox
 * (behind an endpoint that checks EKS tokens), the local git server (over HTTPS) and a twin of the
 * AWS services that have no local one (#13). One synth for the whole suite.
 */
describe('shipped Lambda bundles (cdk.out)', () => {
  const dynamo = useDynamoDbLocal();
  let node22: string;
  let git: GitFixture;
  let gitFront: HttpsFront;
  let sandbox: Sandbox;
  let eksFront: HttpsFront;
  let twin: AwsTwin;
  let gpg: GpgKey;
  let mallory: GpgKey;
  let ssh: SshKey;
  let template: Template;
  let fns: Record<'webhook' | 'sync' | 'reconcile', ShippedFunction>;
  let caFile: string;
  const urls = {} as Record<Kind, string>;
  const works = {} as Record<Kind, WorkRepo>;
  const signers = {} as Record<Kind, GpgKey | SshKey | undefined>;
  const work = tempDir('shipped-lambdas');

  beforeAll(async () => {
    [node22, git, sandbox, twin, gpg, mallory, ssh] = await Promise.all([
      exec('bash', [join(ROOT, 'scripts', 'node22.sh'), 'node', '-p', 'process.execPath'], {
        timeout: 120_000,
      }).then((r) => r.stdout.trim()),
      startGitFixture(),
      startSandbox({ controllerDelayMs: 10 }),
      startAwsTwin(),
      makeGpgKey(),
      makeGpgKey('Mallory <mallory@example.com>'),
      makeSshKey('ed25519'),
    ]);
    const namespaces = sandbox.core.registry.lookup('', 'v1', 'namespaces')!;
    sandbox.core.persist(
      namespaces,
      undefined,
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } },
      { dryRun: false },
    );
    gitFront = await startHttpsFront({ target: git.server.url });
    const check = eksTokenCheck(CLUSTER, twin.region, twin.sessions);
    eksFront = await startHttpsFront({
      target: sandbox.url,
      targetCa: sandbox.caCert,
      authorize: async (header) => ((await check(header)) ? `Bearer ${sandbox.token}` : undefined),
    });
    caFile = join(work, 'git-ca.pem');
    writeFileSync(caFile, gitFront.caCert);
    Object.assign(signers, { plain: undefined, openpgp: gpg, ssh });
    for (const kind of KINDS) urls[kind] = `${gitFront.url}/${kind}.git`;
    // The repositories are filled while cdk synth runs: it needs their URLs only.
    const repositories = (async () => {
      for (const kind of KINDS) {
        await git.bare(kind);
        works[kind] = await makeWorkRepo(git.url(kind));
        await commitFiles(works[kind], files(kind, '1'), `first ${kind}`, signers[kind]);
        await push(works[kind]);
      }
    })();
    const keys = join(work, 'KEYS.asc');
    writeFileSync(keys, gpg.publicKey);
    const signersFile = join(work, 'allowed_signers');
    writeFileSync(
      signersFile,
      allowedSigners([{ principal: 'dev@example.com', key: ssh, namespaces: 'git' }]),
    );
    const config = join(work, 'plumbline.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        stackName: 'Plumbline',
        repositories: [
          { url: urls.plain, branch: 'main', provider: 'github' },
          { url: urls.openpgp, branch: 'main', provider: 'github', verifySignatures: { openpgp: [keys] } },
          { url: urls.ssh, branch: 'main', provider: 'github', verifySignatures: { ssh: [signersFile] } },
        ],
        clusters: [
          { name: CLUSTER, region: twin.region, allowedNamespaces: [NAMESPACE], clusterScoped: false },
        ],
        schedule: 'rate(10 minutes)',
      }),
    );
    const out = join(work, 'cdk.out');
    [template] = await Promise.all([cdkSynth(config, out), repositories]);
    const names: LocalNames = { account: twin.account, region: twin.region, sqsEndpoint: twin.url };
    const byEntry = (id: string) => {
      const fn = shippedFunctions(template, out, names).find((f) => f.logicalId.includes(id));
      if (!fn) throw new Error(`no ${id} function in the template`);
      return fn;
    };
    fns = { webhook: byEntry('Webhook'), sync: byEntry('Sync'), reconcile: byEntry('Reconcile') };
    await createTemplateTables(template, dynamo.client());
    twin.secrets.set(fns.webhook.environment.WEBHOOK_SECRET_ARN!, WEBHOOK_SECRET);
    twin.secrets.set(fns.sync.environment.AUDIT_HMAC_SECRET_ARN!, 'shipped-audit-hmac-key-0123456789');
    twin.clusters.set(CLUSTER, { endpoint: eksFront.url, caCert: eksFront.caCert });
  }, 600_000);

  afterAll(async () => {
    await eksFront?.stop();
    await gitFront?.stop();
    await git?.stop();
    await sandbox?.stop();
    await twin?.stop();
    await gpg?.stop();
    await mallory?.stop();
  });

  /** One invocation in a fresh Node 22 process: Lambda's variables, the template's, and the local endpoints. */
  async function invoke(
    fn: ShippedFunction,
    event: unknown,
  ): Promise<{ result?: unknown; error?: string; logs: string }> {
    const eventFile = join(work, `event-${Date.now()}-${Math.random()}.json`);
    const resultFile = `${eventFile}.result`;
    writeFileSync(eventFile, JSON.stringify(event));
    const environment = { ...fn.environment };
    // Lambda's /tmp is the container's own; here it is the test's temporary directory.
    for (const [k, v] of Object.entries(environment))
      if (v.startsWith('/tmp/')) environment[k] = join(work, 'lambda-tmp', v.slice('/tmp/'.length));
    const run = await runNode(
      node22,
      [
        join(__dirname, 'lambda-runner.cjs'),
        fn.dir,
        fn.handler,
        eventFile,
        resultFile,
        String(fn.timeoutSeconds),
      ],
      {
        cwd: fn.dir,
        env: {
          PATH: process.env.PATH,
          TZ: ':UTC',
          LANG: 'en_US.UTF-8',
          LAMBDA_TASK_ROOT: fn.dir,
          AWS_REGION: twin.region,
          AWS_DEFAULT_REGION: twin.region,
          AWS_LAMBDA_FUNCTION_NAME: fn.logicalId,
          AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
          AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
          AWS_ACCESS_KEY_ID: 'ASIAFUNCTIONROLE',
          AWS_SECRET_ACCESS_KEY: 'function-role-secret',
          AWS_SESSION_TOKEN: 'function-role-session',
          // As under `sam local`: no X-Ray daemon to send segments to.
          AWS_SAM_LOCAL: 'true',
          AWS_ENDPOINT_URL: twin.url,
          AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint(),
          NODE_EXTRA_CA_CERTS: caFile,
          ...environment,
        },
      },
    );
    const { readFileSync } = await import('node:fs');
    let answer: { result?: unknown; error?: string } = {
      error: `no result (exit ${run.code}): ${run.stderr}`,
    };
    try {
      answer = JSON.parse(readFileSync(resultFile, 'utf8')) as typeof answer;
    } catch {
      // The runner died before answering: the error above says how.
    }
    return { ...answer, logs: `${run.stdout}\n${run.stderr}` };
  }

  const queueUrl = () => fns.webhook.environment.QUEUE_URL!;

  /** The push webhook GitHub would send for the branch head, through the webhook bundle; the messages it enqueued. */
  async function pushThroughWebhook(kind: Kind, before: string, after: string): Promise<SyncMessage[]> {
    const seen = twin.messages.get(queueUrl())?.length ?? 0;
    const payload = {
      ref: 'refs/heads/main',
      before,
      after,
      created: /^0+$/.test(before),
      deleted: false,
      forced: false,
      base_ref: null,
      commits: [{ id: after, message: 'change', added: [], removed: [], modified: ['apps/web/config.yaml'] }],
      head_commit: { id: after },
      repository: { name: kind, full_name: `local/${kind}`, clone_url: urls[kind], html_url: urls[kind] },
      pusher: { name: 'dev' },
      sender: { login: 'dev' },
    };
    const delivery = `${kind}-${after.slice(0, 8)}`;
    const answer = await invoke(fns.webhook, githubPush(payload, delivery, WEBHOOK_SECRET));
    expect(answer.error).toBeUndefined();
    expect(answer.result).toMatchObject({ statusCode: 202 });
    return (twin.messages.get(queueUrl()) ?? [])
      .slice(seen)
      .map((m) => JSON.parse(m.MessageBody) as SyncMessage);
  }

  async function syncThroughQueue(messages: SyncMessage[]): Promise<unknown> {
    const event: SQSEvent = { Records: messages.map((m) => sqsRecord(m)) };
    const answer = await invoke(fns.sync, event);
    if (answer.error) throw new Error(`${answer.error}\n${answer.logs}`);
    expect(answer.result).toEqual({ batchItemFailures: [] });
    return answer.result;
  }

  function auditStore(): DynamoDbAuditStore {
    return new DynamoDbAuditStore({
      tableName: fns.sync.environment.AUDIT_TABLE!,
      client: dynamo.client(),
      mac: auditMac(),
    });
  }

  function auditMac(): KmsAuditMac {
    return new KmsAuditMac({
      keyId: fns.sync.environment.AUDIT_MAC_KEY_ARN!,
      client: new KMSClient({ endpoint: twin.url, region: twin.region }),
    });
  }

  async function auditRecords(): Promise<AuditRecord[]> {
    const records: AuditRecord[] = [];
    for await (const record of auditStore().scan(CLUSTER)) records.push(record);
    return records;
  }

  const configMap = (kind: Kind) =>
    sandbox.core.get(sandbox.core.registry.lookup('', 'v1', 'configmaps')!, NAMESPACE, `web-${kind}`) as
      | { data?: Record<string, string> }
      | undefined;

  it.each(KINDS)(
    'carries a push to the %s repository from the webhook bundle through the queue to the sync bundle and a verified audit record',
    async (kind) => {
      const commit = (await exec('git', ['-C', works[kind].dir, 'rev-parse', 'HEAD'])).stdout.trim();
      const messages = await pushThroughWebhook(kind, '0'.repeat(40), commit);
      expect(messages).toEqual([
        expect.objectContaining({ cluster: CLUSTER, app: `web-${kind}`, commit, trigger: 'webhook' }),
      ]);
      await syncThroughQueue(messages);
      expect(configMap(kind)?.data).toEqual({ value: '1' });
      const record = (await auditRecords()).find((r) => r.app === `web-${kind}` && r.commit === commit);
      expect(record).toMatchObject({ outcome: 'succeeded', trigger: 'webhook' });
      if (kind === 'openpgp') expect(record?.who.signer).toBe(gpg.fingerprint);
      if (kind === 'ssh') expect(record?.who.signer).toMatch(/^SHA256:/);
      if (kind === 'plain') expect(record?.who.signer).toBeUndefined();
      expect(record?.who.principal).toMatch(/^arn:aws:sts::\d{12}:assumed-role\/plumbline-local-us-east-1\//);
      const trail = await verifyTrail({
        cluster: CLUSTER,
        records: auditStore().scan(CLUSTER),
        mac: auditMac(),
      });
      expect(trail).toMatchObject({ ok: true });
    },
    120_000,
  );

  it('refuses a commit signed by a key the deployment does not trust, writes nothing to the cluster, and records it', async () => {
    const before = (await exec('git', ['-C', works.openpgp.dir, 'rev-parse', 'HEAD'])).stdout.trim();
    const commit = await commitFiles(works.openpgp, files('openpgp', '2'), 'forged', mallory);
    await push(works.openpgp);
    const messages = await pushThroughWebhook('openpgp', before, commit);
    sandbox.resetStats();
    await syncThroughQueue(messages);
    expect(configMap('openpgp')?.data).toEqual({ value: '1' });
    expect(sandbox.stats().total).toBe(0);
    const record = (await auditRecords()).find((r) => r.commit === commit);
    expect(record).toMatchObject({ outcome: 'refused', app: 'web-openpgp' });
  }, 120_000);

  it('runs the reconcile bundle on a scheduled event against the same parts', async () => {
    const seen = twin.messages.get(queueUrl())?.length ?? 0;
    const answer = await invoke(fns.reconcile, scheduledEvent());
    if (answer.error) throw new Error(`${answer.error}\n${answer.logs}`);
    const sent = (twin.messages.get(queueUrl()) ?? [])
      .slice(seen)
      .map((m) => JSON.parse(m.MessageBody) as SyncMessage);
    expect(sent.map((m) => m.app).sort()).toEqual(['web-openpgp', 'web-plain', 'web-ssh']);
    expect(sent.every((m) => m.trigger === 'schedule')).toBe(true);
    // It checkpoints the chain head into the bucket: the trail verifies against that checkpoint.
    expect(twin.calls).toContain('s3.PutObject');
    const checkpoints = new S3CheckpointStore({
      ...parseS3Url(fns.reconcile.environment.AUDIT_CHECKPOINTS!)!,
      client: new S3Client({ endpoint: twin.url, region: twin.region, forcePathStyle: true }),
    });
    const refs = await checkpoints.list(CLUSTER);
    const trail = await verifyTrail({
      cluster: CLUSTER,
      records: auditStore().scan(CLUSTER),
      mac: auditMac(),
      checkpoints: { refs, read: (ref) => checkpoints.read(ref) },
    });
    expect(trail).toMatchObject({ ok: true, checkpoint: { seq: trail.head?.seq } });
  }, 120_000);
});
