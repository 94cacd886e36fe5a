import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
