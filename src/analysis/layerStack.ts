// A [layers, …] tensor kept as the run returned it, one array per layer. The panel reads a head or a
// layer at a time, so the whole array is put together only when something reads `data` (a file
// written, a report embedded); the per-layer arrays then become views into it.

import type { Tensor } from '../protocol/inspection';

export class LayerStack implements Tensor {
  private parts: readonly Float32Array[];
  private whole?: Float32Array;

  /** `dims`: [layers, …each layer's dims]; every part holds one layer's values. */
  constructor(readonly dims: readonly number[], parts: readonly Float32Array[]) {
    const size = dims.slice(1).reduce((product, dim) => product * dim, 1);
    parts.forEach((part, layer) => {
      if (part.length !== size) throw new RangeError(`layer ${layer} holds ${part.length} values, not ${size} ([${dims.slice(1)}])`);
    });
    if (parts.length !== dims[0]) throw new RangeError(`${parts.length} layers for dims [${dims}]`);
    this.parts = parts;
  }

  get layers(): readonly Float32Array[] {
    return this.parts;
  }

  get data(): Float32Array {
    if (!this.whole) {
      const size = this.parts[0]?.length ?? 0;
      const whole = new Float32Array(size * this.parts.length);
      this.parts.forEach((part, layer) => whole.set(part, layer * size));
      this.whole = whole;
      // One copy held, not two.
      this.parts = this.parts.map((_, layer) => whole.subarray(layer * size, (layer + 1) * size));
    }
    return this.whole;
  }

  /** As JSON (a report's embedded inspection) it is a plain tensor. */
  toJSON(): Tensor {
    return { dims: this.dims, data: this.data };
  }
}

/** Layer `layer` of a [layers, …] tensor: a view, never a copy. */
export function layerData(tensor: Tensor, layer: number): Float32Array {
  if (tensor instanceof LayerStack) return tensor.layers[layer];
  const size = tensor.dims.slice(1).reduce((product, dim) => product * dim, 1);
  return tensor.data.subarray(layer * size, (layer + 1) * size);
}
