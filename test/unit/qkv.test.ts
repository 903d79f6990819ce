// Queries, keys and values (inspect --qkv): taken where QKᵀ and ·V read them, brought back to before
// the model's own scaling. softmax(scale · Q Kᵀ + mask) must give the model's attention again, in
// every family and layout (heads in their own axis or merged into the batch, Q scaled before QKᵀ or
// the scores after, merged decoders whose cached keys come straight from the inputs).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine } from '../../src/engine/engine';
import { inspectionFetches } from '../../src/engine/fetchLists';
import { disposeModel, loadModel } from '../../src/engine/loadedModel';
import { qkvFetches } from '../../src/engine/qkv';
import type { Inspection, QkvGroup, Tensor } from '../../src/protocol/inspection';
import { bundledModelPath } from '../../src/engine/bundledModel';
import { fixture, maxAbsDifference, reference } from './fixtures';

/** Largest |softmax(scale·QKᵀ, causal where asked) − attention| over every layer, head and row. */
function recomputeDifference(group: QkvGroup, attention: Tensor, causal: boolean): number {
  const [layers, heads, queries, width] = group.queries.dims;
  const keys = group.keys.dims[2];
  let worst = 0;
  for (let l = 0; l < layers; l++) {
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < queries; i++) {
        const row = Array.from({ length: keys }, (_, j) => {
          if (causal && j > i) return Number.NEGATIVE_INFINITY;
          let dot = 0;
          for (let d = 0; d < width; d++) dot += group.queries.data[((l * heads + h) * queries + i) * width + d] * group.keys.data[((l * heads + h) * keys + j) * width + d];
          return dot * group.scale[l];
        });
        const max = Math.max(...row);
        const exp = row.map((value) => Math.exp(value - max));
        const sum = exp.reduce((a, b) => a + b, 0);
        for (let j = 0; j < keys; j++) worst = Math.max(worst, Math.abs(exp[j] / sum - attention.data[((l * heads + h) * queries + i) * keys + j]));
      }
    }
  }
  return worst;
}

const key = (inspection: Inspection, group: { stack: string; kind: string }) => (inspection.family === 'encoder-decoder' ? `${group.stack}.${group.kind}` : group.kind);

const CASES = [
  { name: 'bert-tiny', causal: [] as string[] },
  { name: 'roberta-tiny', causal: [] },
  { name: 'distilbert-tiny', causal: [], queryScaled: true },
  { name: 'gpt2-tiny', causal: ['self'] },
  { name: 'gpt2-tiny-past', causal: ['self'] },
  { name: 'marian-tiny', causal: ['decoder.self'] },
  { name: 'marian-tiny-split', causal: ['decoder.self'] },
  { name: 'torch-transformer', causal: ['decoder.self'], queryScaled: true },
  { name: 'tutorial-encoder', causal: [], queryScaled: true },
  { name: 'd2l-encoder-decoder', causal: ['decoder.self'] },
  { name: 'fused-attention', causal: [] },
  { name: 'fused-mha-encoder', causal: [] },
  { name: 'fused-attention-opset23', causal: [] },
];

describe('inspect --qkv', () => {
  for (const { name, causal, queryScaled } of CASES) {
    it(`${name}: softmax(scale · QKᵀ) gives the model's attention again, every group`, async () => {
      const ref = reference(name);
      const engine = new Engine();
      try {
        await engine.load(fixture(name));
        const inspection = await engine.inspect({ text: ref.text, target: ref.target ?? (ref.decoder_input_ids ? 'Hello world' : undefined), qkv: true });
        assert.deepEqual(inspection.qkv!.map((group) => key(inspection, group)), inspection.attention.map((group) => key(inspection, group)));
        for (const group of inspection.qkv!) {
          const attention = inspection.attention.find((entry) => entry.stack === group.stack && entry.kind === group.kind)!.tensor;
          const [layers, heads, queries] = attention.dims;
          assert.deepEqual(group.queries.dims.slice(0, 3), [layers, heads, queries], `${key(inspection, group)} queries`);
          assert.deepEqual(group.keys.dims.slice(0, 3), [layers, heads, attention.dims[3]], `${key(inspection, group)} keys`);
          assert.deepEqual(group.values.dims.slice(0, 3), group.keys.dims.slice(0, 3));
          assert.ok(group.scale.every((scale) => Math.abs(scale - 1 / Math.sqrt(group.queries.dims[3])) < 1e-6), `${key(inspection, group)} scale ${group.scale}`);
          assert.equal(group.queryScale !== undefined, !!queryScaled, `${key(inspection, group)}: the model scales Q before QKᵀ`);
          const difference = recomputeDifference(group, attention, causal.includes(key(inspection, group)));
          assert.ok(difference < 1e-5, `${key(inspection, group)}: ${difference}`);
        }
      } finally {
        await engine.dispose();
      }
    });
  }

  it('t5-tiny: no scaling (1.0); its cross-attention, which has no position bias, recomputes exactly', async () => {
    const ref = reference('t5-tiny');
    const engine = new Engine();
    try {
      await engine.load(fixture('t5-tiny'));
      const inspection = await engine.inspect({ text: ref.text, target: 'Hello world', qkv: true });
      for (const group of inspection.qkv!) assert.deepEqual(group.scale, group.scale.map(() => 1));
      const cross = inspection.qkv!.find((group) => group.kind === 'cross')!;
      assert.ok(recomputeDifference(cross, inspection.attention.find((entry) => entry.kind === 'cross')!.tensor, false) < 1e-5);
    } finally {
      await engine.dispose();
    }
  });
});

/** One layer of a [layers, heads, tokens, d] tensor. */
function layerOf(tensor: Tensor, layer: number): Float32Array {
  const size = tensor.data.length / tensor.dims[0];
  return tensor.data.subarray(layer * size, (layer + 1) * size) as Float32Array;
}

describe('the step-by-step view’s Q/K/V of one layer, from that layer’s input', () => {
  const cases = [...CASES.map(({ name }) => ({ name, folder: fixture(name) })), { name: 't5-tiny', folder: fixture('t5-tiny') }, { name: 'bundled en-zh', folder: bundledModelPath()! }];
  for (const { name, folder } of cases) {
    it(`${name}: every block has its own small model, and it gives the Q, K, V and scale the graph itself computes`, async () => {
      const engine = new Engine();
      // The same model with every block's Q, K and V kept as graph outputs (no head models).
      const graphOutputs = new Engine();
      try {
        await engine.load(folder);
        await graphOutputs.load(folder, { qkvHeads: false });
        const text = name === 'bundled en-zh' ? 'Open the file in a new window.' : reference(name).text;
        const target = name === 'bundled en-zh' ? '在新窗口中打开文件。' : name === 't5-tiny' ? 'Hello world' : reference(name).target ?? (reference(name).decoder_input_ids ? 'Hello world' : undefined);
        const panel = await engine.inspect({ text, target, activationsView: 'on-demand' });
        const full = await graphOutputs.inspect({ text, target, qkv: true });
        const fromHeads = await engine.inspect({ text, target, qkv: true });
        assert.ok(graphOutputs.current().stacks.every((runtime) => runtime.qkvHeads.size === 0), 'qkvHeads: false cuts no head models');
        assert.ok(panel.deferredQkv?.layer, 'the panel inspection offers one layer at a time');
        for (const group of full.qkv!) {
          const groupKey = key(full, group);
          for (let layer = 0; layer < group.queries.dims[0]; layer++) {
            const one: QkvGroup | undefined = await panel.deferredQkv.layer(groupKey, layer);
            assert.ok(one, `${groupKey} layer ${layer}: no Q/K/V model was cut out`);
            assert.deepEqual(one.queries.dims, [1, ...group.queries.dims.slice(1)]);
            for (const part of ['queries', 'keys', 'values'] as const) {
              const difference = maxAbsDifference(one[part].data, layerOf(group[part], layer));
              assert.ok(difference < 1e-5, `${groupKey} layer ${layer} ${part}: ${difference}`);
            }
            assert.equal(one.scale[0], group.scale[layer]);
            assert.equal(one.queryScale?.[0], group.queryScale?.[layer]);
          }
          // inspect --qkv on the default load takes every layer from the head models.
          const whole = fromHeads.qkv!.find((entry) => key(fromHeads, entry) === groupKey)!;
          for (const part of ['queries', 'keys', 'values'] as const) {
            assert.deepEqual(whole[part].dims, group[part].dims);
            const difference = maxAbsDifference(whole[part].data, group[part].data);
            assert.ok(difference < 1e-5, `${groupKey} ${part} (inspect --qkv): ${difference}`);
          }
          assert.deepEqual(whole.scale, group.scale);
        }
      } finally {
        await engine.dispose();
        await graphOutputs.dispose();
      }
    });
  }
});

describe('what an inspection fetches', () => {
  for (const { name, folder } of [{ name: 'marian-tiny', folder: fixture('marian-tiny') }, { name: 'bert-tiny', folder: fixture('bert-tiny') }, { name: 'bundled en-zh', folder: bundledModelPath()! }]) {
    it(`${name}: no queries, keys or values unless asked (each fetched output is copied out of onnxruntime)`, async () => {
      const model = await loadModel(folder, { qkvHeads: false });
      try {
        for (const runtime of model.stacks) {
          const fetched = new Set(inspectionFetches(runtime, { ffn: true }));
          const qkv = (['self', 'cross'] as const).flatMap((kind) => qkvFetches(runtime, kind));
          assert.ok(qkv.length >= 3 * runtime.probes.attention.length, `${runtime.stack}: every block has Q/K/V outputs (${qkv.length})`);
          assert.deepEqual(qkv.filter((output) => fetched.has(output)), [], `${runtime.stack}: fetched by every inspection`);
          const attention = runtime.probes.attention.map((probe) => runtime.probeOutputs.get(`${probe.kind}.${probe.layer}`)!);
          assert.deepEqual(attention.filter((output) => !fetched.has(output)), [], `${runtime.stack}: attention not fetched`);
        }
      } finally {
        await disposeModel(model);
      }
    });

    it(`${name}: blocks with their own Q/K/V model have no Q/K/V graph outputs (a graph output costs every run)`, async () => {
      const model = await loadModel(folder);
      try {
        for (const runtime of model.stacks) {
          assert.equal(runtime.qkvHeads.size, runtime.probes.qkv.length, `${runtime.stack}: a head model per block`);
          assert.deepEqual([...runtime.probeOutputs.keys()].filter((key) => /^(?:q|k|v|scale)\./.test(key)), [], runtime.stack);
          assert.deepEqual((['self', 'cross'] as const).flatMap((kind) => qkvFetches(runtime, kind)), []);
          const graphOutputs = new Set(runtime.outputNames);
          for (const probe of runtime.probes.qkv) assert.ok(!graphOutputs.has(probe.queries) && !graphOutputs.has(`inspector_probe:q.${probe.kind}.${probe.layer}`), `${runtime.stack} ${probe.kind}.${probe.layer}`);
        }
      } finally {
        await disposeModel(model);
      }
    });
  }
});

