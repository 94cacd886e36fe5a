import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HttpClient } from 'isomorphic-git';
import { GitSourceError } from './errors';
import { type ExternalObject, indexPack } from './pack-index';

export type { ExternalObject } from './pack-index';

import { HttpStatusError } from './remote';

/** Capabilities asked for when the server offers them; `no-progress` spares decoding progress text. */
const WANTED = ['multi_ack_detailed', 'no-done', 'side-band-64k', 'ofs-delta', 'no-progress'];

function pkt(line: string): string {
  return `${(Buffer.byteLength(line) + 4).toString(16).padStart(4, '0')}${line}`;
}

/** Reads pkt-lines from one buffer. */
class PktReader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  /** The next line's payload; null for a flush (or delimiter), undefined at the end. */
  next(): Buffer | null | undefined {
    if (this.pos + 4 > this.buf.length) return undefined;
    const length = Number.parseInt(this.buf.toString('latin1', this.pos, this.pos + 4), 16);
    if (Number.isNaN(length) || (length > 0 && length < 4) || this.pos + length > this.buf.length) {
      throw new GitSourceError('the server sent a malformed upload-pack response', 'network');
    }
    const start = this.pos + 4;
    this.pos += Math.max(length, 4);
    return length < 4 ? null : this.buf.subarray(start, this.pos);
  }
}

export interface ShallowFetch {
  readonly http: HttpClient;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly gitdir: string;
  readonly want: string;
  /** Capabilities from the ref advertisement. */
  readonly capabilities: Record<string, string | true>;
}

/** The shallow lines and the pack from a stateless upload-pack response with side-band-64k. */
function parseResponse(body: Buffer): { shallows: string[]; pack: Buffer } {
  const reader = new PktReader(body);
  const shallows: string[] = [];
  const pack: Buffer[] = [];
  let line = reader.next();
  for (; line; line = reader.next()) {
    const text = line.toString('latin1').trimEnd();
    if (text.startsWith('shallow ')) shallows.push(text.slice('shallow '.length));
    else if (text.startsWith('ERR ')) {
      throw new GitSourceError(`the server refused the fetch: ${text.slice(4, 200)}`, 'network');
    } else break;
  }
  // After the shallow section's flush: NAK (no haves were sent), then the side-band stream.
  if (line === null) line = reader.next();
  for (; line !== undefined; line = reader.next()) {
    if (line === null) break;
    const band = line[0];
    if (band === 1) pack.push(line.subarray(1));
    else if (band === 3) {
      const text = line.subarray(1, 200).toString('utf8').trim();
      throw new GitSourceError(`the server failed the fetch: ${text}`, 'network');
    } else if (band !== 2 && !/^(NAK|ACK)/.test(line.toString('latin1', 0, 3))) {
      throw new GitSourceError('the server sent an unexpected upload-pack line', 'network');
    }
  }
  return { shallows, pack: Buffer.concat(pack) };
}

/**
 * A depth-1 fetch of one commit, for a ref the cache has never fetched, written with a native pack
 * index. This is the Lambda cold start; isomorphic-git's own fetch takes over once the cache holds the
 * ref, where packs are small. One request (the ref advertisement was read just before).
 */
export async function shallowFetch(fetch: ShallowFetch, external: ExternalObject): Promise<void> {
  if (!fetch.capabilities.shallow) {
    throw new GitSourceError(`${fetch.url} does not support shallow fetches`, 'network');
  }
  const caps = WANTED.filter((c) => fetch.capabilities[c] !== undefined);
  const request = `${pkt(`want ${fetch.want} ${[...caps, 'agent=plumbline'].join(' ')}\n`)}${pkt('deepen 1\n')}0000${pkt('done\n')}`;
  const res = await fetch.http.request({
    url: `${fetch.url}/git-upload-pack`,
    method: 'POST',
    headers: {
      ...fetch.headers,
      'Content-Type': 'application/x-git-upload-pack-request',
      Accept: 'application/x-git-upload-pack-result',
    },
    // An array holding one buffer: isomorphic-git's node client sends it with a Content-Length.
    body: [Buffer.from(request, 'latin1')] as unknown as AsyncIterableIterator<Uint8Array>,
  });
  const chunks: Uint8Array[] = [];
  if (res.body) for await (const chunk of res.body) chunks.push(chunk);
  if (res.statusCode !== 200) {
    throw new HttpStatusError(res.statusCode);
  }
  const { shallows, pack } = parseResponse(Buffer.concat(chunks));
  if (pack.length === 0) throw new GitSourceError('the server sent no pack', 'network');
  const index = await indexPack(pack, external);
  const name = `pack-${pack.subarray(pack.length - 20).toString('hex')}`;
  const dir = join(fetch.gitdir, 'objects', 'pack');
  await mkdir(dir, { recursive: true });
  // The index last, through a rename: readers see a pack only once both files are whole.
  await writeFile(join(dir, `${name}.pack`), pack);
  await writeFile(join(dir, `${name}.idx.tmp`), index);
  await rename(join(dir, `${name}.idx.tmp`), join(dir, `${name}.idx`));
  const shallowFile = join(fetch.gitdir, 'shallow');
  const known = (await readFile(shallowFile, 'latin1').catch(() => '')).split('\n').filter(Boolean);
  const all = [...new Set([...known, ...shallows])];
  await writeFile(shallowFile, all.map((oid) => `${oid}\n`).join(''));
}
