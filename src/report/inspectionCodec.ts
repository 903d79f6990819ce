// An Inspection as compact JSON: typed arrays as base64 (little-endian), everything else as is.
// Embeds inspections in the offline HTML report and in the panel's browser tests.

import type { Inspection } from '../protocol/inspection';

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function bytesOf(array: Float32Array | Int32Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

export function encodeInspection(inspection: Inspection): string {
  return JSON.stringify(inspection, (_key, value: unknown) => {
    if (value instanceof Float32Array) return { f32: toBase64(bytesOf(value)) };
    if (value instanceof Int32Array) return { i32: toBase64(bytesOf(value)) };
    return value;
  });
}

export function decodeInspection(text: string): Inspection {
  return JSON.parse(text, (_key, value: unknown) => {
    if (typeof value !== 'object' || value === null) return value;
    const encoded = value as Partial<Record<'f32' | 'i32', unknown>>;
    const keys = Object.keys(value);
    if (keys.length !== 1) return value;
    if (typeof encoded.f32 === 'string') {
      const bytes = fromBase64(encoded.f32);
      return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    }
    if (typeof encoded.i32 === 'string') {
      const bytes = fromBase64(encoded.i32);
      return new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    }
    return value;
  }) as Inspection;
}
