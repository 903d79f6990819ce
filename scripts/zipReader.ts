// Reads a zip file (a VSIX is one) from its central directory: the entries with their sizes, and
// one entry's bytes, inflated and checked against its CRC. Enough for `unzip -l` and manifests.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { crc32, inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  readonly name: string;
  readonly compressedSize: number;
  readonly size: number;
  /** 0 stored, 8 deflated. */
  readonly method: number;
  readonly crc: number;
  readonly localHeaderOffset: number;
}

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_FILE_HEADER = 0x02014b50;
const LOCAL_FILE_HEADER = 0x04034b50;

export class ZipReader {
  private constructor(
    private readonly fd: number,
    readonly file: string,
    readonly entries: readonly ZipEntry[],
  ) {}

  static open(file: string): ZipReader {
    const fd = openSync(file, 'r');
    try {
      return new ZipReader(fd, file, readCentralDirectory(fd, file));
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  entry(name: string): ZipEntry | undefined {
    return this.entries.find((entry) => entry.name === name);
  }

  /** The entry's bytes; throws when it is missing, uses another method or fails its CRC. */
  read(name: string): Buffer {
    const entry = this.entry(name);
    if (!entry) throw new Error(`${this.file}: no entry ${name}`);
    const header = readAt(this.fd, entry.localHeaderOffset, 30);
    if (header.readUInt32LE(0) !== LOCAL_FILE_HEADER) throw new Error(`${this.file}: bad local header for ${name}`);
    const dataStart = entry.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
    const raw = readAt(this.fd, dataStart, entry.compressedSize);
    let data: Buffer;
    if (entry.method === 0) data = raw;
    else if (entry.method === 8) data = inflateRawSync(raw);
    else throw new Error(`${this.file}: ${name} uses compression method ${entry.method}`);
    if (data.length !== entry.size || crc32(data) !== entry.crc) throw new Error(`${this.file}: ${name} does not match its size or CRC`);
    return data;
  }

  close(): void {
    closeSync(this.fd);
  }
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const read = readSync(fd, buffer, done, length - done, position + done);
    if (read === 0) throw new Error(`unexpected end of file at ${position + done}`);
    done += read;
  }
  return buffer;
}

function readCentralDirectory(fd: number, file: string): ZipEntry[] {
  const size = fstatSync(fd).size;
  // The end record is 22 bytes plus a comment of at most 65535.
  const tailLength = Math.min(size, 22 + 65535);
  const tail = readAt(fd, size - tailLength, tailLength);
  let end = -1;
  for (let at = tail.length - 22; at >= 0; at--) {
    if (tail.readUInt32LE(at) === END_OF_CENTRAL_DIRECTORY) {
      end = at;
      break;
    }
  }
  if (end < 0) throw new Error(`${file} is not a zip file (no end of central directory)`);
  const count = tail.readUInt16LE(end + 10);
  const directorySize = tail.readUInt32LE(end + 12);
  const directoryOffset = tail.readUInt32LE(end + 16);
  if (count === 0xffff || directoryOffset === 0xffffffff) throw new Error(`${file} is a zip64 file, which this reader does not handle`);
  const directory = readAt(fd, directoryOffset, directorySize);
  const entries: ZipEntry[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (directory.readUInt32LE(at) !== CENTRAL_FILE_HEADER) throw new Error(`${file}: bad central directory entry ${i}`);
    const nameLength = directory.readUInt16LE(at + 28);
    const extraLength = directory.readUInt16LE(at + 30);
    const commentLength = directory.readUInt16LE(at + 32);
    entries.push({
      method: directory.readUInt16LE(at + 10),
      crc: directory.readUInt32LE(at + 16),
      compressedSize: directory.readUInt32LE(at + 20),
      size: directory.readUInt32LE(at + 24),
      localHeaderOffset: directory.readUInt32LE(at + 42),
      name: directory.toString('utf8', at + 46, at + 46 + nameLength),
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}
