/** One OpenSSH pattern: `*` any run, `?` one character, everything else literal. */
function matchPattern(value: string, pattern: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`, 's').test(value);
}

/**
 * An OpenSSH pattern list (ssh_config(5) PATTERNS): comma-separated, `!` negates and a negated match
 * wins over any positive one.
 */
export function matchPatternList(value: string, list: string): boolean {
  let matched = false;
  for (const raw of list.split(',')) {
    const negated = raw.startsWith('!');
    const pattern = negated ? raw.slice(1) : raw;
    if (!matchPattern(value, pattern)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}
