// Head ablation by graph surgery on the instrumented copy: one input, the head mask [blocks, heads],
// zeroes a head's part of its block — as transformers' head_mask does, which multiplies the
// probabilities before they meet the values. All ones leaves the model as it is.
//
// The mask runs on every inspection, so it goes where it touches fewest values: on the product of
// the probabilities and the values (heads × queries × head width), which equals masking the
// probabilities (heads × queries × keys) first. The probabilities the run reports are then those
// before the mask; the engine zeroes the switched-off heads in what it reports.

import { onnx } from 'onnx-proto';
import type { GraphScope } from './graphScope';
import { intAttribute, NodeWriter } from './nodeWriter';

export const HEAD_MASK_INPUT = 'inspector_head_mask';

/** The graph input: float [blocks, heads]; heads may be given as 1 when nothing is switched off. */
export function headMaskInput(): onnx.ValueInfoProto {
  return onnx.ValueInfoProto.create({
    name: HEAD_MASK_INPUT,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimParam: 'attention_blocks' }, { dimParam: 'attention_heads' }] } } },
  });
}

/** Nodes between the probabilities and their product with the values that leave the values as they are. */
const PASS_THROUGH = new Set(['Cast', 'Dropout', 'Identity']);

/** Where a block's mask goes; `heads4d`: the tensor is known to be [B, N, S, ·], heads on axis 1. */
export interface MaskTarget {
  readonly tensor: string;
  readonly heads4d: boolean;
}

/**
 * Per block, the tensor the mask multiplies: the output of the MatMul that weighs the values by the
 * probabilities (their only use), or the probabilities themselves where the graph has no such MatMul.
 */
export function headMaskTargets(scope: GraphScope, probabilities: readonly string[]): MaskTarget[] {
  return probabilities.map((tensor) => weightedValues(scope, tensor) ?? { tensor, heads4d: false });
}

function weightedValues(scope: GraphScope, probabilities: string): MaskTarget | undefined {
  let current = probabilities;
  for (let hop = 0; hop <= PASS_THROUGH.size; hop++) {
    const consumers = scope.consumers(current);
    if (consumers.length !== 1 || scope.outputs.has(current)) return undefined;
    const { node } = consumers[0];
    if (PASS_THROUGH.has(node.opType ?? '') && node.input?.[0] === current) {
      current = node.output![0];
      continue;
    }
    // [B, N, S, L]·[B, N, L, d] or [B·N, S, L]·[B·N, L, d]: the product keeps the heads where the probabilities had them.
    if (node.opType !== 'MatMul' || node.input?.[0] !== current || !node.output?.[0]) return undefined;
    return { tensor: node.output[0], heads4d: rankOf(scope, node.input[1] ?? '', 8) === 4 };
  }
  return undefined;
}

/** A tensor's rank where the graph states it: a Transpose's permutation, a Reshape to a constant shape. */
function rankOf(scope: GraphScope, tensor: string, depth: number): number | undefined {
  const node = scope.producer(tensor)?.node;
  if (!node || depth === 0) return undefined;
  if (node.opType === 'Transpose') return node.attribute?.find((attribute) => attribute.name === 'perm')?.ints?.length;
  if (node.opType === 'Reshape') {
    const shape = scope.initializer(node.input?.[1] ?? '');
    return shape?.dims?.length === 1 ? Number(shape.dims[0]) : undefined;
  }
  if (node.opType === 'Concat' || PASS_THROUGH.has(node.opType ?? '')) {
    for (const input of node.input ?? []) {
      const rank = rankOf(scope, input, depth - 1);
      if (rank !== undefined) return rank;
    }
  }
  return undefined;
}

/**
 * The mask's rows, one [1, heads, 1, 1] tensor per block, from one Reshape and one Split of the input:
 * two nodes for the whole graph instead of a Gather and a Reshape per block (small nodes cost more than
 * their arithmetic at short inputs). `nodes` go before any node that reads a row.
 */
export function maskRows(blocks: number, prefix: string, opset: number): { nodes: onnx.NodeProto[]; rows: string[] } {
  const writer = new NodeWriter(`${prefix}/head_mask_rows`, opset);
  const shaped = writer.add('Reshape', [HEAD_MASK_INPUT, writer.ints([blocks, -1, 1, 1])]);
  if (blocks === 1) return { nodes: writer.nodes, rows: [shaped] };
  // Equal parts by the number of outputs; opset 18 on says how many by an attribute.
  const split = opset >= 18 ? [intAttribute('num_outputs', blocks)] : [];
  const rows = writer.addMany('Split', [shaped], blocks, [intAttribute('axis', 0), ...split]);
  return { nodes: writer.nodes, rows };
}

/**
 * Makes every node in `nodes` that produces one of `targets` (block i of the mask: its position in
 * that list; see headMaskTargets) write to a new name, and appends the nodes that give the original
 * name the masked values, reading block i's row from `rows` (see maskRows); nothing downstream
 * changes. Returns whether any was found.
 */
export function maskHeads(nodes: onnx.INodeProto[], targets: readonly MaskTarget[], rows: readonly string[], prefix: string, opset: number, elemType: (tensor: string) => number): boolean {
  let found = false;
  for (let at = 0; at < nodes.length; at++) {
    const node = nodes[at];
    const block = targets.findIndex((target) => target.tensor === node.output?.[0]);
    if (block < 0) continue;
    const masked = node.output![0];
    const raw = `${masked}/unmasked`;
    const writer = new NodeWriter(`${prefix}/head_mask_${block}`, opset);
    const row = rows[block];
    // fp16 (or double) probabilities: the mask is fed as float32 and cast to their type.
    const type = elemType(masked);
    const perHead = type === onnx.TensorProto.DataType.FLOAT ? row : writer.add('Cast', [row], [intAttribute('to', type)]);
    if (targets[block].heads4d) {
      // [B, N, S, ·] · [1, N, 1, 1]: one node a block.
      writer.add('Mul', [raw, perHead], [], masked);
    } else {
      // Either layout, [B, N, S, ·] or heads merged into the batch [B·N, S, ·], viewed as [B, N, S, ·].
      const shape = writer.add('Shape', [raw]);
      const last2 = writer.add('Slice', [shape, writer.ints([-2]), writer.ints([2 ** 31 - 1])]);
      const heads = writer.add('Slice', [writer.add('Shape', [row]), writer.ints([1]), writer.ints([2])]);
      const view = writer.add('Concat', [writer.ints([-1]), heads, last2], [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }]);
      const product = writer.add('Mul', [writer.add('Reshape', [raw, view]), perHead]);
      writer.add('Reshape', [product, shape], [], masked);
    }
    nodes.splice(at, 1, onnx.NodeProto.create({ ...node, output: [raw] }), ...writer.nodes);
    at += writer.nodes.length;
    found = true;
  }
  return found;
}
