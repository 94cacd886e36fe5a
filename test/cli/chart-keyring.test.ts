import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { loadChartKeyring } from '../../infra/chart-keyring';
import { type LocalChartRepository, startChartRepository } from '../../lib/local/charts';
import { helm, packageChart } from '../helpers/charts';
import { runCli } from '../helpers/cli';
import { ROOT } from '../infra/stack';

/** `--chart-keyring FILE` and the deployment's `chartKeyring` (#15): bad input refused, nothing written. */
describe('chart keyring', () => {
  let work: string;
  let chartRepo: LocalChartRepository;
  let publicKey: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'plumbline-chart-keyring-'));
    const served = join(work, 'served');
    chartRepo = await startChartRepository(served);
    packageChart(served, 'unsigned', '1.0.0', 'x');
    helm(['repo', 'index', served, '--url', chartRepo.url]);
    await mkdir(join(work, 'repo', 'app'), { recursive: true });
    await writeFile(
      join(work, 'repo', 'plumbline.yaml'),
      `version: 1\napps:\n  - name: app\n    path: app\n    cluster: local\n    namespace: default\n    chart: {repository: "${chartRepo.url}", name: unsigned, version: "1.0.0"}\n`,
    );
    ({ publicKey } = await openpgp.generateKey({
      type: 'ecc',
      curve: 'ed25519Legacy',
      userIDs: [{ name: 'charts' }],
      format: 'armored',
    }));
    await writeFile(join(work, 'keys.asc'), publicKey);
    await writeFile(join(work, 'not-keys.asc'), 'hello\n');
  }, 60_000);

  afterAll(async () => {
    await chartRepo?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const lock = (keyring: string) =>
    runCli([
      'chart',
      'lock',
      '--app',
      'app',
      '--repo-root',
      join(work, 'repo'),
      '--chart-repositories',
      chartRepo.url,
      '--chart-keyring',
      keyring,
    ]);

  it('refuses a keyring file that cannot be read or holds no key, with exit 2 and no lock written', async () => {
    const missing = await lock(join(work, 'absent.asc'));
    expect(missing).toMatchObject({
      code: 2,
      stderr: `error: --chart-keyring: cannot read ${join(work, 'absent.asc')}: ENOENT\n`,
    });
    const empty = await lock(join(work, 'not-keys.asc'));
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/^error: --chart-keyring: .* holds no armored public key block/);
    expect(existsSync(join(work, 'repo', 'app', 'plumbline.lock'))).toBe(false);
  });

  it('does not lock a chart without provenance when a keyring is given', async () => {
    const refused = await lock(join(work, 'keys.asc'));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^error: .*chart unsigned 1\.0\.0 from .* has no provenance \(\.prov\), and a chart keyring is configured\n$/,
    );
    expect(existsSync(join(work, 'repo', 'app', 'plumbline.lock'))).toBe(false);
  });

  it('reads chartKeyring files at synth, and fails synth naming the field and the file', async () => {
    expect(loadChartKeyring([join(work, 'keys.asc')], ROOT)).toBe(
      await readFile(join(work, 'keys.asc'), 'utf8'),
    );
    expect(loadChartKeyring(undefined, ROOT)).toBe('');
    expect(() => loadChartKeyring([join(work, 'keys.asc'), join(work, 'absent.asc')], ROOT)).toThrow(
      /^chartKeyring\[1\]: cannot read .*absent\.asc: ENOENT$/,
    );
  });
});
