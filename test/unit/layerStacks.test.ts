// Each attention group's layers stay the arrays onnxruntime-node returned (analysis/layerStack.ts):
// the graph adds no Concat, the inspection copies nothing, and the whole [layers, …] array is put
// together only when read — checked on a plain graph (BERT) and a merged decoder (Marian), against
// each layer's own output.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { onnx } from 'onnx-proto';
import { headSlice, layerSlice, thumbnails } from '../../src/analysis/attentionMath';
import { layerData, LayerStack } from '../../src/analysis/layerStack';
import { instrument } from '../../src/engine/graph/instrument';
import { readOnnxFile } from '../../src/engine/graph/onnxFile';
import { inspectionFetches } from '../../src/engine/fetchLists';
import { inspectTokens } from '../../src/engine/inspector';
import { buildFeeds } from '../../src/engine/modelFeeds';
import { disposeModel, loadModel } from '../../src/engine/loadedModel';
import { runFetching } from '../../src/engine/sessionRun';
import { fixture, maxAbsDifference, reference } from './fixtures';

const allNodes = (graph: onnx.IGraphProto): onnx.INodeProto[] => (graph.node ?? []).flatMap((node) => [node, ...(node.attribute ?? []).flatMap((attribute) => (attribute.g ? allNodes(attribute.g) : []))]);

describe('LayerStack', () => {
  const layers = [Float32Array.from([1, 2, 3, 4, 5, 6]), Float32Array.from([7, 8, 9, 10, 11, 12])];
  const dims = [2, 3, 1, 2];

  it('reads a layer or a head from its own array, without building the whole', () => {
    const stack = new LayerStack(dims, layers);
    assert.equal(layerData(stack, 1), layers[1]);
    assert.deepEqual([...headSlice(stack, 1, 2).data], [11, 12]);
    assert.deepEqual([...layerSlice(stack, 0).data], [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(thumbnails(stack, 32).dims, [2, 3, 1, 2]);
    assert.deepEqual([...thumbnails(stack, 1).data], [1.5, 3.5, 5.5, 7.5, 9.5, 11.5]);
  });

  it('puts the layers together in order when `data` is read, and then holds one copy', () => {
    const stack = new LayerStack(dims, layers.map((layer) => layer.slice()));
    assert.deepEqual([...stack.data], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    assert.equal(layerData(stack, 1).buffer, stack.data.buffer, 'the layers are views into the whole now');
    assert.deepEqual([...layerData(stack, 1)], [7, 8, 9, 10, 11, 12]);
  });

  it('refuses layers of different sizes', () => {
    assert.throws(() => new LayerStack(dims, [layers[0], layers[1].subarray(2)]), /layer 1 holds 4 values, not 6/);
  });
});

describe('attention kept per layer', () => {
  for (const [name, file] of [['bert-tiny', 'onnx/model.onnx'], ['marian-tiny', 'onnx/decoder_model_merged.onnx']] as const) {
    it(`${name}: no node of the instrumented graph concatenates the probabilities`, () => {
      const instrumented = instrument(readOnnxFile(`${fixture(name)}/${file}`));
      const probabilities = new Set(instrumented.stacks.flatMap((stack) => stack.probes.attention.map((probe) => probe.tensor)));
      assert.ok(probabilities.size >= 2);
      const nodes = allNodes(onnx.ModelProto.decode(instrumented.bytes).graph!);
      assert.deepEqual(nodes.filter((node) => node.opType === 'Concat' && (node.input ?? []).some((input) => probabilities.has(input))).map((node) => node.name), []);
    });
  }

  it("bert-tiny: the inspection's layers hold each layer's own output, in order", async () => {
    const model = await loadModel(fixture('bert-tiny'));
    try {
      const runtime = model.stacks[0];
      const perLayer = runtime.probes.attention.map((probe) => runtime.probeOutputs.get(`self.${probe.layer}`)!);
      assert.ok(perLayer.length >= 2);
      const fetches = inspectionFetches(runtime, { ffn: false });
      assert.deepEqual(perLayer.filter((output) => !fetches.includes(output)), [], 'every layer fetched');
      const ref = reference('bert-tiny');
      const inspection = await inspectTokens(model, { source: { tokens: model.tokenizer.describe(ref.input_ids), text: '' } });
      const group = inspection.attention[0].tensor;
      assert.ok(group instanceof LayerStack);
      const outputs = await runFetching(runtime.session, buildFeeds(runtime.inputs, { ids: ref.input_ids, masks: runtime.probes.maskInputs ?? [] }), perLayer);
      perLayer.forEach((output, layer) => assert.equal(maxAbsDifference(layerData(group, layer), outputs[output].data as Float32Array), 0, `layer ${layer}`));
      assert.equal(group.data.length, perLayer.length * layerData(group, 0).length);
    } finally {
      await disposeModel(model);
    }
  });
});
