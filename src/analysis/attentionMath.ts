// Slices and summaries of attention tensors [layers, heads, queries, keys]: one head, one layer,
// the head mean, rollout across layers, and mean-pooled thumbnails for the model view.

import type { Tensor } from '../protocol/inspection';
import { layerData } from './layerStack';

export function headSlice(tensor: Tensor, layer: number, head: number): Tensor {
  const [layers, heads, queries, keys] = tensor.dims;
  checkIndex(layer, layers, 'layer');
  checkIndex(head, heads, 'head');
  const size = queries * keys;
  return { dims: [queries, keys], data: layerData(tensor, layer).slice(head * size, (head + 1) * size) };
}

export function layerSlice(tensor: Tensor, layer: number): Tensor {
  checkIndex(layer, tensor.dims[0], 'layer');
  return { dims: tensor.dims.slice(1), data: layerData(tensor, layer).slice() };
}

export function headMean(tensor: Tensor, layer: number): Tensor {
  const [, heads, queries, keys] = tensor.dims;
  checkIndex(layer, tensor.dims[0], 'layer');
  const slice = layerData(tensor, layer);
  const size = queries * keys;
  const out = new Float32Array(size);
  for (let head = 0; head < heads; head++) for (let i = 0; i < size; i++) out[i] += slice[head * size + i] / heads;
  return { dims: [queries, keys], data: out };
}

/**
 * Attention rollout (Abnar & Zuidema 2020): each layer's head mean mixed half and half with the
 * identity for the residual path, rows renormalised, multiplied through the layers.
 */
/** Each layer's head mean, mixed half and half with the identity and re-normalised by row: what rollout multiplies. */
export function rolloutFactors(tensor: Tensor): Float32Array[] {
  const [layers, , queries, keys] = tensor.dims;
  if (queries !== keys) throw new RangeError('rollout needs self-attention (queries = keys)');
  const n = queries;
  return Array.from({ length: layers }, (_, layer) => {
    const mean = headMean(tensor, layer).data;
    const mixed = new Float32Array(n * n);
    for (let q = 0; q < n; q++) {
      let sum = 0;
      for (let k = 0; k < n; k++) sum += mixed[q * n + k] = 0.5 * mean[q * n + k] + (q === k ? 0.5 : 0);
      for (let k = 0; k < n; k++) mixed[q * n + k] /= sum || 1;
    }
    return mixed;
  });
}

export function rollout(tensor: Tensor): Tensor {
  const n = tensor.dims[2];
  const factors = rolloutFactors(tensor);
  let result = Float64Array.from(factors[0] ?? []);
  for (const mixed of factors.slice(1)) {
    const next = new Float64Array(n * n);
    for (let q = 0; q < n; q++) for (let m = 0; m < n; m++) {
      const weight = mixed[q * n + m];
      if (weight === 0) continue;
      for (let k = 0; k < n; k++) next[q * n + k] += weight * result[m * n + k];
    }
    result = next;
  }
  return { dims: [n, n], data: Float32Array.from(result) };
}

/** Every head mean-pooled to at most size × size cells: [layers, heads, rows, cols]. */
export function thumbnails(tensor: Tensor, size: number): Tensor {
  const [layers, heads, queries, keys] = tensor.dims;
  const rows = Math.min(size, queries);
  const cols = Math.min(size, keys);
  const out = new Float32Array(layers * heads * rows * cols);
  // Which thumbnail column each key pools into, worked out once (this loop reads every weight).
  const column = Int32Array.from({ length: keys }, (_, k) => Math.floor((k * cols) / keys));
  const counts = new Float32Array(rows * cols);
  for (let q = 0; q < queries; q++) for (let k = 0; k < keys; k++) counts[Math.floor((q * rows) / queries) * cols + column[k]]++;
  for (let block = 0; block < layers * heads; block++) {
    const to = block * rows * cols;
    const data = layerData(tensor, Math.floor(block / heads));
    for (let q = 0; q < queries; q++) {
      const row = to + Math.floor((q * rows) / queries) * cols;
      const from = ((block % heads) * queries + q) * keys;
      for (let k = 0; k < keys; k++) out[row + column[k]] += data[from + k];
    }
    for (let i = 0; i < rows * cols; i++) out[to + i] /= counts[i];
  }
  return { dims: [layers, heads, rows, cols], data: out };
}

function checkIndex(index: number, count: number, what: string): void {
  if (!Number.isInteger(index) || index < 0 || index >= count) throw new RangeError(`${what} ${index} is outside 0…${count - 1}`);
}
