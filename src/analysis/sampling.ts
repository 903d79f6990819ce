// How a decoder's next-token distribution is reshaped before sampling: temperature, then top-k, then
// top-p (nucleus), renormalised — the knobs of transformers' generate(). Pure functions over one row.

export interface SamplingOptions {
  /** > 0; 1 leaves the distribution as the model gives it. */
  readonly temperature: number;
  /** Keep the k most likely tokens; 0 keeps all. */
  readonly topK: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p; 1 keeps all. */
  readonly topP: number;
}

/** softmax(logits / temperature). */
export function softmax(logits: ArrayLike<number>, temperature = 1): Float32Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  const out = new Float32Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp((logits[i] - max) / temperature);
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

/** Indices of the `count` largest values, largest first (one pass over a small sorted list). */
export function topIndices(values: ArrayLike<number>, count: number): number[] {
  const best: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (best.length === count && values[i] <= values[best[best.length - 1]]) continue;
    let at = best.length;
    while (at > 0 && values[best[at - 1]] < values[i]) at--;
    best.splice(at, 0, i);
    if (best.length > count) best.pop();
  }
  return best;
}

/** Every index, most likely first: the order temperature never changes, so a row is ranked once. */
export function rankOrder(logits: ArrayLike<number>): Uint32Array {
  const order = Uint32Array.from({ length: logits.length }, (_, i) => i);
  return order.sort((a, b) => logits[b] - logits[a]);
}

/** The distribution sampling draws from: zero outside top-k / top-p, the rest renormalised. */
export function reshapedDistribution(logits: ArrayLike<number>, order: Uint32Array, options: SamplingOptions): Float32Array {
  const probabilities = softmax(logits, Math.max(options.temperature, 1e-4));
  const k = options.topK > 0 ? Math.min(options.topK, order.length) : order.length;
  let kept = 0;
  let mass = 0;
  // At least one token survives, as in transformers (min_tokens_to_keep = 1).
  while (kept < k && (kept === 0 || mass < options.topP)) mass += probabilities[order[kept++]];
  for (let r = kept; r < order.length; r++) probabilities[order[r]] = 0;
  for (let r = 0; r < kept; r++) probabilities[order[r]] /= mass;
  return probabilities;
}
