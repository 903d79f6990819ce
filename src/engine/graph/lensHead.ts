// The logit lens: the part of a graph between the residual stream and the logits (final norm,
// unembedding, bias), cut out as its own small model, so every layer's hidden state can be read
// as next-token predictions. It ends in TopK and LogSumExp, so only the top tokens leave onnxruntime.

import { onnx } from 'onnx-proto';
import { GraphScope } from './graphScope';
import { int64 } from './onnxFile';

/** A head larger than this is not a head: the slice ran into the network itself. */
const MAX_HEAD_NODES = 64;

/** Predictions kept per layer and position. */
export const LENS_TOP_K = 5;

/** The lens model's outputs: [rows…, k] top logits and their ids, and [rows…, 1] log Σ exp(logits). */
export const LENS_OUTPUTS = { values: 'lens_top_values', ids: 'lens_top_ids', logSumExp: 'lens_log_sum_exp' } as const;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

function valueInfo(name: string, elemType: number): onnx.ValueInfoProto {
  return onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType } } });
}

function int64Constant(name: string, values: readonly number[]): onnx.ITensorProto {
  return { name, dataType: INT64, dims: [values.length], int64Data: [...values] };
}

/**
 * The nodes after the logits: a float copy, its `topK` largest entries with their ids, and its
 * log-sum-exp (the softmax denominator), all on the last axis. Opset 11 and later only.
 */
function topKTail(logits: string, elemType: number, topK: number, opset: number): { nodes: onnx.INodeProto[]; initializers: onnx.ITensorProto[] } {
  const floats = elemType === FLOAT ? logits : 'lens_logits_float';
  const nodes: onnx.INodeProto[] = elemType === FLOAT ? [] : [{ opType: 'Cast', input: [logits], output: [floats], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: FLOAT }] }];
  const initializers = [int64Constant('lens_k', [topK])];
  nodes.push({ opType: 'TopK', input: [floats, 'lens_k'], output: [LENS_OUTPUTS.values, LENS_OUTPUTS.ids], attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: -1 }] });
  // ReduceLogSumExp takes its axes as an attribute up to opset 17 and as an input from 18.
  if (opset >= 18) {
    initializers.push(int64Constant('lens_axes', [-1]));
    nodes.push({ opType: 'ReduceLogSumExp', input: [floats, 'lens_axes'], output: [LENS_OUTPUTS.logSumExp] });
  } else {
    nodes.push({ opType: 'ReduceLogSumExp', input: [floats], output: [LENS_OUTPUTS.logSumExp], attribute: [{ name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [-1] }] });
  }
  return { nodes, initializers };
}

/**
 * Encodes the model that maps `input` to the top `topK` next tokens, or undefined when the logits
 * need anything besides that input and constants (then the lens cannot be computed this way), or
 * the model's opset predates TopK with a K input (11).
 */
export function buildLensHead(model: onnx.ModelProto, scope: GraphScope, input: string, logits: string, topK: number): Uint8Array | undefined {
  const opset = int64(model.opsetImport.find((entry) => !entry.domain || entry.domain === 'ai.onnx')?.version);
  if (opset < 11) return undefined;
  const nodes = new Map<number, onnx.INodeProto>();
  const leaves = new Set<string>();
  const seen = new Set<string>();
  const pending = [logits];
  while (pending.length > 0) {
    const tensor = pending.pop()!;
    if (seen.has(tensor) || tensor === input) continue;
    seen.add(tensor);
    const producer = scope.producer(tensor);
    if (!producer) {
      leaves.add(tensor);
      continue;
    }
    if (producer.node.attribute?.some((attribute) => attribute.g || attribute.graphs?.length)) return undefined;
    nodes.set(producer.index, producer.node);
    if (nodes.size > MAX_HEAD_NODES) return undefined;
    for (const name of producer.node.input ?? []) if (name) pending.push(name);
  }
  if (!seen.size || nodes.size === 0) return undefined;
  const initializers: onnx.ITensorProto[] = [];
  for (const leaf of leaves) {
    const initializer = scope.initializer(leaf);
    if (!initializer) return undefined;
    initializers.push(initializer);
  }
  const tail = topKTail(logits, scope.elemType(logits), topK, opset);
  const graph = onnx.GraphProto.create({
    name: 'logit_lens',
    node: [...[...nodes.entries()].sort(([a], [b]) => a - b).map(([, node]) => node), ...tail.nodes],
    initializer: [...initializers, ...tail.initializers],
    input: [valueInfo(input, scope.elemType(input))],
    output: [valueInfo(LENS_OUTPUTS.values, FLOAT), valueInfo(LENS_OUTPUTS.ids, INT64), valueInfo(LENS_OUTPUTS.logSumExp, FLOAT)],
  });
  const head = onnx.ModelProto.create({ irVersion: model.irVersion, opsetImport: model.opsetImport, producerName: 'transformer-inspector logit lens', graph });
  return onnx.ModelProto.encode(head).finish();
}
