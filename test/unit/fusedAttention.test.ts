// Fused attention opened up: com.microsoft.Attention, com.microsoft.MultiHeadAttention and ONNX's
// Attention (opset 23) are rewritten in the engine's copy into their explicit computation. The
// rewritten graph gives what the fused one gives (1e-5), and the probabilities equal PyTorch's.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { Engine } from '../../src/engine/engine';
import { fixture, maxAbsDifference, reference } from './fixtures';

interface FusedCase {
  readonly folder: string;
  readonly kind: RegExp;
  /** The model's own output to compare with the fused graph's. */
  readonly output: string;
}

const CASES: FusedCase[] = [
  { folder: 'fused-attention', kind: /^1 com\.microsoft\.Attention node opened up into MatMul, scale, Softmax, MatMul$/, output: 'last_hidden_state' },
  { folder: 'fused-mha-encoder', kind: /^2 com\.microsoft\.MultiHeadAttention nodes opened up/, output: 'logits' },
  { folder: 'fused-attention-opset23', kind: /^2 ai\.onnx\.Attention nodes opened up/, output: 'logits' },
];

/** The fused graph as onnxruntime runs it, on the reference's ids. */
async function fusedOutput(folder: string, output: string, ids: readonly number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(path.join(fixture(folder), 'onnx', 'model.onnx'));
  const tensor = (values: readonly number[]) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [1, values.length]);
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of session.inputNames) feeds[name] = tensor(name === 'input_ids' ? ids : name === 'attention_mask' ? ids.map(() => 1) : ids.map(() => 0));
  const result = (await session.run(feeds))[output].data as Float32Array;
  await session.release();
  return result;
}

describe('fused attention opened up', () => {
  for (const { folder, kind, output } of CASES) {
    it(`${folder}: info names the rewrite; probabilities equal PyTorch's; the output equals the fused graph's`, async () => {
      const ref = reference(folder);
      const engine = new Engine();
      try {
        const info = await engine.load(fixture(folder));
        assert.match(info.onnxFiles[0].openedUp?.join('\n') ?? '', kind);
        assert.ok(!info.unobservable.some((entry) => entry.what === 'attention probabilities'), 'attention is observable');
        const inspection = await engine.inspect({ text: ref.text });
        assert.deepEqual(inspection.stacks[0].tokens.map((token) => token.id), ref.input_ids);
        const attention = inspection.attention.find((group) => group.kind === 'self')!;
        assert.deepEqual(attention.tensor.dims, ref.attention.self.dims);
        assert.ok(maxAbsDifference(attention.tensor.data, ref.attention.self.data) < 1e-5, 'attention equals PyTorch');
        const hidden = inspection.stacks[0].hiddenStates!;
        assert.ok(maxAbsDifference(hidden.data, ref.hidden_states.model.data) < 1e-5, 'hidden states equal PyTorch');
        const last = output === 'logits' ? inspection.logits!.data : hidden.data.subarray(hidden.data.length - ref.input_ids.length * hidden.dims[2]);
        const fused = await fusedOutput(folder, output, ref.input_ids);
        assert.equal(last.length, fused.length);
        assert.ok(maxAbsDifference(last, fused) < 1e-5, `rewritten vs fused: ${maxAbsDifference(last, fused)}`);
      } finally {
        await engine.dispose();
      }
    });
  }
});
