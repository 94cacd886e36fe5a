import { assessHealth } from '../../lib/core/health';
import type { Obj } from '../../lib/core/manifests';

function object(apiVersion: string, kind: string, spec: Obj, status: Obj | undefined, generation = 2): Obj {
  const out: Obj = { apiVersion, kind, metadata: { name: 'x', namespace: 'ns', generation }, spec };
  if (status !== undefined) out.status = status;
  return out;
}

const cond = (type: string, status: string, reason = '', message = ''): Obj => ({
  type,
  status,
  reason,
  message,
});

describe('assessHealth', () => {
  describe('Deployment', () => {
    const deploy = (status: Obj, spec: Obj = { replicas: 3 }) =>
      assessHealth(object('apps/v1', 'Deployment', spec, { observedGeneration: 2, ...status }));

    it('is Progressing until the controller observes the latest generation', () => {
      const h = assessHealth(object('apps/v1', 'Deployment', { replicas: 1 }, { observedGeneration: 1 }));
      expect(h).toEqual({
        status: 'Progressing',
        message: 'waiting for the controller to observe generation 2 (observed 1)',
      });
      expect(assessHealth(object('apps/v1', 'Deployment', {}, undefined)).status).toBe('Progressing');
    });

    it('is Degraded when the rollout exceeded its progress deadline', () => {
      const h = deploy({
        conditions: [
          cond('Progressing', 'False', 'ProgressDeadlineExceeded', 'ReplicaSet "x" has timed out'),
        ],
      });
      expect(h).toEqual({
        status: 'Degraded',
        message: 'progress deadline exceeded: ReplicaSet "x" has timed out',
      });
    });

    it('counts updated, old and available replicas against spec.replicas', () => {
      expect(deploy({ replicas: 3, updatedReplicas: 1, availableReplicas: 3 })).toEqual({
        status: 'Progressing',
        message: '1 of 3 replicas are updated',
      });
      expect(deploy({ replicas: 4, updatedReplicas: 3, availableReplicas: 3 })).toEqual({
        status: 'Progressing',
        message: '1 old replicas are pending termination',
      });
      expect(deploy({ replicas: 3, updatedReplicas: 3, availableReplicas: 1 })).toEqual({
        status: 'Progressing',
        message: '1 of 3 updated replicas are available',
      });
      expect(deploy({ replicas: 3, updatedReplicas: 3, availableReplicas: 3 })).toEqual({
        status: 'Healthy',
        message: '3 of 3 replicas are available',
      });
    });

    it('defaults spec.replicas to 1', () => {
      expect(deploy({}, {}).message).toBe('0 of 1 replicas are updated');
      expect(deploy({ replicas: 1, updatedReplicas: 1, availableReplicas: 1 }, {}).status).toBe('Healthy');
    });

    it('is Healthy with zero replicas and no pods', () => {
      expect(deploy({}, { replicas: 0 })).toEqual({
        status: 'Healthy',
        message: '0 of 0 replicas are available',
      });
    });

    it('is Progressing while the Available condition is False', () => {
      const h = deploy({
        replicas: 3,
        updatedReplicas: 3,
        availableReplicas: 3,
        conditions: [cond('Available', 'False', 'MinimumReplicasUnavailable')],
      });
      expect(h).toEqual({
        status: 'Progressing',
        message: 'Deployment is not available: MinimumReplicasUnavailable',
      });
    });

    it('is Healthy while paused, since a pause is deliberate', () => {
      expect(deploy({ updatedReplicas: 0 }, { replicas: 3, paused: true }).status).toBe('Healthy');
    });
  });

  describe('StatefulSet', () => {
    const sts = (status: Obj, spec: Obj = { replicas: 3 }) =>
      assessHealth(object('apps/v1', 'StatefulSet', spec, { observedGeneration: 2, ...status }));
    const done = { readyReplicas: 3, updatedReplicas: 3, currentRevision: 'r2', updateRevision: 'r2' };

    it('is Progressing until generation is observed and replicas are ready', () => {
      expect(assessHealth(object('apps/v1', 'StatefulSet', {}, { observedGeneration: 1 })).status).toBe(
        'Progressing',
      );
      expect(sts({ ...done, readyReplicas: 2 })).toEqual({
        status: 'Progressing',
        message: '2 of 3 replicas are ready',
      });
    });

    it('waits for the rolling update to reach every replica and revision', () => {
      expect(sts({ ...done, updatedReplicas: 1 })).toEqual({
        status: 'Progressing',
        message: '1 of 3 replicas are updated',
      });
      expect(sts({ ...done, currentRevision: 'r1' })).toEqual({
        status: 'Progressing',
        message: 'waiting for the rolling update to finish: revision r2 (current r1)',
      });
      expect(sts(done)).toEqual({ status: 'Healthy', message: '3 of 3 replicas are ready' });
    });

    it('ignores revisions under OnDelete, and counts only the partition under a partitioned rollout', () => {
      expect(
        sts({ ...done, currentRevision: 'r1' }, { replicas: 3, updateStrategy: { type: 'OnDelete' } }).status,
      ).toBe('Healthy');
      const partitioned = {
        replicas: 3,
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } },
      };
      expect(sts({ ...done, updatedReplicas: 0, currentRevision: 'r1' }, partitioned)).toEqual({
        status: 'Progressing',
        message: '0 of 1 replicas are updated (partition 2)',
      });
      expect(sts({ ...done, updatedReplicas: 1, currentRevision: 'r1' }, partitioned).status).toBe('Healthy');
    });
  });

  describe('DaemonSet', () => {
    const ds = (status: Obj, spec: Obj = {}) =>
      assessHealth(object('apps/v1', 'DaemonSet', spec, { observedGeneration: 2, ...status }));

    it('compares updated and available pods with the desired number scheduled', () => {
      expect(ds({ desiredNumberScheduled: 4, updatedNumberScheduled: 2, numberAvailable: 4 })).toEqual({
        status: 'Progressing',
        message: '2 of 4 updated pods are scheduled',
      });
      expect(ds({ desiredNumberScheduled: 4, updatedNumberScheduled: 4, numberAvailable: 3 })).toEqual({
        status: 'Progressing',
        message: '3 of 4 updated pods are available',
      });
      expect(ds({ desiredNumberScheduled: 4, updatedNumberScheduled: 4, numberAvailable: 4 }).status).toBe(
        'Healthy',
      );
    });

    it('is Progressing on a stale generation and Healthy under OnDelete once observed', () => {
      expect(assessHealth(object('apps/v1', 'DaemonSet', {}, { observedGeneration: 1 })).status).toBe(
        'Progressing',
      );
      expect(ds({ desiredNumberScheduled: 4 }, { updateStrategy: { type: 'OnDelete' } }).status).toBe(
        'Healthy',
      );
    });
  });

  describe('ReplicaSet', () => {
    it('counts available replicas and is Degraded on a replica failure', () => {
      const rs = (status: Obj) =>
        assessHealth(object('apps/v1', 'ReplicaSet', { replicas: 2 }, { observedGeneration: 2, ...status }));
      expect(rs({ availableReplicas: 1 })).toEqual({
        status: 'Progressing',
        message: '1 of 2 replicas are available',
      });
      expect(rs({ availableReplicas: 2 }).status).toBe('Healthy');
      expect(rs({ conditions: [cond('ReplicaFailure', 'True', 'FailedCreate', 'quota exceeded')] })).toEqual({
        status: 'Degraded',
        message: 'replica failure: FailedCreate: quota exceeded',
      });
    });
  });

  describe('Job', () => {
    const job = (conditions: Obj[], status: Obj = {}, spec: Obj = {}) =>
      assessHealth(object('batch/v1', 'Job', spec, { conditions, ...status }));

    it('is Healthy once Complete or SuccessCriteriaMet is True', () => {
      expect(job([cond('Complete', 'True')])).toEqual({ status: 'Healthy', message: 'job completed' });
      expect(job([cond('SuccessCriteriaMet', 'True')]).status).toBe('Healthy');
    });

    it('is Degraded once Failed or FailureTarget is True', () => {
      expect(
        job([cond('Failed', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit')]),
      ).toEqual({
        status: 'Degraded',
        message: 'job failed: BackoffLimitExceeded: Job has reached the specified backoff limit',
      });
      expect(job([cond('FailureTarget', 'True', 'DeadlineExceeded')]).status).toBe('Degraded');
    });

    it('is Progressing while it runs or is suspended', () => {
      expect(job([cond('Complete', 'False')], { active: 1, succeeded: 2, failed: 1 })).toEqual({
        status: 'Progressing',
        message: 'job is running: 1 active, 2 succeeded, 1 failed',
      });
      expect(job([], {}, { suspend: true })).toEqual({ status: 'Progressing', message: 'job is suspended' });
    });
  });

  describe('PersistentVolumeClaim', () => {
    it('is Healthy when Bound, Degraded when Lost and Progressing otherwise', () => {
      const pvc = (phase?: string) =>
        assessHealth(object('v1', 'PersistentVolumeClaim', {}, phase ? { phase } : undefined));
      expect(pvc('Bound').status).toBe('Healthy');
      expect(pvc('Lost').status).toBe('Degraded');
      expect(pvc('Pending')).toEqual({ status: 'Progressing', message: 'PersistentVolumeClaim is Pending' });
      expect(pvc().status).toBe('Progressing');
    });
  });

  describe('Service', () => {
    it('waits for a LoadBalancer ingress and accepts other types at once', () => {
      const lb = (status: Obj) => assessHealth(object('v1', 'Service', { type: 'LoadBalancer' }, status));
      expect(lb({ loadBalancer: {} }).status).toBe('Progressing');
      expect(lb({ loadBalancer: { ingress: [] } }).status).toBe('Progressing');
      expect(lb({ loadBalancer: { ingress: [{ hostname: 'a.elb.amazonaws.com' }] } })).toEqual({
        status: 'Healthy',
        message: 'load balancer has 1 ingress point',
      });
      expect(assessHealth(object('v1', 'Service', {}, undefined)).status).toBe('Healthy');
      expect(assessHealth(object('v1', 'Service', { type: 'NodePort' }, {})).status).toBe('Healthy');
    });

    it('treats a custom resource named Service by the generic rules', () => {
      const custom = object(
        'example.com/v1',
        'Service',
        { type: 'LoadBalancer' },
        { conditions: [cond('Ready', 'True')] },
      );
      expect(assessHealth(custom).status).toBe('Healthy');
    });
  });

  describe('CustomResourceDefinition', () => {
    it('is Healthy when Established, Degraded when names are not accepted', () => {
      const crd = (conditions: Obj[]) =>
        assessHealth(object('apiextensions.k8s.io/v1', 'CustomResourceDefinition', {}, { conditions }));
      expect(crd([cond('Established', 'True')]).status).toBe('Healthy');
      expect(crd([cond('Established', 'False')]).status).toBe('Progressing');
      expect(crd([cond('NamesAccepted', 'False', 'NameConflict', 'plural is taken')]).status).toBe(
        'Degraded',
      );
    });
  });

  describe('other kinds', () => {
    const custom = (status: Obj | undefined) => assessHealth(object('example.com/v1', 'Widget', {}, status));

    it('follows a Ready condition: True is Healthy, a failure reason Degraded, else Progressing', () => {
      expect(custom({ conditions: [cond('Ready', 'True', 'Succeeded', 'all good')] })).toEqual({
        status: 'Healthy',
        message: 'all good',
      });
      expect(custom({ conditions: [cond('Ready', 'False', 'ReconciliationFailed', 'boom')] })).toEqual({
        status: 'Degraded',
        message: 'not ready: ReconciliationFailed: boom',
      });
      expect(custom({ conditions: [cond('Ready', 'False', 'DependencyNotReady')] }).status).toBe(
        'Progressing',
      );
      expect(custom({ conditions: [cond('Ready', 'Unknown', 'Progressing')] }).status).toBe('Progressing');
    });

    it('is Progressing while status.observedGeneration is behind metadata.generation', () => {
      expect(custom({ observedGeneration: 1, conditions: [cond('Ready', 'True')] }).status).toBe(
        'Progressing',
      );
      expect(custom({ observedGeneration: 2, conditions: [cond('Ready', 'True')] }).status).toBe('Healthy');
    });

    it('follows the kstatus Stalled and Reconciling conditions', () => {
      expect(custom({ conditions: [cond('Stalled', 'True', 'InvalidSpec')] }).status).toBe('Degraded');
      expect(custom({ conditions: [cond('Reconciling', 'True')] }).status).toBe('Progressing');
    });

    it('is Healthy with no status at all, like a ConfigMap', () => {
      expect(custom(undefined).status).toBe('Healthy');
      expect(
        assessHealth({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: {} }).status,
      ).toBe('Healthy');
      expect(assessHealth({}).status).toBe('Healthy');
    });
  });
});
