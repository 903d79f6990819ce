// The visual check: every view of the panel, at panel widths 300, 500, 900 and 1600 px, in English
// and Chinese, in the light, dark and high-contrast themes: no two texts overlap, no text is cut by
// its container or the panel's edge, every token of a matrix up to 64 tokens is labelled, and nothing
// but an intended scroll area makes the panel scroll sideways. Screenshots: test-results/visual/.

import * as assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { bundledModelPath } from '../../src/engine/bundledModel';
import { inspect } from '../../src/engine/inspector';
import { disposeModel, loadModel } from '../../src/engine/loadedModel';
import type { Inspection } from '../../src/protocol/inspection';
import { bundledInspections, launch, REPO_ROOT, RESULTS, THEMES, WebviewHost } from './harness';
import { show, viewName, views } from './panelViews';

const WIDTHS = [300, 500, 900, 1600];
const LANGUAGES = ['en', 'zh-cn'] as const;
const THEME_NAMES = Object.keys(THEMES) as (keyof typeof THEMES)[];
const SHOTS = path.join(RESULTS, 'visual');
/** The sentence of the pictures users sent: 15–20 tokens, an encoder-decoder with no decoder text yet. */
const SENTENCE = 'The cat sat on the mat because it was tired.';

let browser: Browser;
let inspection: Inspection;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await launch();
  [inspection] = await bundledInspections({ text: SENTENCE, qkv: true, targetLanguage: 'zh' });
});
after(async () => {
  await browser?.close();
});

/**
 * What is wrong with the page as drawn now: visualCheck.js, read as text and run in the page (plain
 * JavaScript, so the test transpiler's helpers never reach the page).
 */
const PAGE_CHECK = readFileSync(path.join(__dirname, 'visualCheck.js'), 'utf8');

function problemsOnPage(page: Page): Promise<string[]> {
  return page.evaluate(PAGE_CHECK) as Promise<string[]>;
}

for (const language of LANGUAGES) {
  for (const theme of THEME_NAMES) {
    test(`every view at 300–1600 px, ${language}, ${theme} theme: no overlap, nothing cut, every token labelled, no sideways scroll`, async () => {
      const strings = language === 'en' ? undefined : (JSON.parse(readFileSync(path.join(REPO_ROOT, 'l10n', `webview.${language}.json`), 'utf8')) as Record<string, unknown>);
      const host = await WebviewHost.open(browser, `visual-${language}-${theme}`, { inspection, theme, width: WIDTHS.at(-1), height: 900, strings });
      const found: string[] = [];
      try {
        await host.ready;
        await host.showInspection(inspection, 'visual');
        await host.page.waitForSelector('#app[data-view]');
        const all = await views(host.page);
        assert.ok(all.length >= 12, `views found: ${all.map(viewName).join(', ')}`);
        for (const width of WIDTHS) {
          await host.page.setViewportSize({ width, height: 900 });
          for (const view of all) {
            const name = viewName(view);
            await show(host.page, view);
            await host.page.screenshot({ path: path.join(SHOTS, `${language}-${theme}-${width}-${name}.png`), fullPage: true });
            for (const problem of await problemsOnPage(host.page)) found.push(`${width} px ${name}: ${problem}`);
          }
        }
      } finally {
        await host.page.context().close();
      }
      assert.deepEqual(found, []);
    });
  }
}

test('a 60-token input: its heatmaps label every token at every width (English, dark)', async () => {
  const model = await loadModel(bundledModelPath()!);
  let long: Inspection;
  try {
    // Words added until the encoder reads 50–64 tokens, whichever tokenizer the bundled model has.
    const words = 'Open the file in a new window, save your changes before closing the document, and check the settings of the editor when the extension asks for a restart after the update, then reload every window that is still open and read the notes'.split(' ');
    let text = '';
    for (const word of words) {
      const next = text ? `${text} ${word}` : word;
      if (model.tokenizer.encode(next, { addSpecialTokens: true }).length > 62) break;
      text = next;
    }
    long = await inspect(model, { text, target: '在新窗口中打开文件，关闭文档前保存更改，并在扩展要求更新后重新启动时检查编辑器的设置。', targetLanguage: 'zh' });
  } finally {
    await disposeModel(model);
  }
  const tokens = long.stacks[0].tokens.length;
  assert.ok(tokens >= 45 && tokens <= 64, `${tokens} tokens`);
  const host = await WebviewHost.open(browser, 'visual-long', { inspection: long, theme: 'dark', width: 300 });
  const found: string[] = [];
  try {
    await host.ready;
    await host.showInspection(long, 'visual-long');
    await host.page.waitForSelector('#app[data-view]');
    for (const width of WIDTHS) {
      await host.page.setViewportSize({ width, height: 900 });
      for (let group = 0; group < 3; group++) {
        await show(host.page, { tab: 'attention', mode: 'heatmap', group });
        await host.page.screenshot({ path: path.join(SHOTS, `long-${width}-heatmap-g${group}.png`), fullPage: true });
        for (const problem of await problemsOnPage(host.page)) found.push(`${width} px group ${group}: ${problem}`);
      }
    }
  } finally {
    await host.page.context().close();
  }
  assert.deepEqual(found, []);
});
