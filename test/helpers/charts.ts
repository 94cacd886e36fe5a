import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { resolveLayerBinary } from '../../lib/adapters/binaries';
import { registryAvailable } from '../../lib/local/charts';

/** Whether the docker-registry tests run: in CI the binary must be there (.ci/run installs it). */
export function requireRegistry(): boolean {
  if (registryAvailable()) return true;
  if (process.env.CI === 'true')
    throw new Error('docker-registry is not installed: apt-get install docker-registry');
  console.warn(
    'skipping the OCI registry tests: /usr/bin/docker-registry is absent (apt-get install docker-registry)',
  );
  return false;
}

/** helm from the Lambda layer, run with a private home (no repositories or registry logins of the user's). */
export function helm(args: string[], cwd?: string): string {
  const home = mkdtempSync(join(tmpdir(), 'plumbline-helm-home-'));
  return execFileSync(resolveLayerBinary('helm'), args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: '/usr/bin:/bin',
      HOME: home,
      HELM_CACHE_HOME: join(home, 'cache'),
      HELM_CONFIG_HOME: join(home, 'config'),
      HELM_DATA_HOME: join(home, 'data'),
    },
  });
}

/** Writes a small chart (one ConfigMap carrying `marker`) and packages it into `out`; returns the .tgz path. */
export function packageChart(out: string, name: string, version: string, marker: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'plumbline-chart-src-'));
  const files: Record<string, string> = {
    'Chart.yaml': `apiVersion: v2\nname: ${name}\nversion: ${version}\n`,
    'values.yaml': `greeting: ${marker}\n`,
    'templates/cm.yaml':
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-{{ .Chart.Name }}\ndata:\n  greeting: {{ .Values.greeting | quote }}\n',
  };
  for (const [path, text] of Object.entries(files)) {
    const full = join(dir, name, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text);
  }
  mkdirSync(out, { recursive: true });
  helm(['package', join(dir, name), '--destination', out]);
  return join(out, `${name}-${version}.tgz`);
}
