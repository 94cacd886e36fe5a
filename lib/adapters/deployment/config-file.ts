import { readFileSync } from 'node:fs';
import {
  CONFIG_FILE,
  type PlumblineConfig,
  PlumblineConfigError,
  parsePlumblineConfig,
} from '../../core/deployment/config';

export function loadPlumblineConfig(file = CONFIG_FILE): PlumblineConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err: unknown) {
    const code = (err as { code?: unknown } | null)?.code;
    throw new PlumblineConfigError(file, [
      code === 'ENOENT' ? 'file not found' : `cannot read: ${String(code)}`,
    ]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err: unknown) {
    throw new PlumblineConfigError(file, [`not JSON: ${err instanceof Error ? err.message : String(err)}`]);
  }
  return parsePlumblineConfig(raw, file);
}
