// The command line as users run it (node dist/cli.js): the info summary, the inspection JSON
// and its documented schema, exit codes and messages for bad input.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { fixture, maxAbsDifference, reference, REPO_ROOT, rowSums } from './fixtures';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first.`);
const scratch = mkdtempSync(path.join(tmpdir(), 'ti-cli-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

type Nested = number | Nested[];
function shape(value: Nested): number[] {
  return Array.isArray(value) ? [value.length, ...shape(value[0])] : [];
}
function flat(value: Nested): number[] {
  return Array.isArray(value) ? value.flatMap(flat) : [value];
}

describe('transformer-inspector info', () => {
  it('prints the summary of an encoder-decoder model', () => {
    const { code, stdout } = cli('info', '--model', fixture('marian-tiny'));
    assert.equal(code, 0);
    assert.match(stdout, /Family: +encoder-decoder \(marian\)/);
    assert.match(stdout, /Layers: +3 encoder \+ 2 decoder/);
    assert.match(stdout, /Heads: +4/);
    assert.match(stdout, /Runs on: +CPU/);
    assert.match(stdout, /onnx\/decoder_model_merged\.onnx +decoder-merged, opset 14/);
    assert.match(stdout, /decoder\.cross +2 tensors/);
  });

  it('--json gives the same summary as JSON', () => {
    const { code, stdout } = cli('info', '--model', fixture('gpt2-tiny'), '--json');
    assert.equal(code, 0);
    const info = JSON.parse(stdout);
    assert.equal(info.family, 'decoder-only');
    assert.deepEqual(info.layers, { decoder: 2 });
    assert.equal(info.hiddenSize, 32);
    assert.equal(info.onnxFiles[0].externalDataBytes, 210_688);
    assert.ok(info.parameterCount > 0);
  });
});

describe('transformer-inspector inspect --json', () => {
  it('writes the documented schema for a single-stack model, values equal to PyTorch', () => {
    const out = path.join(scratch, 'bert.json');
    const ref = reference('bert-tiny');
    const { code, stdout } = cli('inspect', '--model', fixture('bert-tiny'), '--text', ref.text, '--json', out);
    assert.equal(code, 0, stdout);
    assert.match(stdout, new RegExp(`wrote ${out.replace(/[/.]/g, '\\$&')}`));
    const json = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(json.schemaVersion, 1);
    assert.equal(json.executionProvider, 'CPU');
    assert.deepEqual(json.tokens.map((token: { id: number }) => token.id), ref.input_ids);
    for (const token of json.tokens.filter((entry: { special: boolean }) => entry.special)) assert.equal(token.start, token.end);
    assert.equal(json.text.slice(json.tokens[1].start, json.tokens[1].end), 'Hello');
    assert.deepEqual(Object.keys(json.attention), ['self']);
    assert.deepEqual(shape(json.attention.self), [2, 4, 8, 8]);
    assert.ok(maxAbsDifference(flat(json.attention.self), ref.attention.self.data) < 1e-4);
    assert.deepEqual(shape(json.hiddenStates), [3, 8, 32]);
    assert.deepEqual(shape(json.embeddings), [8, 32]);
    assert.ok(json.timingsMs.total > 0);
  });

  it('groups attention by stack and kind for encoder-decoder models, with --target', () => {
    const out = path.join(scratch, 'marian.json');
    const { code } = cli('inspect', '--model', fixture('marian-tiny'), '--text', 'Hello world, 你好世界', '--target', 'Hello world', '--json', out);
    assert.equal(code, 0);
    const json = JSON.parse(readFileSync(out, 'utf8'));
    assert.deepEqual(Object.keys(json.attention), ['encoder.self', 'decoder.self', 'decoder.cross']);
    const sourceLength = json.tokens.length;
    const targetLength = json.targetTokens.length;
    assert.equal(json.targetTokens[0].special, true, 'the decoder starts with its start token');
    assert.deepEqual(shape(json.attention['decoder.cross']), [2, 4, targetLength, sourceLength]);
    assert.deepEqual(shape(json.hiddenStates.encoder), [4, sourceLength, 32]);
    assert.deepEqual(shape(json.hiddenStates.decoder), [3, targetLength, 32]);
    const cross = json.attention['decoder.cross'] as Nested;
    for (const sum of rowSums({ dims: shape(cross), data: Float32Array.from(flat(cross)) })) assert.ok(Math.abs(sum - 1) < 1e-4);
  });

  it('--pair inspects a sentence pair with token types 0 and 1, values equal to PyTorch', () => {
    const ref = reference('bert-tiny', 'reference_pair.json');
    const { code, stdout } = cli('inspect', '--model', fixture('bert-tiny'), '--text', ref.text, '--pair', ref.text_pair!, '--json', '-');
    assert.equal(code, 0);
    const json = JSON.parse(stdout);
    assert.deepEqual(json.tokens.map((token: { id: number }) => token.id), ref.input_ids);
    assert.equal(json.text, `${ref.text}\n${ref.text_pair}`);
    assert.ok(maxAbsDifference(flat(json.attention.self), ref.attention.self.data) < 1e-4);
  });

  it('without --target the decoder gets only its start token', () => {
    const { code, stdout } = cli('inspect', '--model', fixture('marian-tiny'), '--text', 'Hello', '--json', '-');
    assert.equal(code, 0);
    const json = JSON.parse(stdout);
    assert.equal(json.targetTokens.length, 1);
    assert.deepEqual(shape(json.attention['decoder.self']), [2, 4, 1, 1]);
  });
});

describe('transformer-inspector generate', () => {
  it('continues a prompt with a decoder-only model; --json gives the tokens PyTorch chose', () => {
    const ref = reference('gpt2-tiny-past');
    const { code, stdout } = cli('generate', '--model', fixture('gpt2-tiny-past'), '--max-new-tokens', '3', '--json', ref.text);
    assert.equal(code, 0);
    const json = JSON.parse(stdout);
    assert.equal(json.prompt, ref.text);
    assert.deepEqual(json.tokens.map((token: { id: number }) => token.id), ref.generated_ids!.slice(0, 3));
    assert.equal(json.finished, false);
  });

  it('translate refuses a decoder-only model; generate needs a prompt', () => {
    const refused = cli('translate', '--model', fixture('gpt2-tiny'), 'Hello');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /Translation needs an encoder-decoder model/);
    assert.equal(cli('generate', '--model', fixture('gpt2-tiny')).code, 2);
  });
});

describe('the CLI on bad input', () => {
  it('exits 1 with the engine’s message for a model that is not a Transformer', () => {
    const { code, stderr } = cli('info', '--model', fixture('not-a-transformer'));
    assert.equal(code, 1);
    assert.match(stderr, /does not look like a Transformer/);
    assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace for an expected error');
  });

  it('exits 2 with usage for a missing --text or a wrong flag', () => {
    assert.equal(cli('inspect', '--model', fixture('bert-tiny')).code, 2);
    const wrong = cli('inspect', '--modle', 'x');
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /Usage: transformer-inspector/);
  });

  it('exits 1 for empty text', () => {
    const { code, stderr } = cli('inspect', '--model', fixture('bert-tiny'), '--text', '  ');
    assert.equal(code, 1);
    assert.match(stderr, /the text is empty/);
  });
});

describe('the CLI on a learner’s own models (no config.json)', () => {
  it('inspect --target on nn.Transformer exported as one graph: an encoder-decoder, the decoder reading the target', () => {
    const ref = reference('torch-transformer');
    const out = path.join(scratch, 'torch-transformer.json');
    const { code, stdout } = cli('inspect', '--model', fixture('torch-transformer'), '--text', ref.text, '--target', ref.target!, '--json', out);
    assert.equal(code, 0, stdout);
    const json = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(json.model.family, 'encoder-decoder');
    assert.deepEqual(Object.keys(json.attention), ['encoder.self', 'decoder.self', 'decoder.cross']);
    assert.deepEqual(json.targetTokens.map((token: { id: number }) => token.id), ref.decoder_input_ids);
    assert.deepEqual(shape(json.attention['decoder.cross']), ref.attention['decoder.cross'].dims);
    assert.ok(maxAbsDifference(flat(json.attention['decoder.cross']), ref.attention['decoder.cross'].data) < 1e-4);
    const info = cli('info', '--model', fixture('torch-transformer'));
    assert.match(info.stdout, /Family: +encoder-decoder \(unknown\)/);
    assert.match(info.stdout, /Layers: +2 encoder \+ 2 decoder/);
    assert.match(info.stdout, /decoder\.cross +2 tensors/);
    const translated = cli('translate', '--model', fixture('torch-transformer'), ref.text);
    assert.equal(translated.code, 0, translated.stderr);
    assert.match(translated.stdout, /\S/);
  });

  it('info says what is wrong with a batch_first=False tutorial model, and how to fix it', () => {
    const { code, stdout } = cli('info', '--model', fixture('tutorial-encoder-seqfirst'));
    assert.equal(code, 0);
    assert.match(stdout, /Diagnoses:\n +The encoder's attention runs over an axis of length 1, not over its \d+ tokens, so every token attends only to itself\..*batch_first=True/);
  });
});

describe('inspect --qkv and --ablate', () => {
  it('--qkv writes each group\'s queries, keys and values equal to PyTorch, with its scale', () => {
    const ref = reference('marian-tiny') as ReturnType<typeof reference> & { qkv: Record<string, { queries: { dims: number[]; data: number[] }; keys: { dims: number[]; data: number[] }; scale: number }> };
    const out = path.join(scratch, 'marian-qkv.json');
    const { code, stdout } = cli('inspect', '--model', fixture('marian-tiny'), '--text', ref.text, '--target', '你好世界', '--qkv', '--json', out);
    assert.equal(code, 0, stdout);
    const json = JSON.parse(readFileSync(out, 'utf8'));
    assert.deepEqual(Object.keys(json.qkv), ['encoder.self', 'decoder.self', 'decoder.cross']);
    const encoder = json.qkv['encoder.self'];
    assert.deepEqual(shape(encoder.queries), ref.qkv['encoder.self'].queries.dims);
    assert.ok(maxAbsDifference(flat(encoder.keys), ref.qkv['encoder.self'].keys.data) < 1e-4);
    assert.ok(encoder.scale.every((scale: number) => Math.abs(scale - ref.qkv['encoder.self'].scale) < 1e-6));
    // cross-attention: queries over the decoder's tokens, keys over the encoder's
    assert.equal(shape(json.qkv['decoder.cross'].queries)[2], json.targetTokens.length);
    assert.equal(shape(json.qkv['decoder.cross'].keys)[2], json.tokens.length);
  });

  it('--ablate zeroes the head, says so, and changes the logits; a head that does not exist is named', () => {
    const text = 'Hello world, the model';
    const plainOut = path.join(scratch, 'gpt2-plain.json');
    const ablatedOut = path.join(scratch, 'gpt2-ablated.json');
    assert.equal(cli('inspect', '--model', fixture('gpt2-tiny'), '--text', text, '--json', plainOut).code, 0);
    const { code, stdout } = cli('inspect', '--model', fixture('gpt2-tiny'), '--text', text, '--ablate', '1:2,self:0:0', '--json', ablatedOut);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /Heads switched off: self 1:2, self 0:0\./);
    const plain = JSON.parse(readFileSync(plainOut, 'utf8'));
    const ablated = JSON.parse(readFileSync(ablatedOut, 'utf8'));
    assert.deepEqual(ablated.ablated, ['self:1:2', 'self:0:0']);
    assert.ok(flat(ablated.attention.self[1][2]).every((value) => value === 0), 'layer 1 head 2 is all zeros');
    assert.ok(maxAbsDifference(flat(ablated.logits), flat(plain.logits)) > 1e-3, 'the logits moved');
    const wrongLayer = cli('inspect', '--model', fixture('gpt2-tiny'), '--text', text, '--ablate', '5:0');
    assert.equal(wrongLayer.code, 1);
    assert.match(wrongLayer.stderr, /"5:0": self has layers 0–1\./);
    const wrongGroup = cli('inspect', '--model', fixture('marian-tiny'), '--text', text, '--ablate', '0:1');
    assert.equal(wrongGroup.code, 1);
    assert.match(wrongGroup.stderr, /GROUP one of encoder\.self, decoder\.self, decoder\.cross/);
  });

  it('translate --ablate decodes with the heads off', () => {
    const ref = reference('marian-tiny') as ReturnType<typeof reference> & { generated_ids_ablated: number[] };
    const { code, stdout, stderr } = cli('translate', '--model', fixture('marian-tiny'), '--json', '--beam', '1', '--no-guard', '--ablate', 'encoder.self:1:2,decoder.self:0:0,decoder.cross:1:3', ref.text);
    assert.equal(code, 0, stderr);
    const json = JSON.parse(stdout.trim().split('\n')[0]);
    // Exact greedy search: every token PyTorch's greedy search wrote with these heads off.
    const ids = json.tokens.map((token: { id: number }) => token.id);
    const common = Math.min(ids.length, ref.generated_ids_ablated.length);
    assert.ok(common >= Math.min(8, ref.generated_ids_ablated.length), `${ids.length} tokens`);
    assert.deepEqual(ids.slice(0, common), ref.generated_ids_ablated.slice(0, common));
  });
});
