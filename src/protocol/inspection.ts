// What the engine returns: model summaries and inspections. Shared by engine, host, webview and CLI.
// Tensors are typed arrays with explicit dims, never nested arrays (those exist only in CLI JSON).

import type { AblationEffect, NextTokens } from './panelData';

export type ModelFamily = 'encoder-only' | 'decoder-only' | 'encoder-decoder';
export type StackName = 'encoder' | 'decoder';
export type AttentionKind = 'self' | 'cross';

/** A dense row-major float tensor. */
export interface Tensor {
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

/** One token with its place in the source text: UTF-16 offsets, end exclusive. */
export interface Token {
  readonly id: number;
  readonly text: string;
  readonly start: number;
  readonly end: number;
  /** Special tokens ([CLS], </s>, language tags) have an empty span at their position. */
  readonly special: boolean;
}

/** Attention of one stack and kind, dims [layers, heads, queries, keys]. */
export interface AttentionGroup {
  readonly stack: StackName;
  readonly kind: AttentionKind;
  readonly tensor: Tensor;
}

/** One attention head: its stack, kind, layer and head, from 0. */
export interface HeadRef {
  readonly stack: StackName;
  readonly kind: AttentionKind;
  readonly layer: number;
  readonly head: number;
}

/** Queries, keys and values of one attention group, before any scaling the model applies. */
export interface QkvGroup {
  readonly stack: StackName;
  readonly kind: AttentionKind;
  /** [layers, heads, queryTokens, headDim]: for cross-attention the decoder's tokens. */
  readonly queries: Tensor;
  /** [layers, heads, keyTokens, headDim]. */
  readonly keys: Tensor;
  readonly values: Tensor;
  /** Per layer, the factor the model applies to q·kᵀ in all (1/√dₖ for most models). */
  readonly scale: readonly number[];
  /** Per layer, where the model scales the queries themselves before QKᵀ: that factor. */
  readonly queryScale?: readonly number[];
}

export interface DeferredQkv {
  /** The attention groups (`self`, `encoder.self`, …) whose Q/K/V the graph shows. */
  readonly groups: readonly string[];
  /** Runs the model again on the same input with Q/K/V fetched; memoised. */
  readonly fetch: () => Promise<readonly QkvGroup[]>;
  /** One block as a one-layer group, from the layer's input alone where the graph allows; memoised. */
  readonly layer?: (group: string, layer: number) => Promise<QkvGroup | undefined>;
}

/** The model as the paper draws it, from the structure the engine found. */
export interface Architecture {
  readonly stacks: readonly ArchitectureStack[];
  readonly dModel: number;
  readonly heads: number;
  readonly vocabSize: number;
  /** The last stack ends in an output head (logits over the vocabulary). */
  readonly outputHead: boolean;
}

export interface ArchitectureStack {
  readonly stack: StackName;
  readonly layers: number;
  /** Attention blocks per layer, in order: self (causal where the decoder's), then cross. */
  readonly attention: readonly AttentionKind[];
  /** Self-attention sees only earlier tokens (a decoder). */
  readonly causal: boolean;
  /** Width of the FFN's hidden layer, where it was observed. */
  readonly dFf?: number;
  readonly preNorm?: boolean;
  readonly hasEmbeddings: boolean;
}

export interface Interventions {
  /** The input again with heads switched off (`GROUP:LAYER:HEAD,…`), compared with this inspection; memoised. */
  ablate(heads: string): Promise<AblationEffect>;
  nextTokens(position: number, count: number): NextTokens;
  /** Encoder-decoders: the model's own greedy translation of the input, with its cross-attention; memoised. */
  translation(): Promise<Translation>;
}

/** What a stack adds to its token embeddings for their positions, where the table is a weight of the graph. */
export interface PositionTerm {
  /** [tokens, width]: the vector added at each token's position. */
  readonly added: Tensor;
  /** Row of the table at the first token (RoBERTa and BART start at 2). */
  readonly offset: number;
  /** The token embeddings are multiplied by this before the positions are added (√d_model in Marian and the paper). */
  readonly embeddingScale: number;
  /** Sinusoidal where the whole table is the paper's formula within rounding; learned otherwise. */
  readonly kind: 'sinusoidal' | 'learned';
  /** The formula's layout that fits the table best, and the table's largest difference from it. */
  readonly layout: 'interleaved' | 'halves';
  readonly formulaDifference: number;
  readonly tableRows: number;
}

export interface StackInspection {
  readonly stack: StackName;
  readonly tokens: readonly Token[];
  /** [layers + 1, tokens, hidden]: index 0 is the input to the first layer. */
  readonly hiddenStates?: Tensor;
  /** [tokens, hidden]: the token embedding lookup, before positions and scaling. */
  readonly embeddings?: Tensor;
  readonly positions?: PositionTerm;
  /** [layers, tokens, ffn width]: each layer's FFN hidden activation (input of its down-projection). */
  readonly ffnActivations?: Tensor;
  /** Each layer's hidden state read through the model's output head. */
  readonly logitLens?: LogitLens;
  /** Engine side only, never serialised: the lens computed when first asked for (the panel's inspections). */
  readonly deferredLogitLens?: () => Promise<LogitLens>;
  /** Engine side only: the FFN activations fetched when first asked for; their width is known before. */
  readonly deferredFfnActivations?: DeferredFfnActivations;
}

export interface DeferredFfnActivations {
  readonly width: number;
  /** Runs the stack again on the same inputs for the activations alone; memoised. */
  readonly fetch: () => Promise<Tensor>;
}

/** The logit lens: the top next-token predictions at every layer and position. */
export interface LogitLens {
  /** [layers + 1, tokens, k]: entry 0 reads the embeddings, the last one the stack output. */
  readonly dims: readonly [number, number, number];
  readonly ids: Int32Array;
  readonly probabilities: Float32Array;
  /** Vocabulary text of every id that appears. */
  readonly tokenTexts: Readonly<Record<number, string>>;
}

export interface Inspection {
  readonly modelName: string;
  readonly family: ModelFamily;
  readonly executionProvider: string;
  /** The text that was tokenized (after any truncation) and, for encoder-decoder, the target. */
  readonly text: string;
  readonly target?: string;
  readonly stacks: readonly StackInspection[];
  readonly attention: readonly AttentionGroup[];
  /** The model's structure, for the architecture view. */
  readonly architecture?: Architecture;
  /** [tokens, vocab] of the last stack, where the model outputs logits. */
  readonly logits?: Tensor;
  /** Queries, keys and values of every attention group, where asked for (inspect --qkv). */
  readonly qkv?: readonly QkvGroup[];
  /** Heads switched off for this run: everything in it is the ablated model's. */
  readonly ablated?: readonly HeadRef[];
  /** Engine side only, never serialised: Q/K/V computed when the step-by-step view first asks (the panel's inspections). */
  readonly deferredQkv?: DeferredQkv;
  /** Engine side only: re-runs of the same input with heads off, and the output head's rows (the panel's inspections). */
  readonly interventions?: Interventions;
  readonly timingsMs: Readonly<Record<string, number>>;
  /** Things the user should know about this run (truncation, unobservable tensors). */
  readonly notices: readonly string[];
}

/**
 * One generation: a translation by an encoder-decoder model, with the attention behind each word,
 * or a decoder-only model's continuation of its prompt (source = the prompt, no cross-attention).
 */
export interface Translation {
  readonly sourceText: string;
  readonly sourceTokens: readonly Token[];
  readonly targetLanguage?: string;
  readonly text: string;
  /** Generated tokens (without the start and end tokens), with spans in `text`. */
  readonly tokens: readonly Token[];
  /** Sum of log-probabilities of the generated tokens, the end token included. */
  readonly score: number;
  /** `score` per generated token: what beam search ranks by. */
  readonly normalizedScore: number;
  /** [layers, heads, generated, source]. */
  readonly crossAttention?: Tensor;
  /** [generated, source]: cross-attention averaged over layers and heads; rows sum to 1. */
  readonly alignment?: Tensor;
  /** false when the length limit ended generation before the end token. */
  readonly finished: boolean;
  readonly repetitionStopped: boolean;
  readonly timingsMs: Readonly<Record<string, number>>;
  readonly notices: readonly string[];
}

export interface OnnxFileInfo {
  readonly role: 'model' | 'encoder' | 'decoder' | 'decoder-merged' | 'decoder-with-past';
  readonly file: string;
  readonly sizeBytes: number;
  readonly externalDataBytes: number;
  readonly opset: number;
  readonly producer: string;
  /** Fused attention the engine replaced by its explicit computation in its working copy. */
  readonly openedUp?: readonly string[];
}

export interface ObservableGroup {
  readonly name: string;
  readonly layers: number;
}

/** A classic mistake seen in the model, said in one sentence with its fix. */
export interface Diagnosis {
  readonly id: 'length-1-attention' | 'no-causal-mask' | 'unscaled-scores' | 'mask-after-softmax';
  readonly message: string;
}

export interface ModelInfo {
  readonly name: string;
  readonly path: string;
  readonly family: ModelFamily;
  readonly modelType: string;
  readonly layers: Readonly<Partial<Record<StackName, number>>>;
  readonly heads: number;
  readonly hiddenSize: number;
  readonly vocabSize: number;
  readonly maxPositions: number;
  readonly parameterCount: number;
  readonly variant: string;
  readonly onnxFiles: readonly OnnxFileInfo[];
  /** e.g. `encoder.self` with its layer count, `decoder.hidden`, `encoder.embeddings`. */
  readonly observable: readonly ObservableGroup[];
  readonly unobservable: readonly { readonly what: string; readonly why: string }[];
  /** Mistakes the graph shows, and those the run at load showed. */
  readonly diagnoses: readonly Diagnosis[];
  readonly executionProvider: string;
  /** The CPU threads each session was given; absent where onnxruntime chose (one per physical core). */
  readonly cpuThreads?: number;
  readonly providersTried: readonly { readonly name: string; readonly error?: string }[];
  readonly languageTokens?: Readonly<Record<string, string>>;
  /** Fixed-direction translation models (opus-mt): the pair from tokenizer_config.json. */
  readonly languagePair?: { readonly source: string; readonly target: string };
}

/** Group key as the CLI JSON and the panel name it: `encoder.self`, or `self` for one stack. */
export function attentionGroupKey(family: ModelFamily, stack: StackName, kind: AttentionKind): string {
  return family === 'encoder-decoder' ? `${stack}.${kind}` : kind;
}
