/** A promise made once and kept, unless it fails: the next caller tries again. */
export function once<T>(make: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    if (!value) {
      const made = make();
      value = made;
      made.catch(() => {
        if (value === made) value = undefined;
      });
    }
    return value;
  };
}

/** The promise kept under `key`, made on first use; a failed one is dropped, so the next call tries again. */
export function kept<K, T>(map: Map<K, Promise<T>>, key: K, make: () => Promise<T>): Promise<T> {
  let value = map.get(key);
  if (!value) {
    const made = make();
    value = made;
    map.set(key, made);
    made.catch(() => {
      if (map.get(key) === made) map.delete(key);
    });
  }
  return value;
}

/** An error as one log line: `Name: first line of the message`, at most 500 characters. */
export function errorLine(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.split('\n')[0]!.slice(0, 500);
}
