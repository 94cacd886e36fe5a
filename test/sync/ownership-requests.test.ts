import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Sandbox, startSandbox } from '../../lib/local/sandbox';
import { runCli } from '../helpers/cli';
import { sandboxRequest } from '../helpers/http';

const KINDS = 4;
const NAMESPACES = 3;
const PER_TARGET = 2;

/** An app of 4 kinds in 3 namespaces, 2 objects each: 12 (kind, namespace) targets, 24 objects. */
function writeApp(dir: string): void {
  for (let n = 0; n < NAMESPACES; n++) {
    const ns = `req-${n}`;
    for (let i = 0; i < PER_TARGET; i++) {
      const docs = [
        `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-${i}, namespace: ${ns}}\ndata: {a: "1"}\n`,
        `apiVersion: v1\nkind: Secret\nmetadata: {name: s-${i}, namespace: ${ns}}\nstringData: {a: "1"}\n`,
        `apiVersion: v1\nkind: Service\nmetadata: {name: svc-${i}, namespace: ${ns}}\nspec: {ports: [{port: 80}]}\n`,
        `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d-${i}, namespace: ${ns}}\nspec: {selector: {matchLabels: {a: d-${i}}}, template: {metadata: {labels: {a: d-${i}}}, spec: {containers: [{name: c, image: nginx}]}}}\n`,
      ];
      writeFileSync(join(dir, `${ns}-${i}.yaml`), docs.join('---\n'));
    }
  }
}

/** What ownership costs in requests (the bench's bound: a no-op re-sync sends 43 requests for 40 targets). */
describe('ownership reads (plumbline sync request counts)', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ controllerDelayMs: 10 });
    for (let n = 0; n < NAMESPACES; n++)
      await sandboxRequest(sandbox, 'POST', '/api/v1/namespaces', {
        body: JSON.stringify({ metadata: { name: `req-${n}` } }),
      });
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  it("lists other apps' objects once per kind and namespace on a cold apply, and never on a re-sync", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plumbline-requests-'));
    writeApp(dir);
    const sync = () =>
      runCli(['sync', dir, '--app', 'requests', '-n', 'req-0', '--kubeconfig', sandbox.kubeconfigPath]);
    const targets = KINDS * NAMESPACES;
    sandbox.resetStats();
    expect((await sync()).code).toBe(0);
    // The inventory get, one get per namespace written into (checked before the intent), discovery
    // of v1 and apps/v1, the app's lists, the lists of other apps' objects, the applies, and the
    // inventory created as intent and confirmed with an update; and before the first write, one
    // access review per kind, namespace and verb (create and patch: the objects are new).
    expect(sandbox.stats().byVerb).toEqual({
      get: 1 + NAMESPACES,
      discovery: 2,
      list: 2 * targets,
      apply: targets * PER_TARGET,
      create: 1 + 2 * targets,
      update: 1,
    });
    sandbox.resetStats();
    expect((await sync()).code).toBe(0);
    expect(sandbox.stats().byVerb).toEqual({ get: 1, discovery: 2, list: targets });
  });
});
