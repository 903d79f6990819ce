// The classic mistakes of a Transformer written by hand, each said in one plain sentence with its
// fix: found in the graph (unscaled scores, a mask added after the softmax) or in a run (attention
// over an axis of length 1, a decoder that sees later positions).

import { layerData } from '../analysis/layerStack';
import type { Diagnosis, Inspection, Tensor } from '../protocol/inspection';
import type { LoadedModel } from './loadedModel';

/** Architectures that leave QKᵀ unscaled by design (T5 folds 1/√dₖ into its initialisation). */
const UNSCALED_BY_DESIGN = new Set(['t5', 'mt5', 'longt5', 'umt5', 'switch_transformers']);
/** Weight above the diagonal that is more than rounding. */
const FUTURE_WEIGHT = 1e-6;

/** What the graph itself shows, whatever the input. */
export function graphDiagnoses(model: LoadedModel): Diagnosis[] {
  const found: Diagnosis[] = [];
  const count = (key: 'unscaled' | 'maskAfterSoftmax') => model.stacks.reduce((sum, runtime) => sum + runtime.probes.scoreChecks[key], 0);
  const blocks = model.stacks.reduce((sum, runtime) => sum + runtime.probes.scoreChecks.blocks, 0);
  const unscaled = count('unscaled');
  if (unscaled > 0 && !UNSCALED_BY_DESIGN.has(model.spec.modelType)) {
    found.push({
      id: 'unscaled-scores',
      message: `${unscaled} of ${blocks} attention blocks do not scale QKᵀ before the softmax: without ÷√dₖ the scores grow with the head size and the softmax saturates on one key. Divide the scores by math.sqrt(d_k).`,
    });
  }
  const late = count('maskAfterSoftmax');
  if (late > 0) {
    found.push({
      id: 'mask-after-softmax',
      message: `${late} of ${blocks} attention blocks add a mask to the probabilities after the softmax, so masked keys keep their weight and the rows no longer sum to 1. Add the mask to the scores before it: softmax(QKᵀ/√dₖ + mask).`,
    });
  }
  return found;
}

/** What one run shows. */
export function runDiagnoses(model: LoadedModel, inspection: Pick<Inspection, 'attention' | 'stacks'>): Diagnosis[] {
  const found: Diagnosis[] = [];
  for (const group of inspection.attention) {
    const [, , queries, keys] = group.tensor.dims;
    const tokens = inspection.stacks.find((stack) => stack.stack === group.stack)?.tokens.length ?? 0;
    if (group.kind === 'self' && keys === 1 && queries === 1 && tokens > 1 && !found.some((entry) => entry.id === 'length-1-attention')) {
      found.push({
        id: 'length-1-attention',
        message: `The ${group.stack}'s attention runs over an axis of length 1, not over its ${tokens} tokens, so every token attends only to itself. nn.TransformerEncoderLayer and nn.MultiheadAttention read [sequence, batch, features] unless created with batch_first=True, and this model was given [batch, sequence]: create the layers with batch_first=True, or transpose the input.`,
      });
    }
    const decoderSelf = group.stack === 'decoder' && group.kind === 'self' && model.spec.family !== 'encoder-only';
    if (decoderSelf && queries === keys && queries > 1) {
      const future = largestAboveDiagonal(group.tensor, queries);
      if (future > FUTURE_WEIGHT) {
        found.push({
          id: 'no-causal-mask',
          message: `The decoder's self-attention lets positions attend to later ones (up to ${future.toFixed(3)} of a row's weight above the diagonal): it sees the tokens it is meant to predict. Give it a causal mask, e.g. tgt_mask = nn.Transformer.generate_square_subsequent_mask(T), or valid lengths 1…T per position.`,
        });
      }
    }
  }
  return found;
}

/** Largest weight any query gives to a later key, over [layers × heads × T × T]. */
function largestAboveDiagonal(tensor: Tensor, size: number): number {
  let largest = 0;
  for (let layer = 0; layer < tensor.dims[0]; layer++) {
    const data = layerData(tensor, layer);
    for (let offset = 0; offset < data.length; offset += size * size) {
      for (let query = 0; query < size; query++) {
        for (let key = query + 1; key < size; key++) largest = Math.max(largest, data[offset + query * size + key]);
      }
    }
  }
  return largest;
}

/** The graph's and the run's, once each. */
export function diagnosesOf(model: LoadedModel, inspection: Pick<Inspection, 'attention' | 'stacks'>): Diagnosis[] {
  return [...graphDiagnoses(model), ...runDiagnoses(model, inspection)];
}

/** A diagnosis as an inspection's notices say it. */
export const diagnosisNotice = (diagnosis: Diagnosis) => `Diagnosis: ${diagnosis.message}`;
