// Which heads a translation depends on, on a real model: one greedy decode per head of every
// group, each equal to generate --ablate with that head alone, flagged where it differs.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from '../../src/engine/engine';
import { generate } from '../../src/engine/generation';
import { headDependence } from '../../src/engine/headDependence';
import { fixture } from './fixtures';

test('marian-tiny: every head of encoder.self, decoder.self and decoder.cross, each as generate with it off', async () => {
  const engine = new Engine();
  try {
    await engine.load(fixture('marian-tiny'));
    const model = engine.current();
    const text = 'The attention layer reads every token twice.';
    const counts: string[] = [];
    const result = await headDependence(model, text, { onHead: (done, total) => counts.push(`${done}/${total}`) });
    assert.equal(counts.length, result.heads.length, 'progress after every head');
    assert.equal(counts.at(-1), `${result.heads.length}/${result.heads.length}`);
    assert.equal(result.original, (await generate(model, text, { beamSize: 1 })).text);
    const heads = model.info.heads;
    const groups = [...new Set(result.heads.map((entry) => entry.head.split(':')[0]))];
    assert.deepEqual(groups, ['encoder.self', 'decoder.self', 'decoder.cross']);
    const layers = (kind: 'self' | 'cross', stack: 'encoder' | 'decoder') => model.stacks.find((runtime) => runtime.stack === stack)!.probes.attention.filter((probe) => probe.kind === kind).length;
    assert.equal(result.heads.length, heads * (layers('self', 'encoder') + layers('self', 'decoder') + layers('cross', 'decoder')));
    for (const index of [0, Math.floor(result.heads.length / 2), result.heads.length - 1]) {
      const entry = result.heads[index];
      const [group, layer, head] = entry.head.split(':');
      const [stack, kind] = group.split('.') as ['encoder' | 'decoder', 'self' | 'cross'];
      const expected = (await generate(model, text, { beamSize: 1, ablate: [{ stack, kind, layer: Number(layer), head: Number(head) }] })).text;
      assert.equal(entry.translation, expected, entry.head);
      assert.equal(entry.changed, expected !== result.original);
    }
    const abort = new AbortController();
    abort.abort();
    await assert.rejects(headDependence(model, text, { signal: abort.signal }), /cancelled/i);
    const gpt = new Engine();
    await gpt.load(fixture('gpt2-tiny'));
    await assert.rejects(headDependence(gpt.current(), text), /needs an encoder-decoder model/);
    await gpt.dispose();
  } finally {
    await engine.dispose();
  }
});
