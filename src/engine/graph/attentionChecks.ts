// What the structure shows about how each attention block computes its scores, for the learner
// diagnoses: whether QKᵀ is scaled (by 1/√dₖ or any constant) before the softmax.

import type { onnx } from 'onnx-proto';
import type { GraphScope } from './graphScope';
import type { AttentionBlock } from './probeFinder';

/** Ops a query or key passes on its way into QKᵀ after its projection. */
const HEAD_SPLIT_OPS = new Set(['Reshape', 'Transpose', 'Cast', 'Squeeze', 'Unsqueeze', 'Identity', 'Mul', 'Div']);

/** A Mul or Div by something that is not an activation: a constant, or a value computed from shapes. */
function isScaling(scope: GraphScope, node: onnx.INodeProto): boolean {
  const [a, b] = node.input ?? [];
  if (node.opType === 'Div') return !!b && !scope.isData(b);
  if (node.opType === 'Mul') return [a, b].some((input) => !!input && !scope.isData(input));
  return false;
}

/** Whether the scores are scaled: between QKᵀ and the softmax, or on the queries or keys before it. */
export function isScaled(scope: GraphScope, block: AttentionBlock): boolean {
  const matmulOutput = block.scoreMatMul.output?.[0];
  // Backwards from the softmax input to QKᵀ.
  const pending = [block.scores];
  const seen = new Set<string>();
  while (pending.length > 0) {
    const tensor = pending.pop()!;
    if (tensor === matmulOutput || seen.has(tensor) || seen.size > 32) continue;
    seen.add(tensor);
    const producer = scope.producer(tensor)?.node;
    if (!producer) continue;
    if (isScaling(scope, producer)) return true;
    pending.push(...scope.dataInputs(producer));
  }
  // Backwards from each operand of QKᵀ through the head split, as far as the projection.
  return (block.scoreMatMul.input ?? []).slice(0, 2).some((operand) => {
    let current = operand;
    for (let step = 0; step < 8; step++) {
      const producer = scope.producer(current)?.node;
      if (!producer || !HEAD_SPLIT_OPS.has(producer.opType ?? '')) return false;
      if (isScaling(scope, producer)) return true;
      const next = scope.dataInputs(producer)[0];
      if (!next) return false;
      current = next;
    }
    return false;
  });
}
