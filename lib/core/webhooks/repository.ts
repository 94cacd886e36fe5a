/**
 * Clone URLs compared the way git hosts vary them in push payloads: case, a trailing slash, an
 * optional `.git`.
 */
export function sameRepository(a: string, b: string): boolean {
  return normalizeUrl(a) === normalizeUrl(b);
}

function normalizeUrl(url: string): string {
  return url
    .trim()
    .replace(/\/+$/, '')
    .replace(/\.git$/, '')
    .toLowerCase();
}
