import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturePath } from './fixtures';

/** A writable copy of a fixture app under a fresh temporary repository root. */
export function copyApp(name: string): {
  root: string;
  dir: string;
  write(file: string, text: string): void;
  remove(file: string): void;
} {
  const root = mkdtempSync(join(tmpdir(), 'plumbline-app-'));
  const dir = join(root, name);
  cpSync(fixturePath('apps', name), dir, { recursive: true });
  return {
    root,
    dir,
    write: (file, text) => writeFileSync(join(dir, file), text),
    remove: (file) => rmSync(join(dir, file)),
  };
}

/** An app directory whose manifests each call of `set` replaces. */
export function appDir(manifests: Record<string, string>): {
  dir: string;
  set(next: Record<string, string>): void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'plumbline-prune-'));
  const set = (next: Record<string, string>): void => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const [file, text] of Object.entries(next)) writeFileSync(join(dir, file), text);
  };
  set(manifests);
  return { dir, set };
}

/** A ConfigMap manifest (in the app's namespace unless one is given), and a Namespace manifest. */
export const cm = (name: string, namespace?: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${namespace ? `  namespace: ${namespace}\n` : ''}data:\n  k: v\n`;
export const ns = (name: string): string => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`;

/** What `sync -o json` and `prune-app -o json` print, as the prune tests read it. */
export interface SyncJson {
  changes: { id: string; subject: string; action: string; reason: string | null }[];
  counts: Record<string, number>;
  error?: string;
}
