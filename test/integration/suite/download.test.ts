// Download Model… inside a real VS Code extension host, against a stand-in Hub on 127.0.0.1 (the one
// the unit tests use): the id is downloaded into the configured cache and opened like any model folder.

import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TransformerInspectorApi } from '../../../src/extension';
import type { ModelInfo } from '../../../src/protocol/inspection';
import { FakeHub, repoFiles } from '../../unit/fakeHub';

const EXTENSION_ID = 'transformer-inspector.transformer-inspector';

suite('Download Model… from the Hugging Face Hub', () => {
  let api: TransformerInspectorApi;
  let hub: FakeHub;
  let cache: string;
  let gpt2: Map<string, Buffer>;
  const settings = () => vscode.workspace.getConfiguration('transformerInspector');

  suiteSetup(async () => {
    const extension = vscode.extensions.getExtension<TransformerInspectorApi>(EXTENSION_ID)!;
    api = await extension.activate();
    gpt2 = repoFiles(path.join(extension.extensionPath, 'test', 'fixtures', 'models'), 'gpt2-tiny', { 'README.md': '# not needed\n' });
    hub = await FakeHub.start([{ id: 'Xenova/gpt2-tiny', revisions: [{ names: ['main'], files: gpt2 }] }]);
    cache = mkdtempSync(path.join(tmpdir(), 'ti-hub-ext-'));
    await settings().update('hub.endpoint', hub.endpoint, vscode.ConfigurationTarget.Global);
    await settings().update('hub.cacheFolder', cache, vscode.ConfigurationTarget.Global);
  });

  suiteTeardown(async () => {
    await settings().update('hub.endpoint', undefined, vscode.ConfigurationTarget.Global);
    await settings().update('hub.cacheFolder', undefined, vscode.ConfigurationTarget.Global);
    await hub?.close();
    rmSync(cache, { recursive: true, force: true });
  });

  test('downloads an id into the cache folder and opens it', async () => {
    const info = await vscode.commands.executeCommand<ModelInfo>('transformerInspector.downloadModel', 'Xenova/gpt2-tiny');
    assert.ok(info, 'the command returns the opened model');
    assert.equal(info.name, 'gpt2-tiny');
    assert.equal(info.family, 'decoder-only');
    assert.equal(api.models.current?.name, 'gpt2-tiny');
    const snapshot = path.join(cache, 'models--Xenova--gpt2-tiny', 'snapshots', hub.commitOf('Xenova/gpt2-tiny', 'main'));
    assert.equal(path.resolve(info.path), snapshot);
    assert.ok(readFileSync(path.join(snapshot, 'onnx', 'model.onnx_data')).equals(gpt2.get('onnx/model.onnx_data')!));
    assert.equal(hub.fileRequests('README.md', 'hub').length, 0);
    assert.ok(hub.requests.some((request) => request.path === '/api/models/Xenova/gpt2-tiny/revision/main'));
  });

  test('a terminal in VS Code points the CLI at the same cache (TI_CACHE)', async () => {
    const out = path.join(cache, 'ti-cache-seen.txt');
    const terminal = vscode.window.createTerminal({ name: 'ti-cache-check' });
    terminal.sendText(`echo "$TI_CACHE" > '${out}'; exit`);
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      try {
        const seen = readFileSync(out, 'utf8').trim();
        if (seen) {
          assert.equal(seen, cache);
          return;
        }
      } catch {
        /* not written yet */
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    terminal.dispose();
    assert.fail('the terminal never wrote TI_CACHE');
  });

  test('a second download of the same id fetches no file again', async () => {
    hub.requests.length = 0;
    const info = await vscode.commands.executeCommand<ModelInfo>('transformerInspector.downloadModel', 'Xenova/gpt2-tiny@main');
    assert.equal(info?.name, 'gpt2-tiny');
    assert.deepEqual(hub.requests.filter((request) => request.origin === 'cdn' || request.path.includes('/resolve/')), []);
  });
});
