// The Chinese user interface for real: code-server started with --locale zh-cn and a zh-cn language pack
// (test/integration/languagePack, VS Code's own strings untranslated), so VS Code itself resolves the display
// language and loads package.nls.zh-cn.json and l10n/bundle.l10n.zh-cn.json:
// the palette's titles, the panel's labels sent by the host, and a hover that translates English into Chinese.

import * as assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { registerLanguagePacks, zhCnLanguagePackVsix } from '../languagePack';
import { bundledModelShape } from '../paths';
import { openExtensionWorkbench, type ExtensionWorkbench } from '../session';

const SIGNATURE = /Transformer Inspector/;
let session: ExtensionWorkbench;

before(async () => {
  session = await openExtensionWorkbench('chinese', {
    locale: 'zh-cn',
    installExtensions: [zhCnLanguagePackVsix()],
    prepare: registerLanguagePacks,
    settings: { 'editor.hover.delay': 200 },
  });
});
after(async () => {
  await session?.close();
});

test('VS Code runs in zh-cn: the workbench’s language and the command titles from package.nls.zh-cn.json', async () => {
  const { workbench } = session;
  // Set by the messages file that code-server generates from the language pack for the window.
  assert.equal(await workbench.page.evaluate(() => (globalThis as { _VSCODE_NLS_LANGUAGE?: string })._VSCODE_NLS_LANGUAGE), 'zh-cn');
  await workbench.openFile('notes.md');
  await workbench.goToLine(3, 1);
  // An English title would not be found: the palette lists the extension's commands in Chinese.
  await workbench.runCommand('Transformer Inspector: 检查所选内容', 60_000);
});

test('the panel draws with the Chinese labels the host sends', async () => {
  const { workbench } = session;
  const frame = await workbench.webviewFrameLocator('Transformer Inspector', 60_000);
  await frame.locator('#app[data-view="model"]').waitFor({ timeout: 120_000 });
  assert.equal(await frame.locator('html').getAttribute('lang'), 'zh-cn');
  assert.deepEqual((await frame.locator('[role="tab"]').allTextContents()).slice(0, 6), ['注意力', '架构', '位置', '词元嵌入', '层激活', '下一个词元']);
  assert.equal(((await frame.locator('.view .view-title').textContent()) ?? '').trim(), `encoder.self · ${bundledModelShape().encoderLayers} 层 × ${bundledModelShape().heads} 个头`);
  assert.equal(await frame.locator('rect.model-cell').first().getAttribute('aria-label'), '第 1 层，头 1');
  await workbench.screenshotRegion('panel-model-view', [workbench.page.locator('.editor-group-container', { has: workbench.tab('Transformer Inspector') })], 0);
});

test('"翻译示例注释" hovers the English comment of its sample: a Chinese translation, with the links in Chinese', async () => {
  const { workbench } = session;
  const page = workbench.page;
  // translation.targetLanguage is auto: Chinese because VS Code runs in Chinese, so the English comment is the one translated.
  await workbench.runCommand('Transformer Inspector: 翻译示例注释', 60_000);
  const text = await workbench.waitForHover(SIGNATURE);
  assert.match(text.split('\n')[0], /\p{Script=Han}/u, `a Chinese translation: ${text}`);
  assert.match(text, /←/, 'the word alignment is shown');
  assert.match(text, /显示注意力/);
  assert.match(text, /替换为译文/);
  assert.match(text, /复制/);
  assert.match(text, /中文 · \d+ ms · Transformer Inspector/);
  await page.waitForTimeout(500); // the hover fades in
  await workbench.screenshotRegion('hover', [page.locator('.editor-group-container.active .margin-view-overlays .line-numbers').first(), workbench.visibleHover], 12);
});
