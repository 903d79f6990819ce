// The Getting Started walkthrough as a new user meets it: opened from "Welcome: Open Walkthrough…", each
// of its four steps' buttons does what it says — inspect a sentence with the bundled model, show a hover
// translation of a comment, open the model picker. The screenshots are the README's.

import * as assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { bundledModelShape } from '../paths';
import { openExtensionWorkbench, type ExtensionWorkbench } from '../session';

const SIGNATURE = /Transformer Inspector/;
let session: ExtensionWorkbench;

before(async () => {
  session = await openExtensionWorkbench('walkthrough', { settings: { 'editor.hover.delay': 200 } });
});
after(async () => {
  await session?.close();
});

/** "Welcome: Open Walkthrough…", then ours from the list: the walkthrough editor comes to the front. */
async function openWalkthrough(): Promise<void> {
  const { workbench } = session;
  const page = workbench.page;
  await workbench.runCommand('Welcome: Open Walkthrough...', 60_000);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: 'Get Started with Transformer Inspector' });
  await row.first().waitFor({ timeout: 30_000 });
  await row.first().click();
  await page.locator('.getting-started-step .step-title').first().waitFor({ timeout: 30_000 });
}

/** Expands the walkthrough step titled `title` and clicks its button labelled `button`. */
async function clickStepButton(title: string, button: string): Promise<void> {
  const page = session.workbench.page;
  const step = page.locator('.getting-started-step', { has: page.locator('.step-title', { hasText: title }) });
  await step.first().waitFor({ timeout: 30_000 });
  if (!(await step.first().evaluate((element) => element.classList.contains('expanded')))) await step.first().click();
  const link = step.first().locator('.monaco-button', { hasText: button });
  await link.waitFor({ state: 'visible', timeout: 10_000 });
  await settle();
  await link.click();
}

/** Waits for the walkthrough to finish opening: a picker opened while it still settles was seen to close again as it took the focus. */
async function settle(): Promise<void> {
  const page = session.workbench.page;
  await page.waitForFunction(() => [...document.querySelectorAll('.getting-started-media img')].every((image) => (image as HTMLImageElement).complete), undefined, { timeout: 10_000 }).catch(() => undefined);
  await page.waitForTimeout(1_000);
}

test('"Welcome: Open Walkthrough…" lists the walkthrough, which opens on its four steps', async () => {
  const { workbench } = session;
  await openWalkthrough();
  const steps = workbench.page.locator('.getting-started-step .step-title');
  const titles = (await steps.allTextContents()).map((text) => text.trim());
  for (const title of ['Inspect a sentence with the bundled model', 'Hover-translate a comment', 'Choose which way hovers translate', 'Open your own model']) {
    assert.ok(titles.includes(title), `step "${title}" in ${JSON.stringify(titles)}`);
  }
  await workbench.screenshotRegion('walkthrough', [workbench.page.locator('.editor-group-container.active')], 0);
});

test('step 1, "Inspect a Sentence": the bundled model’s panel on the sample sentence', async () => {
  const { workbench } = session;
  await clickStepButton('Inspect a sentence with the bundled model', 'Inspect a Sentence');
  const frame = await workbench.webviewFrameLocator('Transformer Inspector', 60_000);
  await frame.locator('#app[data-view="model"]').waitFor({ timeout: 120_000 });
  assert.equal(await frame.locator('h1').textContent(), 'en-zh-transformer');
  const tokens = await frame.locator('.token-strip[data-stack="encoder"] .token').allTextContents();
  assert.match(tokens.join('').replace(/[\s␣▁]/g, ''), /Thecatsatonthematbecauseitwastired\./);
  const shape = bundledModelShape();
  assert.equal(await frame.locator('rect.model-cell').count(), shape.encoderLayers * shape.heads);
  const panelArea = workbench.page.locator('.editor-group-container', { has: workbench.tab('Transformer Inspector') });
  await workbench.screenshotRegion('panel-model-view', [panelArea], 0);
  // A head in the heatmap, for the README.
  await frame.locator('rect.model-cell[data-layer="1"][data-head="2"]').click();
  await frame.locator('#app[data-view="heatmap"]').waitFor({ timeout: 60_000 });
  await workbench.screenshotRegion('panel-heatmap', [panelArea], 0);
});

test('switching heads off in the bundled model’s model view: the translation changes beside the original; restoring brings it back', async () => {
  const { workbench } = session;
  const frame = await workbench.webviewFrameLocator('Transformer Inspector', 60_000);
  await frame.locator('button.tab[data-key="model"]').click();
  await frame.locator('#app[data-view="model"]').waitFor({ timeout: 60_000 });
  await frame.locator('.toolbar .group select').selectOption({ label: 'decoder.cross' });
  await frame.locator('button.switch-heads').click();
  // Cross-attention heads off one after another until the translation differs (the first one does today).
  let changed = false;
  let off = 0;
  for (let layer = 2; layer >= 0 && !changed; layer--) {
    for (let head = 0; head < 4 && !changed; head++) {
      await frame.locator(`rect.model-cell[data-layer="${layer}"][data-head="${head}"]`).click();
      off++;
      await frame.locator('.effect-title', { hasText: off === 1 ? /^1 head off/ : new RegExp(`^${off} heads off`) }).waitFor({ timeout: 60_000 });
      const [original, ablated] = await frame.locator('.effect-translation td').allTextContents();
      assert.ok(original.length > 0, 'the original translation is shown');
      changed = original !== ablated;
    }
  }
  assert.ok(changed, `the translation changed with ${off} cross-attention heads off`);
  const [original] = await frame.locator('.effect-translation td').allTextContents();
  assert.equal(await frame.locator('.effect-verdict').textContent(), 'The translation changed.');
  const panelArea = workbench.page.locator('.editor-group-container', { has: workbench.tab('Transformer Inspector') });
  await workbench.screenshotRegion('panel-heads-off', [panelArea], 0);
  await frame.locator('button.restore-heads').click();
  await frame.locator('.effect-restored').waitFor({ timeout: 30_000 });
  assert.equal(await frame.locator('rect.model-cell.off').count(), 0);
  assert.equal(await frame.locator('.effect-restored .effect-original').textContent(), original, 'the original translation again');
});

test('step 2, "Translate a Comment": the hover shows the Chinese comment in English with its alignment', async () => {
  const { workbench } = session;
  const page = workbench.page;
  await openWalkthrough();
  await clickStepButton('Hover-translate a comment', 'Translate a Comment');
  const text = await workbench.waitForHover(SIGNATURE);
  const translation = text.split('\n')[0];
  assert.match(translation, /\b(delete|deletes|selected|rows?|lines?)\b/i, `the English of 删除所选的行: ${text}`);
  assert.doesNotMatch(translation, /\p{Script=Han}/u);
  assert.match(text, /←/, 'the word alignment is shown');
  await page.waitForTimeout(500); // the hover fades in
  await workbench.screenshotRegion('hover-translation', [page.locator('.editor-group-container.active .margin-view-overlays .line-numbers').first(), workbench.visibleHover], 12);
});

test('"Choose which way hovers translate" → Both ways: an English comment now gets a Chinese hover', async () => {
  const { workbench } = session;
  const page = workbench.page;
  await page.keyboard.press('Escape');
  await openWalkthrough();
  await clickStepButton('Choose which way hovers translate', 'Choose Direction');
  const picker = page.locator('.quick-input-widget', { has: page.locator('.quick-input-title', { hasText: 'Which way should hovers translate?' }) });
  await picker.waitFor({ state: 'visible', timeout: 30_000 });
  assert.equal(await picker.locator('.quick-input-list .monaco-list-row').count(), 4);
  await picker.locator('.quick-input-list .monaco-list-row', { hasText: 'Both ways' }).click();
  // The sample's English comment (line 3), which an English UI leaves alone by default.
  await clickStepButton('Hover-translate a comment', 'Translate a Comment');
  await workbench.waitForHover(SIGNATURE);
  const text = await workbench.hoverAt(3, 8, { expect: /\p{Script=Han}/u, timeoutMs: 60_000 });
  assert.match(text.split('\n')[0], /\p{Script=Han}/u, `a Chinese translation of the English comment: ${text}`);
  await page.keyboard.press('Escape');
});

test('step 3, "Open Model…": the model picker opens', async () => {
  const { workbench } = session;
  const page = workbench.page;
  await page.keyboard.press('Escape');
  await openWalkthrough();
  const picker = page.locator('.quick-input-widget', { has: page.locator('.quick-input-title', { hasText: 'Open Model' }) });
  // As a user would: if the picker closed as the walkthrough took the focus back, click again.
  for (let attempt = 1; ; attempt++) {
    await clickStepButton('Open your own model', 'Open Model…');
    const shown = await picker.waitFor({ state: 'visible', timeout: 10_000 }).then(() => true, () => false);
    if (shown) break;
    if (attempt === 3) assert.fail('the Open Model picker did not stay open after 3 clicks');
  }
  assert.equal(await picker.locator('.quick-input-list .monaco-list-row', { hasText: 'Model folder…' }).count(), 1);
  await workbench.screenshotRegion('open-model', [picker]);
  await page.keyboard.press('Escape');
});
