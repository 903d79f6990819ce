// The residual stream of a Transformer stack, found by structure: each layer's input (from its
// self-attention queries), every residual addition along the way, the stack output, what feeds
// the final norm (the logit lens starts there) and each FFN's hidden activation.

import type { onnx } from 'onnx-proto';
import { GraphScope, NodeRef } from './graphScope';
import { int64 } from './onnxFile';

const NORM_OPS = new Set(['ReduceMean', 'Sub', 'Pow', 'Mul', 'Div', 'Add', 'Sqrt', 'Reciprocal', 'Cast']);
const FUSED_NORM_OPS = new Set(['LayerNormalization', 'SimplifiedLayerNormalization', 'RMSNormalization']);
const RESIDUAL_OPS = new Set(['Add', 'SkipLayerNormalization', 'SkipSimplifiedLayerNormalization']);
/** Between an FFN's down-projection and its residual addition: bias, dropout, casts, layer scale. */
const BRANCH_TAIL_OPS = new Set(['Add', 'Dropout', 'Identity', 'Cast', 'Reshape', 'Mul']);
const PROJECTION_OPS = new Set(['MatMul', 'Gemm', 'MatMulInteger', 'FusedMatMul']);

export interface ResidualStream {
  /** Input of each layer, then the stack output (after a final norm where there is one). */
  readonly hiddenStates: readonly string[];
  /** Pre-LN stacks: the residual sum before the final norm. Post-LN: the stack output. */
  readonly lensInput: string;
  /** Whether layers normalise their sublayers' inputs (pre-LN) rather than their outputs (post-LN). */
  readonly preNorm: boolean;
  /** The hidden activation of each layer's FFN (input of its down-projection), if every layer has one. */
  readonly ffn?: readonly string[];
}

/** Traces the stream from the queries of each self-attention block, in layer order. */
export function traceResidualStream(scope: GraphScope, selfQueries: readonly string[]): ResidualStream | undefined {
  if (selfQueries.length === 0) return undefined;
  const layerInputs: string[] = [];
  for (const queries of selfQueries) {
    const input = layerInput(scope, queries);
    if (!input || layerInputs.includes(input)) return undefined;
    layerInputs.push(input);
  }
  const walk = walkStream(scope, layerInputs[0]);
  if (!walk) return undefined;
  const sums = new Set(walk.sums.map((sum) => sum.output));
  const preNorm = layerInputs.slice(1).every((input) => sums.has(input));
  const ffn = walk.sums.map((sum) => ffnActivation(scope, sum.branch)).filter((tensor): tensor is string => tensor !== undefined);
  return {
    hiddenStates: [...layerInputs, walk.output],
    lensInput: preNorm && walk.lastSum ? walk.lastSum : walk.output,
    preNorm,
    ffn: ffn.length === layerInputs.length ? ffn : undefined,
  };
}

/** Walks back from the queries to the first tensor that also feeds a residual connection. */
function layerInput(scope: GraphScope, queries: string): string | undefined {
  let current = queries;
  for (let step = 0; step < 40; step++) {
    if (residualConsumer(scope, current)) return unaliased(scope, current);
    const producer = scope.producer(current)?.node;
    if (!producer) return undefined;
    const next = scope.dataInputs(producer)[0];
    if (!next) return undefined;
    current = next;
  }
  return undefined;
}

/** Identity, or a Cast to the type the tensor already has (T5's `hidden.to(float32)` in float32). */
function isValuePreserving(scope: GraphScope, node: onnx.INodeProto): boolean {
  if (node.opType === 'Identity') return true;
  if (node.opType !== 'Cast') return false;
  const to = Number(node.attribute?.find((attribute) => attribute.name === 'to')?.i ?? -1);
  return to === scope.elemType(node.input?.[0] ?? '');
}

/** The tensor before any value-preserving ops, so a layer's input is the value that reaches it. */
function unaliased(scope: GraphScope, tensor: string): string {
  let current = tensor;
  for (let producer = scope.producer(current)?.node; producer && isValuePreserving(scope, producer); producer = scope.producer(current)?.node) {
    current = producer.input![0];
  }
  return current;
}

/** The tensor and every name it goes by after value-preserving ops. */
function aliases(scope: GraphScope, tensor: string): string[] {
  const names = [tensor];
  for (let i = 0; i < names.length && names.length < 8; i++) {
    for (const { node } of scope.consumers(names[i])) {
      if (isValuePreserving(scope, node) && node.output?.[0]) names.push(node.output[0]);
    }
  }
  return names;
}

/** An Add whose other operand is computed from this tensor: x + f(x); `operand` is the name it reads x by. */
function residualConsumer(scope: GraphScope, tensor: string): (NodeRef & { readonly operand: string }) | undefined {
  for (const operand of aliases(scope, tensor)) {
    const found = scope.consumers(operand).find(({ node }) => {
      if (!RESIDUAL_OPS.has(node.opType ?? '')) return false;
      const [a, b] = node.input ?? [];
      const other = a === operand ? b : b === operand ? a : undefined;
      return other !== undefined && other !== operand && scope.isData(other) && scope.dependsOn(other, operand);
    });
    if (found) return { ...found, operand };
  }
  return undefined;
}

interface Walk {
  readonly sums: readonly { readonly output: string; readonly branch: string }[];
  readonly output: string;
  readonly lastSum?: string;
}

/** Follows residual additions (and post-LN / final norms) from the first layer input to the stack output. */
function walkStream(scope: GraphScope, start: string): Walk | undefined {
  const sums: { output: string; branch: string }[] = [];
  let current = start;
  for (let step = 0; step < 4096; step++) {
    const residual = residualConsumer(scope, current);
    if (!residual) return step === 0 ? undefined : { sums, output: current };
    const node = residual.node;
    const sum = node.opType === 'Add' ? node.output![0] : node.output?.[3];
    if (!sum) return undefined;
    sums.push({ output: sum, branch: node.input![0] === residual.operand ? node.input![1] : node.input![0] });
    if (residualConsumer(scope, sum)) {
      current = sum;
      continue;
    }
    const normalized = normOutput(scope, sum);
    if (!normalized) return { sums, output: sum, lastSum: sum };
    current = normalized;
    // Post-LN stacks may end with a norm of their own after the last layer's (PyTorch's nn.Transformer).
    if (!residualConsumer(scope, normalized)) return { sums, output: normOutput(scope, normalized) ?? normalized, lastSum: sum };
  }
  return undefined;
}

/**
 * The FFN hidden activation behind a residual branch: the input of a projection whose weight is
 * not square (FFN width ≠ model width; attention's output projection is square).
 */
function ffnActivation(scope: GraphScope, branch: string): string | undefined {
  let current = branch;
  for (let step = 0; step < 8; step++) {
    const node = scope.producer(current)?.node;
    if (!node) return undefined;
    if (PROJECTION_OPS.has(node.opType ?? '')) {
      const [input, weight] = node.input ?? [];
      const dims = (scope.initializer(weight)?.dims ?? []).map(int64);
      if (dims.length !== 2 || dims[0] === dims[1]) return undefined;
      // Quantized projections take a DynamicQuantizeLinear of the activation.
      const quantizer = scope.producer(input)?.node;
      return quantizer?.opType === 'DynamicQuantizeLinear' ? quantizer.input![0] : input;
    }
    if (!BRANCH_TAIL_OPS.has(node.opType ?? '')) return undefined;
    const next = scope.dataInputs(node)[0];
    if (!next) return undefined;
    current = next;
  }
  return undefined;
}

/** Output of a layer/RMS norm applied to `tensor`, fused or decomposed into elementwise ops. */
function normOutput(scope: GraphScope, tensor: string): string | undefined {
  const fusedNorm = scope.consumers(tensor).find(
    ({ node }) => FUSED_NORM_OPS.has(node.opType ?? '') && node.input?.[0] === tensor,
  );
  if (fusedNorm) return fusedNorm.node.output![0];
  // Decomposed norm: the closure of elementwise ops fed only by the input and by each other,
  // ending with the per-channel gain and bias (a later scalar rescale, as T5's head has, is not the norm's).
  const region = new Set([tensor]);
  const afterGain = new Set<string>();
  const regionNodes = new Set<number>();
  let hasMean = false;
  let grew = true;
  while (grew && regionNodes.size < 24) {
    grew = false;
    for (const name of [...region]) {
      for (const { node, index } of scope.consumers(name)) {
        if (regionNodes.has(index) || !NORM_OPS.has(node.opType ?? '')) continue;
        const inputs = scope.dataInputs(node);
        if (!inputs.every((input) => region.has(input))) continue;
        const perChannel = hasChannelWeight(scope, node);
        if (inputs.some((input) => afterGain.has(input)) && !perChannel) continue;
        regionNodes.add(index);
        hasMean ||= node.opType === 'ReduceMean';
        for (const output of node.output ?? []) {
          region.add(output);
          if (perChannel || inputs.some((input) => afterGain.has(input))) afterGain.add(output);
        }
        grew = true;
      }
    }
  }
  if (!hasMean) return undefined;
  const exits = [...region].filter(
    (name) =>
      name !== tensor &&
      (scope.outputs.has(name) || scope.consumers(name).some(({ index }) => !regionNodes.has(index))),
  );
  return exits.length === 1 ? exits[0] : undefined;
}

/** A norm's gain or bias: a 1-D weight with one value per channel (not a scalar constant). */
function hasChannelWeight(scope: GraphScope, node: onnx.INodeProto): boolean {
  return (node.input ?? []).some((input) => {
    const dims = (scope.initializer(input)?.dims ?? []).map(int64);
    return dims.length === 1 && dims[0] > 1;
  });
}
