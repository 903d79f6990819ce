// Per-layer probe outputs as the inspection's tensors: batch dimension dropped, layers stacked
// ([layers, …]), or taken as they are where the graph already stacked them.

import type * as ort from 'onnxruntime-node';
import type { Tensor } from '../protocol/inspection';
import { EngineError } from './engineError';
import { toFloat32 } from './modelFeeds';

/** Drops the batch dimension of [1, …] outputs. */
export function unbatched(tensor: ort.Tensor): Tensor {
  const dims = tensor.dims[0] === 1 && tensor.dims.length > 2 ? tensor.dims.slice(1) : tensor.dims;
  return { dims, data: toFloat32(tensor) };
}

/** [layers × first axis, …] from the graph's Concat as [layers, …each layer unbatched]: a view, no copy. */
export function fromStacked(tensor: ort.Tensor, layers: number): Tensor {
  const perLayer = [tensor.dims[0] / layers, ...tensor.dims.slice(1)];
  const dims = perLayer[0] === 1 && perLayer.length > 2 ? perLayer.slice(1) : perLayer;
  return { dims: [layers, ...dims], data: toFloat32(tensor) };
}

/** Stacks same-shaped per-layer tensors into one [layers, …] tensor. */
export function stackLayers(parts: readonly Tensor[]): Tensor {
  const dims = parts[0].dims;
  const size = parts[0].data.length;
  const data = new Float32Array(size * parts.length);
  parts.forEach((part, layer) => {
    if (part.data.length !== size) throw new EngineError('internal', `layer ${layer} has shape [${part.dims}] instead of [${dims}]`);
    data.set(part.data, layer * size);
  });
  return { dims: [parts.length, ...dims], data };
}
