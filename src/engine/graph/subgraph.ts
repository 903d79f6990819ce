// Cutting a small model out of a graph: the nodes that compute some tensors from tensors the
// engine already holds (a layer's input, the graph's inputs) and the weights they read.

import { onnx } from 'onnx-proto';
import { GraphScope, type NodeRef } from './graphScope';
import { int64 } from './onnxFile';

export interface Cut {
  /** In graph order. */
  readonly nodes: onnx.INodeProto[];
  readonly initializers: onnx.ITensorProto[];
  /** The boundary tensors the nodes read, in the order first met. */
  readonly inputs: string[];
}

export interface CutLimits {
  /** More nodes than this and the cut ran into the network itself. */
  readonly maxNodes: number;
  /** Weights beyond this many bytes are not worth a copy (the caller has a slower way). */
  readonly maxWeightBytes?: number;
}

/**
 * The nodes computing `outputs` from the tensors `isBoundary` accepts and from weights, or
 * undefined when they need anything else, hold a subgraph (If, Loop) or pass the limits.
 * In an If branch a weight may be computed outside it from constants (a tied output projection
 * stored once as a Transpose of the embedding): those outer nodes come along, first.
 */
export function cutSubgraph(scope: GraphScope, outputs: readonly string[], isBoundary: (tensor: string) => boolean, limits: CutLimits): Cut | undefined {
  // Keyed by scope depth (0: `scope`, 1: its parent…) and node index, so outer nodes sort first.
  const nodes = new Map<string, { depth: number; index: number; node: onnx.INodeProto }>();
  const inputs: string[] = [];
  const initializers: onnx.ITensorProto[] = [];
  const seen = new Set<string>();
  const pending = [...outputs].reverse();
  let weightBytes = 0;
  while (pending.length > 0) {
    const tensor = pending.pop()!;
    if (seen.has(tensor)) continue;
    seen.add(tensor);
    if (isBoundary(tensor)) {
      inputs.push(tensor);
      continue;
    }
    const found = producerInScopes(scope, tensor);
    if (!found) {
      const initializer = scope.initializer(tensor);
      if (!initializer) return undefined;
      weightBytes += tensorBytes(initializer);
      if (limits.maxWeightBytes !== undefined && weightBytes > limits.maxWeightBytes) return undefined;
      initializers.push(initializer);
      continue;
    }
    const { node, index } = found.ref;
    if (node.attribute?.some((attribute) => attribute.g || attribute.graphs?.length)) return undefined;
    nodes.set(`${found.depth}:${index}`, { depth: found.depth, index, node });
    if (nodes.size > limits.maxNodes) return undefined;
    for (const name of node.input ?? []) if (name) pending.push(name);
  }
  const ordered = [...nodes.values()].sort((a, b) => b.depth - a.depth || a.index - b.index);
  return { nodes: ordered.map((entry) => entry.node), initializers, inputs };
}

/** The node producing `tensor` in `scope`, or in an enclosing scope when it is a weight computed there. */
function producerInScopes(scope: GraphScope, tensor: string): { ref: NodeRef; depth: number } | undefined {
  const own = scope.producer(tensor);
  if (own) return { ref: own, depth: 0 };
  let outer = scope.parent;
  for (let depth = 1; outer; depth += 1, outer = outer.parent) {
    const ref = outer.producer(tensor);
    // Only constants: an activation from outside is the caller's boundary or not computable here.
    if (ref) return outer.isData(tensor) ? undefined : { ref, depth };
  }
  return undefined;
}

function tensorBytes(tensor: onnx.ITensorProto): number {
  if (tensor.rawData?.length) return tensor.rawData.length;
  const count = (tensor.dims ?? []).reduce<number>((total, dim) => total * int64(dim), 1);
  return count * 4;
}

export function valueInfo(name: string, elemType: number): onnx.ValueInfoProto {
  return onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType } } });
}

/** Encodes a cut (plus any nodes appended after it) as a model of the same opsets. */
export function encodeCut(
  model: onnx.ModelProto,
  name: string,
  cut: Pick<Cut, 'nodes' | 'initializers'>,
  inputs: readonly onnx.ValueInfoProto[],
  outputs: readonly onnx.ValueInfoProto[],
): Uint8Array {
  const graph = onnx.GraphProto.create({ name, node: cut.nodes, initializer: cut.initializers, input: [...inputs], output: [...outputs] });
  const cutModel = onnx.ModelProto.create({ irVersion: model.irVersion, opsetImport: model.opsetImport, producerName: `transformer-inspector ${name}`, graph });
  return onnx.ModelProto.encode(cutModel).finish();
}
