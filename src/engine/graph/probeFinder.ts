// Finds, by graph structure alone, the tensors worth observing in one Transformer stack:
// attention probabilities (Softmax between QKᵀ and ·V), the residual stream between layers,
// the stack output and the token embedding lookup. Node names are never relied upon.

import { findPositionTable, type PositionTable } from './positions';
import { onnx } from 'onnx-proto';
import { BlockScaling, blockScaling, isScaled } from './attentionChecks';
import { GraphScope } from './graphScope';
import { traceResidualStream } from './residualStream';
import { int64 } from './onnxFile';

export interface AttentionProbe {
  readonly kind: 'self' | 'cross';
  readonly layer: number;
  readonly tensor: string;
}

/** Where one block's queries, keys and values are, as QKᵀ and ·V read them, and how its scores are scaled. */
export interface QkvProbe {
  readonly kind: 'self' | 'cross';
  readonly layer: number;
  /** [.., S, H], possibly already scaled (see `scaling.query`). */
  readonly queries: string;
  /** Transposed for QKᵀ: [.., H, L]. */
  readonly keys: string;
  /** [.., L, H]. */
  readonly values: string;
  readonly scaling: BlockScaling;
}

export interface StackProbes {
  readonly attention: readonly AttentionProbe[];
  /** Per attention probe, in the same order. */
  readonly qkv: readonly QkvProbe[];
  /** Residual stream: input of each layer, then the stack output ([layers + 1] entries), if found. */
  readonly hiddenStates?: readonly string[];
  /** What the logit lens feeds to the output head: the last residual sum before a final norm, else the output. */
  readonly lensInput?: string;
  /** Each layer's FFN hidden activation (input of its down-projection). */
  readonly ffn?: readonly string[];
  /** The layers normalise their sublayers' inputs (pre-LN) rather than their sums (post-LN); undefined where the stream was not found. */
  readonly preNorm?: boolean;
  readonly embedding?: string;
  /** The table of what is added to the token embeddings for each position, where it is a weight of the graph. */
  readonly positions?: PositionTable;
  readonly tokenInput?: string;
  /** What the structure shows about the scores, for the learner diagnoses. */
  readonly scoreChecks: { readonly blocks: number; readonly unscaled: number; readonly maskAfterSoftmax: number };
  /** Float or boolean graph inputs that this stack's attention scores are masked by (PyTorch's tgt_mask, key padding masks). */
  readonly maskInputs?: readonly MaskInput[];
  readonly unobservable: readonly { readonly what: string; readonly why: string }[];
}

export interface MaskInput {
  readonly name: string;
  /** A square mask over a decoder's self-attention: filled causal (nothing after the query), else with nothing masked. */
  readonly causal: boolean;
}

const FUSED_ATTENTION_OPS = new Set([
  'Attention', 'MultiHeadAttention', 'GroupQueryAttention', 'PackedAttention', 'PackedMultiHeadAttention',
  'DecoderAttention', 'DecoderMaskedMultiHeadAttention', 'DecoderMaskedSelfAttention', 'QAttention',
  'LongformerAttention', 'SparseAttention', 'QOrderedAttention', 'PagedAttention',
]);
const MATMUL_OPS = new Set(['MatMul', 'Einsum', 'FusedMatMul']);
/** Between QKᵀ and Softmax: scaling, masks, soft-capping, casts. */
const SCORE_OPS = new Set(['Add', 'Sub', 'Mul', 'Div', 'Where', 'Cast', 'Reshape', 'Identity', 'Clip', 'Max', 'Min', 'Tanh', 'Squeeze', 'Unsqueeze', 'Expand']);
/** Between Softmax and ·V: dropout, head masks, casts. */
const PROB_OPS = new Set(['Cast', 'Dropout', 'Identity', 'Where', 'Mul', 'Reshape', 'Squeeze', 'Unsqueeze']);
/** A mask added to the probabilities instead of the scores: a learner's mistake, still attention. */
const LATE_MASK_OPS = new Set(['Add', 'Sub']);
const INDEX_PASS_OPS = new Set(['Cast', 'Unsqueeze', 'Squeeze', 'Reshape', 'Identity', 'Flatten']);

/**
 * The stacks of one graph, each with its probes: one stack, or an encoder and a decoder when the
 * graph holds both (PyTorch's nn.Transformer exported whole). Which stack a block belongs to, and
 * whether it is self- or cross-attention, is decided by where its queries and keys come from.
 */
export function findGraphStacks(scope: GraphScope): { readonly stack?: 'encoder' | 'decoder'; readonly probes: StackProbes }[] {
  const embeddings = tokenEmbeddings(scope);
  const blocks = attentionBlocks(scope);
  for (const [encoderInput, encoderEmbedding] of embeddings) {
    for (const [decoderInput, decoderEmbedding] of embeddings) {
      if (encoderInput === decoderInput) continue;
      // Encoder queries never see the decoder's tokens; decoder queries do; cross keys do not.
      const decoder = blocks.filter((block) => scope.dependsOn(block.queries, decoderInput));
      const encoder = blocks.filter((block) => !decoder.includes(block) && scope.dependsOn(block.queries, encoderInput));
      const cross = decoder.filter((block) => !scope.dependsOn(block.keys, decoderInput));
      if (encoder.length === 0 || cross.length === 0 || encoder.length + decoder.length !== blocks.length) continue;
      return [
        { stack: 'encoder', probes: stackProbes(scope, encoder, encoderInput, encoderEmbedding) },
        { stack: 'decoder', probes: stackProbes(scope, decoder, decoderInput, decoderEmbedding) },
      ];
    }
  }
  return [{ probes: findStackProbes(scope) }];
}

/** The probes of a graph (or If branch) that holds one stack. */
export function findStackProbes(scope: GraphScope): StackProbes {
  const largest = [...tokenEmbeddings(scope)].sort(([, a], [, b]) => b.rows - a.rows)[0];
  return stackProbes(scope, attentionBlocks(scope), largest?.[0], largest?.[1]);
}

function attentionBlocks(scope: GraphScope): AttentionBlock[] {
  return scope.nodes
    .filter((node) => node.opType === 'Softmax')
    .map((softmax) => attentionBlock(scope, softmax))
    .filter((block): block is AttentionBlock => block !== undefined);
}

/** One stack's probes from its attention blocks (in graph order) and its token input. */
function stackProbes(scope: GraphScope, blocks: readonly AttentionBlock[], tokenInput: string | undefined, embedding: TokenEmbedding | undefined): StackProbes {
  const unobservable: { what: string; why: string }[] = [];
  const fused = scope.nodes.filter((node) => FUSED_ATTENTION_OPS.has(node.opType ?? ''));
  if (fused.length > 0) {
    unobservable.push({
      what: 'attention probabilities',
      why: `${fused.length} fused ${fused[0].domain || 'ai.onnx'}.${fused[0].opType} node(s) compute attention inside one kernel; the probabilities never exist as a tensor. Export the model without ORT attention fusion to inspect them.`,
    });
  }
  const byKind = { self: [] as AttentionBlock[], cross: [] as AttentionBlock[] };
  for (const block of blocks) {
    // Cross-attention: keys computed from something other than this stack's own tokens.
    const cross = tokenInput !== undefined && !scope.dependsOn(block.keys, tokenInput);
    byKind[cross ? 'cross' : 'self'].push(block);
  }
  const attention: AttentionProbe[] = (['self', 'cross'] as const).flatMap((kind) =>
    byKind[kind].map((block, layer) => ({ kind, layer, tensor: block.probabilities })),
  );
  const scalings = new Map(blocks.map((block) => [block, blockScaling(scope, block)]));
  const qkv: QkvProbe[] = (['self', 'cross'] as const).flatMap((kind) =>
    byKind[kind].map((block, layer) => ({ kind, layer, queries: block.queries, keys: block.keys, values: block.values, scaling: scalings.get(block)! })),
  );

  const stream = traceResidualStream(scope, byKind.self.map((block) => block.queries));
  const hiddenStates = stream?.hiddenStates;
  if (byKind.self.length > 0 && !hiddenStates) {
    unobservable.push({
      what: 'hidden states',
      why: 'the residual stream between layers could not be traced (no residual Add found next to each attention block).',
    });
  } else if (fused.length > 0 && !hiddenStates) {
    unobservable.push({
      what: 'hidden states',
      why: 'layers are found from their attention probabilities, which the fused attention kernels never produce, so the residual stream between layers cannot be traced.',
    });
  }
  if (!embedding) {
    unobservable.push({ what: 'token embeddings', why: 'no embedding lookup (Gather on a weight table indexed by an integer input) was found.' });
  }
  if (stream && !stream.ffn) {
    unobservable.push({ what: 'FFN activations', why: 'no feed-forward down-projection (a MatMul with a non-square weight) was found on every layer’s residual branch.' });
  }
  const maskInputs = maskInputsOf(scope, byKind.self, byKind.cross, tokenInput);
  const scoreChecks = {
    blocks: blocks.length,
    unscaled: blocks.filter((block) => !isScaled(scalings.get(block)!)).length,
    maskAfterSoftmax: blocks.filter((block) => block.maskAfterSoftmax).length,
  };
  return { attention, qkv, hiddenStates, lensInput: stream?.lensInput, ffn: stream?.ffn, preNorm: stream?.preNorm, embedding: embedding?.output, positions: embedding && findPositionTable(scope, embedding.output, embedding.width), tokenInput, maskInputs, scoreChecks, unobservable };
}

/**
 * Rank-2 float and boolean inputs the scores depend on (hidden states and caches have more axes;
 * integer masks, Hugging Face's attention_mask, are filled by name).
 */
function maskInputsOf(scope: GraphScope, self: readonly AttentionBlock[], cross: readonly AttentionBlock[], tokenInput: string | undefined): MaskInput[] {
  const DataType = onnx.TensorProto.DataType;
  return (scope.graph.input ?? [])
    .filter((input) => input.name && input.name !== tokenInput && scope.isInput(input.name))
    .filter((input) => [DataType.FLOAT, DataType.FLOAT16, DataType.BOOL].includes(input.type?.tensorType?.elemType ?? 0))
    .filter((input) => input.type?.tensorType?.shape?.dim?.length === 2)
    .filter((input) => [...self, ...cross].some((block) => scope.dependsOn(block.scores, input.name!)))
    .map((input) => {
      const dims = (input.type?.tensorType?.shape?.dim ?? []).map((dim) => dim.dimParam || String(dim.dimValue ?? '?'));
      const square = dims.length === 2 && dims[0] === dims[1];
      const inSelf = self.some((block) => scope.dependsOn(block.scores, input.name!));
      return { name: input.name!, causal: square && inSelf && cross.length > 0 };
    });
}

export interface AttentionBlock {
  readonly probabilities: string;
  /** The Softmax input: QKᵀ after scaling and masks. */
  readonly scores: string;
  readonly scoreMatMul: onnx.INodeProto;
  /** The probabilities meet an addition before ·V. */
  readonly maskAfterSoftmax: boolean;
  /** The operands of QKᵀ: queries [.., S, H] and keys already transposed, [.., H, L]. */
  readonly queries: string;
  readonly keys: string;
  /** The operand of ·V: values [.., L, H]. */
  readonly values: string;
}

/** A Softmax is attention when it sits between an activation×activation MatMul and a ·V MatMul. */
function attentionBlock(scope: GraphScope, softmax: onnx.INodeProto): AttentionBlock | undefined {
  const probabilities = softmax.output?.[0];
  const scores = softmax.input?.[0];
  if (!probabilities || !scores) return undefined;
  const scoreMatMul = searchBackward(scope, scores, 8);
  if (!scoreMatMul) return undefined;
  const toValues = valueMatMulPath(scope, probabilities, 4);
  if (!toValues) return undefined;
  const [queries, keys] = scoreMatMul.input ?? [];
  return { probabilities, scores, queries, keys, values: toValues.values, scoreMatMul, maskAfterSoftmax: toValues.throughAdd };
}

function isActivationMatMul(scope: GraphScope, node: onnx.INodeProto): boolean {
  const inputs = (node.input ?? []).slice(0, 2);
  return MATMUL_OPS.has(node.opType ?? '') && inputs.length === 2 && inputs.every((input) => scope.isData(input));
}

function searchBackward(scope: GraphScope, tensor: string, depth: number): onnx.INodeProto | undefined {
  const queue: { tensor: string; depth: number }[] = [{ tensor, depth }];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const current = queue.shift()!;
    if (seen.has(current.tensor)) continue;
    seen.add(current.tensor);
    const producer = scope.producer(current.tensor)?.node;
    if (!producer) continue;
    if (isActivationMatMul(scope, producer)) return producer;
    if (current.depth === 0 || !SCORE_OPS.has(producer.opType ?? '')) continue;
    for (const input of scope.dataInputs(producer)) queue.push({ tensor: input, depth: current.depth - 1 });
  }
  return undefined;
}

/** The ·V MatMul's values operand the probabilities reach, and whether through an addition (a mask added after the softmax). */
function valueMatMulPath(scope: GraphScope, tensor: string, depth: number): { readonly values: string; readonly throughAdd: boolean } | undefined {
  for (const { node } of scope.consumers(tensor)) {
    if (isActivationMatMul(scope, node) && node.input?.[0] === tensor) return { values: node.input[1], throughAdd: false };
    const late = LATE_MASK_OPS.has(node.opType ?? '');
    if (depth > 0 && (PROB_OPS.has(node.opType ?? '') || late) && node.output?.[0]) {
      const path = valueMatMulPath(scope, node.output[0], depth - 1);
      if (path) return { values: path.values, throughAdd: path.throughAdd || late };
    }
  }
  return undefined;
}

interface TokenEmbedding {
  readonly output: string;
  readonly rows: number;
  readonly width: number;
}

/** Per integer graph input, its embedding Gather: the largest 2-D weight table it indexes. */
function tokenEmbeddings(scope: GraphScope): Map<string, TokenEmbedding> {
  const found = new Map<string, TokenEmbedding>();
  for (const node of scope.nodes) {
    if (node.opType !== 'Gather') continue;
    const [table, indices] = node.input ?? [];
    const weights = scope.initializer(table);
    if (!weights || (weights.dims ?? []).length !== 2) continue;
    const tokenInput = traceToInput(scope, indices);
    if (!tokenInput) continue;
    const rows = int64(weights.dims![0]);
    if (rows > (found.get(tokenInput)?.rows ?? 0)) found.set(tokenInput, { output: node.output![0], rows, width: int64(weights.dims![1]) });
  }
  return found;
}

function traceToInput(scope: GraphScope, tensor: string): string | undefined {
  let current = tensor;
  for (let step = 0; step < 6; step++) {
    if (scope.isInput(current)) return current;
    const producer = scope.producer(current)?.node;
    if (!producer || !INDEX_PASS_OPS.has(producer.opType ?? '')) return undefined;
    current = producer.input![0];
  }
  return undefined;
}

