// The panel's interventions, answered by the engine on an inspection it keeps: heads switched off
// and compared with the original (hidden-state shift per layer against PyTorch's head_mask runs,
// the next token, Marian's re-generated translation), the output head's row for the next-token
// view, and the sampling knobs that reshape it.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rankOrder, reshapedDistribution, softmax, topIndices } from '../../src/analysis/sampling';
import { Engine } from '../../src/engine/engine';
import { generate } from '../../src/engine/generation';
import { inspect } from '../../src/engine/inspector';
import { relativeShift } from '../../src/engine/interventions';
import { answerInEngine } from '../../src/engine/panelAnswers';
import type { Inspection } from '../../src/protocol/inspection';
import type { AblationEffect, NextTokens } from '../../src/protocol/panelData';
import { fixture, reference, type ReferenceTensor } from './fixtures';

interface AblationCase {
  readonly heads: { group: string; layer: number; head: number }[];
  readonly hidden_states: Record<string, ReferenceTensor>;
  readonly logits?: ReferenceTensor;
}

const spec = (heads: AblationCase['heads']) => heads.map((head) => `${head.group}:${head.layer}:${head.head}`).join(',');
const ask = <T>(inspection: Inspection, method: 'ablationEffect' | 'nextTokens', params: Record<string, unknown>) =>
  answerInEngine(inspection, { method, params: { id: 'x', ...params } as never }) as Promise<T>;

describe('gpt2-tiny: switching heads off from the panel', () => {
  const engine = new Engine();
  let inspection: Inspection;
  const ref = reference('gpt2-tiny');
  const cases = (ref as unknown as { ablation: AblationCase[] }).ablation;
  before(async () => {
    await engine.load(fixture('gpt2-tiny'));
    inspection = await inspect(engine.current(), { text: ref.text as string, activationsView: 'on-demand' });
    assert.deepEqual(inspection.stacks[0].tokens.map((token) => token.id), ref.input_ids, 'the same tokens as the reference');
  });
  after(() => engine.dispose());

  for (const expected of cases) {
    it(`${spec(expected.heads)}: each layer's shift is PyTorch's, and the next token is the ablated model's`, async () => {
      const effect = await ask<AblationEffect>(inspection, 'ablationEffect', { heads: spec(expected.heads) });
      assert.deepEqual(effect.heads, expected.heads.map((head) => `self:${head.layer}:${head.head}`));
      const original = ref.hidden_states.model;
      const shift = relativeShift({ dims: original.dims, data: Float32Array.from(original.data) }, { dims: original.dims, data: Float32Array.from(expected.hidden_states.model.data) });
      const [moved] = effect.hiddenShift;
      assert.equal(moved.stack, 'decoder');
      assert.equal(moved.shift.length, original.dims[0]);
      moved.shift.forEach((value, layer) => assert.ok(Math.abs(value - shift[layer]) < 1e-4, `layer ${layer}: ${value} vs PyTorch ${shift[layer]}`));
      const firstOff = Math.min(...expected.heads.map((head) => head.layer));
      assert.ok(moved.shift.slice(0, firstOff + 1).every((value) => value < 1e-6), 'nothing moves before the first layer with a head off');
      assert.ok(moved.shift.at(-1)! > 1e-3, 'the last layer moved');
      const [positions, vocab] = expected.logits!.dims;
      const last = Array.from(expected.logits!.data.slice((positions - 1) * vocab, positions * vocab));
      assert.equal(effect.nextToken!.ablated[0].id, topIndices(last, 1)[0], 'top next token = argmax of PyTorch’s ablated logits');
      const probabilities = softmax(last);
      effect.nextToken!.ablated.forEach((chance) => assert.ok(Math.abs(chance.probability - probabilities[chance.id]) < 1e-4));
      assert.equal(effect.translation, undefined, 'a decoder-only model has no translation');
    });
  }

  it('the same heads in another order are one answer, computed once', async () => {
    const heads = cases[1].heads;
    const first = ask<AblationEffect>(inspection, 'ablationEffect', { heads: spec(heads) });
    const second = ask<AblationEffect>(inspection, 'ablationEffect', { heads: spec([...heads].reverse()) });
    assert.equal((await first).elapsedMs, (await second).elapsedMs);
  });

  it('a head the model does not have is a clear error, and the next question works', async () => {
    await assert.rejects(ask(inspection, 'ablationEffect', { heads: 'self:9:0' }), /self has layers 0–1/);
    const effect = await ask<AblationEffect>(inspection, 'ablationEffect', { heads: 'self:0:0' });
    assert.ok(effect.hiddenShift[0].shift[1] > 0);
  });

  it('nextTokens: the whole row of logits and its best tokens, at any position', async () => {
    const logits = inspection.logits!;
    const vocab = logits.dims[1];
    const answer = await ask<NextTokens>(inspection, 'nextTokens', { position: 2, count: 10 });
    assert.deepEqual(answer.logits.dims, [vocab]);
    assert.deepEqual([...answer.logits.data], [...logits.data.slice(2 * vocab, 3 * vocab)]);
    assert.deepEqual(answer.top.map((entry) => entry.id), topIndices(answer.logits.data, 10));
    assert.ok(answer.top.every((entry) => typeof entry.text === 'string' && entry.text.length > 0));
    await assert.rejects(ask(inspection, 'nextTokens', { position: logits.dims[0], count: 5 }), /past the last token/);
  });
});

describe('marian-tiny: the translation with heads switched off, beside the original', () => {
  it('re-generates the input both ways, as generate --ablate does', async () => {
    const engine = new Engine();
    try {
      await engine.load(fixture('marian-tiny'));
      const model = engine.current();
      const text = 'The attention layer reads every token twice.';
      const inspection = await inspect(model, { text, activationsView: 'on-demand' });
      const heads = 'encoder.self:1:2,decoder.self:0:0,decoder.cross:1:3';
      const effect = await ask<AblationEffect>(inspection, 'ablationEffect', { heads });
      const plain = await generate(model, text);
      const ablated = await generate(model, text, { ablate: [{ stack: 'encoder', kind: 'self', layer: 1, head: 2 }, { stack: 'decoder', kind: 'self', layer: 0, head: 0 }, { stack: 'decoder', kind: 'cross', layer: 1, head: 3 }] });
      assert.deepEqual(effect.translation, { original: plain.text, ablated: ablated.text });
      assert.deepEqual(effect.hiddenShift.map((entry) => entry.stack), ['encoder', 'decoder']);
      assert.ok(effect.hiddenShift[0].shift[1] < 1e-6 && effect.hiddenShift[0].shift[2] > 0, 'the encoder moves from its second layer on');
    } finally {
      await engine.dispose();
    }
  });
});

describe('sampling: temperature, top-k and top-p', () => {
  const logits = Float32Array.from([2, 1, 0.5, 0, -1]);
  const order = rankOrder(logits);
  const sum = (values: Float32Array) => values.reduce((a, b) => a + b, 0);
  it('temperature 1 with nothing cut is the softmax', () => {
    assert.deepEqual([...order], [0, 1, 2, 3, 4]);
    const p = reshapedDistribution(logits, order, { temperature: 1, topK: 0, topP: 1 });
    const e = [...logits].map(Math.exp);
    e.forEach((value, i) => assert.ok(Math.abs(p[i] - value / e.reduce((a, b) => a + b)) < 1e-6));
  });
  it('a low temperature sharpens towards the best token, a high one flattens', () => {
    assert.ok(reshapedDistribution(logits, order, { temperature: 0.05, topK: 0, topP: 1 })[0] > 0.999);
    const flat = reshapedDistribution(logits, order, { temperature: 100, topK: 0, topP: 1 });
    assert.ok(Math.max(...flat) - Math.min(...flat) < 0.02);
  });
  it('top-k keeps k tokens, top-p the smallest set reaching p; both renormalised', () => {
    const k2 = reshapedDistribution(logits, order, { temperature: 1, topK: 2, topP: 1 });
    assert.deepEqual([...k2].map((value) => value > 0), [true, true, false, false, false]);
    assert.ok(Math.abs(sum(k2) - 1) < 1e-6 && Math.abs(k2[0] / k2[1] - Math.E) < 1e-5);
    const full = softmax(logits);
    const p = reshapedDistribution(logits, order, { temperature: 1, topK: 0, topP: full[0] + 0.01 });
    assert.deepEqual([...p].map((value) => value > 0), [true, true, false, false, false], 'the first token alone falls short of p');
    const one = reshapedDistribution(logits, order, { temperature: 1, topK: 0, topP: 0 });
    assert.deepEqual([...one], [1, 0, 0, 0, 0], 'at least one token is kept');
  });
});
