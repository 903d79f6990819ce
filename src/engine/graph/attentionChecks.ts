// How each attention block scales its scores, read from the structure: the factors applied to the
// queries or keys on their way into QKᵀ, and to the scores between QKᵀ and the softmax. The learner
// diagnoses use them (no scaling at all), and Q/K/V are reported before them.

import { onnx } from 'onnx-proto';
import type { GraphScope } from './graphScope';
import { int64 } from './onnxFile';
import type { AttentionBlock } from './probeFinder';

/** Ops a query or key passes on its way into QKᵀ after its projection. */
const HEAD_SPLIT_OPS = new Set(['Reshape', 'Transpose', 'Cast', 'Squeeze', 'Unsqueeze', 'Identity', 'Mul', 'Div']);

/** A scalar the values are multiplied (or divided) by: a constant, or a tensor computed from shapes. */
export interface ScaleFactor {
  readonly tensor: string;
  readonly divide: boolean;
  /** Known from the graph (a constant); otherwise it is fetched with the run. */
  readonly value?: number;
}

export interface BlockScaling {
  readonly query: readonly ScaleFactor[];
  readonly key: readonly ScaleFactor[];
  readonly scores: readonly ScaleFactor[];
}

/** The factor of a Mul or Div by something that is not an activation. */
function factorOf(scope: GraphScope, node: onnx.INodeProto, from: string): ScaleFactor | undefined {
  const [a, b] = node.input ?? [];
  if (node.opType === 'Div' && a === from && b && !scope.isData(b)) return { tensor: b, divide: true, value: scalarValue(scope, b) };
  if (node.opType !== 'Mul') return undefined;
  const other = a === from ? b : a;
  return other && !scope.isData(other) ? { tensor: other, divide: false, value: scalarValue(scope, other) } : undefined;
}

/** Where each block's scores are scaled, and by what. */
export function blockScaling(scope: GraphScope, block: AttentionBlock): BlockScaling {
  const matmulOutput = block.scoreMatMul.output?.[0];
  // Backwards from the softmax input to QKᵀ.
  const scores: ScaleFactor[] = [];
  const pending = [block.scores];
  const seen = new Set<string>();
  while (pending.length > 0) {
    const tensor = pending.pop()!;
    if (tensor === matmulOutput || seen.has(tensor) || seen.size > 32) continue;
    seen.add(tensor);
    const producer = scope.producer(tensor)?.node;
    if (!producer) continue;
    const inputs = scope.dataInputs(producer);
    // Only a factor on the path from QKᵀ, not inside a mask or a position bias.
    const onPath = inputs.find((input) => input === matmulOutput || scope.dependsOn(input, matmulOutput ?? ''));
    const factor = onPath && factorOf(scope, producer, onPath);
    if (factor) scores.push(factor);
    pending.push(...inputs);
  }
  const [queries, keys] = (block.scoreMatMul.input ?? []).slice(0, 2);
  return { query: operandFactors(scope, queries), key: operandFactors(scope, keys), scores };
}

/** Backwards from an operand of QKᵀ through the head split, as far as the projection. */
function operandFactors(scope: GraphScope, operand: string): ScaleFactor[] {
  const factors: ScaleFactor[] = [];
  let current = operand;
  for (let step = 0; step < 8; step++) {
    const producer = scope.producer(current)?.node;
    if (!producer || !HEAD_SPLIT_OPS.has(producer.opType ?? '')) break;
    const next = scope.dataInputs(producer)[0];
    if (!next) break;
    const factor = factorOf(scope, producer, next);
    if (factor) factors.push(factor);
    else if (producer.opType === 'Mul' || producer.opType === 'Div') break;
    current = next;
  }
  return factors;
}

export function isScaled(scaling: BlockScaling): boolean {
  return scaling.query.length + scaling.key.length + scaling.scores.length > 0;
}

/** The number a scalar constant holds, where the graph states it. */
export function scalarValue(scope: GraphScope, tensor: string): number | undefined {
  const producer = scope.producer(tensor)?.node;
  const proto = scope.initializer(tensor) ?? (producer?.opType === 'Constant' ? producer.attribute?.find((attribute) => attribute.name === 'value')?.t ?? undefined : undefined);
  if (!proto || (proto.dims ?? []).reduce((size, dim) => size * int64(dim), 1) !== 1) return undefined;
  const type = proto.dataType;
  if (proto.floatData?.length) return proto.floatData[0];
  if (proto.doubleData?.length) return proto.doubleData[0];
  const raw = proto.rawData;
  if (!raw || raw.length === 0) return undefined;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (type === onnx.TensorProto.DataType.FLOAT) return view.getFloat32(0, true);
  if (type === onnx.TensorProto.DataType.DOUBLE) return view.getFloat64(0, true);
  return undefined;
}
