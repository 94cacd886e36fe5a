/** A commit object split into what was signed and the signature. */
export interface SignedCommit {
  /** The commit object without its signature headers: the bytes the signer signed. */
  readonly payload: Buffer;
  /** The armored signature from the `gpgsig` header, or undefined when the commit is unsigned. */
  readonly signature?: string;
  /** The committer timestamp (seconds since the epoch), for keys valid only for a period. */
  readonly committedAt?: number;
}

const SIGNATURE_HEADERS = new Set(['gpgsig', 'gpgsig-sha256']);

/**
 * Splits a raw commit object as git's `parse_buffer_signed_by_header` does: the header lines named
 * gpgsig (and gpgsig-sha256) with their continuation lines (starting with a space) are the signature;
 * everything else, byte for byte, is the payload. Works on latin1 text so any encoding survives.
 */
export function splitSignedCommit(raw: Uint8Array): SignedCommit {
  const text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1');
  const headerEnd = text.indexOf('\n\n');
  const headers = headerEnd < 0 ? text : text.slice(0, headerEnd + 1);
  const lines = headers.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const kept: string[] = [];
  const signature: string[] = [];
  let inSignature = false;
  let sawGpgsig = false;
  let committedAt: number | undefined;
  for (const line of lines) {
    if (line.startsWith(' ') && inSignature) {
      if (sawGpgsig) signature.push(line.slice(1));
      continue;
    }
    const name = line.slice(0, line.indexOf(' '));
    inSignature = SIGNATURE_HEADERS.has(name) && line.includes(' ');
    if (inSignature) {
      // A SHA-1 repository's signature is `gpgsig`; `gpgsig-sha256` signs the SHA-256 form.
      sawGpgsig = name === 'gpgsig' && signature.length === 0;
      if (sawGpgsig) signature.push(line.slice(name.length + 1));
      continue;
    }
    if (name === 'committer') {
      const stamp = /> (\d+) [+-]\d{4}$/.exec(line);
      if (stamp?.[1] !== undefined) committedAt = Number(stamp[1]);
    }
    kept.push(line);
  }
  const rest = headerEnd < 0 ? '' : text.slice(headerEnd + 1);
  const payload = Buffer.from(`${kept.map((l) => `${l}\n`).join('')}${rest}`, 'latin1');
  return {
    payload,
    signature: signature.length > 0 ? `${signature.join('\n')}\n` : undefined,
    committedAt,
  };
}

/**
 * The `author` header of a raw commit object as `Name <email>` (without the timestamp), for the
 * audit record's who.author; undefined when the commit has none. Read as UTF-8, git's default
 * commit encoding.
 */
export function commitAuthor(raw: Uint8Array): string | undefined {
  const text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
  const headerEnd = text.indexOf('\n\n');
  for (const line of (headerEnd < 0 ? text : text.slice(0, headerEnd)).split('\n')) {
    if (!line.startsWith('author ')) continue;
    const ident = /^author (.*?<[^>]*>)(?: \d+ [+-]\d{4})?$/.exec(line);
    return (ident?.[1] ?? line.slice('author '.length)).trim();
  }
  return undefined;
}
