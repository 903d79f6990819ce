// Attention rollout in the engine process: the layer factors of src/analysis, multiplied by one
// small MatMul session, which at 512 tokens is tens of times faster than the JavaScript loop.

import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { rolloutFactors } from '../analysis/attentionMath';
import type { Tensor } from '../protocol/inspection';

let session: Promise<ort.InferenceSession> | undefined;

/** C = A · B for square float matrices of any size. */
function matmulModel(): Uint8Array {
  const FLOAT = onnx.TensorProto.DataType.FLOAT;
  const square = (name: string) => ({ name, type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'n' }, { dimParam: 'n' }] } } } });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'transformer-inspector rollout',
    graph: onnx.GraphProto.create({ name: 'rollout_step', node: [{ opType: 'MatMul', input: ['a', 'b'], output: ['c'] }], input: [square('a'), square('b')], output: [square('c')] }),
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Rollout through all layers of a self-attention group: [queries, keys], as `rollout` computes it. */
export async function rolloutInEngine(tensor: Tensor): Promise<Tensor> {
  const n = tensor.dims[2];
  const factors = rolloutFactors(tensor);
  session ??= ort.InferenceSession.create(matmulModel(), { executionProviders: ['cpu'] });
  const matmul = await session;
  let result: ort.Tensor = new ort.Tensor('float32', factors[0], [n, n]);
  for (const mixed of factors.slice(1)) {
    result = (await matmul.run({ a: new ort.Tensor('float32', mixed, [n, n]), b: result })).c as ort.Tensor;
  }
  return { dims: [n, n], data: result.data as Float32Array };
}
