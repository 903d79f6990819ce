// What families and weight variants ask beyond the shared reference checks: RoBERTa's offset
// positions, BERT sentence pairs (token type ids), int8 and fp16 weights against fp32 PyTorch.

import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { onnx } from 'onnx-proto';
import { EngineError } from '../../src/engine/engineError';
import { inspect, inspectTokens } from '../../src/engine/inspector';
import { disposeModel, LoadedModel, loadModel } from '../../src/engine/loadedModel';
import type { Inspection, Tensor } from '../../src/protocol/inspection';
import { fixture, maxAbsDifference, reference, rowSums } from './fixtures';

function tokensOf(model: LoadedModel, ids: readonly number[]) {
  return { tokens: model.tokenizer.describe(ids), text: '' };
}

function assertRowsSumToOne(tensor: Tensor, tolerance: number, label: string): void {
  for (const sum of rowSums(tensor)) assert.ok(Math.abs(sum - 1) < tolerance, `${label}: a row sums to ${sum}`);
}

/** Max |a − b| over one layer of a [layers, …] tensor. */
function layerDifference(actual: Tensor, expected: readonly number[], layer: number): number {
  const size = actual.data.length / actual.dims[0];
  return maxAbsDifference(actual.data.subarray(layer * size, (layer + 1) * size), expected.slice(layer * size, (layer + 1) * size));
}

let scratch: string;
before(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'ti-families-'));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('RoBERTa: position ids from padding_idx + 1', () => {
  let model: LoadedModel;
  before(async () => {
    model = await loadModel(fixture('roberta-tiny'));
  });
  after(() => disposeModel(model));

  it('encodes with <s> … </s> as the reference does', () => {
    const ref = reference('roberta-tiny');
    const tokens = model.tokenizer.encode(ref.text);
    assert.deepEqual(tokens.map((token) => token.id), ref.input_ids);
    assert.deepEqual([tokens[0].text, tokens.at(-1)!.text], ['<s>', '</s>']);
    assert.deepEqual(ref.position_ids, ref.input_ids.map((_, i) => i + 2), 'PyTorch counted positions from 2');
  });

  it('takes as many tokens as the tokenizer allows, not as many as the position table has rows', async () => {
    assert.equal(model.spec.config.max_position_embeddings, 66);
    assert.equal(model.info.maxPositions, 64);
    // 66 tokens would need position 67, past the table's last row (65).
    const inspection = await inspect(model, { text: 'Hello world, the model reads. '.repeat(20) });
    assert.equal(inspection.stacks[0].tokens.length, 64);
    assert.deepEqual(inspection.attention[0].tensor.dims, [2, 4, 64, 64]);
    assert.ok(inspection.notices.some((notice) => /truncated to 64 tokens/.test(notice)));
    assertRowsSumToOne(inspection.attention[0].tensor, 1e-4, 'roberta');
  });
});

describe('BERT: a sentence pair with token type ids 0 and 1', () => {
  const ref = reference('bert-tiny', 'reference_pair.json');
  let model: LoadedModel;
  let inspection: Inspection;
  before(async () => {
    model = await loadModel(fixture('bert-tiny'));
    inspection = await inspect(model, { text: ref.text, pair: ref.text_pair });
  });
  after(() => disposeModel(model));

  it('tokenizes [CLS] A [SEP] B [SEP], with spans into the two texts joined by a line break', () => {
    const tokens = inspection.stacks[0].tokens;
    assert.deepEqual(tokens.map((token) => token.id), ref.input_ids);
    assert.equal(inspection.text, `${ref.text}\n${ref.text_pair}`);
    for (const token of tokens.filter((t) => !t.special)) {
      assert.equal(inspection.text.slice(token.start, token.end).toLowerCase(), token.text.toLowerCase());
    }
    assert.ok(tokens[7].start > ref.text.length, 'the second text starts after the first');
    assert.deepEqual(new Set(ref.token_type_ids), new Set([0, 1]));
  });

  it('feeds the type ids: attention and hidden states equal PyTorch’s pair run within 1e-4', () => {
    const difference = maxAbsDifference(inspection.attention[0].tensor.data, ref.attention.self.data);
    assert.ok(difference < 1e-4, `attention: ${difference}`);
    assertRowsSumToOne(inspection.attention[0].tensor, 1e-4, 'pair');
    const hidden = maxAbsDifference(inspection.stacks[0].hiddenStates!.data, ref.hidden_states.model.data);
    assert.ok(hidden < 1e-4, `hidden states: ${hidden}`);
  });

  it('differs from the same ids read as one segment (the type ids matter)', async () => {
    const single = await inspectTokens(model, { source: tokensOf(model, ref.input_ids) });
    const difference = maxAbsDifference(single.stacks[0].hiddenStates!.data, ref.hidden_states.model.data);
    assert.ok(difference > 1e-2, `type ids 0 everywhere gave the pair's hidden states (difference ${difference})`);
    // The word-embedding rows do not depend on the segment.
    assert.equal(maxAbsDifference(inspection.stacks[0].embeddings!.data, single.stacks[0].embeddings!.data), 0);
  });

  it('a model with one token type reads both texts as type 0', async () => {
    const folder = path.join(scratch, 'one-type');
    cpSync(fixture('bert-tiny'), folder, { recursive: true });
    const config = JSON.parse(readFileSync(path.join(folder, 'config.json'), 'utf8'));
    writeFileSync(path.join(folder, 'config.json'), JSON.stringify({ ...config, type_vocab_size: 1 }));
    const oneType = await loadModel(folder);
    const pair = await inspect(oneType, { text: ref.text, pair: ref.text_pair });
    const single = await inspectTokens(oneType, { source: tokensOf(oneType, ref.input_ids) });
    await disposeModel(oneType);
    assert.equal(maxAbsDifference(pair.attention[0].tensor.data, single.attention[0].tensor.data), 0);
  });

  it('refuses a pair for models with a decoder, an empty second text, and a pair over the limit', async () => {
    const t5 = await loadModel(fixture('t5-tiny'));
    await assert.rejects(inspect(t5, { text: 'a', pair: 'b' }), (error: EngineError) => error.code === 'input' && /encoder-only/.test(error.message));
    await disposeModel(t5);
    await assert.rejects(inspect(model, { text: 'hello', pair: ' ' }), (error: EngineError) => error.code === 'input' && /empty/.test(error.message));
    await assert.rejects(inspect(model, { text: 'hello world', pair: 'the cat sat', maxTokens: 5 }), (error: EngineError) => error.code === 'input' && /sentence pair is 8 tokens/.test(error.message));
  });
});

describe('int8 weights (model_quantized.onnx: DynamicQuantizeLinear + MatMulInteger)', () => {
  const ref = reference('bert-tiny');
  let fp32: Inspection;
  let int8: Inspection;
  let model: LoadedModel;
  before(async () => {
    const plain = await loadModel(fixture('bert-tiny'));
    fp32 = await inspectTokens(plain, { source: tokensOf(plain, ref.input_ids) });
    await disposeModel(plain);
    model = await loadModel(fixture('bert-tiny'), { variant: 'quantized' });
    int8 = await inspectTokens(model, { source: tokensOf(model, ref.input_ids) });
  });
  after(() => disposeModel(model));

  it('loads the quantized file and still observes everything', () => {
    assert.equal(path.basename(model.spec.files.get('model')!), 'model_quantized.onnx');
    assert.equal(model.info.variant, 'quantized');
    const graph = onnx.ModelProto.decode(readFileSync(model.spec.files.get('model')!)).graph!;
    assert.equal(graph.node!.filter((node) => node.opType === 'MatMulInteger').length, 12, 'every Linear is quantized');
    assert.deepEqual(model.info.unobservable, []);
    assert.deepEqual(model.info.observable.map((group) => group.name), ['self', 'hidden', 'embeddings', 'ffn']);
  });

  it('embeddings and the first hidden state (before any quantized MatMul) equal fp32', () => {
    assert.equal(maxAbsDifference(int8.stacks[0].embeddings!.data, fp32.stacks[0].embeddings!.data), 0);
    assert.ok(layerDifference(int8.stacks[0].hiddenStates!, ref.hidden_states.model.data, 0) < 1e-5);
  });

  it('attention is within 0.02 of fp32 PyTorch (measured 8.2e-3), rows summing to 1 within 1e-4', () => {
    const difference = maxAbsDifference(int8.attention[0].tensor.data, ref.attention.self.data);
    assert.ok(difference < 0.02, `attention: ${difference}`);
    assert.ok(difference > 1e-4, 'the int8 model computes something other than the fp32 one');
    assertRowsSumToOne(int8.attention[0].tensor, 1e-4, 'int8');
  });

  it('layer outputs are within 0.1 of fp32 PyTorch (measured 0.054; post-LN values of about ±2)', () => {
    for (const layer of [1, 2]) {
      const difference = layerDifference(int8.stacks[0].hiddenStates!, ref.hidden_states.model.data, layer);
      assert.ok(difference < 0.1, `layer ${layer}: ${difference}`);
    }
  });
});

describe('fp16 weights and activations (model_fp16.onnx)', () => {
  const ref = reference('gpt2-tiny-past');
  let model: LoadedModel;
  let inspection: Inspection;
  before(async () => {
    model = await loadModel(fixture('gpt2-tiny-past'), { variant: 'fp16' });
    inspection = await inspectTokens(model, { source: tokensOf(model, ref.input_ids) });
  });
  after(() => disposeModel(model));

  it('loads the fp16 file, whose inputs, cache and outputs are float16', () => {
    assert.equal(path.basename(model.spec.files.get('model')!), 'model_fp16.onnx');
    assert.equal(model.info.variant, 'fp16');
    const past = model.stacks[0].inputs.find((input) => input.name === 'past_key_values.0.key')!;
    assert.equal(past.elemType, onnx.TensorProto.DataType.FLOAT16);
    assert.deepEqual(model.info.unobservable, []);
  });

  it('returns every tensor as Float32Array', () => {
    const stack = inspection.stacks[0];
    const arrays = [inspection.attention[0].tensor.data, stack.hiddenStates!.data, stack.embeddings!.data, stack.ffnActivations!.data, inspection.logits!.data, stack.logitLens!.probabilities];
    for (const array of arrays) assert.ok(array instanceof Float32Array, array.constructor.name);
  });

  it('embeddings are the fp32 table rows rounded to float16 (within 5e-4)', async () => {
    const plain = await loadModel(fixture('gpt2-tiny-past'));
    const fp32 = await inspectTokens(plain, { source: tokensOf(plain, ref.input_ids) });
    await disposeModel(plain);
    const difference = maxAbsDifference(inspection.stacks[0].embeddings!.data, fp32.stacks[0].embeddings!.data);
    assert.ok(difference < 5e-4 && difference > 0, `embeddings: ${difference} (measured 1.6e-4)`);
  });

  it('is within fp16 precision of fp32 PyTorch: attention 2e-3, hidden states and logits 1e-2', () => {
    const attention = maxAbsDifference(inspection.attention[0].tensor.data, ref.attention.self.data);
    assert.ok(attention < 2e-3, `attention: ${attention} (measured 9.4e-4)`);
    assertRowsSumToOne(inspection.attention[0].tensor, 1e-3, 'fp16');
    const hidden = maxAbsDifference(inspection.stacks[0].hiddenStates!.data, ref.hidden_states.model.data);
    assert.ok(hidden < 1e-2, `hidden states: ${hidden} (measured 4.4e-3)`);
    const logits = maxAbsDifference(inspection.logits!.data, ref.logits!.data);
    assert.ok(logits < 1e-2, `logits: ${logits} (measured 4.6e-3)`);
  });

  it('reads the logit lens through the float16 head: its last row is the model’s prediction', () => {
    const lens = inspection.stacks[0].logitLens!;
    const [rows, tokens, k] = lens.dims;
    const vocab = inspection.logits!.dims[1];
    for (let t = 0; t < tokens; t++) {
      const row = inspection.logits!.data.subarray(t * vocab, (t + 1) * vocab);
      assert.equal(lens.ids[((rows - 1) * tokens + t) * k], row.indexOf(Math.max(...row)), `position ${t}`);
    }
  });
});
