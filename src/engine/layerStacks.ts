// Per-layer probe outputs as the inspection's tensors: batch dimension dropped, layers stacked
// ([layers, …]) by a copy, or kept as onnxruntime-node returned them (attention, the largest).

import type * as ort from 'onnxruntime-node';
import { LayerStack } from '../analysis/layerStack';
import type { Tensor } from '../protocol/inspection';
import { EngineError } from './engineError';
import { toFloat32 } from './modelFeeds';

/** Drops the batch dimension of [1, …] outputs. */
export function unbatched(tensor: ort.Tensor): Tensor {
  const dims = tensor.dims[0] === 1 && tensor.dims.length > 2 ? tensor.dims.slice(1) : tensor.dims;
  return { dims, data: toFloat32(tensor) };
}

/**
 * Same-shaped per-layer tensors as one [layers, …] tensor that keeps each layer's array: no copy
 * (see analysis/layerStack.ts).
 */
export function keepLayers(parts: readonly Tensor[]): LayerStack {
  sameShapes(parts);
  return new LayerStack([parts.length, ...parts[0].dims], parts.map((part) => part.data));
}

/** Stacks same-shaped per-layer tensors into one [layers, …] tensor. */
export function stackLayers(parts: readonly Tensor[]): Tensor {
  sameShapes(parts);
  const size = parts[0].data.length;
  const data = new Float32Array(size * parts.length);
  parts.forEach((part, layer) => data.set(part.data, layer * size));
  return { dims: [parts.length, ...parts[0].dims], data };
}

/** Layers of one group with different shapes: heads pruned in some layers, say. */
function sameShapes(parts: readonly Tensor[]): void {
  const dims = parts[0].dims;
  parts.forEach((part, layer) => {
    if (part.dims.length !== dims.length || part.dims.some((dim, axis) => dim !== dims[axis])) {
      throw new EngineError('session', `The layers of this model have outputs of different shapes (layer ${layer}: [${part.dims}], layer 0: [${dims}]; heads pruned in some layers?), which the inspector cannot show as one group yet.`);
    }
  });
}
