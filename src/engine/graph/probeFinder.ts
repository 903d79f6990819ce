// Finds, by graph structure alone, the tensors worth observing in one Transformer stack:
// attention probabilities (Softmax between QKᵀ and ·V), the residual stream between layers,
// the stack output and the token embedding lookup. Node names are never relied upon.

import { onnx } from 'onnx-proto';
import { GraphScope } from './graphScope';
import { traceResidualStream } from './residualStream';
import { int64 } from './onnxFile';

export interface AttentionProbe {
  readonly kind: 'self' | 'cross';
  readonly layer: number;
  readonly tensor: string;
}

export interface StackProbes {
  readonly attention: readonly AttentionProbe[];
  /** Residual stream: input of each layer, then the stack output ([layers + 1] entries), if found. */
  readonly hiddenStates?: readonly string[];
  /** What the logit lens feeds to the output head: the last residual sum before a final norm, else the output. */
  readonly lensInput?: string;
  /** Each layer's FFN hidden activation (input of its down-projection). */
  readonly ffn?: readonly string[];
  readonly embedding?: string;
  readonly tokenInput?: string;
  readonly unobservable: readonly { readonly what: string; readonly why: string }[];
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
const INDEX_PASS_OPS = new Set(['Cast', 'Unsqueeze', 'Squeeze', 'Reshape', 'Identity', 'Flatten']);

export function findStackProbes(scope: GraphScope): StackProbes {
  const unobservable: { what: string; why: string }[] = [];
  const fused = scope.nodes.filter((node) => FUSED_ATTENTION_OPS.has(node.opType ?? ''));
  if (fused.length > 0) {
    unobservable.push({
      what: 'attention probabilities',
      why: `${fused.length} fused ${fused[0].domain || 'ai.onnx'}.${fused[0].opType} node(s) compute attention inside one kernel; the probabilities never exist as a tensor. Export the model without ORT attention fusion to inspect them.`,
    });
  }
  const { embedding, tokenInput } = findTokenEmbedding(scope);
  const blocks = scope.nodes
    .filter((node) => node.opType === 'Softmax')
    .map((softmax) => attentionBlock(scope, softmax))
    .filter((block): block is AttentionBlock => block !== undefined);

  const byKind = { self: [] as AttentionBlock[], cross: [] as AttentionBlock[] };
  for (const block of blocks) {
    const cross = tokenInput !== undefined && !scope.dependsOn(block.keys, tokenInput);
    byKind[cross ? 'cross' : 'self'].push(block);
  }
  const attention: AttentionProbe[] = (['self', 'cross'] as const).flatMap((kind) =>
    byKind[kind].map((block, layer) => ({ kind, layer, tensor: block.probabilities })),
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
  return { attention, hiddenStates, lensInput: stream?.lensInput, ffn: stream?.ffn, embedding, tokenInput, unobservable };
}

interface AttentionBlock {
  readonly probabilities: string;
  readonly queries: string;
  readonly keys: string;
}

/** A Softmax is attention when it sits between an activation×activation MatMul and a ·V MatMul. */
function attentionBlock(scope: GraphScope, softmax: onnx.INodeProto): AttentionBlock | undefined {
  const probabilities = softmax.output?.[0];
  const scores = softmax.input?.[0];
  if (!probabilities || !scores) return undefined;
  const scoreMatMul = searchBackward(scope, scores, 8);
  if (!scoreMatMul) return undefined;
  if (!feedsValueMatMul(scope, probabilities, 4)) return undefined;
  const [queries, keys] = scoreMatMul.input ?? [];
  return { probabilities, queries, keys };
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

function feedsValueMatMul(scope: GraphScope, tensor: string, depth: number): boolean {
  for (const { node } of scope.consumers(tensor)) {
    if (isActivationMatMul(scope, node) && node.input?.[0] === tensor) return true;
    if (depth > 0 && PROB_OPS.has(node.opType ?? '') && node.output?.[0]) {
      if (feedsValueMatMul(scope, node.output[0], depth - 1)) return true;
    }
  }
  return false;
}

/** The word-embedding Gather: the largest 2-D weight table indexed by an integer graph input. */
function findTokenEmbedding(scope: GraphScope): { embedding?: string; tokenInput?: string } {
  let best: { rows: number; embedding: string; tokenInput: string } | undefined;
  for (const node of scope.nodes) {
    if (node.opType !== 'Gather') continue;
    const [table, indices] = node.input ?? [];
    const weights = scope.initializer(table);
    if (!weights || (weights.dims ?? []).length !== 2) continue;
    const tokenInput = traceToInput(scope, indices);
    if (!tokenInput) continue;
    const rows = int64(weights.dims![0]);
    if (!best || rows > best.rows) best = { rows, embedding: node.output![0], tokenInput };
  }
  return best ? { embedding: best.embedding, tokenInput: best.tokenInput } : {};
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

