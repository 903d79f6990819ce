// Which files a model folder offers and which ones the engine picks; execution providers
// falling back to the CPU when they cannot start.

import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Engine } from '../../src/engine/engine';
import { readModelFolder } from '../../src/engine/modelFolder';
import { providerPreference } from '../../src/engine/sessionFactory';
import { fixture } from './fixtures';

let scratch: string;
before(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'ti-folder-'));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('model folders', () => {
  it('picks the weight variant the setting asks for, and says when it falls back', () => {
    const folder = path.join(scratch, 'variants');
    cpSync(fixture('bert-tiny'), folder, { recursive: true });
    copyFileSync(path.join(folder, 'onnx', 'model.onnx'), path.join(folder, 'onnx', 'model_quantized.onnx'));
    const quantized = readModelFolder(folder, 'quantized');
    assert.equal(path.basename(quantized.files.get('model')!), 'model_quantized.onnx');
    assert.equal(quantized.variant, 'quantized');
    const fp16 = readModelFolder(folder, 'fp16');
    assert.equal(path.basename(fp16.files.get('model')!), 'model.onnx');
    assert.equal(fp16.variant, 'fp32');
    assert.ok(fp16.notices.some((notice) => /No fp16 weights/.test(notice)));
  });

  it('reads the family from the files and config.json', () => {
    assert.equal(readModelFolder(fixture('bert-tiny')).family, 'encoder-only');
    assert.equal(readModelFolder(fixture('gpt2-tiny')).family, 'decoder-only');
    const merged = readModelFolder(fixture('marian-tiny'));
    assert.equal(merged.family, 'encoder-decoder');
    assert.deepEqual([...merged.files.keys()], ['encoder', 'decoder-merged']);
    assert.deepEqual([...readModelFolder(fixture('marian-tiny-split')).files.keys()], ['encoder', 'decoder', 'decoder-with-past']);
  });

  it('opens a single .onnx file beside its tokenizer.json, without config.json', async () => {
    const folder = path.join(scratch, 'single');
    cpSync(fixture('bert-tiny'), folder, { recursive: true });
    renameSync(path.join(folder, 'onnx', 'model.onnx'), path.join(folder, 'my-bert.onnx'));
    rmSync(path.join(folder, 'config.json'));
    const engine = new Engine();
    const info = await engine.load(path.join(folder, 'my-bert.onnx'));
    assert.equal(info.family, 'encoder-only');
    assert.deepEqual(info.layers, { encoder: 2 }, 'layers counted from the graph');
    assert.equal(info.heads, 4, 'heads measured from the attention output');
    assert.equal(info.hiddenSize, 32);
    const inspection = await engine.inspect({ text: 'hello world' });
    assert.ok(inspection.notices.some((notice) => /No config\.json/.test(notice)));
    await engine.dispose();
  });
});

describe('execution providers', () => {
  it('always ends the preference list with the CPU, without duplicates', () => {
    assert.deepEqual(providerPreference({ executionProviders: ['CUDA', 'cpu', 'cuda', 'webgpu'] }), ['cuda', 'webgpu', 'cpu']);
    assert.equal(providerPreference({}).at(-1), 'cpu');
  });

  it('falls back to the CPU when the preferred providers cannot start, and says why', async () => {
    const engine = new Engine();
    // Neither exists in onnxruntime-node for Linux, whatever GPU the machine has.
    const info = await engine.load(fixture('bert-tiny'), { executionProviders: ['coreml', 'no-such-provider'] });
    assert.equal(info.executionProvider, 'CPU');
    const names = info.providersTried.map((attempt) => attempt.name);
    assert.deepEqual(names, ['CoreML', 'no-such-provider', 'CPU']);
    assert.match(info.providersTried[1].error!, /not part of onnxruntime-node .* \(it has: cpu/);
    for (const attempt of info.providersTried.slice(0, 2)) assert.ok(attempt.error && attempt.error.length > 10, `${attempt.name}: ${attempt.error}`);
    assert.equal(info.providersTried[2].error, undefined);
    await engine.dispose();
  });
});
