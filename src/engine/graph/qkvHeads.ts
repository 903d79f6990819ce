// Each attention block's queries, keys and values cut out of the graph as a small model that
// starts from the layer's input, a hidden state every inspection already holds: the step-by-step
// view asks for one layer, and its projections run in milliseconds where the whole model takes seconds.

import type { onnx } from 'onnx-proto';
import { GraphScope } from './graphScope';
import type { QkvProbe } from './probeFinder';
import { cutSubgraph, encodeCut, valueInfo } from './subgraph';

export interface QkvHead {
  /** `self.3`, `cross.0`. */
  readonly block: string;
  readonly bytes: Uint8Array;
  /** What the head reads: hidden states of the run, or the graph's own inputs. */
  readonly inputs: readonly string[];
  /** The probe's Q, K, V and fetched scale factors, under their names in the graph. */
  readonly outputs: readonly string[];
}

/** A projection, its bias, the head split and a pre-LN norm are tens of nodes; hundreds means the cut missed the layer input. */
const MAX_HEAD_NODES = 400;
/** Per block, and in all: a model past these keeps re-running itself for Q/K/V instead of holding copies. */
const MAX_HEAD_WEIGHT_BYTES = 64 * 1024 * 1024;
const MAX_ALL_HEADS_BYTES = 256 * 1024 * 1024;

/**
 * One head per block whose Q, K and V (`tensorsOf`) follow from `boundary` tensors and weights
 * alone; blocks that do not (or would copy too much) are left out.
 */
export function buildQkvHeads(
  model: onnx.ModelProto,
  scope: GraphScope,
  probes: readonly QkvProbe[],
  tensorsOf: (probe: QkvProbe) => readonly string[],
  boundary: (tensor: string) => boolean,
): QkvHead[] {
  const heads: QkvHead[] = [];
  let total = 0;
  for (const probe of probes) {
    const outputs = [...new Set(tensorsOf(probe))];
    const cut = cutSubgraph(scope, outputs, boundary, { maxNodes: MAX_HEAD_NODES, maxWeightBytes: MAX_HEAD_WEIGHT_BYTES });
    if (!cut || cut.nodes.length === 0) continue;
    const block = `${probe.kind}.${probe.layer}`;
    const bytes = encodeCut(model, `qkv_${block}`, cut, cut.inputs.map((name) => valueInfo(name, scope.elemType(name))), outputs.map((name) => valueInfo(name, scope.elemType(name))));
    total += bytes.length;
    if (total > MAX_ALL_HEADS_BYTES) return [];
    heads.push({ block, bytes, inputs: cut.inputs, outputs });
  }
  return heads;
}
