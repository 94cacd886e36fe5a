/** One chain per key (a cache directory): fetches into one cache never overlap within a process. */
const chains = new Map<string, Promise<unknown>>();

/** Runs `task` after every task queued before it under the same key, whether those failed or not. */
export function exclusive<T>(key: string, task: () => Promise<T>): Promise<T> {
  const run = (chains.get(key) ?? Promise.resolve()).then(task, task);
  const settled = run.catch(() => undefined);
  chains.set(key, settled);
  void settled.then(() => chains.get(key) === settled && chains.delete(key));
  return run;
}
