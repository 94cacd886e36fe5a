import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import * as openpgp from 'openpgp';
import { ChartKeyring, ChartProvenanceError, ChartSource, sha256Of } from '../../lib/adapters/charts';
import type { ChartRef } from '../../lib/core/render';
import {
  type LocalChartRepository,
  type LocalRegistry,
  startChartRepository,
  startDockerRegistry,
} from '../../lib/local/charts';
import { helm, packageChart, requireRegistry } from '../helpers/charts';

async function keyPair(name: string) {
  const { privateKey, publicKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'ed25519Legacy',
    userIDs: [{ name, email: `${name}@example.com` }],
    format: 'armored',
  });
  return { privateKey: await openpgp.readPrivateKey({ armoredKey: privateKey }), publicKey };
}

/** A `.prov` as `helm package --sign` writes it: Chart.yaml, `...`, the archive's hash, clearsigned. */
async function provFor(archive: string, signer: openpgp.PrivateKey, hashOf = archive): Promise<string> {
  const name = basename(archive);
  const [chart = '', version = ''] = /^(.*)-(\d+\.\d+\.\d+)\.tgz$/.exec(name)?.slice(1) ?? [];
  const sum = createHash('sha256')
    .update(await readFile(hashOf))
    .digest('hex');
  const text = `apiVersion: v2\nname: ${chart}\nversion: ${version}\n\n...\nfiles:\n  ${name}: sha256:${sum}\n`;
  return openpgp.sign({
    message: await openpgp.createCleartextMessage({ text }),
    signingKeys: signer,
  });
}

describe('chart provenance', () => {
  let work: string;
  let served: string;
  let chartRepo: LocalChartRepository;
  let trusted: Awaited<ReturnType<typeof keyPair>>;
  let stranger: Awaited<ReturnType<typeof keyPair>>;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'plumbline-chart-prov-'));
    served = join(work, 'served');
    await mkdir(served);
    chartRepo = await startChartRepository(served);
    [trusted, stranger] = await Promise.all([keyPair('charts'), keyPair('stranger')]);
    const other = join(work, 'other');
    const signed = packageChart(served, 'signed', '1.0.0', 'good');
    await writeFile(`${signed}.prov`, await provFor(signed, trusted.privateKey));
    const strange = packageChart(served, 'strange', '1.0.0', 'x');
    await writeFile(`${strange}.prov`, await provFor(strange, stranger.privateKey));
    packageChart(served, 'unsigned', '1.0.0', 'x');
    // tampered: the .prov signs the hash of a different archive of the same name and version.
    const tampered = packageChart(served, 'tampered', '1.0.0', 'served');
    const original = packageChart(other, 'tampered', '1.0.0', 'signed');
    await writeFile(`${tampered}.prov`, await provFor(tampered, trusted.privateKey, original));
    helm(['repo', 'index', served, '--url', chartRepo.url]);
  }, 60_000);

  afterAll(async () => {
    await chartRepo?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const ref = (name: string, repository = chartRepo.url): ChartRef => ({
    repository,
    name,
    version: '1.0.0',
  });
  const source = (extra: Partial<ConstructorParameters<typeof ChartSource>[0]> = {}) =>
    new ChartSource({
      allowList: [chartRepo.url],
      cacheDir: join(work, `cache-${Math.random()}`),
      keyring: new ChartKeyring(trusted.publicKey, 'test keyring'),
      ...extra,
    });
  const digestOf = async (name: string) => sha256Of(await readFile(join(served, `${name}-1.0.0.tgz`)));

  it('accepts a chart whose .prov is signed by a key of the keyring and names its hash', async () => {
    const pulled = await source().pull(ref('signed'), await digestOf('signed'), 'app a');
    expect(pulled.digest).toBe(await digestOf('signed'));
  });

  it('refuses a chart whose .prov signs another archive', async () => {
    const pull = source().pull(ref('tampered'), await digestOf('tampered'), 'app a');
    await expect(pull).rejects.toThrow(ChartProvenanceError);
    await expect(pull).rejects.toThrow(
      /the archive is sha256:[0-9a-f]{64}, not the sha256:[0-9a-f]{64} its provenance signs/,
    );
    await expect(pull).rejects.toMatchObject({ retryable: false });
  });

  it('refuses a chart signed by a key outside the keyring', async () => {
    await expect(source().pull(ref('strange'), await digestOf('strange'), 'app a')).rejects.toThrow(
      /app a: chart strange 1\.0\.0 from .*: its provenance does not verify with the chart keyring/,
    );
  });

  it('refuses a chart with no .prov, and chart lock too', async () => {
    const s = source();
    await expect(s.pull(ref('unsigned'), await digestOf('unsigned'), 'app a')).rejects.toThrow(
      /chart unsigned 1\.0\.0 from .* has no provenance \(\.prov\), and a chart keyring is configured/,
    );
    await expect(s.resolve(ref('unsigned'), 'app a')).rejects.toThrow(ChartProvenanceError);
  });

  it('takes a chart without provenance when no keyring is configured', async () => {
    const pulled = await source({ keyring: undefined }).pull(
      ref('unsigned'),
      await digestOf('unsigned'),
      'a',
    );
    expect(pulled.digest).toBe(await digestOf('unsigned'));
  });

  it('checks a cached chart against the keyring offline, and refetches one cached without its .prov', async () => {
    const cacheDir = join(work, 'shared-cache');
    const digest = await digestOf('signed');
    await source({ cacheDir, keyring: undefined }).pull(ref('signed'), digest, 'a');
    let calls = 0;
    const counting = (url: string, init?: RequestInit) => {
      calls += 1;
      return fetch(url, init);
    };
    await source({ cacheDir, fetch: counting }).pull(ref('signed'), digest, 'a');
    expect(calls).toBe(3); // index.yaml, the archive, its .prov
    await source({ cacheDir, fetch: counting }).pull(ref('signed'), digest, 'a');
    expect(calls).toBe(3);
    // The same cache, a keyring without the signer: refused with no request.
    const other = new ChartKeyring(stranger.publicKey, 'other keyring');
    await expect(
      source({ cacheDir, fetch: counting, keyring: other }).pull(ref('signed'), digest, 'a'),
    ).rejects.toThrow(ChartProvenanceError);
    expect(calls).toBe(3);
  });

  (requireRegistry() ? it : it.skip)(
    'checks the provenance layer of a chart in an OCI registry as a .prov',
    async () => {
      const registry: LocalRegistry = await startDockerRegistry();
      try {
        const oci = `oci://${registry.host}/charts`;
        const pushed = join(work, 'pushed');
        await mkdir(pushed);
        for (const name of ['signed', 'strange', 'unsigned']) {
          const tgz = join(pushed, `${name}-1.0.0.tgz`);
          await copyFile(join(served, `${name}-1.0.0.tgz`), tgz);
          await copyFile(`${join(served, `${name}-1.0.0.tgz`)}.prov`, `${tgz}.prov`).catch(() => undefined);
          // helm push uploads `<archive>.prov` beside it as the provenance layer.
          helm(['push', tgz, oci, '--plain-http']);
        }
        const s = source({ allowList: [oci] });
        expect((await s.pull(ref('signed', oci), await digestOf('signed'), 'a')).digest).toBe(
          await digestOf('signed'),
        );
        await expect(s.pull(ref('strange', oci), await digestOf('strange'), 'a')).rejects.toThrow(
          /does not verify with the chart keyring/,
        );
        await expect(s.pull(ref('unsigned', oci), await digestOf('unsigned'), 'a')).rejects.toThrow(
          /has no provenance/,
        );
      } finally {
        await registry.stop();
      }
    },
    60_000,
  );
});
