// Bad models and bad input: each gets a specific EngineError code and message, and the engine
// keeps working for the next request.

import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { onnx } from 'onnx-proto';
import { Engine } from '../../src/engine/engine';
import { EngineError } from '../../src/engine/engineError';
import { fixture, loadFails } from './fixtures';

let scratch: string;
before(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'ti-errors-'));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A copy of a fixture model that a test may break. */
function copyOf(name: string, as: string): string {
  const target = path.join(scratch, as);
  cpSync(fixture(name), target, { recursive: true });
  return target;
}

describe('broken model folders', () => {
  it('a path that does not exist', () => loadFails(path.join(scratch, 'nowhere'), 'model-not-found', /does not exist/));

  it('a folder without ONNX files', async () => {
    const folder = copyOf('bert-tiny', 'no-onnx');
    rmSync(path.join(folder, 'onnx'), { recursive: true });
    await loadFails(folder, 'no-onnx', /No ONNX file.*onnx\/model\.onnx/);
  });

  it('a missing tokenizer.json', async () => {
    const folder = copyOf('bert-tiny', 'no-tokenizer');
    rmSync(path.join(folder, 'tokenizer.json'));
    await loadFails(folder, 'tokenizer', /No tokenizer\.json/);
  });

  it('a tokenizer.json that is not JSON', async () => {
    const folder = copyOf('bert-tiny', 'garbled-tokenizer');
    writeFileSync(path.join(folder, 'tokenizer.json'), '{"model": {"type": "WordPiece", "vocab"');
    await loadFails(folder, 'tokenizer', /tokenizer\.json .* not valid JSON/);
  });

  it('a tokenizer.json of the wrong shape', async () => {
    const folder = copyOf('bert-tiny', 'wrong-tokenizer');
    writeFileSync(path.join(folder, 'tokenizer.json'), JSON.stringify({ model: { type: 'NoSuchModel' } }));
    await loadFails(folder, 'tokenizer', /tokenizer\.json could not be loaded/);
  });

  it('a config.json that is not JSON', async () => {
    const folder = copyOf('bert-tiny', 'garbled-config');
    writeFileSync(path.join(folder, 'config.json'), 'not json');
    await loadFails(folder, 'config', /config\.json .* not valid JSON/);
  });

  it('an empty ONNX file', async () => {
    const folder = copyOf('bert-tiny', 'empty-onnx');
    writeFileSync(path.join(folder, 'onnx', 'model.onnx'), '');
    await loadFails(folder, 'onnx-invalid', /empty/);
  });

  it('a truncated ONNX file', async () => {
    const folder = copyOf('bert-tiny', 'truncated-onnx');
    const file = path.join(folder, 'onnx', 'model.onnx');
    writeFileSync(file, readFileSync(file).subarray(0, 20_000));
    await loadFails(folder, 'onnx-invalid', /not a readable ONNX model|truncated/);
  });

  it('a file that is not ONNX at all', async () => {
    const folder = copyOf('bert-tiny', 'text-as-onnx');
    writeFileSync(path.join(folder, 'onnx', 'model.onnx'), 'this is a text file, not a model\n'.repeat(50));
    await loadFails(folder, 'onnx-invalid', /not/);
  });

  it('a valid ONNX model that is not a Transformer', () => loadFails(fixture('not-a-transformer'), 'not-transformer', /does not look like a Transformer/));

  it('external data that points outside the model folder is refused before onnxruntime sees it', async () => {
    const folder = copyOf('gpt2-tiny', 'escaping-external-data');
    const file = path.join(folder, 'onnx', 'model.onnx');
    const model = onnx.ModelProto.decode(readFileSync(file));
    for (const tensor of model.graph!.initializer!) {
      for (const entry of tensor.externalData ?? []) if (entry.key === 'location') entry.value = '../../../../etc/passwd';
    }
    writeFileSync(file, onnx.ModelProto.encode(model).finish());
    await loadFails(folder, 'unsafe-model', /outside the model folder/);
  });

  it('missing external data is named', async () => {
    const folder = copyOf('gpt2-tiny', 'missing-external-data');
    rmSync(path.join(folder, 'onnx', 'model.onnx_data'));
    await loadFails(folder, 'onnx-invalid', /model\.onnx_data.*missing/);
  });
});

describe('fused attention that cannot be opened up is reported, not guessed', () => {
  it('loads, says attention is not observable and why, and still returns embeddings', async () => {
    // qkv_hidden_sizes (allowed by onnxruntime, equal here) is a form the engine does not open up.
    const folder = copyOf('fused-attention', 'fused-kept');
    const file = path.join(folder, 'onnx', 'model.onnx');
    const model = onnx.ModelProto.decode(readFileSync(file));
    const attention = model.graph!.node!.find((node) => node.opType === 'Attention')!;
    attention.attribute!.push(onnx.AttributeProto.create({ name: 'qkv_hidden_sizes', type: onnx.AttributeProto.AttributeType.INTS, ints: [32, 32, 32] }));
    writeFileSync(file, onnx.ModelProto.encode(model).finish());
    const engine = new Engine();
    const info = await engine.load(folder);
    assert.equal(info.observable.some((group) => group.name === 'self'), false);
    const entry = info.unobservable.find((item) => item.what === 'attention probabilities');
    assert.ok(entry);
    assert.match(entry.why, /com\.microsoft\.Attention/);
    assert.match(entry.why, /Not opened up: com\.microsoft\.Attention: qkv_hidden_sizes \(Q, K, V widths of their own\) is not supported\./);
    assert.match(info.unobservable.find((item) => item.what === 'hidden states')?.why ?? '', /fused attention kernels never produce/);
    const inspection = await engine.inspect({ text: 'hello world' });
    assert.equal(inspection.attention.length, 0);
    assert.ok(inspection.notices.some((notice) => /Not observable: attention probabilities/.test(notice)));
    assert.equal(inspection.stacks[0].embeddings?.dims[0], inspection.stacks[0].tokens.length);
    assert.equal(inspection.stacks[0].hiddenStates, undefined);
    await engine.dispose();
  });
});

describe('bad input', () => {
  const engine = new Engine();
  before(() => engine.load(fixture('bert-tiny')).then(() => undefined));
  after(() => engine.dispose());

  it('empty and whitespace-only text are refused plainly', async () => {
    for (const text of ['', '   \n\t']) {
      await assert.rejects(engine.inspect({ text }), (error: EngineError) => error.code === 'input' && /empty/.test(error.message));
    }
  });

  it('text longer than the model’s 64 positions is truncated with a notice', async () => {
    const text = Array.from({ length: 200 }, (_, i) => (i % 2 ? 'world' : 'hello')).join(' ');
    const inspection = await engine.inspect({ text });
    const tokens = inspection.stacks[0].tokens;
    assert.equal(tokens.length, 64);
    assert.equal(tokens[0].special, true);
    assert.equal(tokens.at(-1)!.special, true, 'the closing special token is kept');
    assert.ok(inspection.text.length < text.length && text.startsWith(inspection.text));
    assert.ok(inspection.notices.some((notice) => /truncated to 64 tokens/.test(notice)), inspection.notices.join('\n'));
    assert.deepEqual(inspection.attention[0].tensor.dims, [2, 4, 64, 64]);
  });

  it('a smaller --max-tokens cap applies too', async () => {
    const inspection = await engine.inspect({ text: 'hello world hello world hello world', maxTokens: 4 });
    assert.equal(inspection.stacks[0].tokens.length, 4);
  });

  it('after all of the above the engine still inspects normally', async () => {
    const inspection = await engine.inspect({ text: 'hello world' });
    assert.deepEqual(inspection.stacks[0].tokens.map((token) => token.text), ['[CLS]', 'hello', 'world', '[SEP]']);
  });
});
