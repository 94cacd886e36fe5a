import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..');

function files(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

/** Import specifiers of a TypeScript file, static and dynamic. */
function imports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/(?:from|import\()\s*'([^']+)'/g)].map((m) => m[1]!);
}

function resolved(file: string, spec: string): string {
  return spec.startsWith('.') ? relative(ROOT, join(ROOT, file, '..', spec)) : spec;
}

/** The layers DESIGN.md names (#19): lib never reaches up into functions/ or infra/; the core imports no adapter. */
describe('layers', () => {
  it('no file under lib/ imports from functions/ or infra/', () => {
    const bad = files('lib').flatMap((f) =>
      imports(f)
        .map((s) => resolved(f, s))
        .filter(
          (p) => p.startsWith('functions/') || p.startsWith('infra/') || p === 'functions' || p === 'infra',
        )
        .map((p) => `${f} -> ${p}`),
    );
    expect(bad).toEqual([]);
  });

  it('no file under lib/core imports an adapter, the CLI, local mode or an AWS SDK', () => {
    const bad = files('lib/core').flatMap((f) =>
      imports(f)
        .map((s) => resolved(f, s))
        .filter(
          (p) =>
            p.startsWith('lib/adapters') ||
            p.startsWith('lib/cli') ||
            p.startsWith('lib/local') ||
            p.startsWith('@aws-sdk/') ||
            p.startsWith('@kubernetes/') ||
            p === 'aws-cdk-lib',
        )
        .map((p) => `${f} -> ${p}`),
    );
    expect(bad).toEqual([]);
  });
});
