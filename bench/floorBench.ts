// The physical floor: multiply-add work of one inspection, counted from the model's shape, against
// the matrix throughput this machine reaches in onnxruntime itself (one large MatMul, same threads).

import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import type { LoadedModel } from '../src/engine/loadedModel';
import { configNumber } from '../src/engine/modelFolder';
import { median, round } from './stats';

/** Floating-point operations (2 per multiply-add) of the matrix products of one inspection (the logit lens, computed later on demand, not counted). */
export function inspectionFlops(model: LoadedModel, sourceTokens: number, targetTokens: number): number {
  const c = model.spec.config;
  const d = configNumber(c, 'hidden_size', 'd_model', 'n_embd') ?? 0;
  const vocab = configNumber(c, 'vocab_size') ?? 0;
  const matmul = (m: number, k: number, n: number) => 2 * m * k * n;
  const attention = (queries: number, keys: number) => matmul(queries, d, keys) + matmul(queries, keys, d);
  const ffnOf = (role: 'encoder' | 'decoder') => configNumber(c, `${role}_ffn_dim`, 'intermediate_size', 'n_inner') ?? 4 * d;
  if (model.spec.family !== 'encoder-decoder') {
    const n = sourceTokens;
    const layers = configNumber(c, 'num_hidden_layers', 'n_layer') ?? 0;
    const perLayer = 4 * matmul(n, d, d) + attention(n, n) + 2 * matmul(n, d, ffnOf('encoder'));
    const head = model.stacks.some((runtime) => runtime.outputNames.includes('logits')) ? matmul(n, d, vocab) : 0;
    return layers * perLayer + head;
  }
  const n = sourceTokens;
  const t = targetTokens;
  const encoderLayers = configNumber(c, 'encoder_layers') ?? 0;
  const decoderLayers = configNumber(c, 'decoder_layers') ?? 0;
  const encoder = encoderLayers * (4 * matmul(n, d, d) + attention(n, n) + 2 * matmul(n, d, ffnOf('encoder')));
  const decoderLayer = 4 * matmul(t, d, d) + attention(t, t) // self-attention
    + 2 * matmul(t, d, d) + 2 * matmul(n, d, d) + attention(t, n) // cross: Q and O on the target, K and V on the source
    + 2 * matmul(t, d, ffnOf('decoder'));
  return encoder + decoderLayers * decoderLayer + matmul(t, d, vocab);
}

function matmulModel(size: number): Uint8Array {
  const FLOAT = onnx.TensorProto.DataType.FLOAT;
  const value = (name: string) => ({ name, type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimValue: size }, { dimValue: size }] } } } });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'transformer-inspector bench',
    graph: onnx.GraphProto.create({ name: 'matmul', node: [{ opType: 'MatMul', input: ['a', 'b'], output: ['c'] }], input: [value('a'), value('b')], output: [value('c')] }),
  });
  return onnx.ModelProto.encode(model).finish();
}

export interface MatmulThroughput {
  readonly size: number;
  readonly medianMs: number;
  /** The fastest run: the rate the kernel reaches when nothing else takes the core. */
  readonly bestMs: number;
  /** At `bestMs`: a peak rate is what the floor needs, and a median falls with any disturbance. */
  readonly gflops: number;
}

/** Best of a few square fp32 MatMul sizes: the machine's practical peak in onnxruntime. */
export async function matmulThroughput(threads: number, repeats = 15): Promise<MatmulThroughput[]> {
  const results: MatmulThroughput[] = [];
  for (const size of [256, 512, 1024]) {
    const session = await ort.InferenceSession.create(matmulModel(size), { executionProviders: ['cpu'], intraOpNumThreads: threads });
    const data = Float32Array.from({ length: size * size }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
    const feeds = { a: new ort.Tensor('float32', data, [size, size]), b: new ort.Tensor('float32', data, [size, size]) };
    for (let i = 0; i < 3; i++) await session.run(feeds);
    const ms: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const started = performance.now();
      await session.run(feeds);
      ms.push(performance.now() - started);
    }
    await session.release();
    const bestMs = Math.min(...ms);
    results.push({ size, medianMs: round(median(ms), 3), bestMs: round(bestMs, 3), gflops: round((2 * size ** 3) / (bestMs * 1e6), 1) });
  }
  return results;
}
