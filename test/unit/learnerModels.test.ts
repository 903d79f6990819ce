// Transformers written the way learners write them — PyTorch's nn.Transformer exported as one graph,
// the tutorial encoder with and without batch_first, d2l.ai-style blocks with masked_softmax, fused
// attention — with no config.json, checked value by value against PyTorch; and the learner
// diagnoses: each broken model gets its own, every other model none.

import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Engine } from '../../src/engine/engine';
import { generate } from '../../src/engine/generation';
import { inspectTokens } from '../../src/engine/inspector';
import { disposeModel, LoadedModel, loadModel } from '../../src/engine/loadedModel';
import type { Diagnosis, Inspection } from '../../src/protocol/inspection';
import { FIXTURES, fixture, loadFails, maxAbsDifference, reference } from './fixtures';
import { BUNDLED } from './tokenizerCases';

const TOLERANCE = 1e-4;
const ENCODER_DECODER = ['encoder.self', 'decoder.self', 'decoder.cross'];

interface LearnerCase {
  readonly name: string;
  readonly groups: readonly string[];
  readonly diagnoses: readonly Diagnosis['id'][];
  /** The attention PyTorch reports in its own layout (batch_first=False): compared by value, not shape. */
  readonly ownLayout?: boolean;
}

const CASES: LearnerCase[] = [
  { name: 'torch-transformer', groups: ENCODER_DECODER, diagnoses: [] },
  { name: 'torch-transformer-prenorm', groups: ENCODER_DECODER, diagnoses: [] },
  { name: 'tutorial-encoder', groups: ['self'], diagnoses: [] },
  { name: 'tutorial-encoder-seqfirst', groups: ['self'], diagnoses: ['length-1-attention'], ownLayout: true },
  { name: 'd2l-encoder', groups: ['self'], diagnoses: [] },
  { name: 'd2l-encoder-decoder', groups: ENCODER_DECODER, diagnoses: [] },
  { name: 'broken-no-causal-mask', groups: ENCODER_DECODER, diagnoses: ['no-causal-mask'] },
  { name: 'broken-unscaled', groups: ENCODER_DECODER, diagnoses: ['unscaled-scores'] },
  // Its softmax really does weigh later positions: both are said.
  { name: 'broken-mask-after-softmax', groups: ENCODER_DECODER, diagnoses: ['mask-after-softmax', 'no-causal-mask'] },
  { name: 'fused-mha-encoder', groups: ['self'], diagnoses: [] },
  { name: 'fused-attention-opset23', groups: ['self'], diagnoses: [] },
];

const groupKey = (inspection: Inspection, group: Inspection['attention'][number]) => (inspection.family === 'encoder-decoder' ? `${group.stack}.${group.kind}` : group.kind);

for (const spec of CASES) {
  describe(`${spec.name}: read as PyTorch computes it`, () => {
    const ref = reference(spec.name);
    let model: LoadedModel;
    let inspection: Inspection;
    before(async () => {
      model = await loadModel(fixture(spec.name));
      inspection = await inspectTokens(model, {
        source: { tokens: model.tokenizer.describe(ref.input_ids), text: '' },
        target: ref.decoder_input_ids ? { tokens: model.tokenizer.describe(ref.decoder_input_ids), text: '' } : undefined,
      });
    });
    after(() => disposeModel(model));

    it('finds the family and every attention group from the structure alone (no config.json)', () => {
      assert.equal(model.spec.family, spec.groups.length > 1 ? 'encoder-decoder' : 'encoder-only');
      assert.deepEqual(inspection.attention.map((group) => groupKey(inspection, group)), [...spec.groups]);
      assert.deepEqual(model.info.unobservable, [], 'everything is observable');
    });

    it('attention per head equals PyTorch within 1e-4', () => {
      for (const group of inspection.attention) {
        const key = groupKey(inspection, group);
        if (!spec.ownLayout) assert.deepEqual(group.tensor.dims, ref.attention[key].dims, key);
        const difference = maxAbsDifference(group.tensor.data, ref.attention[key].data);
        assert.ok(difference < TOLERANCE, `${key}: max |ONNX − PyTorch| = ${difference}`);
      }
    });

    it('hidden states per stack and FFN activations equal PyTorch within 1e-4', () => {
      for (const stack of inspection.stacks) {
        const key = spec.groups.length > 1 ? stack.stack : 'model';
        assert.deepEqual(stack.hiddenStates?.dims, ref.hidden_states[key].dims, `${key} hidden`);
        assert.ok(maxAbsDifference(stack.hiddenStates!.data, ref.hidden_states[key].data) < TOLERANCE, `${key} hidden states`);
        assert.deepEqual(stack.ffnActivations?.dims, ref.ffn_activations![key].dims, `${key} ffn`);
        assert.ok(maxAbsDifference(stack.ffnActivations!.data, ref.ffn_activations![key].data) < TOLERANCE, `${key} FFN activations`);
      }
    });

    it('logits equal PyTorch; the logit lens of the last layer is the model’s own prediction', () => {
      assert.ok(maxAbsDifference(inspection.logits!.data, ref.logits!.data) < TOLERANCE);
      const head = inspection.stacks.at(-1)!;
      const lens = head.logitLens!;
      const [rows, tokens, k] = lens.dims;
      const vocab = inspection.logits!.dims[1];
      for (let t = 0; t < tokens; t++) {
        const row = inspection.logits!.data.subarray(t * vocab, (t + 1) * vocab);
        assert.equal(lens.ids[((rows - 1) * tokens + t) * k], row.indexOf(Math.max(...row)), `position ${t}`);
      }
    });

    it(`diagnoses: ${spec.diagnoses.length ? spec.diagnoses.join(', ') : 'none'}`, async () => {
      const engine = new Engine();
      try {
        const info = await engine.load(fixture(spec.name));
        assert.deepEqual(info.diagnoses.map((entry) => entry.id).sort(), [...spec.diagnoses].sort());
        const run = await engine.inspect({ text: ref.text, target: ref.target });
        const said = run.notices.filter((notice) => notice.startsWith('Diagnosis: '));
        assert.equal(said.length, spec.diagnoses.length, said.join('\n'));
        assert.deepEqual(run.stacks[0].tokens.map((token) => token.id), ref.input_ids, 'the tokenizer.json gives PyTorch’s ids');
        if (ref.decoder_input_ids) assert.deepEqual(run.stacks[1].tokens.map((token) => token.id), ref.decoder_input_ids, 'the decoder starts from <bos>');
      } finally {
        await engine.dispose();
      }
    });
  });
}

describe('one-graph encoder-decoders translate', () => {
  for (const name of ['torch-transformer', 'd2l-encoder-decoder']) {
    it(`${name}: greedy decoding equals PyTorch's, with the cross-attention of every generated token`, async () => {
      const ref = reference(name);
      const model = await loadModel(fixture(name));
      try {
        const result = await generate(model, ref.text, { maxNewTokens: 10, repetitionGuard: false });
        assert.deepEqual(result.tokens.map((token) => token.id), ref.generated_ids);
        assert.deepEqual(result.crossAttention!.dims, [2, 4, ref.generated_ids!.length, ref.input_ids.length]);
      } finally {
        await disposeModel(model);
      }
    });
  }
});

describe('no diagnosis on a correct model', () => {
  const flagged = new Set(CASES.filter((spec) => spec.diagnoses.length > 0).map((spec) => spec.name));
  const correct = readdirSync(FIXTURES).filter((name) => !flagged.has(name) && name !== 'not-a-transformer');
  it(`none for the ${correct.length} other fixtures and the bundled model`, async () => {
    assert.ok(correct.length >= 16, `${correct.length} fixtures`);
    for (const folder of [...correct.map(fixture), BUNDLED]) {
      const engine = new Engine();
      const info = await engine.load(folder);
      await engine.dispose();
      assert.deepEqual(info.diagnoses, [], folder);
    }
  });
});

describe('a model folder with a vocabulary instead of tokenizer.json', () => {
  /** A copy of a fixture whose tokenizer.json is replaced by the vocabulary it holds, one way or the other. */
  function withVocabulary(name: string, as: 'vocab.txt' | 'vocab.json'): string {
    const folder = mkdtempSync(path.join(tmpdir(), `ti-vocab-${name}-`));
    cpSync(fixture(name), folder, { recursive: true });
    const vocab = (JSON.parse(readFileSync(path.join(folder, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } }).model.vocab;
    rmSync(path.join(folder, 'tokenizer.json'));
    rmSync(path.join(folder, 'tokenizer_config.json'), { force: true });
    if (as === 'vocab.json') writeFileSync(path.join(folder, as), JSON.stringify(vocab));
    else {
      // One token a line, the line number its id (a gap in the ids becomes a placeholder line).
      const lines = Array.from({ length: Math.max(...Object.values(vocab)) + 1 }, (_, id) => `[unused${id}]`);
      for (const [token, id] of Object.entries(vocab)) lines[id] = token;
      writeFileSync(path.join(folder, as), `${lines.join('\n')}\n`);
    }
    return folder;
  }

  const cases = [
    { name: 'torch-transformer', file: 'vocab.txt', built: /built a word-level tokenizer \(whole words; others become <unk>\) from vocab\.txt \(122 tokens; lower-cased/ },
    { name: 'tutorial-encoder', file: 'vocab.json', built: /built a word-level tokenizer .* from vocab\.json/ },
    { name: 'bert-tiny', file: 'vocab.txt', built: /built a WordPiece tokenizer \(\[CLS\] … \[SEP\] around each text\) from vocab\.txt/ },
  ] as const;
  for (const { name, file, built } of cases) {
    it(`${name} with ${file}: says which tokenizer it built and reads the reference text to PyTorch's ids`, async () => {
      const ref = reference(name);
      const folder = withVocabulary(name, file);
      const engine = new Engine();
      try {
        await engine.load(folder);
        const inspection = await engine.inspect({ text: ref.text, target: ref.target });
        assert.match(inspection.notices.join('\n'), built);
        assert.deepEqual(inspection.stacks[0].tokens.map((token) => token.id), ref.input_ids);
      } finally {
        await engine.dispose();
        rmSync(folder, { recursive: true, force: true });
      }
    });
  }

  it('a vocabulary without a token for unknown words, and vocab.json with merges.txt, are refused with the reason', async () => {
    const folder = withVocabulary('tutorial-encoder', 'vocab.txt');
    try {
      writeFileSync(path.join(folder, 'vocab.txt'), 'the\ncat\nsat\n');
      await loadFails(folder, 'tokenizer', /vocab\.txt in .* has no token for unknown words/);
      rmSync(path.join(folder, 'vocab.txt'));
      writeFileSync(path.join(folder, 'vocab.json'), '{"the": 0}');
      writeFileSync(path.join(folder, 'merges.txt'), '#version: 0.2\n');
      await loadFails(folder, 'tokenizer', /vocab\.json and merges\.txt \(a byte-level BPE tokenizer\) but no tokenizer\.json/);
      rmSync(path.join(folder, 'vocab.json'));
      await loadFails(folder, 'tokenizer', /No tokenizer\.json in .*, and no vocab\.txt or vocab\.json/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
