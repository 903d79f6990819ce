// Theme and export: the colour lookup table follows the --vscode-* variables when the theme
// changes (report classes, VS Code's way), and every view exports valid PNG, SVG, JSON and CSV.

import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { answerPanelQuestion } from '../../src/analysis/inspectionSummary';
import type { Inspection } from '../../src/protocol/inspection';
import { tokenLabel } from '../../webview/tokenInfo';
import { download, encode, expectCells, launch, legendLut, matrixCells, maxOf, openReport, realInspection, RESULTS, screenshot, waitForView, type PageProblems } from './harness';

let browser: Browser;
let inspection: Inspection;
let page: Page;
let problems: PageProblems;
before(async () => {
  browser = await launch();
  inspection = await realInspection('bert-tiny');
  ({ page, problems } = await openReport(browser, 'theme-export', encode(inspection)));
  await page.locator('button.tab[data-key="heatmap"]').click();
  await waitForView(page, 'heatmap');
});
after(async () => {
  assert.deepEqual(problems.violations, [], 'no CSP violations');
  assert.deepEqual(problems.errors, [], 'no page errors');
  await browser?.close();
});

const hex = (value: string) => [1, 3, 5].map((i) => parseInt(value.trim().slice(i, i + 2), 16));
const variable = (page: Page, name: string) => page.evaluate((name) => getComputedStyle(document.body).getPropertyValue(`--vscode-${name}`), name);

describe('theme', () => {
  it('the LUT runs from the editor background to the foreground and every cell is recoloured on a theme change', async () => {
    const head = answerPanelQuestion(inspection, 'attentionHead', { id: 'x', group: 'self', layer: 0, head: 0 });
    const n = head.dims[0];
    const all = Array.from({ length: n }, (_, i) => i);
    const seen: number[][][] = [];
    for (const theme of ['', 'vscode-dark', 'vscode-high-contrast', 'vscode-light']) {
      await page.evaluate((theme) => {
        document.body.classList.remove('vscode-dark', 'vscode-light', 'vscode-high-contrast');
        if (theme) document.body.classList.add(theme);
      }, theme);
      const background = hex(await variable(page, 'editor-background'));
      await page.waitForFunction((bg) => {
        const ramp = document.querySelector<HTMLCanvasElement>('.legend-ramp')!;
        const pixel = ramp.getContext('2d')!.getImageData(0, 1, 1, 1).data;
        return pixel[0] === bg[0] && pixel[1] === bg[1] && pixel[2] === bg[2];
      }, background);
      const lut = await legendLut(page);
      assert.deepEqual(lut[0].slice(0, 3), background, `${theme || 'report default'}: LUT starts at the editor background`);
      assert.deepEqual(lut[255].slice(0, 3), hex(await variable(page, 'foreground')), 'and ends at the foreground');
      const cells = await matrixCells(page);
      assert.deepEqual(expectCells(cells, lut, head.data, n, all, all, maxOf(head.data)), [], theme);
      seen.push(cells.flat());
      await screenshot(page, `theme-${theme || 'report-default'}`);
    }
    assert.notDeepEqual(seen[0], seen[1], 'light → dark recolours');
    assert.notDeepEqual(seen[1], seen[2], 'dark → high contrast recolours');
    assert.deepEqual(seen[3], seen[0], 'back to light, same colours');
  });

  it('the reader’s dark system theme is followed by the report', async () => {
    await page.evaluate(() => document.body.classList.remove('vscode-dark', 'vscode-light', 'vscode-high-contrast'));
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForFunction(() => document.querySelector<HTMLCanvasElement>('.legend-ramp')!.getContext('2d')!.getImageData(0, 1, 1, 1).data[0] === 0x1f);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.waitForFunction(() => document.querySelector<HTMLCanvasElement>('.legend-ramp')!.getContext('2d')!.getImageData(0, 1, 1, 1).data[0] === 0xff);
  });
});

function pngSize(bytes: Buffer): { width: number; height: number } {
  assert.deepEqual([...bytes.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], 'PNG signature');
  assert.equal(bytes.subarray(12, 16).toString('latin1'), 'IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe('export', () => {
  it('heatmap: PNG with the cell colours, SVG with the tokens, JSON and CSV with the weights', async () => {
    await page.locator('.toolbar .layer select').selectOption({ value: '1' });
    await page.locator('.toolbar .head select').selectOption({ value: '2' });
    await page.waitForFunction(() => /Layer 2, head 3/.test(document.querySelector('.view .view-title')?.textContent ?? ''));
    const head = answerPanelQuestion(inspection, 'attentionHead', { id: 'x', group: 'self', layer: 1, head: 2 });
    const n = head.dims[0];
    const labels = inspection.stacks[0].tokens.map(tokenLabel);

    const png = await download(page, 'png');
    assert.equal(png.name, 'attention-self-L2-H3.png');
    writeFileSync(path.join(RESULTS, 'export-heatmap.png'), png.bytes);
    const size = pngSize(png.bytes);
    const layout = await page.evaluate(() => {
      const figure = document.querySelector('.view .figure')!.getBoundingClientRect();
      const canvas = document.querySelector('.matrix-canvas')!;
      const box = canvas.getBoundingClientRect();
      return { width: figure.width, x: box.left - figure.left, y: box.top - figure.top, cell: Number((canvas as HTMLElement).dataset.cell) };
    });
    assert.equal(size.width, Math.round(Math.ceil(layout.width) * 2), 'drawn at twice the size on screen');
    // Decode the PNG in the page and read cell centres back: same colours as the LUT gives.
    const lut = await legendLut(page);
    const sampled = await page.evaluate(
      async ({ base64, layout, n }) => {
        // An <img> may load data: URLs under the report's CSP (img-src data:); fetch() may not.
        const bitmap = new Image();
        bitmap.src = `data:image/png;base64,${base64}`;
        await bitmap.decode();
        const canvas = new OffscreenCanvas(bitmap.naturalWidth, bitmap.naturalHeight);
        const context = canvas.getContext('2d')!;
        context.drawImage(bitmap, 0, 0);
        return Array.from({ length: n }, (_, r) => Array.from({ length: n }, (_c, c) => [...context.getImageData(Math.round((layout.x + (c + 0.5) * layout.cell) * 2), Math.round((layout.y + 24 + (r + 0.5) * layout.cell) * 2), 1, 1).data]));
      },
      { base64: png.bytes.toString('base64'), layout, n },
    );
    const all = Array.from({ length: n }, (_, i) => i);
    assert.deepEqual(expectCells(sampled, lut, head.data, n, all, all, maxOf(head.data)), []);

    const svg = (await download(page, 'svg')).bytes.toString('utf8');
    assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /<image[^>]*href="data:image\/png;base64,/);
    const parsed = await page.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
      return { error: doc.querySelector('parsererror')?.textContent ?? '', rows: [...doc.querySelectorAll('text')].map((t) => t.textContent) };
    }, svg);
    assert.equal(parsed.error, '');
    for (const label of labels) assert.ok(parsed.rows.includes(label), `SVG names token ${label}`);
    assert.doesNotMatch(svg, /var\(--/, 'colours resolved');

    const json = JSON.parse((await download(page, 'json')).bytes.toString('utf8'));
    assert.equal(json.queries.length, n);
    assert.ok(Math.abs(json.values[3][5] - head.data[3 * n + 5]) < 1e-7);

    const csv = (await download(page, 'csv')).bytes.toString('utf8').trim().split('\n');
    assert.equal(csv.length, n + 1);
    assert.equal(csv[0].split(',').length, n + 1);
    assert.ok(Math.abs(Number(csv[4].split(',')[6]) - head.data[3 * n + 5]) < 1e-7);
  });

  it('every view exports all four formats', async () => {
    const views: [string, string][] = [['attention', 'model'], ['attention', 'heads'], ['attention', 'mean'], ['attention', 'rollout'], ['embeddings', ''], ['activations', '']];
    for (const [tab, mode] of views) {
      // Chromium lets one page start at most ten downloads, so each view gets a page of its own.
      const { page, problems } = await openReport(browser, `export-${mode || tab}`, encode(inspection));
      await page.locator(`button.tab[data-key="${tab}"]`).click();
      if (mode) await page.locator(`button.tab[data-key="${mode}"]`).click();
      await waitForView(page, mode || tab);
      const png = await download(page, 'png');
      const { width, height } = pngSize(png.bytes);
      assert.ok(width > 100 && height > 100, `${png.name}: ${width}×${height}`);
      writeFileSync(path.join(RESULTS, `export-${mode || tab}.png`), png.bytes);
      const svg = (await download(page, 'svg')).bytes.toString('utf8');
      assert.match(svg, /^<svg/);
      assert.ok(svg.length > 1000);
      const json = JSON.parse((await download(page, 'json')).bytes.toString('utf8'));
      assert.ok(json.title);
      const csv = (await download(page, 'csv')).bytes.toString('utf8');
      assert.ok(csv.split('\n').length > 3, `${tab} ${mode} CSV has rows`);
      assert.match(png.name, /^[\w.-]{1,100}$/);
      assert.deepEqual(problems, { violations: [], errors: [] }, `${tab} ${mode}: no CSP violations or page errors`);
      await page.context().close();
    }
  });
});
