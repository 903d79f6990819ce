// Greedy and beam search over the KV cache of every decoder layout (Marian's merged and split
// decoders, T5's merged decoder, GPT-2's past_key_values inputs), checked against decoding without
// any cache, plus scores, alignments, the repetition guard and cancellation.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { Engine } from '../../src/engine/engine';
import { EngineError } from '../../src/engine/engineError';
import { generate, repeatedTail } from '../../src/engine/generation';
import { repeatsJustWritten } from '../../src/engine/wordRepeat';
import { inspectTokens } from '../../src/engine/inspector';
import { disposeModel, LoadedModel, loadModel } from '../../src/engine/loadedModel';
import { fixture, reference, rowSums } from './fixtures';

const SOURCE = 'Hello world, 你好世界';

/** Greedy decoding the slow, obvious way: the whole decoder re-run on the growing prefix. */
async function greedyWithoutCache(model: LoadedModel, steps: number): Promise<number[]> {
  const source = { tokens: model.tokenizer.encode(SOURCE), text: SOURCE };
  const start = model.spec.config.decoder_start_token_id as number;
  const ids: number[] = [];
  for (let step = 0; step < steps; step++) {
    const inspection = await inspectTokens(model, { source, target: { tokens: model.tokenizer.describe([start, ...ids]), text: '' } });
    const [length, vocab] = inspection.logits!.dims;
    const last = inspection.logits!.data.subarray((length - 1) * vocab, length * vocab);
    ids.push(last.indexOf(Math.max(...last)));
  }
  return ids;
}

describe('generation', () => {
  let merged: LoadedModel;
  let split: LoadedModel;
  before(async () => {
    merged = await loadModel(fixture('marian-tiny'));
    split = await loadModel(fixture('marian-tiny-split'));
  });
  after(async () => {
    await disposeModel(merged);
    await disposeModel(split);
  });

  it('greedy search with the cache equals greedy search without it, for both decoder layouts', async () => {
    const expected = await greedyWithoutCache(merged, 8);
    for (const model of [merged, split]) {
      const translation = await generate(model, SOURCE, { maxNewTokens: 8, repetitionGuard: false });
      assert.deepEqual(translation.tokens.map((token) => token.id), expected.filter((id) => id !== 0).slice(0, translation.tokens.length), model.spec.name);
      assert.equal(translation.tokens.length, 8);
    }
  });

  it('beam search scores at least as well as greedy search', async () => {
    const greedy = await generate(merged, SOURCE, { beamSize: 1, maxNewTokens: 10, repetitionGuard: false });
    for (const beamSize of [2, 4]) {
      const beam = await generate(merged, SOURCE, { beamSize, maxNewTokens: 10, repetitionGuard: false });
      assert.ok(beam.normalizedScore >= greedy.normalizedScore - 1e-6, `beam ${beamSize}: ${beam.normalizedScore} < greedy ${greedy.normalizedScore}`);
    }
  });

  it('beam search gives the same result with either decoder layout', async () => {
    const a = await generate(merged, SOURCE, { beamSize: 3, maxNewTokens: 10, repetitionGuard: false });
    const b = await generate(split, SOURCE, { beamSize: 3, maxNewTokens: 10, repetitionGuard: false });
    assert.deepEqual(a.tokens.map((token) => token.id), b.tokens.map((token) => token.id));
    assert.ok(Math.abs(a.score - b.score) < 1e-3);
  });

  it('returns the cross-attention of every generated token; alignment rows sum to 1', async () => {
    const translation = await generate(merged, SOURCE, { maxNewTokens: 6, repetitionGuard: false });
    const generated = translation.tokens.length;
    const source = translation.sourceTokens.length;
    assert.deepEqual(translation.crossAttention!.dims, [2, 4, generated, source]);
    assert.deepEqual(translation.alignment!.dims, [generated, source]);
    for (const sum of rowSums(translation.alignment!)) assert.ok(Math.abs(sum - 1) < 1e-4, `alignment row sums to ${sum}`);
    for (const sum of rowSums(translation.crossAttention!)) assert.ok(Math.abs(sum - 1) < 1e-4);
  });

  it('never writes a word twice in a row where the random model would loop on one; cuts a loop', async () => {
    const free = await generate(merged, SOURCE, { maxNewTokens: 20, repetitionGuard: false });
    assert.ok(repeatedTail(free.tokens.map((token) => token.id)) > 0, `without the guard the model loops: ${free.text}`);
    const guarded = await generate(merged, SOURCE, { maxNewTokens: 20 });
    const ids = guarded.tokens.map((token) => token.id);
    const decode = (part: readonly number[]) => merged.tokenizer.decode(part);
    assert.ok(!ids.some((token, i) => i > 0 && repeatsJustWritten(ids.slice(0, i), token, decode, SOURCE)), `with it: ${guarded.text}`);
    assert.notEqual(guarded.text, free.text);
    assert.deepEqual(repeatedTail([1, 2, 3, 3, 3, 3]), 3);
    assert.deepEqual(repeatedTail([1, 5, 6, 5, 6, 5, 6, 5, 6]), 6);
    assert.deepEqual(repeatedTail([1, 2, 3, 4, 5]), 0);
  });

  it('stops within one step of cancellation', async () => {
    const abort = new AbortController();
    let steps = 0;
    await assert.rejects(
      generate(merged, SOURCE, {
        maxNewTokens: 30,
        repetitionGuard: false,
        signal: abort.signal,
        onStep: (done) => {
          steps = done;
          if (done === 3) abort.abort();
        },
      }),
      (error: EngineError) => error.code === 'cancelled',
    );
    assert.equal(steps, 3);
  });

  it('refuses models that cannot translate and empty text', async () => {
    const encoderOnly = await loadModel(fixture('bert-tiny'));
    await assert.rejects(generate(encoderOnly, 'hello'), (error: EngineError) => error.code === 'input' && /encoder-decoder/.test(error.message));
    await disposeModel(encoderOnly);
    await assert.rejects(generate(merged, '  '), (error: EngineError) => error.code === 'input');
  });
});

/** Records the input_ids shape of every decoder call while `run` goes on. */
async function recordingFeeds<T>(model: LoadedModel, run: () => Promise<T>): Promise<{ result: T; inputIds: number[][]; masks: number[] }> {
  const session = model.stacks.find((runtime) => runtime.stack === 'decoder')!.session;
  const original = session.run.bind(session);
  const inputIds: number[][] = [];
  const masks: number[] = [];
  session.run = ((feeds: Record<string, ort.Tensor>, fetches: string[]) => {
    inputIds.push(Array.from(feeds.input_ids.data as BigInt64Array, Number));
    if (feeds.attention_mask) masks.push(feeds.attention_mask.dims[1]);
    return original(feeds, fetches);
  }) as typeof session.run;
  try {
    return { result: await run(), inputIds, masks };
  } finally {
    session.run = original;
  }
}

describe('decoder-only generation (GPT-2)', () => {
  const ref = reference('gpt2-tiny-past');
  let cached: LoadedModel;
  let uncached: LoadedModel;
  before(async () => {
    cached = await loadModel(fixture('gpt2-tiny-past'));
    uncached = await loadModel(fixture('gpt2-tiny'));
  });
  after(async () => {
    await disposeModel(cached);
    await disposeModel(uncached);
  });

  it('greedy search with past_key_values equals PyTorch’s greedy continuation, feeding one new token per step', async () => {
    const { result, inputIds, masks } = await recordingFeeds(cached, () => generate(cached, ref.text, { maxNewTokens: 10, repetitionGuard: false }));
    assert.deepEqual(result.tokens.map((token) => token.id), ref.generated_ids);
    assert.deepEqual(result.sourceTokens.map((token) => token.id), ref.input_ids);
    assert.equal(result.text, cached.tokenizer.decode(ref.generated_ids!));
    assert.deepEqual(inputIds.map((ids) => ids.length), [8, 1, 1, 1, 1, 1, 1, 1, 1, 1], 'the prompt once, then one token per step');
    assert.deepEqual(inputIds.slice(1).map((ids) => ids[0]), ref.generated_ids!.slice(0, 9));
    assert.deepEqual(masks, [8, 9, 10, 11, 12, 13, 14, 15, 16, 17], 'the mask covers the cached tokens');
    assert.equal(result.crossAttention, undefined);
  });

  it('a model without cache inputs re-reads the whole sequence and generates the same', async () => {
    const { result, inputIds } = await recordingFeeds(uncached, () => generate(uncached, ref.text, { maxNewTokens: 4, repetitionGuard: false }));
    assert.deepEqual(result.tokens.map((token) => token.id), ref.generated_ids!.slice(0, 4));
    assert.deepEqual(inputIds.map((ids) => ids.length), [8, 9, 10, 11]);
  });

  it('beam search gives the same with and without the cache, and scores at least as well as greedy', async () => {
    const greedy = await generate(cached, ref.text, { maxNewTokens: 10, repetitionGuard: false });
    const a = await generate(cached, ref.text, { beamSize: 3, maxNewTokens: 10, repetitionGuard: false });
    const b = await generate(uncached, ref.text, { beamSize: 3, maxNewTokens: 10, repetitionGuard: false });
    assert.deepEqual(a.tokens.map((token) => token.id), b.tokens.map((token) => token.id));
    assert.ok(Math.abs(a.score - b.score) < 1e-3);
    assert.ok(a.normalizedScore >= greedy.normalizedScore - 1e-6);
  });

  it('fp16 weights and float16 cache generate PyTorch’s fp32 greedy continuation', async () => {
    const fp16 = await loadModel(fixture('gpt2-tiny-past'), { variant: 'fp16' });
    const result = await generate(fp16, ref.text, { maxNewTokens: 10, repetitionGuard: false });
    await disposeModel(fp16);
    assert.deepEqual(result.tokens.map((token) => token.id), ref.generated_ids);
  });

  it('refuses a prompt that fills the context, and translation with a decoder-only model', async () => {
    await assert.rejects(generate(cached, 'the model reads '.repeat(40)), (error: EngineError) => error.code === 'input' && /no room to generate/.test(error.message));
    const engine = new Engine();
    await engine.load(fixture('gpt2-tiny-past'));
    await assert.rejects(engine.translate('Hello'), (error: EngineError) => error.code === 'input' && /Translation needs an encoder-decoder model/.test(error.message));
    assert.equal((await engine.generate(ref.text, { maxNewTokens: 3, repetitionGuard: false })).tokens.length, 3);
    await engine.dispose();
  });
});

describe('T5 generation (merged decoder, relative position bias)', () => {
  const ref = reference('t5-tiny');
  let model: LoadedModel;
  before(async () => {
    model = await loadModel(fixture('t5-tiny'));
  });
  after(() => disposeModel(model));

  it('starts from decoder_start_token_id 0 and, with the cache, equals PyTorch’s greedy decoding without one', async () => {
    const { result, inputIds } = await recordingFeeds(model, () => generate(model, ref.text, { maxNewTokens: 10, repetitionGuard: false }));
    assert.deepEqual(result.sourceTokens.map((token) => token.id), ref.input_ids);
    assert.deepEqual(result.tokens.map((token) => token.id), ref.generated_ids);
    assert.deepEqual(inputIds[0], [0], 'the decoder starts from <pad> = 0');
    assert.ok(inputIds.slice(1).every((ids) => ids.length === 1), 'later steps feed one token');
  });

  it('returns the cross-attention of every generated token, rows summing to 1', async () => {
    const result = await generate(model, ref.text, { beamSize: 2, maxNewTokens: 6, repetitionGuard: false });
    assert.deepEqual(result.crossAttention!.dims, [2, 4, result.tokens.length, ref.input_ids.length]);
    for (const sum of rowSums(result.crossAttention!)) assert.ok(Math.abs(sum - 1) < 1e-4);
    for (const sum of rowSums(result.alignment!)) assert.ok(Math.abs(sum - 1) < 1e-4);
  });
});
