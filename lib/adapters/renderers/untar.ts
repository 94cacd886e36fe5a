import { posix } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { TarError } from './errors';

const gunzipAsync = promisify(gunzip);
const BLOCK = 512;

/** A regular file of a tar archive; directories are implied by the paths. */
export interface TarFile {
  /** Normalized, relative, '/'-separated, never `..`. */
  readonly path: string;
  readonly data: Buffer;
}

function field(header: Buffer, start: number, length: number): string {
  const raw = header.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? raw.length : end).toString('utf8');
}

function octal(header: Buffer, start: number, length: number, what: string): number {
  if (((header[start] ?? 0) & 0x80) !== 0) throw new TarError(`${what}: base-256 numbers are not supported`);
  const text = field(header, start, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarError(`${what}: invalid number ${JSON.stringify(text)}`);
  return Number.parseInt(text, 8);
}

function checksumOk(header: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (header[i] ?? 0);
  return sum === octal(header, 148, 8, 'checksum');
}

/** `path=...` from a pax extended header (records `LEN key=value\n`). */
function paxPath(data: Buffer): string | undefined {
  let path: string | undefined;
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    if (space < 0) break;
    const length = Number.parseInt(data.subarray(offset, space).toString('ascii'), 10);
    if (!Number.isInteger(length) || length <= 0) throw new TarError('invalid pax header');
    const record = data.subarray(space + 1, offset + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0 && record.slice(0, eq) === 'path') path = record.slice(eq + 1);
    offset += length;
  }
  return path;
}

function safePath(name: string): string | undefined {
  if (name.includes('\\') || name.includes('\0'))
    throw new TarError(`entry ${JSON.stringify(name)} is not a portable path`);
  if (posix.isAbsolute(name)) throw new TarError(`entry ${JSON.stringify(name)} is an absolute path`);
  if (name.split('/').includes('..'))
    throw new TarError(`entry ${JSON.stringify(name)} climbs out with '..'`);
  const normal = posix.normalize(name).replace(/\/+$/, '');
  return normal === '.' || normal === '' ? undefined : normal;
}

const KINDS: Record<string, string> = {
  '1': 'a hard link',
  '2': 'a symbolic link',
  '3': 'a character device',
  '4': 'a block device',
  '6': 'a FIFO',
  K: 'a long link name',
};

/**
 * The regular files of a gzipped tar archive (a packaged Helm chart), refusing links, devices,
 * absolute paths and `..`, and anything that unpacks to more than `maxBytes` or `maxFiles` files.
 * ustar, pax (`path`) and GNU long names are read; directories are implied.
 */
export async function untarGz(gz: Buffer, maxBytes: number, maxFiles: number): Promise<TarFile[]> {
  let tar: Buffer;
  try {
    tar = await gunzipAsync(gz, { maxOutputLength: Math.max(maxBytes, 1) });
  } catch (err: unknown) {
    const code = (err as { code?: unknown } | null)?.code;
    if (code === 'ERR_BUFFER_TOO_LARGE')
      throw new TarError(`unpacks to more than ${maxBytes} bytes`, { cause: err });
    throw new TarError('is not a valid gzip file', { cause: err });
  }
  const files: TarFile[] = [];
  let longName: string | undefined;
  let offset = 0;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break;
    if (!checksumOk(header)) throw new TarError(`bad header checksum at byte ${offset}`);
    const size = octal(header, 124, 12, 'size');
    const type = String.fromCharCode(header[156] ?? 0);
    const dataStart = offset + BLOCK;
    if (dataStart + size > tar.length) throw new TarError('is truncated');
    const data = tar.subarray(dataStart, dataStart + size);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    const prefix = field(header, 345, 155);
    const plain = field(header, 0, 100);
    const name =
      longName ?? (prefix !== '' && field(header, 257, 6) === 'ustar' ? `${prefix}/${plain}` : plain);
    longName = undefined;
    if (type === 'x') {
      longName = paxPath(data);
      continue;
    }
    if (type === 'L') {
      longName = field(data, 0, data.length);
      continue;
    }
    if (type === 'g' || type === '5') continue;
    const kind = KINDS[type];
    if (kind) throw new TarError(`entry ${JSON.stringify(name)} is ${kind}`);
    if (type !== '0' && type !== '\0' && type !== '7') {
      throw new TarError(`entry ${JSON.stringify(name)} has unsupported type ${JSON.stringify(type)}`);
    }
    const path = safePath(name);
    if (path === undefined) continue;
    if (files.length >= maxFiles) throw new TarError(`holds more than ${maxFiles} files`);
    files.push({ path, data: Buffer.from(data) });
  }
  return files;
}
