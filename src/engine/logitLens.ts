// Reads every layer's hidden state through the model's own output head (the logit lens) and
// keeps the top predictions per position with their probabilities, at once or when first asked.

import * as ort from 'onnxruntime-node';
import type { LogitLens, Tensor } from '../protocol/inspection';
import { EngineError, errorMessage } from './engineError';
import { LENS_OUTPUTS, LENS_TOP_K } from './graph/lensHead';
import type { StackRuntime } from './loadedModel';
import { toFloat16Bits, toFloat32 } from './modelFeeds';
import type { TextTokenizer } from './textTokenizer';

/**
 * The lens of one run as a memoised computation, or undefined without an output head. It reads
 * the stacked hidden states, except that the last row is what the head itself reads (`lens`: the
 * residual stream before the final norm), so only that one extra [tokens, hidden] tensor is kept.
 */
export function logitLensOf(runtime: StackRuntime, outputs: ort.InferenceSession.OnnxValueMapType, hiddenStates: Tensor | undefined, tokenizer: TextTokenizer): (() => Promise<LogitLens>) | undefined {
  const lens = runtime.lens;
  // The head takes the stream in the model's own float type (float16 models: float16).
  const type = outputs[runtime.probeOutputs.get('hidden.0') ?? '']?.type;
  if (!lens || !hiddenStates || (type !== 'float32' && type !== 'float16')) return undefined;
  const lensProbe = runtime.probeOutputs.get('lens');
  const last = lensProbe ? outputs[lensProbe] : undefined;
  let result: Promise<LogitLens> | undefined;
  return () => (result ??= runLens(lens, hiddenStates, last && toFloat32(last), type, tokenizer));
}

async function runLens(lens: NonNullable<StackRuntime['lens']>, hiddenStates: Tensor, last: Float32Array | undefined, type: 'float32' | 'float16', tokenizer: TextTokenizer): Promise<LogitLens> {
  const [layers, tokens, width] = hiddenStates.dims;
  let batch = hiddenStates.data;
  if (last) {
    batch = new Float32Array(hiddenStates.data);
    batch.set(last, (layers - 1) * tokens * width);
  }
  // One batch of [layers + 1, tokens, hidden] through the head, which ends in TopK and LogSumExp:
  // the full logits never leave onnxruntime.
  let result: ort.InferenceSession.OnnxValueMapType;
  try {
    // float16 values widened to float32 narrow back exactly.
    const input = type === 'float16' ? new ort.Tensor('float16', toFloat16Bits(batch), [layers, tokens, width]) : new ort.Tensor('float32', batch, [layers, tokens, width]);
    result = await lens.session.run({ [lens.input]: input });
  } catch (error) {
    throw new EngineError('input', `The logit lens could not be computed (${errorMessage(error)}); the model may have been replaced since: inspect again.`);
  }
  const values = result[LENS_OUTPUTS.values].data as Float32Array;
  const topIds = result[LENS_OUTPUTS.ids].data as BigInt64Array;
  const logSumExp = result[LENS_OUTPUTS.logSumExp].data as Float32Array;
  const entries = layers * tokens * LENS_TOP_K;
  const ids = new Int32Array(entries);
  const probabilities = new Float32Array(entries);
  const tokenTexts: Record<number, string> = {};
  for (let i = 0; i < entries; i++) {
    const id = Number(topIds[i]);
    ids[i] = id;
    probabilities[i] = Math.exp(values[i] - logSumExp[Math.floor(i / LENS_TOP_K)]);
    tokenTexts[id] ??= tokenizer.tokenOf(id) ?? String(id);
  }
  return { dims: [layers, tokens, LENS_TOP_K], ids, probabilities, tokenTexts };
}
