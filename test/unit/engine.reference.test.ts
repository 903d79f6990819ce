// The engine on real exported Transformers of all three families (BERT, RoBERTa, DistilBERT,
// GPT-2 with and without cache, Marian, T5), checked value by value against PyTorch.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import * as path from 'node:path';
import { inspectTokens } from '../../src/engine/inspector';
import { disposeModel, LoadedModel, loadModel } from '../../src/engine/loadedModel';
import type { Inspection, Tensor } from '../../src/protocol/inspection';
import { fixture, maxAbsDifference, Reference, reference, rowSums } from './fixtures';

const TOLERANCE = 1e-4;

function tokensOf(model: LoadedModel, ids: readonly number[]) {
  return { tokens: model.tokenizer.describe(ids), text: '' };
}

async function inspectReference(model: LoadedModel, ref: Reference): Promise<Inspection> {
  return inspectTokens(model, {
    source: tokensOf(model, ref.input_ids),
    target: ref.decoder_input_ids ? tokensOf(model, ref.decoder_input_ids) : undefined,
  });
}

function attention(inspection: Inspection, key: string): Tensor {
  const group = inspection.attention.find((entry) => (inspection.family === 'encoder-decoder' ? `${entry.stack}.${entry.kind}` : entry.kind) === key);
  assert.ok(group, `attention group ${key} is missing`);
  return group.tensor;
}

function assertUpperTriangleZero(tensor: Tensor, label: string): void {
  const [layers, heads, queries, keys] = tensor.dims;
  assert.equal(queries, keys, `${label} is square`);
  let above = 0;
  for (let block = 0; block < layers * heads; block++) {
    for (let q = 0; q < queries; q++) {
      for (let k = q + 1; k < keys; k++) above = Math.max(above, tensor.data[block * queries * keys + q * keys + k]);
    }
  }
  assert.ok(above < 1e-6, `${label}: largest weight above the diagonal is ${above}`);
}

const ENCODER_DECODER_GROUPS = ['encoder.self', 'decoder.self', 'decoder.cross'];
const FAMILIES = [
  { name: 'bert-tiny', family: 'encoder-only', groups: ['self'], causal: [] as string[], layers: { encoder: 2 } },
  { name: 'roberta-tiny', family: 'encoder-only', groups: ['self'], causal: [], layers: { encoder: 2 } },
  { name: 'distilbert-tiny', family: 'encoder-only', groups: ['self'], causal: [], layers: { encoder: 2 } },
  { name: 'gpt2-tiny', family: 'decoder-only', groups: ['self'], causal: ['self'], layers: { decoder: 2 } },
  { name: 'gpt2-tiny-past', family: 'decoder-only', groups: ['self'], causal: ['self'], layers: { decoder: 2 } },
  { name: 'marian-tiny', family: 'encoder-decoder', groups: ENCODER_DECODER_GROUPS, causal: ['decoder.self'], layers: { encoder: 3, decoder: 2 } },
  { name: 'marian-tiny-split', family: 'encoder-decoder', groups: ENCODER_DECODER_GROUPS, causal: ['decoder.self'], layers: { encoder: 3, decoder: 2 } },
  { name: 't5-tiny', family: 'encoder-decoder', groups: ENCODER_DECODER_GROUPS, causal: ['decoder.self'], layers: { encoder: 3, decoder: 2 } },
] as const;

for (const spec of FAMILIES) {
  describe(`engine on ${spec.name} (${spec.family})`, () => {
    let model: LoadedModel;
    let inspection: Inspection;
    const ref = reference(spec.name);

    before(async () => {
      model = await loadModel(fixture(spec.name));
      inspection = await inspectReference(model, ref);
    });
    after(() => disposeModel(model));

    it('tokenizes the reference text to the ids PyTorch was given', () => {
      assert.deepEqual(model.tokenizer.encode(ref.text).map((token) => token.id), ref.input_ids);
    });

    it('recognises the family and runs on the CPU here', () => {
      assert.equal(model.spec.family, spec.family);
      assert.equal(inspection.executionProvider, 'CPU');
    });

    it('finds every attention group with the shapes the config declares', () => {
      assert.deepEqual(inspection.attention.map((group) => (spec.family === 'encoder-decoder' ? `${group.stack}.${group.kind}` : group.kind)), [...spec.groups]);
      for (const key of spec.groups) assert.deepEqual(attention(inspection, key).dims, ref.attention[key].dims, key);
      assert.equal(model.info.heads, 4, 'heads read from config.json');
      for (const group of inspection.attention) assert.equal(group.tensor.dims[1], model.info.heads);
    });

    it('reads the layers per stack from config.json, agreeing with the graph', () => {
      assert.deepEqual(model.info.layers, spec.layers);
      assert.deepEqual(model.info.unobservable, [], 'everything is observable');
    });

    it('returns attention probabilities equal to PyTorch within 1e-4, every row summing to 1', () => {
      for (const key of spec.groups) {
        const tensor = attention(inspection, key);
        const difference = maxAbsDifference(tensor.data, ref.attention[key].data);
        assert.ok(difference < TOLERANCE, `${key}: max |ONNX − PyTorch| = ${difference}`);
        for (const sum of rowSums(tensor)) assert.ok(Math.abs(sum - 1) < TOLERANCE, `${key}: a row sums to ${sum}`);
      }
    });

    it('masks the future in decoder self-attention', () => {
      for (const key of spec.causal) assertUpperTriangleZero(attention(inspection, key), key);
    });

    it('returns the hidden state before and after every layer, equal to PyTorch', () => {
      for (const stack of inspection.stacks) {
        const refKey = spec.family === 'encoder-decoder' ? stack.stack : 'model';
        assert.ok(stack.hiddenStates, `${stack.stack} hidden states`);
        assert.deepEqual(stack.hiddenStates.dims, ref.hidden_states[refKey].dims);
        const difference = maxAbsDifference(stack.hiddenStates.data, ref.hidden_states[refKey].data);
        assert.ok(difference < TOLERANCE, `${stack.stack}: max |ONNX − PyTorch| = ${difference}`);
      }
    });

    it('returns one embedding row per token', () => {
      for (const stack of inspection.stacks) {
        assert.ok(stack.embeddings, `${stack.stack} embeddings`);
        assert.equal(stack.embeddings.dims[0], stack.tokens.length);
        assert.equal(stack.embeddings.dims[1], stack.hiddenStates!.dims[2]);
      }
    });

    if (ref.logits) {
      it('returns the logits equal to PyTorch', () => {
        assert.ok(inspection.logits);
        assert.deepEqual(inspection.logits.dims, ref.logits!.dims.slice(-2));
        assert.ok(maxAbsDifference(inspection.logits.data, ref.logits!.data) < TOLERANCE);
      });
    }
  });
}

describe('the last hidden state is the model’s own output', () => {
  for (const name of ['bert-tiny', 'marian-tiny']) {
    it(`${name}: equals last_hidden_state of the unmodified ONNX model`, async () => {
      const ref = reference(name);
      const model = await loadModel(fixture(name));
      const inspection = await inspectReference(model, ref);
      await disposeModel(model);
      const file = path.join(fixture(name), 'onnx', name === 'bert-tiny' ? 'model.onnx' : 'encoder_model.onnx');
      const session = await ort.InferenceSession.create(file);
      const ids = BigInt64Array.from(ref.input_ids, BigInt);
      const feeds: Record<string, ort.Tensor> = {
        input_ids: new ort.Tensor('int64', ids, [1, ids.length]),
        attention_mask: new ort.Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]),
      };
      if (session.inputNames.includes('token_type_ids')) feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(ids.length), [1, ids.length]);
      const own = (await session.run(feeds)).last_hidden_state.data as Float32Array;
      await session.release();
      const hidden = inspection.stacks[0].hiddenStates!;
      const lastLayer = hidden.data.subarray(hidden.data.length - own.length);
      assert.ok(maxAbsDifference(lastLayer, own) < 1e-6, 'last hidden state differs from the model output');
    });
  }
});

/** The vocabulary table of an ONNX file: its largest 2-D initializer, inline or in external data. */
function embeddingTable(file: string): { weights: Float32Array; width: number } {
  const proto = onnx.ModelProto.decode(readFileSync(file));
  const table = proto.graph!.initializer!.filter((tensor) => tensor.dims!.length === 2).sort((a, b) => Number(b.dims![0]) - Number(a.dims![0]))[0];
  const external = new Map((table.externalData ?? []).map((entry) => [entry.key, entry.value ?? '']));
  const raw = external.size
    ? readFileSync(path.join(path.dirname(file), external.get('location')!)).subarray(Number(external.get('offset') ?? 0), Number(external.get('offset') ?? 0) + Number(external.get('length')))
    : table.rawData!;
  return { weights: new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)), width: Number(table.dims![1]) };
}

describe('embeddings are rows of the embedding table', () => {
  const cases = [
    { name: 'bert-tiny', file: 'model.onnx' },
    { name: 'roberta-tiny', file: 'model.onnx' },
    { name: 'distilbert-tiny', file: 'model.onnx' },
    { name: 'gpt2-tiny', file: 'model.onnx' },
    { name: 'gpt2-tiny-past', file: 'model.onnx' },
    { name: 'marian-tiny', file: 'encoder_model.onnx' },
    { name: 't5-tiny', file: 'encoder_model.onnx' },
  ];
  for (const { name, file } of cases) {
    it(`${name}: embeddings[i] equals the word-embedding row of token i`, async () => {
      const ref = reference(name);
      const { weights, width } = embeddingTable(path.join(fixture(name), 'onnx', file));
      const model = await loadModel(fixture(name));
      const inspection = await inspectReference(model, ref);
      await disposeModel(model);
      const embeddings = inspection.stacks[0].embeddings!;
      ref.input_ids.forEach((id, i) => {
        const row = embeddings.data.subarray(i * width, (i + 1) * width);
        assert.ok(maxAbsDifference(row, weights.subarray(id * width, (id + 1) * width)) === 0, `row ${i}`);
      });
    });
  }
});

describe('FFN activations and the logit lens', () => {
  it('FFN activations have the configured width for every layer', async () => {
    for (const name of ['bert-tiny', 'gpt2-tiny', 'marian-tiny', 'roberta-tiny', 'distilbert-tiny', 't5-tiny']) {
      const model = await loadModel(fixture(name));
      const config = model.spec.config as Record<string, number>;
      const ref = reference(name);
      const inspection = await inspectReference(model, ref);
      await disposeModel(model);
      for (const stack of inspection.stacks) {
        const [layers, tokens, units] = stack.ffnActivations!.dims;
        assert.equal(layers, stack.hiddenStates!.dims[0] - 1, `${name} ${stack.stack}: one per layer`);
        assert.equal(tokens, stack.tokens.length);
        const width = config.intermediate_size ?? config.n_inner ?? config[`${stack.stack}_ffn_dim`] ?? config.hidden_dim ?? config.d_ff;
        assert.equal(units, width, `${name} ${stack.stack} FFN width`);
      }
    }
  });

  it('the lens of the last layer is the model’s own prediction, with softmax probabilities', async () => {
    for (const name of ['gpt2-tiny', 'gpt2-tiny-past', 'marian-tiny', 'marian-tiny-split', 't5-tiny']) {
      const model = await loadModel(fixture(name));
      const inspection = await inspectReference(model, reference(name));
      await disposeModel(model);
      const lens = inspection.stacks.at(-1)!.logitLens!;
      const [rows, tokens, k] = lens.dims;
      assert.equal(rows, inspection.stacks.at(-1)!.hiddenStates!.dims[0], `${name}: one lens row per hidden state`);
      const logits = inspection.logits!;
      const vocab = logits.dims[1];
      for (let t = 0; t < tokens; t++) {
        const row = logits.data.subarray(t * vocab, (t + 1) * vocab);
        const max = Math.max(...row);
        const sum = row.reduce((total, value) => total + Math.exp(value - max), 0);
        const at = ((rows - 1) * tokens + t) * k;
        assert.equal(lens.ids[at], row.indexOf(max), `${name} position ${t}`);
        assert.ok(Math.abs(lens.probabilities[at] - 1 / sum) < 1e-5, `${name} position ${t}: probability`);
        for (let rank = 1; rank < k; rank++) assert.ok(lens.probabilities[at + rank] <= lens.probabilities[at + rank - 1]);
      }
      assert.ok(lens.tokenTexts[lens.ids[0]] !== undefined);
    }
  });

  it('an encoder without an output head has no lens', async () => {
    const model = await loadModel(fixture('bert-tiny'));
    const inspection = await inspectReference(model, reference('bert-tiny'));
    await disposeModel(model);
    assert.equal(inspection.stacks[0].logitLens, undefined);
  });
});
