// Head ablation by graph surgery on the instrumented copy: one input, the head mask [blocks, heads],
// multiplies each attention block's probabilities after its softmax, before they meet the values —
// as transformers' head_mask does. All ones leaves the model as it is; a zero switches a head off.

import { onnx } from 'onnx-proto';
import { intAttribute, NodeWriter } from './nodeWriter';

export const HEAD_MASK_INPUT = 'inspector_head_mask';

/** The graph input: float [blocks, heads]; heads may be given as 1 when nothing is switched off. */
export function headMaskInput(): onnx.ValueInfoProto {
  return onnx.ValueInfoProto.create({
    name: HEAD_MASK_INPUT,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimParam: 'attention_blocks' }, { dimParam: 'attention_heads' }] } } },
  });
}

/**
 * Makes every Softmax in `nodes` that produces one of `probabilities` (block i of the mask: its
 * position in that list) write to a new name, and appends the nodes that give the original name the
 * masked probabilities; nothing downstream changes. Returns whether any was found.
 */
export function maskSoftmaxes(nodes: onnx.INodeProto[], probabilities: readonly string[], prefix: string, opset: number, elemType: (tensor: string) => number): boolean {
  let found = false;
  for (let at = 0; at < nodes.length; at++) {
    const node = nodes[at];
    const block = node.opType === 'Softmax' ? probabilities.indexOf(node.output?.[0] ?? '') : -1;
    if (block < 0) continue;
    const masked = node.output![0];
    const raw = `${masked}/unmasked`;
    const writer = new NodeWriter(`${prefix}/head_mask_${block}`, opset);
    const row = writer.add('Gather', [HEAD_MASK_INPUT, writer.ints([block])]);
    // Either layout, [B, N, S, L] or heads merged into the batch [B·N, S, L], viewed as [B, N, S, L].
    const shape = writer.add('Shape', [raw]);
    const last2 = writer.add('Slice', [shape, writer.ints([-2]), writer.ints([2 ** 31 - 1])]);
    const heads = writer.add('Slice', [writer.add('Shape', [row]), writer.ints([1]), writer.ints([2])]);
    const view = writer.add('Concat', [writer.ints([-1]), heads, last2], [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }]);
    const rowAsFloat = writer.add('Reshape', [row, writer.ints([1, -1, 1, 1])]);
    // fp16 (or double) probabilities: the mask is fed as float32 and cast to their type.
    const type = elemType(masked);
    const perHead = type === onnx.TensorProto.DataType.FLOAT ? rowAsFloat : writer.add('Cast', [rowAsFloat], [intAttribute('to', type)]);
    const product = writer.add('Mul', [writer.add('Reshape', [raw, view]), perHead]);
    writer.add('Reshape', [product, shape], [], masked);
    nodes.splice(at, 1, onnx.NodeProto.create({ ...node, output: [raw] }), ...writer.nodes);
    at += writer.nodes.length;
    found = true;
  }
  return found;
}
