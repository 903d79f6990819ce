// Q/K/V and head ablation checked against PyTorch: the fixtures' reference.json holds each
// attention module's projections (after bias and head split, before scaling) and runs of the same
// model with heads zeroed after the softmax (transformers' head_mask), with their attention, hidden
// states and logits; marian-tiny also a greedy translation with three heads off.

import assert from 'node:assert/strict';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';
import { after, before, describe, it } from 'node:test';
import { Engine } from '../../src/engine/engine';
import { instrument } from '../../src/engine/graph/instrument';
import { readOnnxFile } from '../../src/engine/graph/onnxFile';
import { generate } from '../../src/engine/generation';
import { inspectTokens } from '../../src/engine/inspector';
import { disposeModel, LoadedModel, loadModel } from '../../src/engine/loadedModel';
import type { HeadRef, Inspection, StackName } from '../../src/protocol/inspection';
import { fixture, maxAbsDifference, reference, ReferenceTensor } from './fixtures';

const TOLERANCE = 1e-4;

interface QkvReference {
  readonly queries: ReferenceTensor;
  readonly keys: ReferenceTensor;
  readonly values: ReferenceTensor;
  readonly scale: number;
}

interface AblationReference {
  readonly heads: { group: string; layer: number; head: number }[];
  readonly attention: Record<string, ReferenceTensor>;
  readonly hidden_states: Record<string, ReferenceTensor>;
  readonly logits?: ReferenceTensor;
}

interface InterventionReference {
  readonly qkv?: Record<string, QkvReference>;
  readonly ablation?: AblationReference[];
  readonly generated_ids?: number[];
  readonly generated_ids_ablated?: number[];
}

const groupKey = (inspection: Inspection, stack: StackName, kind: string) => (inspection.family === 'encoder-decoder' ? `${stack}.${kind}` : kind);

/** A reference head (`encoder.self` or `self`) as the engine names it. */
function headRef(model: LoadedModel, head: AblationReference['heads'][number]): HeadRef {
  const [stackPart, kindPart] = head.group.includes('.') ? head.group.split('.') : [undefined, head.group];
  const stack = (stackPart ?? model.stacks[0].stack) as StackName;
  return { stack, kind: kindPart as HeadRef['kind'], layer: head.layer, head: head.head };
}

function inspectReference(model: LoadedModel, name: string, extra: { qkv?: boolean; ablate?: readonly HeadRef[] }): Promise<Inspection> {
  const ref = reference(name);
  return inspectTokens(model, {
    source: { tokens: model.tokenizer.describe(ref.input_ids), text: '' },
    target: ref.decoder_input_ids ? { tokens: model.tokenizer.describe(ref.decoder_input_ids), text: '' } : undefined,
    ...extra,
  });
}

const QKV_FIXTURES = ['bert-tiny', 'roberta-tiny', 'distilbert-tiny', 'gpt2-tiny', 'gpt2-tiny-past', 'marian-tiny', 'marian-tiny-split', 't5-tiny', 'torch-transformer', 'torch-transformer-prenorm', 'tutorial-encoder', 'd2l-encoder', 'd2l-encoder-decoder', 'fused-attention', 'fused-mha-encoder', 'fused-attention-opset23'];

describe('Q, K, V equal PyTorch’s projections', () => {
  for (const name of QKV_FIXTURES) {
    it(`${name}: every group's queries, keys, values within 1e-4 and its scale`, async () => {
      const expected = (reference(name) as unknown as InterventionReference).qkv!;
      assert.ok(expected, `${name} has qkv in its reference`);
      const model = await loadModel(fixture(name));
      try {
        const inspection = await inspectReference(model, name, { qkv: true });
        assert.deepEqual(inspection.qkv!.map((group) => groupKey(inspection, group.stack, group.kind)).sort(), Object.keys(expected).sort());
        for (const group of inspection.qkv!) {
          const key = groupKey(inspection, group.stack, group.kind);
          for (const part of ['queries', 'keys', 'values'] as const) {
            assert.deepEqual(group[part].dims, expected[key][part].dims, `${key} ${part} dims`);
            const difference = maxAbsDifference(group[part].data, expected[key][part].data);
            assert.ok(difference < TOLERANCE, `${key} ${part}: ${difference}`);
          }
          for (const scale of group.scale) assert.ok(Math.abs(scale - expected[key].scale) < 1e-6, `${key} scale ${scale} ≠ ${expected[key].scale}`);
        }
      } finally {
        await disposeModel(model);
      }
    });
  }
});

const ABLATION_FIXTURES = ['bert-tiny', 'gpt2-tiny', 'gpt2-tiny-past', 'marian-tiny', 'marian-tiny-split', 'torch-transformer'];

for (const name of ABLATION_FIXTURES) {
  describe(`${name}: heads switched off as PyTorch's head_mask does`, () => {
    const cases = (reference(name) as unknown as InterventionReference).ablation!;
    let model: LoadedModel;
    const engine = new Engine();
    before(async () => {
      // Through the engine: its warm-up run measures the head count a model without config.json lacks.
      await engine.load(fixture(name));
      model = engine.current();
    });
    after(() => engine.dispose());

    for (const expected of cases) {
      const label = expected.heads.map((head) => `${head.group}:${head.layer}:${head.head}`).join(',');
      it(`${label}: attention, hidden states${expected.logits ? ' and logits' : ''} within 1e-4`, async () => {
        const ablate = expected.heads.map((head) => headRef(model, head));
        const inspection = await inspectReference(model, name, { ablate });
        assert.deepEqual(inspection.ablated, ablate);
        assert.ok(inspection.notices.some((notice) => notice.startsWith('Heads switched off:')), inspection.notices.join(' | '));
        for (const group of inspection.attention) {
          const key = groupKey(inspection, group.stack, group.kind);
          const difference = maxAbsDifference(group.tensor.data, expected.attention[key].data);
          assert.ok(difference < TOLERANCE, `${key} attention: ${difference}`);
        }
        for (const stack of inspection.stacks) {
          const key = inspection.family === 'encoder-decoder' ? stack.stack : 'model';
          const difference = maxAbsDifference(stack.hiddenStates!.data, expected.hidden_states[key].data);
          assert.ok(difference < TOLERANCE, `${key} hidden states: ${difference}`);
        }
        if (expected.logits) {
          const difference = maxAbsDifference(inspection.logits!.data, expected.logits.data);
          assert.ok(difference < TOLERANCE, `logits: ${difference}`);
        }
      });
    }

    it('the same model with no head off is the original again (the mask costs nothing in values)', async () => {
      const ref = reference(name);
      const inspection = await inspectReference(model, name, {});
      const first = inspection.attention[0];
      const key = groupKey(inspection, first.stack, first.kind);
      assert.ok(maxAbsDifference(first.tensor.data, ref.attention[key].data) < TOLERANCE);
      assert.equal(inspection.ablated, undefined);
    });
  });
}

describe('marian-tiny: translation with heads switched off', () => {
  for (const name of ['marian-tiny', 'marian-tiny-split']) {
    it(`${name}: greedy output equals PyTorch's with and without encoder.self 1:2, decoder.self 0:0, decoder.cross 1:3 off`, async () => {
      const ref = reference(name) as unknown as InterventionReference & { text: string };
      const engine = new Engine();
      try {
        await engine.load(fixture(name));
        const model = engine.current();
        const options = { maxNewTokens: ref.generated_ids!.length, repetitionGuard: false };
        const plain = await generate(model, ref.text, options);
        assert.deepEqual(plain.tokens.map((token) => token.id), ref.generated_ids);
        const ablate = ref.ablation!.at(-1)!.heads.map((head) => headRef(model, head));
        const ablated = await generate(model, ref.text, { ...options, ablate });
        assert.deepEqual(ablated.tokens.map((token) => token.id), ref.generated_ids_ablated);
        assert.notDeepEqual(ref.generated_ids_ablated, ref.generated_ids, 'the reference itself shows an effect');
      } finally {
        await engine.dispose();
      }
    });
  }
});

describe('the head mask costs one node a block', () => {
  // Every inspection runs the mask: the rows are read once per graph (Reshape, Split), then one Mul a block.
  const maskNodes = (nodes: readonly onnx.INodeProto[]) => nodes.filter((node) => node.name?.includes('/head_mask') && node.opType !== 'Constant').map((node) => node.opType);
  it('bert-tiny: a Reshape and a Split for the graph, a Mul for each of its 2 blocks', () => {
    const instrumented = instrument(readOnnxFile(path.join(fixture('bert-tiny'), 'onnx', 'model.onnx')));
    assert.equal(instrumented.maskBlocks, 2);
    assert.deepEqual(maskNodes(onnx.ModelProto.decode(instrumented.bytes).graph!.node!).sort(), ['Mul', 'Mul', 'Reshape', 'Split']);
  });
  it('marian-tiny merged decoder: each branch reads its rows once', () => {
    const instrumented = instrument(readOnnxFile(path.join(fixture('marian-tiny'), 'onnx', 'decoder_model_merged.onnx')));
    const ifNode = onnx.ModelProto.decode(instrumented.bytes).graph!.node!.find((node) => node.opType === 'If')!;
    for (const branch of ifNode.attribute!) {
      const rows = maskNodes(branch.g!.node!.filter((node) => node.name?.includes('/head_mask_rows/')));
      assert.deepEqual(rows.sort(), ['Reshape', 'Split'], branch.name!);
      // Blocks whose layout the graph does not state view the product as [B, N, S, ·] first: still one Mul each.
      assert.equal(maskNodes(branch.g!.node!).filter((op) => op === 'Mul').length, instrumented.maskBlocks, branch.name!);
    }
  });
});
