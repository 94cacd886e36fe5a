import { createHash } from 'node:crypto';
import * as zlib from 'node:zlib';
import { GitSourceError, messageOf } from './errors';

/** A base object a thin pack's ref-delta names but does not hold: read from the cache. */
export type ExternalObject = (oid: string) => Promise<{ type: string; object: Uint8Array } | undefined>;

const TYPES: Record<number, string> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' };
const OFS_DELTA = 6;
const REF_DELTA = 7;
/** Contents of non-delta objects kept from the scan for resolving deltas; past it, bases are inflated again. */
const MEMO_BYTES = 48 * 1024 * 1024;
/** Largest object indexed: a header or delta claiming more is refused before anything is allocated. */
const MAX_OBJECT_BYTES = 256 * 1024 * 1024;

interface Entry {
  readonly offset: number;
  readonly end: number;
  readonly kind: number;
  /** Where the zlib stream starts. */
  readonly dataStart: number;
  readonly baseOffset?: number;
  readonly baseOid?: string;
  oid?: string;
}

interface Resolved {
  readonly type: string;
  readonly data: Buffer;
}

function bad(what: string): GitSourceError {
  return new GitSourceError(`the fetched pack is corrupt: ${what}`, 'network');
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** zlib.crc32 where Node has it (20.15+), a table otherwise. */
function crc32(data: Buffer): number {
  const native = (zlib as { crc32?: (d: Buffer) => number }).crc32;
  if (native) return native(data);
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function objectId(type: string, data: Buffer): string {
  return createHash('sha1').update(`${type} ${data.length}\0`).update(data).digest('hex');
}

function varint(delta: Buffer, at: number): [number, number] {
  let value = 0;
  let shift = 1;
  let pos = at;
  let byte: number;
  do {
    byte = delta[pos++] ?? 0;
    value += (byte & 0x7f) * shift;
    shift *= 128;
  } while (byte & 0x80 && pos < delta.length);
  return [value, pos];
}

/** Applies a git delta (copy and insert instructions) to its base. */
export function applyDelta(base: Buffer, delta: Buffer): Buffer {
  const [sourceSize, afterSource] = varint(delta, 0);
  const [targetSize, start] = varint(delta, afterSource);
  if (sourceSize !== base.length) throw bad('a delta does not match its base');
  if (targetSize > MAX_OBJECT_BYTES) throw bad(`a delta result over ${MAX_OBJECT_BYTES} bytes`);
  const out = Buffer.allocUnsafe(targetSize);
  let written = 0;
  let pos = start;
  while (pos < delta.length) {
    const op = delta[pos++]!;
    if (op & 0x80) {
      let offset = 0;
      let size = 0;
      for (let bit = 0; bit < 4; bit++) if (op & (1 << bit)) offset += (delta[pos++] ?? 0) * 2 ** (8 * bit);
      for (let bit = 0; bit < 3; bit++) if (op & (0x10 << bit)) size += (delta[pos++] ?? 0) << (8 * bit);
      if (size === 0) size = 0x10000;
      if (offset + size > base.length || written + size > targetSize)
        throw bad('a delta copies out of range');
      base.copy(out, written, offset, offset + size);
      written += size;
    } else if (op > 0) {
      if (pos + op > delta.length || written + op > targetSize) throw bad('a delta inserts out of range');
      delta.copy(out, written, pos, pos + op);
      written += op;
      pos += op;
    } else {
      throw bad('a delta holds a zero instruction');
    }
  }
  if (written !== targetSize) throw bad('a delta has the wrong size');
  return out;
}

/** Walks the entry headers and zlib streams of a pack (version 2 or 3) once, inflating each entry. */
function scan(pack: Buffer, onEntry: (entry: Entry, data: Buffer) => void): void {
  if (pack.length < 32 || pack.toString('latin1', 0, 4) !== 'PACK') throw bad('no PACK header');
  const version = pack.readUInt32BE(4);
  if (version !== 2 && version !== 3) throw bad(`version ${version}`);
  const count = pack.readUInt32BE(8);
  const body = pack.length - 20;
  let pos = 12;
  for (let i = 0; i < count; i++) {
    const offset = pos;
    let byte = pack[pos++] ?? 0;
    const kind = (byte >> 4) & 7;
    let size = byte & 0x0f;
    let shift = 16;
    while (byte & 0x80) {
      byte = pack[pos++] ?? 0;
      size += (byte & 0x7f) * shift;
      shift *= 128;
    }
    let baseOffset: number | undefined;
    let baseOid: string | undefined;
    if (kind === OFS_DELTA) {
      byte = pack[pos++] ?? 0;
      let back = byte & 0x7f;
      while (byte & 0x80) {
        byte = pack[pos++] ?? 0;
        back = (back + 1) * 128 + (byte & 0x7f);
      }
      baseOffset = offset - back;
      if (baseOffset < 12) throw bad('a delta base before the first object');
    } else if (kind === REF_DELTA) {
      baseOid = pack.toString('hex', pos, pos + 20);
      pos += 20;
    } else if (TYPES[kind] === undefined) {
      throw bad(`object type ${kind}`);
    }
    if (pos >= body) throw bad('truncated');
    if (size > MAX_OBJECT_BYTES) throw bad(`an object over ${MAX_OBJECT_BYTES} bytes`);
    // An output chunk of the announced size: one allocation per object instead of 16 KiB of garbage.
    const chunkSize = Math.min(Math.max(size + 1, 64), 1024 * 1024);
    let inflated: { buffer: Buffer; engine: { bytesWritten: number } };
    try {
      // maxOutputLength: a stream that inflates past its announced size stops there (a zip bomb).
      const options = { info: true, chunkSize, maxOutputLength: Math.max(size, 1) };
      inflated = zlib.inflateSync(pack.subarray(pos, body), options) as unknown as typeof inflated;
    } catch (err: unknown) {
      throw new GitSourceError(
        `the fetched pack is corrupt: object at ${offset}: ${messageOf(err)}`,
        'network',
        {
          cause: err,
        },
      );
    }
    const { buffer, engine } = inflated;
    if (buffer.length !== size) throw bad('an object is not the size its header says');
    const dataStart = pos;
    pos += engine.bytesWritten;
    onEntry({ offset, end: pos, kind, dataStart, baseOffset, baseOid }, buffer);
  }
  if (pos !== body) throw bad('trailing bytes after the last object');
}

/**
 * A version 2 pack index (.idx) for a pack, as `git index-pack` writes it: with native zlib and SHA-1,
 * so that a cold fetch is not dominated by isomorphic-git's per-object asynchronous hashing. Deltas are
 * resolved from their bases outwards (git's order), synchronously; only a thin pack's outside bases
 * are awaited. Contents of non-delta objects are kept up to a budget, then inflated again when needed.
 */
export async function indexPack(pack: Buffer, external: ExternalObject): Promise<Buffer> {
  const trailer = pack.subarray(pack.length - 20);
  if (
    !createHash('sha1')
      .update(pack.subarray(0, pack.length - 20))
      .digest()
      .equals(trailer)
  ) {
    throw bad('checksum mismatch');
  }
  const entries: Entry[] = [];
  const roots: Entry[] = [];
  const deltas = new Map<number, Buffer>();
  const byBaseOffset = new Map<number, Entry[]>();
  const byBaseOid = new Map<string, Entry[]>();
  const kept = new Map<number, Buffer>();
  let keptBytes = 0;
  scan(pack, (entry, data) => {
    entries.push(entry);
    const type = TYPES[entry.kind];
    if (type === undefined) {
      deltas.set(entry.offset, data);
      const [map, key] =
        entry.baseOffset !== undefined ? [byBaseOffset, entry.baseOffset] : [byBaseOid, entry.baseOid!];
      const list = (map as Map<number | string, Entry[]>).get(key);
      if (list) list.push(entry);
      else (map as Map<number | string, Entry[]>).set(key, [entry]);
      return;
    }
    entry.oid = objectId(type, data);
    roots.push(entry);
    if (keptBytes + data.length <= MEMO_BYTES) {
      kept.set(entry.offset, data);
      keptBytes += data.length;
    }
  });

  let resolved = roots.length;
  /** Resolves every delta that builds on `base`, depth first, holding one content per chain level. */
  const resolveFrom = (base: Resolved, offset: number | undefined, oid: string) => {
    const stack: { base: Resolved; children: Entry[] }[] = [];
    const push = (content: Resolved, at: number | undefined, id: string) => {
      const children = [...((at !== undefined && byBaseOffset.get(at)) || []), ...(byBaseOid.get(id) ?? [])];
      if (at !== undefined) byBaseOffset.delete(at);
      byBaseOid.delete(id);
      if (children.length > 0) stack.push({ base: content, children });
    };
    push(base, offset, oid);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const child = top.children.pop();
      if (child === undefined) {
        stack.pop();
        continue;
      }
      const data = applyDelta(top.base.data, deltas.get(child.offset)!);
      deltas.delete(child.offset);
      child.oid = objectId(top.base.type, data);
      resolved++;
      push({ type: top.base.type, data }, child.offset, child.oid);
    }
  };
  for (const root of roots) {
    if (!byBaseOffset.has(root.offset) && !byBaseOid.has(root.oid!)) continue;
    const data = kept.get(root.offset) ?? zlib.inflateSync(pack.subarray(root.dataStart, root.end));
    resolveFrom({ type: TYPES[root.kind]!, data }, root.offset, root.oid!);
  }
  // What is left builds on objects outside the pack (a thin pack), read from the cache.
  for (const oid of [...byBaseOid.keys()]) {
    if (!byBaseOid.has(oid)) continue;
    const outside = await external(oid);
    if (!outside) throw bad(`the delta base ${oid} is missing`);
    resolveFrom({ type: outside.type, data: Buffer.from(outside.object) }, undefined, oid);
  }
  if (resolved !== entries.length) throw bad('a delta base is not in the pack');
  return writeIndex(pack, entries, trailer);
}

function writeIndex(pack: Buffer, entries: readonly Entry[], trailer: Buffer): Buffer {
  const sorted = [...entries].sort((a, b) => (a.oid! < b.oid! ? -1 : a.oid! > b.oid! ? 1 : 0));
  const n = sorted.length;
  const large = sorted.filter((e) => e.offset >= 0x80000000);
  const out = Buffer.alloc(8 + 256 * 4 + n * 28 + large.length * 8 + 40);
  out.writeUInt32BE(0xff744f63, 0);
  out.writeUInt32BE(2, 4);
  const fanout = new Array<number>(256).fill(0);
  for (const e of sorted) fanout[Number.parseInt(e.oid!.slice(0, 2), 16)]!++;
  let running = 0;
  for (let i = 0; i < 256; i++) {
    running += fanout[i]!;
    out.writeUInt32BE(running, 8 + i * 4);
  }
  let pos = 8 + 256 * 4;
  for (const e of sorted) pos += out.write(e.oid!, pos, 'hex');
  for (const e of sorted) pos = out.writeUInt32BE(crc32(pack.subarray(e.offset, e.end)), pos);
  let next = 0;
  for (const e of sorted) {
    pos = out.writeUInt32BE(e.offset < 0x80000000 ? e.offset : (0x80000000 | next++) >>> 0, pos);
  }
  for (const e of large) {
    pos = out.writeUInt32BE(Math.floor(e.offset / 2 ** 32), pos);
    pos = out.writeUInt32BE(e.offset % 2 ** 32, pos);
  }
  pos += trailer.copy(out, pos);
  createHash('sha1').update(out.subarray(0, pos)).digest().copy(out, pos);
  return out;
}
