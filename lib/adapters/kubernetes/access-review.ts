import { isObj } from '../../core/manifests';
import { type AccessCheck, ClusterApiError } from '../../core/sync/ports';
import type { KubeHttp } from './http';

const PATH = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';

/**
 * SelfSubjectAccessReviews of one identity, each asked once (the adapter lives for one job). A
 * cluster that does not serve the review (404) or refuses it (403) is asked nothing more: every
 * answer is then undefined, and the sync goes on without a preflight.
 */
export class AccessReviews {
  private readonly answers = new Map<string, Promise<boolean | undefined>>();
  private unserved = false;

  constructor(private readonly http: Pick<KubeHttp, 'send'>) {}

  async review(check: AccessCheck): Promise<boolean | undefined> {
    if (this.unserved) return undefined;
    const key = `${check.verb} ${check.group}/${check.resource} ${check.namespace}`;
    let answer = this.answers.get(key);
    if (!answer) {
      answer = this.ask(check);
      this.answers.set(key, answer);
      // A failed review is not cached: the next call asks again.
      answer.catch(() => this.answers.delete(key));
    }
    return answer;
  }

  private async ask(check: AccessCheck): Promise<boolean | undefined> {
    try {
      const { body } = await this.http.send({
        method: 'POST',
        path: PATH,
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: {
            resourceAttributes: {
              verb: check.verb,
              group: check.group,
              resource: check.resource,
              ...(check.namespace ? { namespace: check.namespace } : {}),
            },
          },
        },
      });
      const status = isObj(body) && isObj(body.status) ? body.status : {};
      return status.allowed === true;
    } catch (err: unknown) {
      if (err instanceof ClusterApiError && (err.code === 404 || err.code === 403)) {
        this.unserved = true;
        return undefined;
      }
      throw err;
    }
  }
}
