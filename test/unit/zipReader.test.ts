// The zip reader that checks the VSIX listings: a zip written here byte by byte (stored and deflated
// entries, a comment after the directory) is listed and read back; a corrupted entry and a non-zip are refused.

import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { crc32, deflateRawSync } from 'node:zlib';
import { ZipReader } from '../../scripts/zipReader';

const dir = mkdtempSync(path.join(tmpdir(), 'ti-zip-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A minimal zip as the format describes it: local headers + data, central directory, end record. */
function zipBytes(files: { name: string; data: Buffer; deflate: boolean }[], comment = ''): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const file of files) {
    const name = Buffer.from(file.name, 'utf8');
    const body = file.deflate ? deflateRawSync(file.data) : file.data;
    const fields = (header: Buffer, at: number) => {
      header.writeUInt16LE(file.deflate ? 8 : 0, at);
      header.writeUInt32LE(crc32(file.data), at + 6);
      header.writeUInt32LE(body.length, at + 10);
      header.writeUInt32LE(file.data.length, at + 14);
      header.writeUInt16LE(name.length, at + 18);
    };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    fields(local, 8);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    fields(central, 10);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(Buffer.byteLength(comment), 20);
  return Buffer.concat([...locals, directory, end, Buffer.from(comment)]);
}

const readme = Buffer.from('# 变压器\n'.repeat(200), 'utf8');
const binary = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 37) % 256));

test('lists every entry with its sizes and method, and reads stored and deflated entries back', () => {
  const file = path.join(dir, 'ok.zip');
  writeFileSync(file, zipBytes([{ name: 'extension/readme.md', data: readme, deflate: true }, { name: 'extension/bin/x.node', data: binary, deflate: false }], 'a trailing comment'));
  const zip = ZipReader.open(file);
  try {
    assert.deepEqual(
      zip.entries.map((entry) => [entry.name, entry.method, entry.size]),
      [['extension/readme.md', 8, readme.length], ['extension/bin/x.node', 0, 1000]],
    );
    assert.ok(zip.entries[0].compressedSize < readme.length / 10, 'the repeated text is compressed');
    assert.ok(zip.read('extension/readme.md').equals(readme));
    assert.ok(zip.read('extension/bin/x.node').equals(binary));
    assert.throws(() => zip.read('extension/missing'), /no entry extension\/missing/);
  } finally {
    zip.close();
  }
});

test('an entry whose bytes were changed fails its CRC; a file that is no zip is named as such', () => {
  const bytes = zipBytes([{ name: 'data.bin', data: binary, deflate: false }]);
  bytes[30 + 'data.bin'.length + 500] ^= 0xff; // one byte in the middle of the stored data
  const file = path.join(dir, 'corrupt.zip');
  writeFileSync(file, bytes);
  const zip = ZipReader.open(file);
  try {
    assert.throws(() => zip.read('data.bin'), /does not match its size or CRC/);
  } finally {
    zip.close();
  }
  const notZip = path.join(dir, 'plain.txt');
  writeFileSync(notZip, 'just text, no end of central directory here');
  assert.throws(() => ZipReader.open(notZip), /is not a zip file/);
});
