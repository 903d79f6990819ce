// A learner's own models in code-server driven by Chromium: nn.Transformer exported as one graph,
// inspected with a decoder text of the user's, its alignment view of decoder tokens against encoder
// tokens; then a batch_first=False tutorial model, whose diagnosis the panel shows.

import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { repoRoot } from '../paths';
import { openExtensionWorkbench, type ExtensionWorkbench } from '../session';

const FIXTURES = path.join(repoRoot, 'test', 'fixtures', 'models');
const reference = (name: string) => JSON.parse(readFileSync(path.join(FIXTURES, name, 'reference.json'), 'utf8')) as { text: string; target: string };
const TRANSFORMER = reference('torch-transformer');
let session: ExtensionWorkbench;

before(async () => {
  session = await openExtensionWorkbench('learner', { settings: { 'transformerInspector.model': path.join(FIXTURES, 'torch-transformer') } });
  writeFileSync(path.join(session.workspace, 'learner.txt'), `${TRANSFORMER.text}\n`);
});
after(async () => {
  await session?.close();
});

test('nn.Transformer in one graph: Inspect Selection with Decoder Text… shows the decoder tokens against the encoder tokens', async () => {
  const { workbench } = session;
  const page = workbench.page;
  await workbench.openFile('learner.txt');
  await workbench.goToLine(1, 1);
  await workbench.runCommand('Transformer Inspector: Inspect Selection with Decoder Text…');
  const quickInput = page.locator('.quick-input-widget');
  await quickInput.locator('.quick-input-title', { hasText: 'Decoder text for torch-transformer' }).waitFor({ timeout: 90_000 });
  await quickInput.locator('input').fill(TRANSFORMER.target);
  await page.keyboard.press('Enter');
  const frame = await workbench.webviewFrameLocator('Transformer Inspector');
  await frame.locator('#app[data-view="model"]').waitFor({ timeout: 60_000 });
  assert.equal(await frame.locator('h1').textContent(), 'torch-transformer');
  await frame.locator('button.tab[data-key="alignment"]').click();
  await frame.locator('#app[data-view="alignment"]').waitFor({ timeout: 30_000 });
  const rows = await frame.locator('text.row-label').allTextContents();
  const columns = await frame.locator('text.col-label').allTextContents();
  assert.deepEqual(rows, ['<bos>', 'The', 'dog', 'ran', 'in', 'the', 'park', '.'], 'one row per decoder token');
  assert.deepEqual(columns, ['Hello', 'world', ',', 'the', 'cat', 'sat', 'on', 'the', 'mat', '.'], 'one column per encoder token');
  await workbench.screenshot('one-graph-alignment');
});

test('a batch_first=False tutorial model: the panel says every token attends only to itself, and how to fix it', async () => {
  const { workbench } = session;
  const page = workbench.page;
  await workbench.runCommand('Transformer Inspector: Open Model…');
  const quickInput = page.locator('.quick-input-widget');
  await quickInput.locator('.quick-input-list .monaco-list-row', { hasText: 'Model folder…' }).click();
  await workbench.answerPathDialog('Choose a model folder', `${path.join(FIXTURES, 'tutorial-encoder-seqfirst')}/`, 'Open Model');
  await page.locator('.statusbar-item', { hasText: 'tutorial-encoder-seqfirst · CPU' }).waitFor({ timeout: 60_000 });
  await workbench.activateTab('learner.txt');
  await workbench.goToLine(1, 1);
  await workbench.runCommand('Transformer Inspector: Inspect Selection');
  const frame = await workbench.webviewFrameLocator('Transformer Inspector');
  await frame.locator('h1', { hasText: 'tutorial-encoder-seqfirst' }).waitFor({ timeout: 60_000 });
  const notice = frame.locator('.notices .notice', { hasText: 'Diagnosis:' });
  await notice.waitFor({ timeout: 30_000 });
  assert.match((await notice.textContent()) ?? '', /The encoder's attention runs over an axis of length 1, not over its 10 tokens, so every token attends only to itself\..*batch_first=True/);
  await workbench.screenshot('seqfirst-diagnosis');
});
