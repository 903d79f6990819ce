// Greedy and beam search: encoder-decoder models translate (with the cross-attention behind every
// generated token), decoder-only models continue the prompt. Cancellable between steps.

import type * as ort from 'onnxruntime-node';
import type { Tensor, Translation } from '../protocol/inspection';
import { DecoderOnlySteps, DecoderSteps, EncoderDecoderSteps, OneGraphSteps } from './decoderSteps';
import { EngineError } from './engineError';
import { encoderOutputName } from './fetchLists';
import { DEFAULT_MAX_TOKENS, encodeWithinLimit } from './inspector';
import { targetLanguageFor } from './languages';
import { languageTokensOf, LoadedModel } from './loadedModel';
import { buildFeeds } from './modelFeeds';
import { describeAblation, HeadRef, headMaskFeed } from './headAblation';
import { configNumber } from './modelFolder';
import { runFetching } from './sessionRun';
import { decoderStartToken, endToken } from './specialTokens';
import { repeatsJustWritten } from './wordRepeat';

/** New tokens a decoder-only model writes when the caller does not say. */
const DEFAULT_NEW_TOKENS = 32;

export interface GenerateOptions {
  /** Heads switched off while generating. */
  readonly ablate?: readonly HeadRef[];
  /** 1 is greedy search. */
  readonly beamSize?: number;
  readonly maxNewTokens?: number;
  /** For bilingual models: `en`, `zh` or `auto`. */
  readonly targetLanguage?: string;
  /** Never write a word twice in a row, and stop a hypothesis that loops on the same n-gram (on by default). */
  readonly repetitionGuard?: boolean;
  readonly maxSourceTokens?: number;
  readonly signal?: AbortSignal;
  /** Called after each decoder step with the number of steps done. */
  readonly onStep?: (steps: number) => void;
}

interface Hypothesis {
  readonly ids: readonly number[];
  readonly score: number;
  /** Score after each generated token, so a cut hypothesis keeps the score of what remains. */
  readonly scores: readonly number[];
  /** Per step: cross-attention of this beam, [layers × heads × source]. */
  readonly attention: readonly Float32Array[];
  readonly finished: boolean;
  readonly repetitionStopped: boolean;
}

/** Score per token; a hypothesis ended by the end token counts that token too. */
/** One decode function per tokenizer, so what the word-repeat guard learns of its pieces lasts across translations. */
const decoders = new WeakMap<LoadedModel['tokenizer'], (ids: readonly number[]) => string>();
function decoderOf(tokenizer: LoadedModel['tokenizer']): (ids: readonly number[]) => string {
  let decode = decoders.get(tokenizer);
  if (!decode) decoders.set(tokenizer, (decode = (ids) => tokenizer.decode(ids)));
  return decode;
}

const normalized = (hypothesis: Hypothesis) => hypothesis.score / Math.max(1, hypothesis.ids.length + (hypothesis.finished && !hypothesis.repetitionStopped ? 1 : 0));

export async function generate(model: LoadedModel, text: string, options: GenerateOptions = {}): Promise<Translation> {
  const started = performance.now();
  if (model.spec.family === 'encoder-only') {
    throw new EngineError('input', 'Generation needs a decoder (an encoder-decoder or decoder-only model); this one is encoder-only.');
  }
  if (text.trim() === '') throw new EngineError('input', 'Nothing to generate from: the text is empty.');
  const beamSize = Math.max(1, Math.min(16, Math.floor(options.beamSize ?? 1)));
  const notices: string[] = [];
  const limit = Math.min(model.maxPositions, options.maxSourceTokens ?? DEFAULT_MAX_TOKENS);
  const source = encodeWithinLimit(model, text, limit, true, notices, options.targetLanguage);
  if (options.ablate?.length) notices.push(`Heads switched off: ${describeAblation(model, options.ablate)}.`);
  const languages = languageTokensOf(model.spec);
  const targetLanguage = languages ? targetLanguageFor(source.text, Object.keys(languages), options.targetLanguage ?? 'auto') : undefined;
  const sourceLength = source.tokens.length;
  const timingsMs: Record<string, number> = { tokenize: performance.now() - started };
  const { prefix, eos, maxNewTokens, decoder } = model.spec.family === 'encoder-decoder'
    ? await prepareTranslation(model, source.tokens.map((token) => token.id), options, timingsMs)
    : prepareContinuation(model, source.tokens.map((token) => token.id), options);

  const guard = options.repetitionGuard !== false;
  const decode = decoderOf(model.tokenizer);
  let alive: Hypothesis[] = [{ ids: [], score: 0, scores: [], attention: [], finished: false, repetitionStopped: false }];
  const done: Hypothesis[] = [];
  const decodeStarted = performance.now();
  for (let step = 0; step < maxNewTokens && alive.length > 0; step++) {
    if (options.signal?.aborted) throw new EngineError('cancelled', 'Generation cancelled.');
    const { logProbs, attention, vocab } = await decoder.step(alive.map((hypothesis) => [...prefix, ...hypothesis.ids]));
    options.onStep?.(step + 1);
    const candidates: { beam: number; token: number; score: number }[] = [];
    alive.forEach((hypothesis, beam) => {
      // A few more than the beam needs: the word-repeat guard may turn some down.
      for (const token of topTokens(logProbs.subarray(beam * vocab, (beam + 1) * vocab), beamSize * 2 + (guard ? 4 : 0))) {
        candidates.push({ beam, token, score: hypothesis.score + logProbs[beam * vocab + token] });
      }
    });
    candidates.sort((a, b) => b.score - a.score);
    const next: Hypothesis[] = [];
    const rows: number[] = [];
    for (const candidate of candidates) {
      if (next.length === beamSize) break;
      const parent = alive[candidate.beam];
      if (guard && candidate.token !== eos && repeatsJustWritten(parent.ids, candidate.token, decode, source.text)) continue;
      const history = [...parent.attention, attention[candidate.beam]];
      if (candidate.token === eos) {
        // The step that chose the end token has no output token to label its attention row.
        done.push({ ...parent, score: candidate.score, finished: true });
        continue;
      }
      const grown = [...parent.ids, candidate.token];
      const scores = [...parent.scores, candidate.score];
      const loop = options.repetitionGuard === false ? 0 : repeatedTail(grown);
      if (loop > 0) {
        const kept = grown.length - loop;
        done.push({ ids: grown.slice(0, kept), score: scores[kept - 1], scores: scores.slice(0, kept), attention: history.slice(0, kept), finished: true, repetitionStopped: true });
        continue;
      }
      next.push({ ids: grown, score: candidate.score, scores, attention: history, finished: false, repetitionStopped: false });
      rows.push(candidate.beam);
    }
    alive = next;
    if (done.length >= beamSize) break;
    decoder.reorder(rows);
  }
  timingsMs.decoder = performance.now() - decodeStarted;
  // Beams still open at the length limit compete too, as in Hugging Face's beam search.
  const best = (done.length >= beamSize ? done : [...done, ...alive]).sort((a, b) => normalized(b) - normalized(a))[0];
  if (!best.finished) notices.push(`The ${model.spec.family === 'encoder-decoder' ? 'translation' : 'continuation'} reached the limit of ${maxNewTokens} tokens before its end.`);
  if (best.repetitionStopped) notices.push('The model started repeating itself; the repetition was cut.');
  const outputText = model.tokenizer.decode(best.ids);
  const { crossAttention, alignment } = assembleAttention(best.attention, decoder.layers, decoder.heads, sourceLength);
  timingsMs.total = performance.now() - started;
  return {
    sourceText: source.text,
    sourceTokens: source.tokens,
    targetLanguage,
    text: outputText,
    tokens: model.tokenizer.alignIds(outputText, best.ids),
    score: best.score,
    normalizedScore: normalized(best),
    crossAttention,
    alignment,
    finished: best.finished,
    repetitionStopped: best.repetitionStopped,
    timingsMs,
    notices,
  };
}

interface Prepared {
  /** Tokens every hypothesis starts from: the decoder start token, or the prompt. */
  readonly prefix: readonly number[];
  readonly eos?: number;
  readonly maxNewTokens: number;
  readonly decoder: DecoderSteps;
}

/** Encoder-decoder: run the encoder once; the decoder starts from decoder_start_token_id. */
async function prepareTranslation(model: LoadedModel, ids: readonly number[], options: GenerateOptions, timingsMs: Record<string, number>): Promise<Prepared> {
  const { generationConfig } = model.spec;
  const start = decoderStartToken(model);
  const eos = endToken(model);
  if (start === undefined || eos === undefined) throw new EngineError('config', 'Cannot generate: neither config.json nor the tokenizer names the decoder start and end tokens (decoder_start_token_id, eos_token_id; <bos>, <eos>, …).');
  const maxNewTokens = Math.min(
    options.maxNewTokens ?? Math.round(ids.length * 2 + 10),
    (configNumber(generationConfig, 'max_length') ?? Number.POSITIVE_INFINITY) - 1,
    model.maxPositions - 1,
  );
  const encoderRuntime = model.stacks.find((runtime) => runtime.stack === 'encoder')!;
  const decoderRuntime = model.stacks.find((runtime) => runtime.stack === 'decoder')!;
  if (encoderRuntime.session === decoderRuntime.session) return { prefix: [start], eos, maxNewTokens, decoder: new OneGraphSteps(model, ids, options.ablate) };
  const encoderStarted = performance.now();
  const encoderFeeds = buildFeeds(encoderRuntime.inputs, { ids, headMask: headMaskFeed(model, encoderRuntime, options.ablate) });
  const output = encoderOutputName(encoderRuntime);
  const encoderHidden = (await runFetching(encoderRuntime.session, encoderFeeds, [output]))[output];
  timingsMs.encoder = performance.now() - encoderStarted;
  return { prefix: [start], eos, maxNewTokens, decoder: new EncoderDecoderSteps(model, encoderHidden, ids.length, options.ablate) };
}

/** Decoder-only: the prompt is the prefix; max_length and the positions count the prompt too. */
function prepareContinuation(model: LoadedModel, ids: readonly number[], options: GenerateOptions): Prepared {
  const { generationConfig } = model.spec;
  const eos = endToken(model);
  const room = Math.min((configNumber(generationConfig, 'max_length') ?? Number.POSITIVE_INFINITY), model.maxPositions) - ids.length;
  if (room <= 0) throw new EngineError('input', `The prompt is ${ids.length} tokens and fills the model's limit: there is no room to generate.`);
  const maxNewTokens = Math.min(options.maxNewTokens ?? DEFAULT_NEW_TOKENS, room);
  return { prefix: ids, eos, maxNewTokens, decoder: new DecoderOnlySteps(model, options.ablate) };
}

/** Indices of the k largest values. */
function topTokens(values: Float32Array, k: number): number[] {
  const best: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (best.length < k || values[i] > values[best[best.length - 1]]) {
      let at = best.length < k ? best.length : k - 1;
      while (at > 0 && values[best[at - 1]] < values[i]) at--;
      best.splice(at, best.length < k ? 0 : 1, i);
      if (best.length > k) best.pop();
    }
  }
  return best;
}

/** Length of a block repeated four times in a row at the end (a degenerate loop), else 0. */
export function repeatedTail(ids: readonly number[], repeats = 4, maxBlock = 8): number {
  for (let block = 1; block <= maxBlock && block * repeats <= ids.length; block++) {
    const tail = ids.length - block;
    let looping = true;
    for (let r = 1; r < repeats && looping; r++) {
      for (let i = 0; i < block; i++) {
        if (ids[tail + i] !== ids[tail - r * block + i]) {
          looping = false;
          break;
        }
      }
    }
    if (looping) return block * (repeats - 1);
  }
  return 0;
}

function assembleAttention(steps: readonly Float32Array[], layers: number, heads: number, source: number): { crossAttention?: Tensor; alignment?: Tensor } {
  const generated = steps.length;
  if (generated === 0 || layers === 0) return {};
  const cross = new Float32Array(layers * heads * generated * source);
  const alignment = new Float32Array(generated * source);
  steps.forEach((step, n) => {
    for (let block = 0; block < layers * heads; block++) {
      const from = step.subarray(block * source, (block + 1) * source);
      cross.set(from, (block * generated + n) * source);
      for (let s = 0; s < source; s++) alignment[n * source + s] += from[s] / (layers * heads);
    }
  });
  return { crossAttention: { dims: [layers, heads, generated, source], data: cross }, alignment: { dims: [generated, source], data: alignment } };
}
