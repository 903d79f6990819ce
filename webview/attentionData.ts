// Which attention matrix each attention view draws, and where it comes from: slices asked of the
// data source (engine or report page), or a translation's own cross-attention, averaged for display.

import type { Tensor, Translation } from '../src/protocol/inspection';
import type { PanelDataSource } from '../src/protocol/panelData';

export type AttentionMode = 'model' | 'heatmap' | 'steps' | 'heads' | 'mean' | 'rollout' | 'alignment' | 'dependence';

export function tensorMax(data: Float32Array): number {
  let max = 0;
  for (let i = 0; i < data.length; i++) if (data[i] > max) max = data[i];
  return max;
}

/** Element-wise mean of same-shaped tensors. */
export function meanOf(tensors: readonly Tensor[]): Tensor {
  const out = new Float32Array(tensors[0]?.data.length ?? 0);
  for (const tensor of tensors) for (let i = 0; i < out.length; i++) out[i] += tensor.data[i] / tensors.length;
  return { dims: tensors[0]?.dims ?? [0, 0], data: out };
}

/** A translation's cross-attention for one layer/head, or averaged where either is undefined. */
export function translationMatrix(translation: Translation, layer: number | undefined, head: number | undefined): Tensor | undefined {
  const cross = translation.crossAttention;
  if (!cross) return undefined;
  if (layer === undefined && head === undefined && translation.alignment) return translation.alignment;
  const [layers, heads, generated, source] = cross.dims;
  const size = generated * source;
  const picked: Tensor[] = [];
  for (let l = 0; l < layers; l++) {
    if (layer !== undefined && l !== layer) continue;
    for (let h = 0; h < heads; h++) {
      if (head !== undefined && h !== head) continue;
      const offset = (l * heads + h) * size;
      picked.push({ dims: [generated, source], data: cross.data.subarray(offset, offset + size) });
    }
  }
  return meanOf(picked);
}

/** An inspection's attention for one layer/head of `group`, averaged (layers and/or heads) where undefined. */
export async function groupMatrix(source: PanelDataSource, id: string, group: string, layers: number, layer: number | undefined, head: number | undefined): Promise<Tensor> {
  if (layer !== undefined && head !== undefined) return source.call('attentionHead', { id, group, layer, head });
  if (layer !== undefined) return source.call('attentionMean', { id, group, layer });
  const all = Array.from({ length: layers }, (_, l) => l);
  const parts = await Promise.all(all.map((l) => (head === undefined ? source.call('attentionMean', { id, group, layer: l }) : source.call('attentionHead', { id, group, layer: l, head }))));
  return meanOf(parts);
}
