// `--text-file FILE` (or `-` for standard input): a text too long for a command line, which Linux
// caps at 128 KiB per argument.

import { readFile } from 'node:fs/promises';

/** The file's text as UTF-8, without a byte-order mark and without one final line break. */
export async function readTextFile(file: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = file === '-' ? await readStandardInput() : await readFile(file);
  } catch (error) {
    throw new Error(`--text-file ${file} cannot be read: ${(error as Error).message}`);
  }
  return new TextDecoder('utf-8').decode(bytes).replace(/\r?\n$/, '');
}

async function readStandardInput(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
