// What the inspection panel draws: a small summary that arrives whole, and full-resolution
// attention that it asks for one layer or head at a time. The engine keeps the inspection; the
// offline HTML report answers the same questions from data embedded in the page.

import type { AttentionKind, Inspection, LogitLens, PositionTerm, StackName, Tensor, Token, Translation } from './inspection';

export interface LayerStats {
  readonly mean: number;
  readonly std: number;
  readonly maxAbs: number;
  /** Mean L2 norm of the token vectors. */
  readonly meanNorm: number;
}

export interface StackSummary {
  readonly stack: StackName;
  readonly tokens: readonly Token[];
  readonly hiddenSize?: number;
  /** [layers + 1, tokens]: L2 norm of each token's hidden state. */
  readonly norms?: Tensor;
  readonly stats?: readonly LayerStats[];
  /** Hidden states or embeddings were observed: their projection can be asked for (`projection`). */
  readonly hasProjection?: boolean;
  /** The token embeddings were observed (the projection then has the lookup, position -1). */
  readonly hasEmbeddings?: boolean;
  /** The PCA (`projection`): not in the summary, which must arrive fast; the embeddings view asks. */
  readonly projection?: Tensor;
  readonly explained?: StackProjection['explained'];
  readonly embeddingProjection?: Tensor;
  /** Width of the FFN hidden layer, where its activations were observed (ask `ffnTopUnits`). */
  readonly ffnWidth?: number;
  /** The stack has an output head: its logit lens can be asked for (`logitLens`). */
  readonly hasLogitLens?: boolean;
  /** The positions added to the embeddings were read from the graph (`positions`). */
  readonly hasPositions?: boolean;
}

/** A stack's tokens in two dimensions, per layer and for the embedding lookup. */
export interface StackProjection {
  /** [layers + 1, tokens, 2]: PCA of each layer's hidden states, signs aligned layer to layer. */
  readonly projection?: Tensor;
  /** Share of variance the two components explain, per layer. */
  readonly explained?: readonly (readonly [number, number])[];
  /** [tokens, 2]: PCA of the token embeddings (the lookup, before positions). */
  readonly embeddingProjection?: Tensor;
}

export interface FfnUnit {
  readonly unit: number;
  readonly value: number;
}

export interface AttentionGroupSummary {
  /** `self`, or `encoder.self`, `decoder.self`, `decoder.cross`. */
  readonly key: string;
  readonly stack: StackName;
  readonly kind: AttentionKind;
  readonly layers: number;
  readonly heads: number;
  readonly queries: number;
  readonly keys: number;
  /** Stacks whose tokens label the query and key axes. */
  readonly queryStack: StackName;
  readonly keyStack: StackName;
  /** [layers, heads, size, size]: every head mean-pooled to at most THUMBNAIL_SIZE², for the model view. */
  readonly thumbnails: Tensor;
  /** The group's queries, keys and values can be asked for (`headQkv`, the step-by-step view). */
  readonly hasQkv?: boolean;
}

/** One head's queries, keys and values, before any scaling the model applies. */
export interface HeadQkv {
  /** [queries, headDim]. */
  readonly queries: Tensor;
  /** [keys, headDim]. */
  readonly keys: Tensor;
  readonly values: Tensor;
  /** The factor the model applies to q·kᵀ in all (1/√dₖ for most models). */
  readonly scale: number;
  /** Where the model scales q itself before QKᵀ: that factor. */
  readonly queryScale?: number;
}

/** One candidate token and its probability. */
export interface TokenChance {
  readonly id: number;
  readonly text: string;
  readonly probability: number;
}

/** The same input re-run with heads switched off, against the inspection: the panel's interventions. */
export interface AblationEffect {
  /** The heads off, as `GROUP:LAYER:HEAD` (what `--ablate` takes). */
  readonly heads: readonly string[];
  /** Per stack and layer (0: the input to the first layer), the mean over tokens of ‖h′ − h‖ / ‖h‖. */
  readonly hiddenShift: readonly { readonly stack: StackName; readonly shift: readonly number[] }[];
  /** Where the model has an output head: the top tokens after its last position, with every head and with these off. */
  readonly nextToken?: { readonly position: number; readonly original: readonly TokenChance[]; readonly ablated: readonly TokenChance[] };
  /** Encoder-decoder models: the greedy translation of the input with every head, and with these off. */
  readonly translation?: { readonly original: string; readonly ablated: string };
  /** Engine time for the re-run (and the translations). */
  readonly elapsedMs: number;
}

/** Which heads a translation depends on: the input translated again with each head switched off alone. */
export interface HeadDependence {
  readonly original: string;
  /** Every head of every group, as `GROUP:LAYER:HEAD`, with the translation it leaves. */
  readonly heads: readonly { readonly head: string; readonly translation: string; readonly changed: boolean }[];
  readonly elapsedMs: number;
}

/** The output head's scores at one position: the whole row, so temperature, top-k and top-p reshape it in the panel. */
export interface NextTokens {
  readonly position: number;
  /** [vocab]: the raw logits. */
  readonly logits: Tensor;
  /** The `count` highest-scoring tokens, best first. */
  readonly top: readonly { readonly id: number; readonly text: string }[];
}

export const THUMBNAIL_SIZE = 32;

/** The run's own facts as the engine reported them; stacks and attention are summarised below. */
export interface InspectionSummary extends Pick<Inspection, 'modelName' | 'family' | 'executionProvider' | 'text' | 'target' | 'timingsMs' | 'notices' | 'architecture'> {
  /** Names the inspection in the engine, for slice requests. */
  readonly id: string;
  /** Where the host loaded the model from, so a panel restored after a reload re-runs on the same model. */
  readonly modelPath?: string;
  readonly stacks: readonly StackSummary[];
  readonly groups: readonly AttentionGroupSummary[];
  /** The engine keeps the model: heads can be switched off (`ablationEffect`) and the next tokens asked for (`nextTokens`). */
  readonly interventions?: boolean;
  /** The stack whose tokens the output head scores (the last one), where there are logits. */
  readonly logitsStack?: StackName;
}

export interface NeighborToken {
  readonly index: number;
  readonly cosine: number;
}

/** Questions the panel asks about the inspection it shows; all answers are typed arrays. */
export type PanelDataMethods = {
  /** One head: [queries, keys]. */
  attentionHead: { params: { readonly id: string; readonly group: string; readonly layer: number; readonly head: number }; result: Tensor };
  /** All heads of one layer: [heads, queries, keys] (the head view). */
  attentionLayer: { params: { readonly id: string; readonly group: string; readonly layer: number }; result: Tensor };
  /** One head's queries, keys and values (the step-by-step view); the engine computes them on the first ask. */
  headQkv: { params: { readonly id: string; readonly group: string; readonly layer: number; readonly head: number }; result: HeadQkv };
  /** Head-averaged attention of one layer: [queries, keys]. */
  attentionMean: { params: { readonly id: string; readonly group: string; readonly layer: number }; result: Tensor };
  /** Attention rollout through all layers of a self-attention group: [queries, keys]. */
  attentionRollout: { params: { readonly id: string; readonly group: string }; result: Tensor };
  /** The FFN units most active for one token at one layer, largest activation first. */
  ffnTopUnits: { params: { readonly id: string; readonly stack: StackName; readonly layer: number; readonly token: number; readonly count: number }; result: readonly FfnUnit[] };
  /** The PCA of a stack's hidden states at every layer and of its embeddings. */
  projection: { params: { readonly id: string; readonly stack: StackName }; result: StackProjection };
  /** Top predictions at every layer and position through the stack's output head (the logit lens). */
  logitLens: { params: { readonly id: string; readonly stack: StackName }; result: LogitLens };
  /** What the stack adds for each position, with the token embeddings it is added to. */
  positions: { params: { readonly id: string; readonly stack: StackName }; result: { readonly term: PositionTerm; readonly embeddings?: Tensor } };
  /** A translation's source translated again with each head off alone (the translation engine answers). */
  headDependence: { params: { readonly id: string; readonly text: string; readonly targetLanguage?: string }; result: HeadDependence };
  /** The input again with these heads (`GROUP:LAYER:HEAD,…`) switched off, against the inspection; the engine only. */
  ablationEffect: { params: { readonly id: string; readonly heads: string }; result: AblationEffect };
  /** An encoder-decoder's own greedy translation of the inspected input, with the cross-attention of each generated token; the engine only. */
  inputTranslation: { params: { readonly id: string }; result: Translation };
  /** The output head's scores at one position of the logits stack; the engine only (it has the vocabulary). */
  nextTokens: { params: { readonly id: string; readonly position: number; readonly count: number }; result: NextTokens };
  /** Tokens whose hidden state at `layer` is most similar (cosine) to that of `token`. */
  neighbors: { params: { readonly id: string; readonly stack: StackName; readonly layer: number; readonly token: number; readonly count: number }; result: readonly NeighborToken[] };
};

/** Where the panel's data comes from: the engine through the host, or the report's own page. */
export interface PanelDataSource {
  call<K extends keyof PanelDataMethods>(method: K, params: PanelDataMethods[K]['params']): Promise<PanelDataMethods[K]['result']>;
}

export type { Translation };
