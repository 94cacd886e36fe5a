import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../lib/cli/main';
import { runCli } from '../helpers/cli';
import { git, tempDir } from '../helpers/git';
import { makeKubectl } from '../helpers/kubectl';

/** `plumbline local` (npm start) in this process, its output read as a user reads the terminal. */
function startLocal(args: string[]) {
  let out = '';
  const waiting: Array<() => void> = [];
  let interrupt: () => void = () => undefined;
  const interrupted = new Promise<void>((resolve) => {
    interrupt = resolve;
  });
  const done = main(['local', ...args], {
    out: (t) => {
      out += t;
      for (const wake of waiting.splice(0)) wake();
    },
    err: (t) => {
      out += t;
    },
    interrupted,
  });
  /** The first match of `pattern` in the output from `from` on, waiting for it up to `ms`. */
  const waitFor = async (pattern: RegExp, from = 0, ms = 20_000): Promise<RegExpExecArray> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const match = pattern.exec(out.slice(from));
      if (match) return match;
      if (Date.now() > deadline) throw new Error(`no ${pattern} within ${ms} ms; output:\n${out}`);
      await new Promise<void>((resolve) => {
        waiting.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  };
  return { output: () => out, waitFor, done, interrupt };
}

describe('plumbline local: a push to the printed remote', () => {
  it('is delivered as a signed push webhook and synced at once, visible in the sandbox and the audit trail', async () => {
    // The schedule would run again only after 10 minutes: whatever syncs the push, it is not the schedule.
    const local = startLocal(['--interval', '600']);
    try {
      const remote = (await local.waitFor(/^git remote: +(\S+)/m))[1]!;
      const kubeconfig = (await local.waitFor(/^kubeconfig: +(\S+)$/m))[1]!;
      const [, table, endpoint] = await local.waitFor(/^audit table: +(\S+) at (\S+) \(cluster local\)$/m);
      expect(local.output()).toContain(`git clone ${remote} `);
      expect(local.output()).toContain(`audit query --cluster local --table ${table} --endpoint ${endpoint}`);
      await local.waitFor(/^sync local\/widgets@\w+ schedule: synced/m);

      // What a user does in another terminal, with the real git CLI.
      const clone = join(tempDir('user'), 'config');
      await git(tempDir('user-cwd'), ['clone', '-q', remote, clone]);
      const file = join(clone, 'apps', 'hello', 'hello.yaml');
      writeFileSync(file, readFileSync(file, 'utf8').replace(/GREETING: .*/, 'GREETING: pushed by a user'));
      await git(clone, ['commit', '-q', '-am', 'hello: greet the user']);
      const commit = (await git(clone, ['rev-parse', 'HEAD'])).trim();
      const mark = local.output().length;
      const pushedAt = Date.now();
      await git(clone, ['push', '-q', 'origin', 'main']);

      const delivery = await local.waitFor(
        /^push refs\/heads\/main [0-9a-f]{12}\.\.([0-9a-f]{12}) \(1 commit\): signed webhook ([0-9a-f-]{36}) delivered, HTTP 202$/m,
        mark,
      );
      expect(delivery[1]).toBe(commit.slice(0, 12));
      // Only the app whose files the push touched, from the commits listed in the payload.
      expect(local.output().slice(mark)).toContain(`webhook ${delivery[2]}: 1 app(s) enqueued (hello)`);
      await local.waitFor(
        new RegExp(
          `^sync local/hello@${commit.slice(0, 12)} webhook: synced \\(succeeded\\); 1 configured`,
          'm',
        ),
        mark,
        5000,
      );
      expect(Date.now() - pushedAt).toBeLessThan(5000);
      expect(local.output().slice(mark)).not.toMatch(/ schedule: /);

      const kubectl = makeKubectl(kubeconfig);
      const live = await kubectl(['get', 'configmap', 'hello-config', '-o', 'jsonpath={.data.GREETING}']);
      expect(live).toMatchObject({ code: 0, stdout: 'pushed by a user' });

      const audit = await runCli([
        'audit',
        'query',
        '--cluster',
        'local',
        '--table',
        table!,
        '--endpoint',
        endpoint!,
        '--commit',
        commit,
        '-o',
        'json',
      ]);
      expect(audit.code).toBe(0);
      const { records } = JSON.parse(audit.stdout) as { records: Array<Record<string, unknown>> };
      expect(records).toEqual([
        expect.objectContaining({
          app: 'hello',
          commit,
          trigger: 'webhook',
          outcome: 'succeeded',
          deliveryId: delivery[2],
          who: { author: 'Dev Eloper <dev@example.com>' },
        }),
      ]);

      // The printed verify line: this run's random key file checks every record's MAC.
      const verifyLine = (await local.waitFor(/^ +npx plumbline (audit verify --cluster local .*)$/m))[1]!;
      const verified = await runCli(verifyLine.split(' '));
      expect(verified.code).toBe(0);
      expect(verified.stdout).toMatch(/^chain of cluster local verified: \d+ records/);
      const key = JSON.parse(readFileSync(/--key-file (\S+)/.exec(verifyLine)![1]!, 'utf8')) as {
        contentHashKey: string;
      };
      expect(key.contentHashKey).toMatch(/^[0-9a-f]{64}$/);

      // A push to another branch is delivered too, and syncs nothing (the local pipeline tracks main).
      const other = local.output().length;
      await git(clone, ['push', '-q', 'origin', 'HEAD:refs/heads/feature']);
      await local.waitFor(/^webhook [0-9a-f-]{36}: 0 app\(s\) enqueued$/m, other);
      await local.waitFor(
        /^push refs\/heads\/feature 0{12}\.\.[0-9a-f]{12} \(0 commits\): signed webhook \S+ delivered, HTTP 202$/m,
        other,
      );
    } finally {
      local.interrupt();
    }
    expect(await local.done).toBe(0);
  }, 90_000);
});
