// The step-by-step view's arithmetic on real heads: Q/K/V the engine computes on the panel's first
// ask (one more run), q·kⱼ × scale with the model's own mask found from its weights, and the softmax
// recomputed from those numbers against the model's weights.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attentionSteps } from '../../src/analysis/attentionSteps';
import { answerPanelQuestion, summarize } from '../../src/analysis/inspectionSummary';
import { Engine } from '../../src/engine/engine';
import { answerInEngine } from '../../src/engine/panelAnswers';
import type { Tensor } from '../../src/protocol/inspection';
import type { HeadQkv } from '../../src/protocol/panelData';
import { fixture, maxAbsDifference, reference } from './fixtures';

async function panelInspection(name: string, target?: string) {
  const engine = new Engine();
  await engine.load(fixture(name));
  const ref = reference(name);
  // The panel's inspections: what only some views show is computed when first asked.
  const inspection = await engine.inspect({ text: ref.text, target, activationsView: 'on-demand' });
  return { engine, inspection };
}

describe('the step-by-step view’s numbers', () => {
  it('bert-tiny: Q/K/V come on the first ask, equal to an inspect --qkv run; the recomputed softmax is the model’s row', async () => {
    const { engine, inspection } = await panelInspection('bert-tiny');
    try {
      assert.equal(inspection.qkv, undefined, 'not computed with the inspection');
      assert.deepEqual(inspection.deferredQkv?.groups, ['self']);
      assert.equal(summarize(inspection, 'x').groups[0].hasQkv, true);
      const params = { id: 'x', group: 'self', layer: 1, head: 2 };
      const head = (await answerInEngine(inspection, { method: 'headQkv', params })) as HeadQkv;
      const full = await engine.inspect({ text: inspection.text, qkv: true });
      const expected = answerPanelQuestion(full, 'headQkv', params);
      assert.deepEqual(head.queries.dims, expected.queries.dims);
      assert.equal(maxAbsDifference(head.keys.data, expected.keys.data), 0);
      const weights = (await answerInEngine(inspection, { method: 'attentionHead', params })) as Tensor;
      for (let query = 0; query < weights.dims[0]; query++) {
        const steps = attentionSteps(head, weights, query);
        assert.ok(steps.difference < 1e-5, `query ${query}: ${steps.difference}`);
        assert.equal(steps.masked.reduce((a, b) => a + b, 0), 0, 'an encoder without padding masks nothing');
        assert.ok(Math.abs(steps.scaled[0] - steps.dots[0] / Math.sqrt(head.queries.dims[1])) < 1e-5, '÷√dₖ');
      }
    } finally {
      await engine.dispose();
    }
  });

  it('gpt2-tiny: the causal mask is found where the model put it (every key after the query)', async () => {
    const { engine, inspection } = await panelInspection('gpt2-tiny');
    try {
      const params = { id: 'x', group: 'self', layer: 0, head: 1 };
      const head = (await answerInEngine(inspection, { method: 'headQkv', params })) as HeadQkv;
      const weights = (await answerInEngine(inspection, { method: 'attentionHead', params })) as Tensor;
      const tokens = weights.dims[0];
      for (let query = 0; query < tokens; query++) {
        const steps = attentionSteps(head, weights, query);
        assert.deepEqual([...steps.masked], Array.from({ length: tokens }, (_, j) => (j > query ? 1 : 0)), `query ${query}`);
        assert.ok(steps.difference < 1e-5, `query ${query}: ${steps.difference}`);
        // Σ wⱼvⱼ over the keys it may see
        let expected = 0;
        for (let j = 0; j <= query; j++) expected += weights.data[query * tokens + j] * head.values.data[j * head.values.dims[1]];
        assert.ok(Math.abs(steps.output[0] - expected) < 1e-6);
      }
    } finally {
      await engine.dispose();
    }
  });

  it('t5-tiny: its relative position bias shows as a difference the view can name; cross-attention recomputes exactly', async () => {
    const { engine, inspection } = await panelInspection('t5-tiny', 'Hello world');
    try {
      const self = { id: 'x', group: 'encoder.self', layer: 0, head: 0 };
      const selfSteps = attentionSteps(
        (await answerInEngine(inspection, { method: 'headQkv', params: self })) as HeadQkv,
        (await answerInEngine(inspection, { method: 'attentionHead', params: self })) as Tensor,
        1,
      );
      assert.ok(selfSteps.difference > 1e-3, `T5 adds a bias to its scores: ${selfSteps.difference}`);
      const cross = { id: 'x', group: 'decoder.cross', layer: 1, head: 3 };
      const crossSteps = attentionSteps(
        (await answerInEngine(inspection, { method: 'headQkv', params: cross })) as HeadQkv,
        (await answerInEngine(inspection, { method: 'attentionHead', params: cross })) as Tensor,
        0,
      );
      assert.ok(crossSteps.difference < 1e-5, `${crossSteps.difference}`);
      assert.equal(crossSteps.keys, inspection.stacks[0].tokens.length, 'cross keys are the encoder’s tokens');
    } finally {
      await engine.dispose();
    }
  });

  it('a report without Q/K/V says how to get them; a group without them is named', () => {
    const inspection = { family: 'encoder-only', attention: [], stacks: [] } as never;
    assert.throws(() => answerPanelQuestion(inspection, 'headQkv', { id: 'x', group: 'self', layer: 0, head: 0 }), /inspect with --qkv/);
  });
});
