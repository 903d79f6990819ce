// The decoder's key/value cache between generation steps: `present.*` outputs become the next
// step's `past_key_values.*` inputs, and beams reorder it row by row.

import * as ort from 'onnxruntime-node';

type TypedArray = Float32Array | Uint16Array | Int32Array | BigInt64Array | Uint8Array;

/** Rows of a tensor along its first (batch) axis, in the given order (rows may repeat). */
export function selectRows(tensor: ort.Tensor, rows: readonly number[]): ort.Tensor {
  const data = tensor.data as TypedArray;
  const rowSize = tensor.dims.slice(1).reduce((product, dim) => product * dim, 1);
  const out = new (data.constructor as new (length: number) => TypedArray)(rows.length * rowSize);
  rows.forEach((row, i) => out.set(data.subarray(row * rowSize, (row + 1) * rowSize) as never, i * rowSize));
  return new ort.Tensor(tensor.type, out as never, [rows.length, ...tensor.dims.slice(1)]);
}

/** `present.0.decoder.key` → `past_key_values.0.decoder.key`. */
export function pastNameFor(presentName: string): string | undefined {
  if (presentName.startsWith('present.')) return `past_key_values.${presentName.slice('present.'.length)}`;
  if (presentName.startsWith('present_key_values.')) return `past_key_values.${presentName.slice('present_key_values.'.length)}`;
  return undefined;
}

export class KvCache {
  private readonly entries = new Map<string, ort.Tensor>();

  get size(): number {
    return this.entries.size;
  }

  get(pastName: string): ort.Tensor | undefined {
    return this.entries.get(pastName);
  }

  /** Takes every present.* output of a step; encoder entries a step does not return are kept. */
  update(outputs: ort.InferenceSession.OnnxValueMapType): void {
    for (const [name, tensor] of Object.entries(outputs)) {
      const past = pastNameFor(name);
      if (past) this.entries.set(past, tensor);
    }
  }

  reorder(rows: readonly number[]): void {
    for (const [name, tensor] of this.entries) this.entries.set(name, selectRows(tensor, rows));
  }
}
