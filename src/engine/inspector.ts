// Runs a loaded model once on a text (and, for encoder-decoder models, a target text fed by
// teacher forcing) and gathers every probe into an Inspection of typed arrays.

import type * as ort from 'onnxruntime-node';
import { attentionGroupKey, type Architecture, type AttentionGroup, type DeferredFfnActivations, type DeferredQkv, type HeadRef, type Inspection, type QkvGroup, type StackInspection, type Tensor, type Token } from '../protocol/inspection';
import { diagnosesOf, diagnosisNotice } from './diagnoses';
import { EngineError, errorMessage } from './engineError';
import { describeAblation, headMaskFeed, zeroSwitchedOff } from './headAblation';
import { languageTokenFor } from './languages';
import { languageTokensOf, LoadedModel, StackRuntime } from './loadedModel';
import { logitLensOf } from './logitLens';
import { buildFeeds, toFloat32 } from './modelFeeds';
import { interventionsFor } from './interventions';
import { positionTermOf } from './positionTerm';
import { assembleQkv, layerInputValues, layerQkv, qkvFetches } from './qkv';
import { keepLayers, stackLayers, unbatched } from './layerStacks';
import { encodeWithinLimit as encodeTextWithinLimit, widestWindow } from './inputWindow';
import { configNumber } from './modelFolder';
import { providerDisplayName } from './sessionFactory';
import { decoderStartToken } from './specialTokens';
import { runFetching } from './sessionRun';
import { encoderOutputName, inspectionFetches } from './fetchLists';

export const DEFAULT_MAX_TOKENS = 512;
/** Logits beyond this many values (tokens × vocabulary) are left out of an inspection. */
const MAX_LOGIT_VALUES = 4_000_000;
const LOGITS = 'logits';

export interface InspectRequest {
  readonly text: string;
  /** Decoder text for encoder-decoder models (teacher forcing). */
  readonly target?: string;
  /** Second segment of a sentence pair, for encoder-only models (token type ids 1 where the model takes them). */
  readonly pair?: string;
  /** Cap on tokens per sequence; the model's own maximum always applies. */
  readonly maxTokens?: number;
  /** For models with language tokens: the language to translate into, or `auto`. */
  readonly targetLanguage?: string;
  /** When the activations view's data (logit lens, FFN activations) is computed; `now` by default. */
  readonly activationsView?: ViewTiming;
  /** Also fetch the queries, keys and values of every attention group. */
  readonly qkv?: boolean;
  /** Heads switched off: their probabilities are zeroed before they meet the values. */
  readonly ablate?: readonly HeadRef[];
}

/**
 * `on-demand` (the panel's inspections): what only the activations view shows, the logit lens and
 * the FFN activations, is computed when it first asks. Both cost a share of the inspection itself.
 */
export type ViewTiming = 'now' | 'on-demand';

export interface Encoded {
  readonly tokens: Token[];
  readonly text: string;
  /** Token type (segment) ids of a sentence pair; absent means all 0. */
  readonly typeIds?: readonly number[];
}

export async function inspect(model: LoadedModel, request: InspectRequest): Promise<Inspection> {
  const started = performance.now();
  if (request.text.trim() === '') throw new EngineError('input', 'Nothing to inspect: the text is empty.');
  const limit = Math.min(model.maxPositions, request.maxTokens ?? DEFAULT_MAX_TOKENS);
  const notices: string[] = [];
  const source = request.pair !== undefined
    ? encodePair(model, request.text, request.pair, limit)
    : encodeWithinLimit(model, request.text, limit, true, notices, request.targetLanguage);
  const target = model.spec.family === 'encoder-decoder' ? decoderInput(model, request.target ?? '', limit, notices) : undefined;
  const tokenizeMs = performance.now() - started;
  const inspection = await inspectTokens(model, { source, target, notices, activationsView: request.activationsView, qkv: request.qkv, ablate: request.ablate, targetLanguage: request.targetLanguage });
  const timingsMs = { tokenize: tokenizeMs, ...inspection.timingsMs, total: performance.now() - started };
  return { ...inspection, timingsMs, notices: [...inspection.notices, ...diagnosesOf(model, inspection).map(diagnosisNotice)] };
}

export interface TokenInput {
  readonly source: Encoded;
  /** Decoder tokens (starting with the decoder start token) for encoder-decoder models. */
  readonly target?: Encoded;
  readonly notices?: readonly string[];
  readonly activationsView?: ViewTiming;
  readonly qkv?: boolean;
  readonly ablate?: readonly HeadRef[];
  /** For bilingual models, the language an ablation's re-generated translation is in. */
  readonly targetLanguage?: string;
}

/** Runs already-tokenized input; the level at which results are compared with reference runs. */
export async function inspectTokens(model: LoadedModel, input: TokenInput): Promise<Inspection> {
  const started = performance.now();
  const ablated = input.ablate?.length ? input.ablate : undefined;
  const notices = [
    ...model.spec.notices,
    ...model.info.unobservable.map((entry) => `Not observable: ${entry.what} — ${entry.why}`),
    ...(input.notices ?? []),
    ...(ablated ? [`Heads switched off: ${describeAblation(model, ablated)}.`] : []),
  ];
  const timingsMs: Record<string, number> = {};
  const stacks: StackInspection[] = [];
  const attention: AttentionGroup[] = [];
  let logits: Tensor | undefined;
  const qkv: QkvGroup[] = [];
  let encoderOutput: ort.Tensor | undefined;
  const layerInputs = new Map<StackRuntime, ReturnType<typeof layerInputValues>>();
  const tokensOf = (runtime: StackRuntime) => (runtime.stack === 'decoder' && input.target ? input.target.tokens : input.source.tokens);
  for (const group of runGroups(model.stacks)) {
    const runStarted = performance.now();
    const [first] = group;
    const typeIds = first.stack === 'decoder' && input.target ? undefined : input.source.typeIds;
    // One graph holding both stacks reads the source and the target in one run.
    const tokenIds = new Map(group.map((runtime) => [runtime.probes.tokenInput ?? '', tokensOf(runtime).map((token) => token.id)]));
    const feeds = buildFeeds(first.inputs, {
      ids: tokensOf(first).map((token) => token.id),
      typeIds,
      encoderHiddenStates: encoderOutput,
      tokenIds: group.length > 1 ? tokenIds : undefined,
      masks: group.flatMap((runtime) => runtime.probes.maskInputs ?? []),
      targetLength: input.target?.tokens.length,
      headMask: headMaskFeed(model, first, input.ablate),
    });
    const deferred = new Set(group.filter((runtime) => input.activationsView === 'on-demand' && FFN_WIDTHS.has(runtime)));
    const qkvFetchList = input.qkv ? group.flatMap((runtime) => KINDS.flatMap((kind) => qkvFetches(runtime, kind))) : [];
    const fetched = [...new Set([...group.flatMap((runtime) => inspectionFetches(runtime, { ffn: !deferred.has(runtime) })), ...qkvFetchList])];
    // The last stack of a run reads the logits; ones the inspection would leave out are not copied out of onnxruntime.
    const last = group.at(-1)!;
    const leftOut = fetched.includes(LOGITS) ? logitsLeftOut(last, tokensOf(last).length) : undefined;
    if (leftOut) notices.push(leftOut);
    const fetches = leftOut ? fetched.filter((name) => name !== LOGITS) : fetched;
    const outputs = await runFetching(first.session, feeds, fetches);
    timingsMs[group.map((runtime) => runtime.stack).join('+')] = performance.now() - runStarted;
    const valueOf = layerInputValues(group, outputs, feeds);
    for (const runtime of group) layerInputs.set(runtime, valueOf);
    for (const runtime of group) {
      if (runtime.stack === 'encoder') encoderOutput = outputs[encoderOutputName(runtime)];
      const positions = positionTermOf(model, runtime, tokensOf(runtime).length);
      const stack = { ...stackInspection(runtime, tokensOf(runtime), outputs, deferred.has(runtime) ? deferredFfn(runtime, feeds) : undefined), ...(positions ? { positions } : {}) };
      const lens = logitLensOf(runtime, outputs, stack.hiddenStates, model.tokenizer);
      if (lens && input.activationsView === 'on-demand') stacks.push({ ...stack, deferredLogitLens: lens });
      else stacks.push({ ...stack, logitLens: lens && (await lens()) });
      for (const group of attentionGroups(runtime, outputs)) {
        if (ablated) zeroSwitchedOff(group.tensor, group.stack, group.kind, ablated);
        attention.push(group);
      }
      if (input.qkv) for (const kind of KINDS.filter((kind) => runtime.probes.qkv.some((probe) => probe.kind === kind))) qkv.push(await assembleQkv(runtime, kind, outputs, valueOf));
    }
    if (outputs[LOGITS]) {
      logits = logitsOf(outputs[LOGITS], notices);
      const dims = outputs[LOGITS].dims;
      if (dims.length === 3 && dims[1] === tokensOf(last).length) LOGITS_WIDTHS.set(last, dims[2]);
    }
  }
  timingsMs.total = performance.now() - started;
  const qkvGroups = model.stacks.flatMap((runtime) => KINDS.filter((kind) => runtime.probes.qkv.some((probe) => probe.kind === kind)).map((kind) => attentionGroupKey(model.spec.family, runtime.stack, kind)));
  const deferredQkv = input.activationsView === 'on-demand' && !input.qkv && qkvGroups.length > 0 ? deferQkv(model, input, qkvGroups, layerInputs) : undefined;
  const inspection: Inspection = {
    modelName: model.spec.name,
    family: model.spec.family,
    executionProvider: providerDisplayName(model.stacks[0].provider),
    text: input.source.text,
    target: input.target?.text,
    stacks,
    attention,
    architecture: architectureOf(model, stacks, attention, logits),
    logits,
    ...(input.qkv ? { qkv } : {}),
    ...(ablated ? { ablated } : {}),
    ...(deferredQkv ? { deferredQkv } : {}),
    timingsMs,
    notices,
  };
  if (input.activationsView !== 'on-demand') return inspection;
  // The panel's inspections: heads can be switched off later, by re-running this input.
  const rerun = (heads: readonly HeadRef[]) => inspectTokens(model, { ...input, notices: [], ablate: heads });
  return { ...inspection, interventions: interventionsFor(model, inspection, rerun, input.targetLanguage) };
}

const KINDS = ['self', 'cross'] as const;

/** Stacks that run together: each on its own session, or both stacks of one graph on its one session. */
function runGroups(stacks: readonly StackRuntime[]): StackRuntime[][] {
  const groups: StackRuntime[][] = [];
  for (const runtime of stacks) {
    const group = groups.find((candidate) => candidate[0].session === runtime.session);
    if (group) group.push(runtime);
    else groups.push([runtime]);
  }
  return groups;
}

/** Tokens of `text` within `limit`, cutting the text (with a notice) where it is longer. */
export function encodeWithinLimit(
  model: LoadedModel,
  text: string,
  limit: number,
  addSpecialTokens: boolean,
  notices: string[],
  targetLanguage?: string,
  /** Source text of a bilingual model gets the target-language token; decoder text never does. */
  languageToken = addSpecialTokens,
): Encoded {
  const encode = (value: string) => {
    const tokens = model.tokenizer.encode(value, { addSpecialTokens });
    return languageToken ? withLanguageToken(model, tokens, value, targetLanguage) : tokens;
  };
  return encodeTextWithinLimit(encode, text, limit, notices);
}

/** A sentence pair as one input; refused (not cut) when it is longer than the model takes. */
function encodePair(model: LoadedModel, text: string, pair: string, limit: number): Encoded {
  if (model.spec.family !== 'encoder-only') {
    throw new EngineError('input', `A sentence pair needs an encoder-only model; this one is ${model.spec.family} (give an encoder-decoder model its decoder text as the target instead).`);
  }
  if (pair.trim() === '') throw new EngineError('input', 'The second text of the sentence pair is empty.');
  // Refused before tokenizing: no pair this long fits, and the tokenizer is never given a whole file.
  if (text.length + pair.length > widestWindow(limit)) {
    throw new EngineError('input', `The sentence pair is ${text.length + pair.length} characters, far more than ${limit} tokens hold: shorten one of the texts.`);
  }
  const encoded = model.tokenizer.encodePair(text, pair);
  if (encoded.tokens.length > limit) {
    throw new EngineError('input', `The sentence pair is ${encoded.tokens.length} tokens, more than the limit of ${limit}: shorten one of the texts.`);
  }
  // A model with a single token type (RoBERTa's type_vocab_size 1) reads every token as type 0.
  const typeVocab = configNumber(model.spec.config, 'type_vocab_size');
  const typeIds = typeVocab === 1 ? encoded.typeIds.map(() => 0) : encoded.typeIds;
  return { tokens: encoded.tokens, text: encoded.text, typeIds };
}

/** Bilingual models choose the output language by a token in front of the source. */
function withLanguageToken(model: LoadedModel, tokens: Token[], text: string, targetLanguage?: string): Token[] {
  const languageTokens = languageTokensOf(model.spec);
  if (!languageTokens || model.spec.family !== 'encoder-decoder') return tokens;
  const token = languageTokenFor(text, languageTokens, targetLanguage);
  const id = token === undefined ? undefined : model.tokenizer.idOf(token);
  if (id === undefined || tokens[0]?.id === id) return tokens;
  return [{ id, text: token!, start: 0, end: 0, special: true }, ...tokens];
}

function decoderInput(model: LoadedModel, target: string, limit: number, notices: string[]): Encoded {
  const start = decoderStartToken(model);
  if (start === undefined) throw new EngineError('config', 'The decoder cannot be started: config.json has no decoder_start_token_id, and the tokenizer has no start token (<bos>, <s>, [CLS], …).');
  const startToken: Token = { id: start, text: model.tokenizer.tokenOf(start) ?? String(start), start: 0, end: 0, special: true };
  if (target.trim() === '') return { tokens: [startToken], text: '' };
  const encoded = encodeWithinLimit(model, target, limit - 1, false, notices);
  return { tokens: [startToken, ...encoded.tokens], text: encoded.text };
}

/**
 * Each stack's FFN width, learned from the first run that fetched the activations (the warm-up at
 * load): the panel's summary states it before the activations are fetched.
 */
const FFN_WIDTHS = new WeakMap<StackRuntime, number>();

function ffnKeysOf(runtime: StackRuntime): string[] | undefined {
  return runtime.probes.ffn?.map((_, layer) => `ffn.${layer}`);
}

/**
 * Q/K/V when the panel's step-by-step view first asks: one layer from its own small model and this
 * run's layer input, else one more run of the whole input that fetches every layer's.
 */
function deferQkv(model: LoadedModel, input: TokenInput, groups: readonly string[], layerInputs: ReadonlyMap<StackRuntime, ReturnType<typeof layerInputValues>>): DeferredQkv {
  let result: Promise<readonly QkvGroup[]> | undefined;
  const run = async () => {
    try {
      return (await inspectTokens(model, { ...input, notices: [], qkv: true })).qkv ?? [];
    } catch (error) {
      result = undefined;
      throw new EngineError('input', `The queries, keys and values could not be computed (${errorMessage(error)}); the model may have been replaced since: inspect again.`);
    }
  };
  const layers = new Map<string, Promise<QkvGroup | undefined>>();
  // One block from its Q/K/V model and this run's layer input; undefined sends the caller to the whole re-run.
  const layer = (group: string, index: number) => {
    const memoKey = `${group}/${index}`;
    let found = layers.get(memoKey);
    if (!found) {
      const owner = model.stacks.flatMap((runtime) => KINDS.map((kind) => ({ runtime, kind }))).find(({ runtime, kind }) => attentionGroupKey(model.spec.family, runtime.stack, kind) === group);
      const valueOf = owner && layerInputs.get(owner.runtime);
      found = owner && valueOf ? layerQkv(owner.runtime, owner.kind, index, valueOf).catch(() => undefined) : Promise.resolve(undefined);
      layers.set(memoKey, found);
    }
    return found;
  };
  return { groups, fetch: () => (result ??= run()), layer };
}

/** The FFN activations of one run, from the same session and inputs, when first asked for. */
function deferredFfn(runtime: StackRuntime, feeds: ort.InferenceSession.FeedsType): DeferredFfnActivations {
  const keys = ffnKeysOf(runtime)!;
  let result: Promise<Tensor> | undefined;
  const run = async () => {
    let outputs: ort.InferenceSession.OnnxValueMapType;
    try {
      outputs = await runFetching(runtime.session, feeds, keys.map((key) => runtime.probeOutputs.get(key)!));
    } catch (error) {
      throw new EngineError('input', `The FFN activations could not be computed (${errorMessage(error)}); the model may have been replaced since: inspect again.`);
    }
    return stackLayers(probeTensors(runtime, outputs, keys));
  };
  return { width: FFN_WIDTHS.get(runtime)!, fetch: () => (result ??= run()) };
}

function probeTensors(runtime: StackRuntime, outputs: ort.InferenceSession.OnnxValueMapType, keys: readonly string[]): Tensor[] {
  return keys.map((key) => unbatched(outputs[runtime.probeOutputs.get(key)!]));
}

/** Each group's layers as onnxruntime-node returned them: the largest outputs, never copied again. */
function attentionGroups(runtime: StackRuntime, outputs: ort.InferenceSession.OnnxValueMapType): AttentionGroup[] {
  return KINDS.flatMap((kind) => {
    const keys = runtime.probes.attention.filter((probe) => probe.kind === kind).map((probe) => `${kind}.${probe.layer}`);
    return keys.length === 0 ? [] : [{ stack: runtime.stack, kind, tensor: keepLayers(probeTensors(runtime, outputs, keys)) }];
  });
}

function stackInspection(runtime: StackRuntime, tokens: Token[], outputs: ort.InferenceSession.OnnxValueMapType, deferredFfnActivations?: DeferredFfnActivations): StackInspection {
  const hiddenKeys = runtime.probes.hiddenStates?.map((_, layer) => `hidden.${layer}`);
  // Kept per layer like the attention: the panel's readers take a layer at a time (layerData).
  const hiddenStates = hiddenKeys ? keepLayers(probeTensors(runtime, outputs, hiddenKeys)) : undefined;
  let embeddings: Tensor | undefined;
  if (runtime.probeOutputs.has('embedding')) {
    const raw = probeTensors(runtime, outputs, ['embedding'])[0];
    embeddings = { dims: [tokens.length, raw.data.length / tokens.length], data: raw.data };
  }
  const base = { stack: runtime.stack, tokens, hiddenStates, embeddings };
  if (deferredFfnActivations) return { ...base, deferredFfnActivations };
  const ffnKeys = ffnKeysOf(runtime);
  const ffnActivations = ffnKeys ? stackLayers(probeTensors(runtime, outputs, ffnKeys)) : undefined;
  if (ffnActivations) FFN_WIDTHS.set(runtime, ffnActivations.dims[2]);
  return { ...base, ffnActivations };
}

function logitsOf(tensor: ort.Tensor, notices: string[]): Tensor | undefined {
  if (tensor.size > MAX_LOGIT_VALUES) {
    notices.push(logitsNotice(tensor.dims.join('×')));
    return undefined;
  }
  return unbatched(tensor);
}

const logitsNotice = (dims: string) => `Logits left out: ${dims} values is more than ${MAX_LOGIT_VALUES.toLocaleString('en')}.`;

/**
 * Each stack's vocabulary width, learned from a run whose logits had one row per token (the warm-up at
 * load): a classifier's logits ([batch, labels]) never enter it.
 */
const LOGITS_WIDTHS = new WeakMap<StackRuntime, number>();

/** The notice when `tokens` rows of this stack's logits would be too many to keep; else undefined. */
export function logitsLeftOut(runtime: StackRuntime, tokens: number): string | undefined {
  const vocab = LOGITS_WIDTHS.get(runtime);
  return vocab !== undefined && tokens * vocab > MAX_LOGIT_VALUES ? logitsNotice(`1×${tokens}×${vocab}`) : undefined;
}

/** The paper's figure of this model: stacks, layers, the attention blocks of a layer, widths, norm placement. */
function architectureOf(model: LoadedModel, stacks: readonly StackInspection[], attention: readonly AttentionGroup[], logits: Tensor | undefined): Architecture {
  // Without a config.json (a tutorial's own export) the run itself says how wide and how many heads.
  const width = stacks.map((stack) => stack.hiddenStates?.dims[2] ?? stack.embeddings?.dims[1]).find((value) => value !== undefined);
  return {
    dModel: model.info.hiddenSize || (width ?? 0),
    heads: model.info.heads || (attention[0]?.tensor.dims[1] ?? 0),
    vocabSize: model.info.vocabSize || (logits?.dims[1] ?? 0),
    outputHead: logits !== undefined,
    stacks: model.stacks.map((runtime) => {
      const kinds = KINDS.filter((kind) => runtime.probes.attention.some((probe) => probe.kind === kind));
      const layers = Math.max(0, ...runtime.probes.attention.map((probe) => probe.layer + 1), (runtime.probes.hiddenStates?.length ?? 1) - 1);
      return {
        stack: runtime.stack,
        layers,
        attention: kinds,
        causal: runtime.stack === 'decoder',
        ...(FFN_WIDTHS.has(runtime) ? { dFf: FFN_WIDTHS.get(runtime) } : {}),
        ...(runtime.probes.preNorm !== undefined ? { preNorm: runtime.probes.preNorm } : {}),
        hasEmbeddings: runtime.probes.embedding !== undefined,
      };
    }),
  };
}
