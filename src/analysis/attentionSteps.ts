// One query's path through scaled dot-product attention, step by step, from one head's Q/K/V and
// the model's own weights: q∘kⱼ, q·kⱼ, × scale, the mask, softmax, Σ wⱼvⱼ. Used by the panel's
// step-by-step view; pure arithmetic, so the offline report and the tests compute the same.

import type { Tensor } from '../protocol/inspection';
import type { HeadQkv } from '../protocol/panelData';

export interface AttentionSteps {
  readonly headDim: number;
  readonly keys: number;
  /** [headDim]: this query's vector. */
  readonly query: Float32Array;
  /** [keys, headDim]: q∘kⱼ, whose sum along a row is q·kⱼ. */
  readonly products: Float32Array;
  /** [keys]: q·kⱼ. */
  readonly dots: Float32Array;
  /** [keys]: q·kⱼ times the model's scale (÷√dₖ for most models). */
  readonly scaled: Float32Array;
  /** [keys]: 1 where the model masked the key (its weight is 0 though the score alone would not make it so). */
  readonly masked: Uint8Array;
  /** [keys]: softmax(scaled + mask), recomputed here. */
  readonly recomputed: Float32Array;
  /** [keys]: the model's own weights, the heatmap's row. */
  readonly weights: Float32Array;
  /** [headDim]: Σ wⱼvⱼ with the model's weights. */
  readonly output: Float32Array;
  /** Largest |recomputed − weights|: near 0 when QKᵀ·scale and the mask are all the model adds to its scores. */
  readonly difference: number;
}

/** A weight this small with a score this far from being negligible was masked, not merely weak. */
const ZERO_WEIGHT = 1e-30;
const NEGLIGIBLE_SCORE_GAP = 60;

export function attentionSteps(qkv: HeadQkv, weights: Tensor, query: number): AttentionSteps {
  const [queries, headDim] = qkv.queries.dims;
  const keys = qkv.keys.dims[0];
  if (query < 0 || query >= queries) throw new RangeError(`no query ${query} (of ${queries})`);
  if (weights.dims[0] !== queries || weights.dims[1] !== keys) throw new RangeError(`weights [${weights.dims}] do not match Q/K [${queries}, ${keys}]`);
  const q = qkv.queries.data.slice(query * headDim, (query + 1) * headDim);
  const products = new Float32Array(keys * headDim);
  const dots = new Float32Array(keys);
  const scaled = new Float32Array(keys);
  for (let j = 0; j < keys; j++) {
    let dot = 0;
    for (let d = 0; d < headDim; d++) {
      const product = q[d] * qkv.keys.data[j * headDim + d];
      products[j * headDim + d] = product;
      dot += product;
    }
    dots[j] = dot;
    scaled[j] = dot * qkv.scale;
  }
  const row = weights.data.slice(query * keys, (query + 1) * keys);
  const top = Math.max(...scaled);
  const masked = new Uint8Array(keys);
  for (let j = 0; j < keys; j++) masked[j] = row[j] < ZERO_WEIGHT && scaled[j] - top > -NEGLIGIBLE_SCORE_GAP ? 1 : 0;
  const recomputed = softmaxMasked(scaled, masked);
  const output = new Float32Array(headDim);
  for (let j = 0; j < keys; j++) {
    if (row[j] === 0) continue;
    for (let d = 0; d < headDim; d++) output[d] += row[j] * qkv.values.data[j * headDim + d];
  }
  let difference = 0;
  for (let j = 0; j < keys; j++) difference = Math.max(difference, Math.abs(recomputed[j] - row[j]));
  return { headDim, keys, query: q, products, dots, scaled, masked, recomputed, weights: row, output, difference };
}

function softmaxMasked(scores: Float32Array, masked: Uint8Array): Float32Array {
  let top = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < scores.length; j++) if (!masked[j]) top = Math.max(top, scores[j]);
  const out = new Float32Array(scores.length);
  let sum = 0;
  for (let j = 0; j < scores.length; j++) {
    out[j] = masked[j] ? 0 : Math.exp(scores[j] - top);
    sum += out[j];
  }
  for (let j = 0; j < scores.length; j++) out[j] /= sum || 1;
  return out;
}
