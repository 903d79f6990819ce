// The darwin-x64 VSIX carries onnxruntime-node 1.23.2 (the last release with macOS x64 binaries), the others 1.30.0.
// No Intel Mac exists here, so its engine runs on this machine with one stand-in, named as such: 1.23.2's own
// linux-x64 binary beside the shipped macOS one. Everything else is the VSIX's: bundles, onnxruntime JavaScript, model.
// It must inspect and translate as the linux-x64 VSIX does.

import * as assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { ortPackages, vsixPath } from '../../../scripts/package';
import { ZipReader } from '../../../scripts/zipReader';
import { EngineClient } from '../../../src/engine/client';
import type { Tensor, Translation } from '../../../src/protocol/inspection';
import type { InspectionSummary } from '../../../src/protocol/panelData';
import { bundledModelShape, makeTempDir, removeTempDir, repoRoot } from '../paths';

const version = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
const TEXT = 'A Transformer encoder reads the whole sentence at once.';
const TARGET = 'Transformer 编码器一次读完整个句子。';
const SENTENCES = ['Open the file and save your changes.', '请输入文件名。'];

interface Unpacked {
  readonly client: EngineClient;
  readonly logs: string[];
  readonly model: string;
}

let scratch: string;
const unpacked: Record<string, Unpacked> = {};

function unpack(target: string): string {
  const dir = path.join(scratch, target);
  const zip = ZipReader.open(vsixPath(target, version));
  try {
    for (const entry of zip.entries.filter((item) => item.name.startsWith('extension/') && !item.name.endsWith('/'))) {
      const file = path.join(dir, entry.name.slice('extension/'.length));
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, zip.read(entry.name));
    }
  } finally {
    zip.close();
  }
  return dir;
}

function engineOf(dir: string): Unpacked {
  const logs: string[] = [];
  const client = new EngineClient({ enginePath: path.join(dir, 'dist', 'engineProcess.js'), onLog: (_level, message) => logs.push(message) });
  return { client, logs, model: path.join(dir, 'models', 'en-zh-transformer') };
}

before(() => {
  scratch = makeTempDir('ti-darwin-x64-');
  const darwin = unpack('darwin-x64');
  // The stand-in: the same release's linux-x64 binary, from the package the darwin-x64 VSIX was built from.
  const linuxBinaries = path.join(ortPackages('darwin-x64').node, 'bin', 'napi-v6', 'linux', 'x64');
  cpSync(linuxBinaries, path.join(darwin, 'dist', 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', 'linux', 'x64'), { recursive: true });
  unpacked['darwin-x64'] = engineOf(darwin);
  unpacked['linux-x64'] = engineOf(unpack('linux-x64'));
});
after(() => {
  for (const { client } of Object.values(unpacked)) client.dispose();
  if (scratch) removeTempDir(scratch);
});

async function loadAndInspect(target: string): Promise<{ summary: InspectionSummary; attention: Map<string, Tensor>; translations: Translation[] }> {
  const { client, model } = unpacked[target];
  await client.call('load', { model });
  const summary = await client.call('inspect', { text: TEXT, target: TARGET });
  const attention = new Map<string, Tensor>();
  for (const group of summary.groups) {
    for (let layer = 0; layer < group.layers; layer++) {
      attention.set(`${group.key}.${layer}`, (await client.call('panelQuestion', { method: 'attentionLayer', params: { id: summary.id, group: group.key, layer } })) as Tensor);
    }
  }
  const translations = [];
  for (const text of SENTENCES) translations.push(await client.call('translate', { text, targetLanguage: 'auto' }));
  return { summary, attention, translations };
}

test('the darwin-x64 VSIX engine runs on onnxruntime 1.23.2 and equals the linux-x64 VSIX on 1.30.0', async () => {
  const ours = await loadAndInspect('darwin-x64');
  const reference = await loadAndInspect('linux-x64');
  assert.match(unpacked['darwin-x64'].logs.join('\n'), /Loaded en-zh-transformer \(encoder-decoder\) on CPU \(onnxruntime 1\.23\.2\)/);
  assert.match(unpacked['linux-x64'].logs.join('\n'), /Loaded en-zh-transformer \(encoder-decoder\) on CPU \(onnxruntime 1\.30\.0\)/);

  assert.deepEqual(ours.summary.stacks.map((stack) => stack.tokens.map((token) => token.text)), reference.summary.stacks.map((stack) => stack.tokens.map((token) => token.text)));
  assert.deepEqual([...ours.attention.keys()], [...reference.attention.keys()]);
  // Encoder self per encoder layer, decoder self and cross attention per decoder layer (config.json).
  const shape = bundledModelShape();
  assert.equal(ours.attention.size, shape.encoderLayers + 2 * shape.decoderLayers);
  for (const [key, tensor] of ours.attention) {
    const expected = reference.attention.get(key)!;
    assert.deepEqual(tensor.dims, expected.dims, key);
    let largest = 0;
    for (let i = 0; i < tensor.data.length; i++) largest = Math.max(largest, Math.abs(tensor.data[i] - expected.data[i]));
    assert.ok(largest < 1e-5, `${key}: attention differs by ${largest}`);
  }
  for (const [index, translation] of ours.translations.entries()) {
    const expected = reference.translations[index];
    assert.equal(translation.text, expected.text, SENTENCES[index]);
    assert.ok(translation.text.length > 0, SENTENCES[index]);
    assert.ok(Math.abs(translation.score - expected.score) < 1e-3, `${SENTENCES[index]}: score ${translation.score} vs ${expected.score}`);
  }
  console.log(`# darwin-x64 engine on onnxruntime 1.23.2: ${ours.translations.map((translation) => translation.text).join(' | ')}`);
});
