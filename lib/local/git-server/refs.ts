import { execFile } from 'node:child_process';

/** One ref a push moved: all zeros in `before` when it created the ref, in `after` when it deleted it. */
export interface RefUpdate {
  /** `refs/heads/main`, `refs/tags/v1`. */
  readonly ref: string;
  readonly before: string;
  readonly after: string;
}

/**
 * Every ref of a bare repository and the object it names; empty when the directory is not a
 * repository. Asynchronous: the server runs in the caller's process and must keep answering.
 */
export function readRefs(gitDir: string): Promise<Map<string, string>> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    GIT_DIR: gitDir,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
  };
  return new Promise((resolve) => {
    execFile(
      'git',
      ['for-each-ref', '--format=%(objectname) %(refname)'],
      { env, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout) => {
        const refs = new Map<string, string>();
        if (!err)
          for (const line of stdout.split('\n')) {
            const space = line.indexOf(' ');
            if (space > 0) refs.set(line.slice(space + 1), line.slice(0, space));
          }
        resolve(refs);
      },
    );
  });
}

/** What changed between two snapshots of a repository's refs, in ref order. */
export function refUpdates(before: Map<string, string>, after: Map<string, string>): RefUpdate[] {
  const zero = (id: string) => '0'.repeat(id.length);
  const updates: RefUpdate[] = [];
  for (const ref of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const was = before.get(ref);
    const now = after.get(ref);
    if (was === now) continue;
    if (was === undefined && now !== undefined) updates.push({ ref, before: zero(now), after: now });
    else if (was !== undefined && now === undefined) updates.push({ ref, before: was, after: zero(was) });
    else if (was !== undefined && now !== undefined) updates.push({ ref, before: was, after: now });
  }
  return updates;
}
