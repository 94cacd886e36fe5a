import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { KubeHttp } from '../../adapters/kubernetes';
import { checkpointHead, verifyTrail } from '../../core/audit';
import { ClusterApiError } from '../../core/sync/ports';
import { githubSignature, postGithubWebhook } from './push-webhooks';
import type { LocalSession, SyncLine } from './session';

export interface ScenarioStep {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

const HELLO = 'apps/hello/hello.yaml';
const REMOVED = 'apps/widgets/widget-large.yaml';
const STOLEN = 'apps/widgets/hello-config.yaml';
const DEPLOYMENT = '/apis/apps/v1/namespaces/default/deployments/hello';
const CONFIGMAP = '/api/v1/namespaces/default/configmaps/hello-config';
const SECRET = '/api/v1/namespaces/default/secrets/hello-db';
const WIDGET = '/apis/example.com/v1/namespaces/default/widgets/large';

/**
 * `plumbline local --once` (#8): initial sync → push → the signed webhook the git server delivers
 * for it (and a forged copy refused) → its sync → out-of-band edit → the schedule heals it → a
 * removed manifest is pruned → the first push's delivery, replayed after a newer one, is skipped as
 * stale (#14) → the audit chain verifies. Stops at the first step that does not hold.
 */
export async function runScenario(
  session: LocalSession,
  syncs: readonly SyncLine[],
  report: (step: ScenarioStep) => void,
): Promise<boolean> {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(readFileSync(session.info.kubeconfig, 'utf8'));
  const http = new KubeHttp(kc);
  const get = async (path: string) => http.send({ method: 'GET', path });
  let ok = true;
  const step = (name: string, held: boolean, detail: string): boolean => {
    report({ name, ok: held, detail });
    ok &&= held;
    return held;
  };
  const since = (from: number) => syncs.slice(from);
  try {
    let mark = syncs.length;
    const apps = await session.tick();
    await session.queue.drained();
    const initial = since(mark);
    const failed = initial.filter((s) => s.status !== 'synced');
    if (
      !step(
        'initial sync',
        initial.length === apps && failed.length === 0,
        `${initial.length - failed.length}/${apps} apps synced`,
      )
    )
      return false;
    // The Secret's value comes from the local secret store (secrets.json), never from Git.
    const secret = (await get(SECRET)).body as { data?: Record<string, string> };
    if (
      !step(
        'secret from the secret store',
        (secret.data?.password ?? '') !== '',
        'secret/hello-db has its password',
      )
    )
      return false;

    const file = join(session.work.dir, HELLO);
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(/GREETING: .*/, 'GREETING: hello again from plumbline'),
    );
    // The git server delivers the push webhook itself, as a git host does; the scenario only waits for it.
    mark = syncs.length;
    const pushed = await session.work.commitAndPush('hello: a new greeting');
    step(
      'commit pushed',
      pushed.after !== pushed.before,
      `${pushed.after.slice(0, 12)} pushed to ${session.info.gitRemote}`,
    );

    const delivery = await session.webhooks.waitFor(pushed.after);
    if (
      !step(
        'signed webhook delivered',
        delivery?.status === 202 && delivery.signature.startsWith('sha256='),
        delivery
          ? `HTTP ${delivery.status}, push ${delivery.deliveryId} with X-Hub-Signature-256 verified, ${String(delivery.answer?.enqueued ?? 0)} app(s) enqueued`
          : 'no delivery within 10s of the push',
      ) ||
      !delivery
    )
      return false;
    // The same bytes signed with another key must be refused, and nothing enqueued for them.
    const forged = await postGithubWebhook(
      session.info.webhookUrl,
      'push',
      delivery.body,
      githubSignature(`not-${session.info.webhookSecret}`, delivery.body),
    );
    if (
      !step(
        'forged delivery refused',
        forged.status === 401 && forged.answer?.kind === 'rejected',
        `HTTP ${forged.status} for the same payload signed with another secret`,
      )
    )
      return false;
    await session.queue.drained();
    const triggered = since(mark).filter((s) => s.job.trigger === 'webhook');
    const hello = triggered.find((s) => s.job.app === 'hello' && s.job.commit === pushed.after);
    const cm = (await get(CONFIGMAP)).body as { data?: Record<string, string> };
    if (
      !step(
        'webhook sync',
        triggered.length === 1 &&
          hello?.status === 'synced' &&
          cm.data?.GREETING === 'hello again from plumbline',
        `hello@${pushed.after.slice(0, 12)} ${hello?.status ?? 'not synced'} (${triggered.length} webhook sync(s)), live GREETING "${cm.data?.GREETING ?? ''}"`,
      )
    )
      return false;

    await http.send({
      method: 'PATCH',
      path: DEPLOYMENT,
      contentType: 'application/merge-patch+json',
      body: { spec: { replicas: 7 } },
    });
    const edited = (await get(DEPLOYMENT)).body as { spec?: { replicas?: number } };
    if (
      !step('out-of-band edit', edited.spec?.replicas === 7, "deployment/hello scaled to 7 behind Git's back")
    )
      return false;

    mark = syncs.length;
    await session.tick();
    await session.queue.drained();
    const healed = (await get(DEPLOYMENT)).body as { spec?: { replicas?: number } };
    const check = since(mark).find((s) => s.job.app === 'hello');
    if (
      !step(
        'schedule heals drift',
        check?.status === 'synced' && healed.spec?.replicas === 2,
        `scheduled sync ${check?.status ?? 'missing'}, replicas back to ${healed.spec?.replicas ?? '?'}`,
      )
    )
      return false;

    rmSync(join(session.work.dir, REMOVED));
    mark = syncs.length;
    const removal = await session.work.commitAndPush('widgets: remove the large widget');
    await session.webhooks.waitFor(removal.after);
    await session.queue.drained();
    const widgets = since(mark).find((s) => s.job.app === 'widgets');
    const gone = await get(WIDGET).then(
      () => false,
      (err: unknown) => {
        if (err instanceof ClusterApiError && err.code === 404) return true;
        throw err;
      },
    );
    if (
      !step(
        'removed manifest pruned',
        widgets?.status === 'synced' && gone,
        `widgets ${widgets?.status ?? 'not synced'}, widget/large ${gone ? 'deleted' : 'still there'}`,
      )
    )
      return false;

    // Only forward: a validly signed delivery of an older push (GitHub's Redeliver) must not roll back.
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(/GREETING: .*/, 'GREETING: hello for the third time'),
    );
    const third = await session.work.commitAndPush('hello: a third greeting');
    await session.webhooks.waitFor(third.after);
    await session.queue.drained();
    mark = syncs.length;
    const replayed = await postGithubWebhook(
      session.info.webhookUrl,
      'push',
      delivery.body,
      githubSignature(session.info.webhookSecret, delivery.body),
    );
    await session.queue.drained();
    const skipped = since(mark).find((s) => s.job.app === 'hello');
    const greeting = ((await get(CONFIGMAP)).body as { data?: Record<string, string> }).data?.GREETING;
    if (
      !step(
        'stale delivery skipped',
        replayed.status === 202 && skipped?.status === 'stale' && greeting === 'hello for the third time',
        `hello@${pushed.after.slice(0, 12)} redelivered after ${third.after.slice(0, 12)}: ${skipped?.status ?? 'not run'}, live GREETING "${greeting ?? ''}"`,
      )
    )
      return false;

    // One object, one app: widgets declaring hello's ConfigMap is refused for it, naming hello.
    writeFileSync(
      join(session.work.dir, STOLEN),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hello-config\n  namespace: default\ndata:\n  GREETING: taken by widgets\n',
    );
    mark = syncs.length;
    const taking = await session.work.commitAndPush("widgets: declare hello's ConfigMap");
    await session.webhooks.waitFor(taking.after);
    await session.queue.drained();
    const taker = since(mark).find((s) => s.job.app === 'widgets');
    const [record] = await session.audit.query({ cluster: session.info.cluster, app: 'widgets', limit: 1 });
    const refusal = record?.changes.find((c) => c.id === '/ConfigMap/default/hello-config');
    const kept = (await get(CONFIGMAP)).body as {
      metadata?: { labels?: Record<string, string> };
      data?: Record<string, string>;
    };
    if (
      !step(
        'foreign object refused',
        taker?.status === 'failed' &&
          refusal?.action === 'failed' &&
          (refusal.reason ?? '').startsWith('owned by app hello') &&
          kept.metadata?.labels?.['plumbline.dev/app'] === 'hello' &&
          kept.data?.GREETING === 'hello for the third time',
        `widgets@${taking.after.slice(0, 12)} ${taker?.status ?? 'not synced'}: configmap/hello-config ${refusal?.reason ?? 'not refused'}; still app hello's, GREETING "${kept.data?.GREETING ?? ''}"`,
      )
    )
      return false;

    // As `audit verify --key-file --checkpoints` does: links, hashes, MACs, and a checkpoint of the head.
    const cluster = session.info.cluster;
    await checkpointHead(cluster, session.audit, session.checkpoints, session.auditKey.mac);
    const refs = await session.checkpoints.list(cluster);
    const chain = await verifyTrail({
      cluster,
      records: session.audit.scan(cluster),
      mac: session.auditKey.mac,
      checkpoints: { refs, read: (ref) => session.checkpoints.read(ref) },
    });
    step(
      'audit verify',
      chain.ok && chain.count > 0 && chain.checkpoint !== undefined,
      chain.broken
        ? `broken at seq ${chain.broken.seq}: ${chain.broken.message}`
        : `${chain.count} records, head seq ${chain.head?.seq ?? 0}, each MAC valid, checkpointed at seq ${chain.checkpoint?.seq ?? 0}`,
    );
    return ok;
  } finally {
    await http.close();
  }
}
