// One decoder call per generation step for every beam, over the KV cache the layout offers: encoder-decoder
// (merged If decoder, or decoder + decoder-with-past) and decoder-only (past_key_values, or none).

import * as ort from 'onnxruntime-node';
import { EngineError } from './engineError';
import { KvCache, selectRows } from './kvCache';
import type { LoadedModel, StackRuntime } from './loadedModel';
import { HEAD_MASK_INPUT } from './graph/headMask';
import { HeadRef, headMaskFeed, zeroSwitchedOff } from './headAblation';
import { allHeads, buildFeeds, InputSpec, integerTensor, toFloat32, zeros } from './modelFeeds';
import { runFetching } from './sessionRun';

export interface StepResult {
  /** [beams × vocab] log-probabilities of the next token. */
  readonly logProbs: Float32Array;
  /** Per beam: this step's cross-attention, [layers × heads × source]; empty for decoder-only models. */
  readonly attention: Float32Array[];
  readonly vocab: number;
}

export interface DecoderSteps {
  /** Cross-attention layers (0 for decoder-only models). */
  readonly layers: number;
  readonly heads: number;
  /** Runs one step; every sequence holds all tokens so far (start token or prompt included). */
  step(sequences: readonly (readonly number[])[]): Promise<StepResult>;
  /** Keeps the cache rows of the beams that go on (a beam may continue twice). */
  reorder(rows: readonly number[]): void;
}

const isPast = (name: string) => name.startsWith('past');

/** Empty past of the given batch size (0 along every other unknown axis). */
function emptyPast(spec: InputSpec, beams: number): ort.Tensor {
  return zeros({ ...spec, dims: spec.dims.map((dim, axis) => (axis === 0 ? beams : dim)) });
}

function fetchesOf(runtime: StackRuntime, extra: readonly string[] = []): string[] {
  return [...runtime.outputNames.filter((name) => name === 'logits' || name.startsWith('present')), ...extra];
}

/** Log-softmax of the last position's logits of each beam. */
function lastLogProbs(logits: ort.Tensor, beams: number): { logProbs: Float32Array; vocab: number } {
  const [, length, vocab] = logits.dims;
  const raw = toFloat32(logits);
  const logProbs = new Float32Array(beams * vocab);
  for (let beam = 0; beam < beams; beam++) {
    const row = raw.subarray(((beam + 1) * length - 1) * vocab, (beam + 1) * length * vocab);
    logSoftmaxInto(row, logProbs.subarray(beam * vocab, (beam + 1) * vocab));
  }
  return { logProbs, vocab };
}

function logSoftmaxInto(logits: Float32Array, out: Float32Array): void {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  const logSum = max + Math.log(sum);
  for (let i = 0; i < logits.length; i++) out[i] = logits[i] - logSum;
}

export class EncoderDecoderSteps implements DecoderSteps {
  private readonly first: StackRuntime;
  private readonly next?: StackRuntime;
  private readonly cache = new KvCache();
  private expandedHidden?: ort.Tensor;
  private steps = 0;
  readonly layers: number;
  heads = 0;

  constructor(
    private readonly model: LoadedModel,
    private readonly encoderHidden: ort.Tensor,
    private readonly sourceLength: number,
    private readonly ablated: readonly HeadRef[] = [],
  ) {
    this.first = model.stacks.find((runtime) => runtime.stack === 'decoder')!;
    // Merged decoders take the cache themselves; split ones hand over to decoder-with-past.
    this.next = this.first.role === 'decoder-merged' ? this.first : model.withPast;
    this.layers = this.first.probes.attention.filter((probe) => probe.kind === 'cross').length;
  }

  async step(sequences: readonly (readonly number[])[]): Promise<StepResult> {
    const useCache = this.steps > 0 && this.next !== undefined;
    const runtime = useCache ? this.next! : this.first;
    const beams = sequences.length;
    const inputIds = useCache ? sequences.map((sequence) => sequence.slice(-1)) : sequences;
    const feeds = this.feeds(runtime.inputs, inputIds, beams, useCache);
    const crossOutputs = Array.from({ length: this.layers }, (_, layer) => runtime.probeOutputs.get(`cross.${layer}`)).filter((name): name is string => !!name);
    const outputs = await runFetching(runtime.session, feeds, fetchesOf(runtime, crossOutputs));
    if (this.next) this.cache.update(outputs);
    this.steps++;

    const { logProbs, vocab } = lastLogProbs(outputs.logits, beams);
    this.heads ||= headsOf(outputs, crossOutputs, beams);
    const attention = lastCrossAttention(outputs, crossOutputs, beams, this.heads, this.sourceLength);
    for (const beam of attention) zeroSwitchedOff({ dims: [this.layers, this.heads, this.sourceLength], data: beam }, 'decoder', 'cross', this.ablated);
    return { logProbs, attention, vocab };
  }

  reorder(rows: readonly number[]): void {
    if (this.cache.size > 0) this.cache.reorder(rows);
  }

  /** The head mask of whichever decoder session runs this step. */
  private headMask(spec: InputSpec): ort.Tensor {
    const runtime = [this.first, this.next].find((candidate) => candidate?.inputs.includes(spec))!;
    return headMaskFeed(this.model, runtime, this.ablated) ?? allHeads(spec);
  }

  /** The encoder output repeated for each beam (every beam translates the same source). */
  private hiddenFor(beams: number): ort.Tensor {
    if (this.expandedHidden?.dims[0] !== beams) this.expandedHidden = selectRows(this.encoderHidden, new Array<number>(beams).fill(0));
    return this.expandedHidden;
  }

  private feeds(specs: readonly InputSpec[], inputIds: readonly (readonly number[])[], beams: number, useCache: boolean): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {};
    const length = inputIds[0].length;
    for (const spec of specs) {
      const { name, elemType } = spec;
      if (name === 'input_ids') feeds[name] = integerTensor(elemType, inputIds.flat(), [beams, length]);
      else if (name === 'encoder_attention_mask') feeds[name] = integerTensor(elemType, new Array<number>(beams * this.sourceLength).fill(1), [beams, this.sourceLength]);
      else if (name === 'encoder_hidden_states') feeds[name] = this.hiddenFor(beams);
      else if (name === 'use_cache_branch') feeds[name] = new ort.Tensor('bool', Uint8Array.of(useCache ? 1 : 0), [1]);
      else if (name === HEAD_MASK_INPUT) feeds[name] = this.headMask(spec);
      else if (isPast(name)) feeds[name] = (useCache && this.cache.get(name)) || emptyPast(spec, beams);
      else throw new EngineError('session', `The decoder needs an input "${name}" that the engine does not know how to fill.`);
    }
    return feeds;
  }
}

/** Heads of the cross-attention probabilities, [beams, heads, q, k] or with the heads merged into the batch ([beams·heads, q, k], as PyTorch's nn.MultiheadAttention exports them). */
function headsOf(outputs: ort.InferenceSession.OnnxValueMapType, crossOutputs: readonly string[], beams: number): number {
  if (crossOutputs.length === 0) return 0;
  const { dims, size } = outputs[crossOutputs[0]];
  return size / (beams * dims[dims.length - 2] * dims[dims.length - 1]);
}

/** Per beam, the cross-attention of the last query row (the token each step predicts from): [layers × heads × source]. */
function lastCrossAttention(outputs: ort.InferenceSession.OnnxValueMapType, crossOutputs: readonly string[], beams: number, heads: number, sourceLength: number): Float32Array[] {
  const attention = Array.from({ length: beams }, () => new Float32Array(crossOutputs.length * heads * sourceLength));
  crossOutputs.forEach((name, layer) => {
    const tensor = outputs[name];
    const [queries, keys] = tensor.dims.slice(-2);
    const data = toFloat32(tensor);
    for (let beam = 0; beam < beams; beam++) {
      for (let head = 0; head < heads; head++) {
        const from = ((beam * heads + head) * queries + queries - 1) * keys;
        attention[beam].set(data.subarray(from, from + keys), (layer * heads + head) * sourceLength);
      }
    }
  });
  return attention;
}

/**
 * A graph holding both the encoder and the decoder (PyTorch's nn.Transformer exported whole): it
 * has no cache, so every step reads the source and the whole target so far, one beam at a time.
 */
export class OneGraphSteps implements DecoderSteps {
  private readonly encoder: StackRuntime;
  private readonly decoder: StackRuntime;
  private readonly crossOutputs: string[];
  readonly layers: number;
  heads = 0;

  private readonly headMask?: ort.Tensor;

  constructor(
    model: LoadedModel,
    private readonly sourceIds: readonly number[],
    private readonly ablated: readonly HeadRef[] = [],
  ) {
    this.encoder = model.stacks.find((runtime) => runtime.stack === 'encoder')!;
    this.decoder = model.stacks.find((runtime) => runtime.stack === 'decoder')!;
    this.crossOutputs = this.decoder.probes.attention.filter((probe) => probe.kind === 'cross').map((probe) => this.decoder.probeOutputs.get(`cross.${probe.layer}`)!);
    this.layers = this.crossOutputs.length;
    this.headMask = headMaskFeed(model, this.decoder, ablated);
  }

  async step(sequences: readonly (readonly number[])[]): Promise<StepResult> {
    const results: { logProbs: Float32Array; attention: Float32Array; vocab: number }[] = [];
    for (const sequence of sequences) {
      const feeds = buildFeeds(this.decoder.inputs, {
        ids: sequence,
        tokenIds: new Map([[this.encoder.probes.tokenInput!, this.sourceIds], [this.decoder.probes.tokenInput!, sequence]]),
        masks: [...(this.encoder.probes.maskInputs ?? []), ...(this.decoder.probes.maskInputs ?? [])],
        targetLength: sequence.length,
        headMask: this.headMask,
      });
      const outputs = await runFetching(this.decoder.session, feeds, ['logits', ...this.crossOutputs]);
      this.heads ||= headsOf(outputs, this.crossOutputs, 1);
      const { logProbs, vocab } = lastLogProbs(outputs.logits, 1);
      const attention = lastCrossAttention(outputs, this.crossOutputs, 1, this.heads, this.sourceIds.length)[0];
      zeroSwitchedOff({ dims: [this.layers, this.heads, this.sourceIds.length], data: attention }, 'decoder', 'cross', this.ablated);
      results.push({ logProbs, attention, vocab });
    }
    const vocab = results[0].vocab;
    const logProbs = new Float32Array(results.length * vocab);
    results.forEach((result, beam) => logProbs.set(result.logProbs, beam * vocab));
    return { logProbs, attention: results.map((result) => result.attention), vocab };
  }

  reorder(): void {
    // No cache: every step reads the whole sequence again.
  }
}

/**
 * Decoder-only models: the first step reads the whole prompt (with an empty cache where the model
 * takes one); later steps feed only the newest token, its position, and the mask over every
 * token so far. A model without cache inputs reads the whole sequence at every step.
 */
export class DecoderOnlySteps implements DecoderSteps {
  private readonly runtime: StackRuntime;
  private readonly cached: boolean;
  private readonly cache = new KvCache();
  private steps = 0;
  readonly layers = 0;
  readonly heads = 0;

  private readonly headMask?: ort.Tensor;

  constructor(model: LoadedModel, ablated: readonly HeadRef[] = []) {
    this.runtime = model.stacks.find((runtime) => runtime.stack === 'decoder')!;
    this.cached = this.runtime.inputs.some((spec) => isPast(spec.name));
    this.headMask = headMaskFeed(model, this.runtime, ablated);
  }

  async step(sequences: readonly (readonly number[])[]): Promise<StepResult> {
    const useCache = this.cached && this.steps > 0;
    const beams = sequences.length;
    const total = sequences[0].length;
    const fed = useCache ? sequences.map((sequence) => sequence.slice(-1)) : sequences;
    const outputs = await runFetching(this.runtime.session, this.feeds(fed, total, useCache), fetchesOf(this.runtime));
    if (this.cached) this.cache.update(outputs);
    this.steps++;
    const { logProbs, vocab } = lastLogProbs(outputs.logits, beams);
    return { logProbs, attention: sequences.map(() => new Float32Array(0)), vocab };
  }

  reorder(rows: readonly number[]): void {
    if (this.cache.size > 0) this.cache.reorder(rows);
  }

  private feeds(fed: readonly (readonly number[])[], total: number, useCache: boolean): Record<string, ort.Tensor> {
    const beams = fed.length;
    const length = fed[0].length;
    const first = total - length;
    const feeds: Record<string, ort.Tensor> = {};
    for (const spec of this.runtime.inputs) {
      const { name, elemType } = spec;
      if (name === 'input_ids') feeds[name] = integerTensor(elemType, fed.flat(), [beams, length]);
      // The mask covers the cached tokens too: [beams, past + new].
      else if (name === 'attention_mask') feeds[name] = integerTensor(elemType, new Array<number>(beams * total).fill(1), [beams, total]);
      else if (name === 'position_ids') feeds[name] = integerTensor(elemType, fed.flatMap(() => Array.from({ length }, (_, i) => first + i)), [beams, length]);
      else if (name === 'cache_position') feeds[name] = integerTensor(elemType, Array.from({ length }, (_, i) => first + i), [length]);
      else if (name === 'use_cache_branch') feeds[name] = new ort.Tensor('bool', Uint8Array.of(useCache ? 1 : 0), [1]);
      else if (name === 'num_logits_to_keep') feeds[name] = integerTensor(elemType, [1], []);
      else if (name === HEAD_MASK_INPUT) feeds[name] = this.headMask ?? allHeads(spec);
      else if (isPast(name)) feeds[name] = (useCache && this.cache.get(name)) || emptyPast(spec, beams);
      else throw new EngineError('session', `The model needs an input "${name}" for generation that the engine does not know how to fill.`);
    }
    return feeds;
  }
}
