// Download Model… as a user meets it in code-server, against a stand-in Hub on 127.0.0.1: the id typed
// into the input box, the progress notification, the model opened; the download listed by Open Model…;
// a gated model refused until an access token is given in the prompt that follows.

import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { FakeHub, repoFiles } from '../../unit/fakeHub';
import { repoRoot } from '../paths';
import { openExtensionWorkbench, type ExtensionWorkbench } from '../session';

const TOKEN = 'hf_ui_token_0123';
let session: ExtensionWorkbench;
let hub: FakeHub;
let cache: string;

before(async () => {
  const files = repoFiles(path.join(repoRoot, 'test', 'fixtures', 'models'), 'gpt2-tiny');
  hub = await FakeHub.start([
    { id: 'Xenova/gpt2-tiny', revisions: [{ names: ['main'], files }] },
    { id: 'acme/gated-tiny', revisions: [{ names: ['main'], files }], gatedToken: TOKEN },
  ]);
  cache = mkdtempSync(path.join(tmpdir(), 'ti-hub-ui-'));
  session = await openExtensionWorkbench('download', {
    settings: { 'transformerInspector.hub.endpoint': hub.endpoint, 'transformerInspector.hub.cacheFolder': cache },
  });
});
after(async () => {
  await session?.close();
  await hub?.close();
  rmSync(cache, { recursive: true, force: true });
});

/** Types into the input box titled `title` once it is there, and accepts. */
async function answerInputBox(title: string, text: string): Promise<void> {
  const page = session.workbench.page;
  const widget = page.locator('.quick-input-widget');
  await widget.locator('.quick-input-title', { hasText: title }).waitFor();
  await widget.locator('.quick-input-box input').fill(text);
  await page.keyboard.press('Enter');
}

test('Download Model… takes an id, shows the progress, then opens the model', async () => {
  const { workbench } = session;
  const page = workbench.page;
  hub.faults.set('onnx/model.onnx_data', { chunkDelayMs: 80 });
  await workbench.runCommand('Transformer Inspector: Download Model…');
  await answerInputBox('Download Model from the Hugging Face Hub', 'Xenova/gpt2-tiny');
  const toast = page.locator('.notification-toast', { hasText: 'Downloading Xenova/gpt2-tiny' });
  await toast.filter({ hasText: /\d+%\) · onnx\/model\.onnx_data/ }).waitFor({ timeout: 30_000 });
  await workbench.screenshot('progress');
  await page.locator('.statusbar-item', { hasText: 'gpt2-tiny · CPU' }).waitFor({ timeout: 60_000 });
  hub.faults.clear();
  assert.ok(existsSync(path.join(cache, 'models--Xenova--gpt2-tiny', 'snapshots', hub.commitOf('Xenova/gpt2-tiny', 'main'), 'onnx', 'model.onnx_data')));
});

test('Open Model… lists the downloaded model by its Hub id', async () => {
  const { workbench } = session;
  await workbench.runCommand('Transformer Inspector: Open Model…');
  const row = workbench.page.locator('.quick-input-list .monaco-list-row', { hasText: 'Xenova/gpt2-tiny' });
  await row.waitFor();
  assert.match((await row.textContent()) ?? '', /main · \d+ kB · downloaded \d{4}-\d\d-\d\d/);
  assert.equal(await workbench.page.locator('.quick-input-list .monaco-list-row', { hasText: 'Download from the Hugging Face Hub…' }).count(), 1);
  await workbench.screenshot('open-model-lists-download');
  await workbench.page.keyboard.press('Escape');
});

test('a gated model asks for the access token, then downloads with it', async () => {
  const { workbench } = session;
  const page = workbench.page;
  await workbench.runCommand('Transformer Inspector: Download Model…');
  await answerInputBox('Download Model from the Hugging Face Hub', 'acme/gated-tiny');
  const refusal = page.locator('.notification-toast', { hasText: 'acme/gated-tiny is a gated model: the Hub answered 401 without an access token' });
  await refusal.waitFor({ timeout: 30_000 });
  await workbench.screenshot('gated-refused');
  await refusal.locator('.monaco-button', { hasText: 'Set Access Token…' }).click();
  await answerInputBox('Hugging Face Access Token', TOKEN);
  await page.locator('.statusbar-item', { hasText: 'gated-tiny · CPU' }).waitFor({ timeout: 60_000 });
  const gated = hub.requests.filter((request) => request.path.startsWith('/acme/gated-tiny/resolve/'));
  assert.ok(gated.some((request) => request.authorization === `Bearer ${TOKEN}`));
  assert.ok(hub.requests.filter((request) => request.origin === 'cdn').every((request) => request.authorization === undefined));
});
