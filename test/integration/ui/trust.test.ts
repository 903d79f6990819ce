// Workspace trust, as a user meets it in code-server with trust on: the folder opens in Restricted
// Mode; a model inside it (found by Open Model… in the workspace) is loaded only after the user
// confirms; the bundled model needs no confirmation and the hover translation works as ever.

import * as assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { repoRoot } from '../paths';
import { openExtensionWorkbench, type ExtensionWorkbench } from '../session';

let session: ExtensionWorkbench;
let model: string;

before(async () => {
  // Restricted Mode without the startup prompt: what "Don't Trust" leaves a user in.
  session = await openExtensionWorkbench('trust', { workspaceTrust: true, settings: { 'security.workspace.trust.startupPrompt': 'never', 'editor.hover.delay': 200 } });
  model = path.join(session.workspace, 'models', 'marian-tiny');
  cpSync(path.join(repoRoot, 'test', 'fixtures', 'models', 'marian-tiny'), model, { recursive: true });
});
after(async () => {
  await session?.close();
});

async function openModelFolder(folder: string): Promise<void> {
  const { workbench } = session;
  const page = workbench.page;
  await workbench.runCommand('Transformer Inspector: Open Model…');
  const quickInput = page.locator('.quick-input-widget');
  await quickInput.locator('.quick-input-list .monaco-list-row', { hasText: 'Model folder…' }).click();
  await workbench.answerPathDialog('Choose a model folder', `${folder}/`, 'Open Model');
}

test('the window is in Restricted Mode', async () => {
  await session.workbench.page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).waitFor({ timeout: 30_000 });
});

test('a model inside the untrusted workspace asks first; declining leaves no model open', async () => {
  const page = session.workbench.page;
  await openModelFolder(model);
  const dialog = page.locator('.monaco-dialog-box', { hasText: 'This workspace is not trusted, and the model is inside it' });
  await dialog.waitFor({ timeout: 30_000 });
  assert.match((await dialog.textContent()) ?? '', /marian-tiny/, 'the dialog names the folder');
  await session.workbench.screenshot('untrusted-model-dialog');
  await dialog.locator('.monaco-button', { hasText: 'Cancel' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await page.locator('.statusbar-item', { hasText: 'No model' }).waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('.statusbar-item', { hasText: 'marian-tiny' }).count(), 0, 'nothing was loaded');
});

test('Open Model… lists the model folder found in the workspace; confirming loads it', async () => {
  const { workbench } = session;
  const page = workbench.page;
  await workbench.runCommand('Transformer Inspector: Open Model…');
  const found = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'model folder in the workspace' });
  await found.waitFor({ timeout: 20_000 });
  assert.match((await found.textContent()) ?? '', /marian-tiny.*models\/marian-tiny/);
  await found.click();
  const dialog = page.locator('.monaco-dialog-box', { hasText: 'This workspace is not trusted' });
  await dialog.locator('.monaco-button', { hasText: 'Load Model' }).click();
  await page.locator('.statusbar-item', { hasText: 'marian-tiny · CPU' }).waitFor({ timeout: 60_000 });
});

test('the bundled model needs no confirmation: hover translation works in Restricted Mode', async () => {
  const { workbench } = session;
  await workbench.openFile('sample.ts');
  // Every hover of ours ends with its signature line; the translation is the first line.
  const text = await workbench.hoverAt(2, 8, { expect: /Transformer Inspector/, timeoutMs: 90_000 });
  assert.match(text.split('\n')[0], /[A-Za-z]{2,}/, `an English translation: ${text}`);
  assert.equal(await workbench.page.locator('.monaco-dialog-box').count(), 0, 'no trust question for the bundled model');
});
