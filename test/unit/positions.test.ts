// Positions found by structure in real graphs: Marian's sinusoidal table (halves layout) in the
// encoder and in the merged decoder's branches, the bundled model's √d_model-scaled embeddings and
// its pre-LN layers in both stacks, BERT's learned table past its token types; the formula itself.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sinusoid, sinusoidalFit } from '../../src/analysis/positions';
import { bundledModelPath } from '../../src/engine/bundledModel';
import { inspect } from '../../src/engine/inspector';
import { disposeModel, loadModel } from '../../src/engine/loadedModel';
import { fixture } from './fixtures';

test('the formula: PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(…); and the halves layout', () => {
  assert.equal(sinusoid(0, 0, 8, 'interleaved'), 0);
  assert.equal(sinusoid(0, 1, 8, 'interleaved'), 1);
  assert.ok(Math.abs(sinusoid(3, 2, 8, 'interleaved') - Math.sin(3 / Math.pow(10000, 2 / 8))) < 1e-12);
  assert.ok(Math.abs(sinusoid(3, 5, 8, 'halves') - Math.cos(3 / Math.pow(10000, 2 / 8))) < 1e-12);
  const table = Float32Array.from({ length: 10 * 8 }, (_, k) => sinusoid(Math.floor(k / 8), k % 8, 8, 'halves'));
  assert.deepEqual(sinusoidalFit(table, 10, 8).layout, 'halves');
  assert.ok(sinusoidalFit(table, 10, 8).difference < 1e-6);
});

test('marian-tiny: the same sinusoidal table in the encoder and the merged decoder, embeddings × √d_model', async () => {
  const model = await loadModel(fixture('marian-tiny'));
  try {
    const inspection = await inspect(model, { text: 'The attention layer reads.', target: 'Die Schicht liest.' });
    for (const stack of inspection.stacks) {
      const term = stack.positions!;
      assert.ok(term, `${stack.stack} positions`);
      assert.equal(term.kind, 'sinusoidal');
      assert.equal(term.layout, 'halves');
      assert.ok(Math.abs(term.embeddingScale - Math.sqrt(32)) < 1e-5);
      assert.deepEqual(term.added.dims, [stack.tokens.length, 32]);
    }
  } finally {
    await disposeModel(model);
  }
});

test('the bundled model: positions in both stacks, pre-LN layers in both', async () => {
  const model = await loadModel(bundledModelPath()!);
  try {
    const inspection = await inspect(model, { text: 'Open the file.', target: '打开文件。', targetLanguage: 'zh' });
    assert.deepEqual(inspection.stacks.map((stack) => [stack.stack, stack.positions?.embeddingScale]), [['encoder', 16], ['decoder', 16]]);
    assert.deepEqual(inspection.architecture!.stacks.map((stack) => [stack.stack, stack.preNorm]), [['encoder', true], ['decoder', true]]);
  } finally {
    await disposeModel(model);
  }
});

test('bert-tiny: the learned position table, found past the token-type table', async () => {
  const model = await loadModel(fixture('bert-tiny'));
  try {
    const term = (await inspect(model, { text: 'The attention layer reads.' })).stacks[0].positions!;
    assert.equal(term.kind, 'learned');
    assert.equal(term.tableRows, 64);
    assert.equal(term.embeddingScale, 1);
  } finally {
    await disposeModel(model);
  }
});

test('gpt2-tiny: its learned table read from the external data file; embedding + position = the first layer’s input', async () => {
  const model = await loadModel(fixture('gpt2-tiny'));
  try {
    const stack = (await inspect(model, { text: 'The attention layer reads every token' })).stacks[0];
    const term = stack.positions!;
    assert.equal(term.kind, 'learned');
    const [tokens, width] = term.added.dims;
    let worst = 0;
    for (let i = 0; i < tokens * width; i++) worst = Math.max(worst, Math.abs(stack.embeddings!.data[i] + term.added.data[i] - stack.hiddenStates!.data[i]));
    assert.ok(worst < 1e-5, `wte + wpe vs hidden state 0: ${worst}`);
  } finally {
    await disposeModel(model);
  }
});
