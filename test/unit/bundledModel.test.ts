// The bundled model against its training recipe (test/fixtures/parity, written by
// training/parity.py from sentencepiece and PyTorch): the same encoder ids from our tokenizer
// path, the same greedy translations from our engine. No Python runs here.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bundledModelPath } from '../../src/engine/bundledModel';
import { generate } from '../../src/engine/generation';
import { encodeWithinLimit, inspect, logitsLeftOut } from '../../src/engine/inspector';
import { disposeModel, LoadedModel, loadModel } from '../../src/engine/loadedModel';
import { REPO_ROOT } from './fixtures';

interface ParityCase {
  readonly direction: 'en-zh' | 'zh-en';
  readonly source_text: string;
  readonly lang_token: string;
  readonly input_ids: number[];
  readonly output_ids: number[];
  readonly output_text: string;
  readonly max_new_tokens: number;
}

const parity = JSON.parse(readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'parity', 'en-zh-transformer.json'), 'utf8')) as {
  eos_token_id: number;
  cases: ParityCase[];
};

describe('bundled model parity with its training recipe', () => {
  let model: LoadedModel;
  before(async () => {
    const folder = bundledModelPath();
    assert.ok(folder, 'models/en-zh-transformer is part of the repository');
    model = await loadModel(folder);
  });
  after(() => disposeModel(model));

  it('has cases in both directions', () => {
    assert.ok(parity.cases.filter((entry) => entry.direction === 'en-zh').length >= 5);
    assert.ok(parity.cases.filter((entry) => entry.direction === 'zh-en').length >= 5);
  });

  it('tokenizes every source exactly as sentencepiece did, language token included', () => {
    for (const entry of parity.cases) {
      const target = entry.direction === 'en-zh' ? 'zh' : 'en';
      const { tokens } = encodeWithinLimit(model, entry.source_text, 256, true, [], target);
      assert.deepEqual(tokens.map((token) => token.id), entry.input_ids, entry.source_text);
      assert.equal(tokens[0].text, entry.lang_token);
    }
  });

  it('translates every case to PyTorch’s greedy output', async () => {
    for (const entry of parity.cases) {
      const targetLanguage = entry.direction === 'en-zh' ? 'zh' : 'en';
      const translation = await generate(model, entry.source_text, { targetLanguage, maxNewTokens: entry.max_new_tokens, repetitionGuard: false });
      const expected = entry.output_ids.at(-1) === parity.eos_token_id ? entry.output_ids.slice(0, -1) : entry.output_ids;
      assert.deepEqual(translation.tokens.map((token) => token.id), expected, `${entry.source_text} → ${entry.output_text}`);
      assert.equal(translation.text, entry.output_text);
      assert.equal(translation.finished, entry.output_ids.at(-1) === parity.eos_token_id);
      assert.equal(translation.alignment?.dims[0] ?? 0, translation.tokens.length, 'one alignment row per translated token');
      assert.equal(translation.crossAttention?.dims[2] ?? 0, translation.tokens.length);
    }
  });

  it('an inspection puts the language token before the source only, never into the decoder input', async () => {
    const inspection = await inspect(model, { text: 'Open the file.', target: '打开文件。' });
    const [encoder, decoder] = inspection.stacks;
    assert.equal(encoder.tokens[0].text, '>>zh<<');
    assert.equal(decoder.tokens[0].id, 0, 'the decoder starts with its start token');
    assert.ok(!decoder.tokens.some((token) => token.text.startsWith('>>')), decoder.tokens.map((token) => token.text).join(' '));
    const words = decoder.tokens.filter((token) => !token.special && !/^[\s\u2581]*$/.test(token.text));
    assert.equal(words.map((token) => token.text).join(''), '打开文件。');
  });

  // The decoder's output projection is the embedding, stored once as a Transpose outside the merged
  // decoder's If branches: the lens head is cut out with it.
  it('the decoder has a logit lens whose last row is the model’s own prediction', async () => {
    assert.ok(model.info.observable.some((group) => group.name === 'decoder.logit-lens'), JSON.stringify(model.info.unobservable));
    const inspection = await inspect(model, { text: 'Open the file.', target: '打开文件。' });
    const decoder = inspection.stacks[1];
    const lens = decoder.logitLens!;
    assert.ok(lens, 'the inspection has the lens');
    const [rows, tokens, k] = lens.dims;
    assert.equal(rows, decoder.hiddenStates!.dims[0]);
    const vocab = inspection.logits!.dims[1];
    for (let t = 0; t < tokens; t++) {
      const row = inspection.logits!.data.subarray(t * vocab, (t + 1) * vocab);
      assert.equal(lens.ids[((rows - 1) * tokens + t) * k], row.indexOf(Math.max(...row)), `position ${t}`);
    }
  });

  it('logits it would leave out (tokens × 24,000 over 4 M values) are not copied out of onnxruntime, and say so', async () => {
    const decoder = model.stacks.find((runtime) => runtime.stack === 'decoder')!;
    await inspect(model, { text: 'Open the file.', target: '打开文件。' }); // learns the logits' width
    assert.equal(logitsLeftOut(decoder, 100), undefined, '100 × 24,000 = 2.4 M values are kept');
    const target = Array.from({ length: 200 }, (_, i) => String(i % 10)).join(' ');
    const fetchedByDecoder: string[][] = [];
    const run = decoder.session.run.bind(decoder.session);
    decoder.session.run = ((feeds: never, fetches: never) => {
      fetchedByDecoder.push([...(fetches as string[])]);
      return run(feeds, fetches);
    }) as typeof decoder.session.run;
    try {
      const inspection = await inspect(model, { text: 'Open the file.', target });
      const tokens = inspection.stacks[1].tokens.length;
      assert.ok(tokens * 24000 > 4_000_000, `${tokens} decoder tokens`);
      assert.equal(inspection.logits, undefined);
      assert.ok(inspection.notices.includes(`Logits left out: 1×${tokens}×24000 values is more than 4,000,000.`), inspection.notices.join(' | '));
      assert.ok(fetchedByDecoder.length > 0 && fetchedByDecoder.every((names) => !names.includes('logits')), JSON.stringify(fetchedByDecoder.map((names) => names.length)));
      assert.equal(inspection.attention.find((group) => group.stack === 'decoder' && group.kind === 'self')!.tensor.dims.at(-1), tokens, 'the rest of the inspection is there');
    } finally {
      decoder.session.run = run;
    }
  });

  // Not on every case: the greedy path can fall out of the beam (pruned on the running score, chosen on
  // the length-normalised one), as in any beam search; "Check your camera" is such a case.
  it('beam search scores better than greedy search on the cases overall and at least as well on 90% of them', async () => {
    const worse: string[] = [];
    let beamTotal = 0;
    let greedyTotal = 0;
    for (const entry of parity.cases) {
      const targetLanguage = entry.direction === 'en-zh' ? 'zh' : 'en';
      const options = { targetLanguage, maxNewTokens: entry.max_new_tokens, repetitionGuard: false };
      const greedy = await generate(model, entry.source_text, { ...options, beamSize: 1 });
      const beam = await generate(model, entry.source_text, { ...options, beamSize: 4 });
      beamTotal += beam.normalizedScore;
      greedyTotal += greedy.normalizedScore;
      if (beam.normalizedScore < greedy.normalizedScore - 1e-5) worse.push(`${entry.source_text}: beam ${beam.normalizedScore} < greedy ${greedy.normalizedScore}`);
      for (let row = 0; row < beam.tokens.length; row++) {
        const sum = beam.alignment!.data.subarray(row * beam.sourceTokens.length, (row + 1) * beam.sourceTokens.length).reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(sum - 1) < 1e-4);
      }
    }
    assert.ok(beamTotal > greedyTotal, `mean normalised score: beam ${beamTotal / parity.cases.length}, greedy ${greedyTotal / parity.cases.length}`);
    assert.ok(worse.length <= parity.cases.length / 10, worse.join('\n'));
  });
});
