// Opens up fused attention in the instrumented copy of a graph: com.microsoft.Attention,
// com.microsoft.MultiHeadAttention and ONNX's own Attention (opset 23) are replaced by their explicit
// computation (head split, QKᵀ, scale, masks, Softmax, ·V, head merge), so the probabilities and
// the layers around them exist as tensors. Forms that are not supported stay fused and say why.

import { onnx } from 'onnx-proto';
import type { GraphScope } from './graphScope';
import { intAttribute, intsAttribute, NodeWriter } from './nodeWriter';
import { int64 } from './onnxFile';

/** Added to masked scores, as onnxruntime's contrib kernels do by default. */
const DEFAULT_MASK_FILTER = -10000;
const MS_DOMAIN = 'com.microsoft';

export interface OpenedAttention {
  /** The graph with the fused nodes replaced, for finding probes in it. */
  readonly graph: onnx.GraphProto;
  /** Node index → the nodes that replace it, for splicing into the file. */
  readonly replacements: ReadonlyMap<number, readonly onnx.NodeProto[]>;
  /** e.g. "2 com.microsoft.MultiHeadAttention nodes opened up into MatMul, scale, Softmax, MatMul". */
  readonly opened: readonly string[];
  /** Fused nodes left as they are, and why. */
  readonly kept: readonly string[];
}

type Attributes = ReadonlyMap<string, onnx.IAttributeProto>;

function attributesOf(node: onnx.INodeProto): Attributes {
  return new Map((node.attribute ?? []).map((attribute) => [attribute.name ?? '', attribute]));
}
const intOf = (attributes: Attributes, name: string) => (attributes.has(name) ? int64(attributes.get(name)!.i) : undefined);
const floatOf = (attributes: Attributes, name: string) => (attributes.has(name) ? (attributes.get(name)!.f ?? 0) : undefined);

/** How one fused node is computed, in the terms the writer needs. */
interface AttentionForm {
  readonly heads: number;
  /** [B, S, D] projections, or [B, N, S, H] heads already split (ONNX Attention in 4-D). */
  readonly query: string;
  readonly key: string;
  readonly value: string;
  readonly split: boolean;
  readonly scale?: number;
  /** Additive terms for the scores, each broadcastable to [B, N, S, L]. */
  readonly masks: readonly ((writer: NodeWriter, scores: string) => string)[];
}

/** Replaces every supported fused attention node; undefined when the graph has none. */
export function openFusedAttention(scope: GraphScope, graph: onnx.GraphProto, opset: number): OpenedAttention | undefined {
  const replacements = new Map<number, onnx.NodeProto[]>();
  const nodes: onnx.INodeProto[] = [];
  const counts = new Map<string, number>();
  const kept: string[] = [];
  graph.node.forEach((node, index) => {
    const kind = fusedKind(node);
    if (!kind) {
      nodes.push(node);
      return;
    }
    const refusal = unsupported(scope, node, opset);
    if (refusal) {
      kept.push(`${kind}: ${refusal}`);
      nodes.push(node);
      return;
    }
    const writer = new NodeWriter(`inspector_open/${index}`, opset);
    writeAttention(writer, formOf(scope, node, writer), node.output![0]);
    nodes.push(...writer.nodes);
    replacements.set(index, writer.nodes);
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  });
  if (replacements.size === 0 && kept.length === 0) return undefined;
  const opened = [...counts].map(([kind, count]) => `${count} ${kind} node${count === 1 ? '' : 's'} opened up into MatMul, scale, Softmax, MatMul`);
  return { graph: onnx.GraphProto.create({ ...graph, node: nodes as onnx.NodeProto[] }), replacements, opened, kept };
}

function fusedKind(node: onnx.INodeProto): string | undefined {
  const domain = node.domain || 'ai.onnx';
  if (domain === MS_DOMAIN && (node.opType === 'Attention' || node.opType === 'MultiHeadAttention')) return `${MS_DOMAIN}.${node.opType}`;
  if (domain === 'ai.onnx' && node.opType === 'Attention') return 'ai.onnx.Attention';
  return undefined;
}

/** The first reason this node cannot be opened up, or undefined. */
function unsupported(scope: GraphScope, node: onnx.INodeProto, opset: number): string | undefined {
  const attributes = attributesOf(node);
  const inputs = node.input ?? [];
  const given = (index: number) => !!inputs[index];
  const used = (index: number) => !!node.output?.[index] && (scope.consumers(node.output[index]).length > 0 || scope.outputs.has(node.output[index]));
  if ([1, 2, 3].some(used)) return 'its cache or score outputs are used (only the attention output is supported)';
  if (scope.elemType(inputs[0]) !== onnx.TensorProto.DataType.FLOAT) return 'only float32 attention is supported';
  const causal = (intOf(attributes, 'unidirectional') ?? intOf(attributes, 'is_causal') ?? 0) !== 0;
  if (causal && opset < 14) return `causal attention needs Trilu (opset 14; this graph is opset ${opset})`;
  const domain = node.domain || 'ai.onnx';
  if (domain === MS_DOMAIN && node.opType === 'Attention') {
    if (given(4) || given(6)) return 'past state (a KV cache) is not supported';
    if (attributes.has('qkv_hidden_sizes')) return 'qkv_hidden_sizes (Q, K, V widths of their own) is not supported';
    if ((intOf(attributes, 'do_rotary') ?? 0) !== 0) return 'do_rotary is not supported';
    if (given(3) && rank(scope, inputs[3]) !== 2) return 'only a 2-D mask_index ([batch, sequence] of 0 and 1) is supported';
    return undefined;
  }
  if (domain === MS_DOMAIN) {
    if (!given(1) || !given(2)) return 'packed query/key/value inputs are not supported';
    if ([6, 7, 8, 9].some(given)) return 'past state (a KV cache) is not supported';
    if (rank(scope, inputs[1]) !== 3 || rank(scope, inputs[2]) !== 3) return 'only 3-D key and value inputs ([batch, length, hidden]) are supported';
    if (given(4) && rank(scope, inputs[4]) !== 2) return 'only a 2-D key_padding_mask ([batch, length] of 0 and 1) is supported';
    return undefined;
  }
  if ([4, 5, 6].some(given)) return 'past state (a KV cache) is not supported';
  if ((floatOf(attributes, 'softcap') ?? 0) !== 0) return 'softcap is not supported';
  const qHeads = intOf(attributes, 'q_num_heads');
  const kvHeads = intOf(attributes, 'kv_num_heads');
  if (qHeads !== undefined && kvHeads !== undefined && qHeads !== kvHeads) return 'grouped-query attention (q_num_heads ≠ kv_num_heads) is not supported';
  return undefined;
}

/** Ops whose output has the rank of their widest input (broadcasting), or of their first. */
const BROADCAST_OPS = new Set(['Add', 'Sub', 'Mul', 'Div', 'Where', 'MatMul']);
const FIRST_INPUT_RANK_OPS = new Set(['Cast', 'Identity', 'Relu', 'Gelu', 'Erf', 'Tanh', 'Sigmoid', 'Softmax', 'LayerNormalization', 'SkipLayerNormalization', 'Transpose', 'Slice', 'Dropout', 'Attention', 'MultiHeadAttention']);

/** The rank of a tensor: declared, or followed back through the ops that keep it, to a declared input or a weight. */
function rank(scope: GraphScope, tensor: string, depth = 0): number | undefined {
  const info = [...(scope.graph.input ?? []), ...(scope.graph.valueInfo ?? [])].find((entry) => entry.name === tensor);
  if (info?.type?.tensorType?.shape?.dim) return info.type.tensorType.shape.dim.length;
  const weight = scope.initializer(tensor);
  if (weight) return weight.dims?.length ?? 0;
  const producer = scope.producer(tensor)?.node;
  if (!producer || depth > 64) return undefined;
  const inputs = (producer.input ?? []).filter((input) => input !== '');
  if (producer.opType === 'Gather') {
    const [table, indices] = inputs.map((input) => rank(scope, input, depth + 1));
    return table !== undefined && indices !== undefined ? table - 1 + indices : undefined;
  }
  const opType = producer.opType ?? '';
  if (!BROADCAST_OPS.has(opType) && !FIRST_INPUT_RANK_OPS.has(opType)) return undefined;
  const ranks = (BROADCAST_OPS.has(opType) ? inputs : inputs.slice(0, 1)).map((input) => rank(scope, input, depth + 1));
  return ranks.some((value) => value === undefined) ? undefined : Math.max(...(ranks as number[]));
}

function formOf(scope: GraphScope, node: onnx.INodeProto, writer: NodeWriter): AttentionForm {
  const attributes = attributesOf(node);
  const inputs = node.input ?? [];
  const filter = floatOf(attributes, 'mask_filter_value') ?? DEFAULT_MASK_FILTER;
  const masks: AttentionForm['masks'][number][] = [];
  const domain = node.domain || 'ai.onnx';
  if (domain === MS_DOMAIN) {
    const heads = intOf(attributes, 'num_heads') ?? 1;
    if ((intOf(attributes, 'unidirectional') ?? 0) !== 0) masks.push((w, scores) => causalMask(w, scores, filter));
    let [query, key, value] = [inputs[0], inputs[1], inputs[2]];
    let paddingMask = inputs[4];
    let bias = inputs[3];
    let attentionBias = inputs[5];
    if (node.opType === 'Attention') {
      // One packed projection: input × weights (+ bias) = [Q | K | V].
      const projected = writer.add('MatMul', [inputs[0], inputs[1]]);
      const packed = inputs[2] ? writer.add('Add', [projected, inputs[2]]) : projected;
      [query, key, value] = splitInThree(writer, packed);
      paddingMask = inputs[3];
      attentionBias = inputs[5];
      bias = '';
    }
    if (bias) [query, key, value] = addPackedBias(writer, bias, [query, key, value]);
    if (paddingMask) masks.push((w) => w.unsqueeze(keepMask(w, paddingMask, filter), [1, 2]));
    if (attentionBias) masks.push(() => attentionBias);
    return { heads, query, key, value, split: true, scale: floatOf(attributes, 'scale') || undefined, masks };
  }
  // ONNX Attention: heads given for 3-D inputs, already split in 4-D ones.
  const heads = intOf(attributes, 'q_num_heads');
  if ((intOf(attributes, 'is_causal') ?? 0) !== 0) masks.push((w, scores) => causalMask(w, scores, Number.NEGATIVE_INFINITY));
  const attentionMask = inputs[3];
  if (attentionMask) {
    // A boolean mask says where to attend; a float mask is added.
    const isBool = scope.elemType(attentionMask) === onnx.TensorProto.DataType.BOOL;
    masks.push((w) => (isBool ? w.add('Where', [attentionMask, w.float(0), w.float(Number.NEGATIVE_INFINITY)]) : attentionMask));
  }
  return { heads: heads ?? 1, query: inputs[0], key: inputs[1], value: inputs[2], split: heads !== undefined, scale: floatOf(attributes, 'scale') || undefined, masks };
}

/** [Q | K | V] along the last axis, in three equal parts. */
function splitInThree(writer: NodeWriter, packed: string): [string, string, string] {
  const attributes = [intAttribute('axis', -1), ...(writer.opset >= 18 ? [intAttribute('num_outputs', 3)] : [])];
  return writer.addMany('Split', [packed], 3, attributes) as [string, string, string];
}

/** MultiHeadAttention's bias [3·D]: its thirds are added to Q, K and V. */
function addPackedBias(writer: NodeWriter, bias: string, projections: readonly string[]): [string, string, string] {
  const parts = splitInThree(writer, bias);
  return projections.map((projection, i) => writer.add('Add', [projection, parts[i]])) as [string, string, string];
}

/** (1 − mask) · filter for a 0/1 mask over the keys: [B, L]. */
function keepMask(writer: NodeWriter, mask: string, filter: number): string {
  const asFloat = writer.add('Cast', [mask], [intAttribute('to', onnx.TensorProto.DataType.FLOAT)]);
  return writer.add('Mul', [writer.add('Sub', [writer.float(1), asFloat]), writer.float(filter)]);
}

/** `filter` above the diagonal of the last two axes of `scores`, 0 on and below it. */
function causalMask(writer: NodeWriter, scores: string, filter: number): string {
  const shape = writer.add('Shape', [scores]);
  const square = writer.add('Slice', [shape, writer.ints([-2]), writer.ints([2 ** 31 - 1])]);
  const ones = writer.add('ConstantOfShape', [square], [{ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: { dataType: onnx.TensorProto.DataType.FLOAT, dims: [1], floatData: [1] } }]);
  const lower = writer.add('Trilu', [ones], [intAttribute('upper', 0)]);
  // Where(lower, 0, filter) keeps -∞ exact (−∞ · 0 would be NaN).
  const allowed = writer.add('Cast', [lower], [intAttribute('to', onnx.TensorProto.DataType.BOOL)]);
  return writer.add('Where', [allowed, writer.float(0), writer.float(filter)]);
}

/** Writes the explicit attention; the last node produces `output`. */
function writeAttention(writer: NodeWriter, form: AttentionForm, output: string): void {
  // [B, S, D] → [B, N, S, H] (keys: [B, N, H, L]); inputs already in heads only need the keys transposed.
  const heads = (tensor: string, transposed: boolean) => {
    if (!form.split) return transposed ? writer.add('Transpose', [tensor], [intsAttribute('perm', [0, 1, 3, 2])]) : tensor;
    const shaped = writer.add('Reshape', [tensor, writer.ints([0, 0, form.heads, -1])]);
    return writer.add('Transpose', [shaped], [intsAttribute('perm', transposed ? [0, 2, 3, 1] : [0, 2, 1, 3])]);
  };
  const query = heads(form.query, false);
  const keysT = heads(form.key, true);
  const values = heads(form.value, false);
  const scores = writer.add('MatMul', [query, keysT]);
  const scale = form.scale !== undefined ? writer.float(form.scale) : reciprocalSqrtHeadSize(writer, query);
  let scaled = writer.add('Mul', [scores, scale]);
  for (const mask of form.masks) scaled = writer.add('Add', [scaled, mask(writer, scaled)]);
  const probabilities = writer.add('Softmax', [scaled], [intAttribute('axis', -1)]);
  const context = writer.add('MatMul', [probabilities, values]);
  if (!form.split) {
    writer.add('Identity', [context], [], output);
    return;
  }
  const merged = writer.add('Transpose', [context], [intsAttribute('perm', [0, 2, 1, 3])]);
  writer.add('Reshape', [merged, writer.ints([0, 0, -1])], [], output);
}

/** 1/√H from the head size of [B, N, S, H], computed from the shape (the default scale). */
function reciprocalSqrtHeadSize(writer: NodeWriter, query: string): string {
  const size = writer.add('Slice', [writer.add('Shape', [query]), writer.ints([-1]), writer.ints([2 ** 31 - 1])]);
  const asFloat = writer.add('Cast', [size], [intAttribute('to', onnx.TensorProto.DataType.FLOAT)]);
  return writer.add('Reciprocal', [writer.add('Sqrt', [asFloat])]);
}
