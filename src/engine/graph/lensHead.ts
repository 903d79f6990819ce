// The logit lens: the part of a graph between the residual stream and the logits (final norm,
// unembedding, bias), cut out as its own small model, so every layer's hidden state can be read
// as next-token predictions. It ends in TopK and LogSumExp, so only the top tokens leave onnxruntime.

import { onnx } from 'onnx-proto';
import { GraphScope } from './graphScope';
import { int64 } from './onnxFile';
import { cutSubgraph, encodeCut, valueInfo } from './subgraph';

/** A head larger than this is not a head: the slice ran into the network itself. */
const MAX_HEAD_NODES = 64;

/** Predictions kept per layer and position. */
export const LENS_TOP_K = 5;

/** The lens model's outputs: [rows…, k] top logits and their ids, and [rows…, 1] log Σ exp(logits). */
export const LENS_OUTPUTS = { values: 'lens_top_values', ids: 'lens_top_ids', logSumExp: 'lens_log_sum_exp' } as const;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

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
  const cut = cutSubgraph(scope, [logits], (tensor) => tensor === input, { maxNodes: MAX_HEAD_NODES });
  if (!cut || cut.nodes.length === 0) return undefined;
  const tail = topKTail(logits, scope.elemType(logits), topK, opset);
  return encodeCut(
    model,
    'logit_lens',
    { nodes: [...cut.nodes, ...tail.nodes], initializers: [...cut.initializers, ...tail.initializers] },
    [valueInfo(input, scope.elemType(input))],
    [valueInfo(LENS_OUTPUTS.values, FLOAT), valueInfo(LENS_OUTPUTS.ids, INT64), valueInfo(LENS_OUTPUTS.logSumExp, FLOAT)],
  );
}
