// The panel's labels in Chinese and English, in the offline report as the CLI writes it (htmlReport with
// l10n/webview.zh-cn.json): fixed by --lang, or chosen from the reader's browser language when it is auto.

import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { htmlReport, reportStrings } from '../../src/report/htmlReport';
import type { Inspection } from '../../src/protocol/inspection';
import { launch, realInspection, RESULTS } from './harness';

let browser: Browser;
let inspection: Inspection;

before(async () => {
  browser = await launch();
  inspection = await realInspection('marian-tiny');
});
after(async () => {
  await browser?.close();
});

/** Writes the report for `lang` and opens it in a browser whose language is `locale`; returns what the page shows. */
async function show(name: string, lang: string, locale: string) {
  const file = path.join(RESULTS, 'pages', `${name}.html`);
  writeFileSync(file, htmlReport(inspection, undefined, reportStrings(lang)));
  const context = await browser.newContext({ locale, viewport: { width: 1100, height: 800 } });
  try {
    const page = await context.newPage();
    await page.goto(pathToFileURL(file).href);
    await page.locator('#app[data-view="model"]').waitFor({ timeout: 30_000 });
    const result = {
      lang: await page.evaluate(() => document.documentElement.lang),
      tabs: await page.locator('[role="tab"]').allTextContents(),
      title: ((await page.locator('.view .view-title').textContent()) ?? '').trim(),
      cell: await page.locator('rect.model-cell').first().getAttribute('aria-label'),
    };
    await page.screenshot({ path: path.join(RESULTS, `${name}.png`) });
    return result;
  } finally {
    await context.close();
  }
}

test('--lang zh-cn: Chinese labels whatever the browser language', async () => {
  const page = await show('report-zh-cn-fixed', 'zh-cn', 'en-US');
  assert.equal(page.lang, 'zh-cn');
  assert.deepEqual(page.tabs.slice(0, 5), ['注意力', '架构', '位置', '词元嵌入', '层激活']);
  assert.equal(page.title, 'encoder.self · 3 层 × 4 个头');
  assert.equal(page.cell, '第 1 层，头 1');
});

test('auto: a browser in Chinese gets the Chinese labels, one in English the English ones', async () => {
  const chinese = await show('report-auto-zh', 'auto', 'zh-CN');
  assert.equal(chinese.lang, 'zh-cn');
  assert.equal(chinese.title, 'encoder.self · 3 层 × 4 个头');
  const english = await show('report-auto-en', 'auto', 'en-US');
  assert.equal(english.lang, 'en');
  assert.deepEqual(english.tabs.slice(0, 5), ['Attention', 'Architecture', 'Positions', 'Token embeddings', 'Layer activations']);
  assert.equal(english.title, 'encoder.self · 3 layers × 4 heads');
  assert.equal(english.cell, 'Layer 1, head 1');
});

test('--lang en fixes English in a Chinese browser; an unknown language is refused by name', async () => {
  const page = await show('report-en-fixed', 'en', 'zh-CN');
  assert.equal(page.lang, 'en');
  assert.equal(page.tabs[0], 'Attention');
  assert.throws(() => reportStrings('fr'), /no report language "fr": use auto, en, zh-cn/);
});
