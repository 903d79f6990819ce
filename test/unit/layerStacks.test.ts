// Each attention group's layers are stacked inside the graph (one Concat), so an inspection copies
// one tensor out of onnxruntime and uses it as it is: checked on a plain graph (BERT) and on a merged
// decoder's branches (Marian), against each layer's own output.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspectionFetches } from '../../src/engine/inspector';
import { buildFeeds } from '../../src/engine/modelFeeds';
import { disposeModel, loadModel } from '../../src/engine/loadedModel';
import { runFetching } from '../../src/engine/sessionRun';
import { fixture, maxAbsDifference, reference } from './fixtures';

describe('attention stacked in the graph', () => {
  it('bert-tiny: the inspection fetches the stacked output instead of each layer, and it holds each layer in order', async () => {
    const model = await loadModel(fixture('bert-tiny'));
    try {
      const runtime = model.stacks[0];
      const stacked = runtime.probeOutputs.get('stacked.self')!;
      assert.ok(stacked, 'a stacked output was added');
      const fetches = inspectionFetches(runtime, { ffn: false });
      assert.ok(fetches.includes(stacked));
      const perLayer = runtime.probes.attention.map((probe) => runtime.probeOutputs.get(`self.${probe.layer}`)!);
      assert.deepEqual(perLayer.filter((name) => fetches.includes(name)), [], 'no layer fetched on its own');
      const ids = model.tokenizer.encode(reference('bert-tiny').text, { addSpecialTokens: true }).map((token) => token.id);
      const outputs = await runFetching(runtime.session, buildFeeds(runtime.inputs, { ids, masks: runtime.probes.maskInputs ?? [] }), [stacked, ...perLayer]);
      const all = outputs[stacked].data as Float32Array;
      const size = all.length / perLayer.length;
      perLayer.forEach((name, layer) => assert.equal(maxAbsDifference(all.subarray(layer * size, (layer + 1) * size), outputs[name].data as Float32Array), 0, `layer ${layer}`));
    } finally {
      await disposeModel(model);
    }
  });

  it('marian-tiny (merged decoder): both branches stack self- and cross-attention (engine.reference.test.ts checks the values against PyTorch)', async () => {
    const model = await loadModel(fixture('marian-tiny'));
    try {
      const decoder = model.stacks.find((runtime) => runtime.stack === 'decoder')!;
      assert.equal(decoder.role, 'decoder-merged');
      const fetches = inspectionFetches(decoder, { ffn: false });
      for (const kind of ['self', 'cross']) {
        assert.ok(fetches.includes(decoder.probeOutputs.get(`stacked.${kind}`)!), kind);
        assert.ok(!fetches.includes(decoder.probeOutputs.get(`${kind}.0`)!), `${kind}.0 not fetched on its own`);
      }
    } finally {
      await disposeModel(model);
    }
  });
});
