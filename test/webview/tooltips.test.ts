// Tooltips and labels as the pointer and the scroll bars move, on the bundled model: a matrix's
// tooltip covers neither the cell it describes nor any token label, the scatter's neither its
// point nor the point's label, and each stays on screen; past the panel's size a matrix scrolls and
// its labels stay at the view's edges.

import * as assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { Inspection } from '../../src/protocol/inspection';
import { bundledInspections, launch, screenshot, waitForView, WebviewHost } from './harness';

type Rect = { left: number; top: number; right: number; bottom: number };

let browser: Browser;
let short: Inspection;
let long: Inspection;

before(async () => {
  browser = await launch();
  [short, long] = await bundledInspections(
    // One short target: the cross-attention matrix is a few rows of many columns, as in the hover's "Show attention".
    { text: 'The cat sat on the mat because it was tired.', target: '猫', targetLanguage: 'zh' },
    { text: 'Open the file in a new window, save your changes before closing the document, and check the settings of the editor when the extension asks for a restart after the update, then reopen the project from the list of recent folders and run its tests again.', target: '在新窗口中打开文件，关闭文档前保存更改。', targetLanguage: 'zh' },
  );
});
after(async () => {
  await browser?.close();
});

const overlap = (a: Rect, b: Rect) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1 && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;
const inside = (a: Rect, b: Rect) => a.left >= b.left - 1 && a.right <= b.right + 1 && a.top >= b.top - 1 && a.bottom <= b.bottom + 1;
const shown = (r: Rect) => `[${Math.round(r.left)},${Math.round(r.top)} → ${Math.round(r.right)},${Math.round(r.bottom)}]`;

async function rect(page: Page, selector: string): Promise<Rect> {
  return page.locator(selector).first().evaluate((element) => {
    const r = element.getBoundingClientRect();
    return { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
  });
}

/** The view area's box as seen in the page: what the user can see of a view. */
const viewArea = (page: Page) => rect(page, '.view-area');

async function heatmap(page: Page, group: number): Promise<void> {
  await page.locator('[role="tablist"] button.tab[data-key="attention"]').first().click();
  await page.locator('[role="tablist"] button.tab[data-key="heatmap"]').first().click();
  await waitForView(page, 'heatmap');
  await page.locator('.toolbar label.group select').selectOption(String(group));
  await page.waitForFunction((g) => document.querySelector<HTMLSelectElement>('.toolbar label.group select')?.value === String(g), group);
}

/** Hovers cell (r, c) of the visible matrix, scrolling the view area to it first; returns what a user sees. */
async function hoverCell(page: Page, r: number, c: number) {
  const cell = Number(await page.locator('canvas.matrix-canvas').getAttribute('data-cell'));
  await page.locator('.view-area').evaluate((area, at) => {
    const canvas = area.querySelector('canvas.matrix-canvas')!.getBoundingClientRect();
    const view = area.getBoundingClientRect();
    const x = canvas.left + (at.c + 0.5) * at.cell;
    const y = canvas.top + (at.r + 0.5) * at.cell;
    area.scrollBy(x < view.left + 140 || x > view.right - 20 ? x - (view.left + view.right) / 2 : 0, y < view.top + 140 || y > view.bottom - 20 ? y - (view.top + view.bottom) / 2 : 0);
    // The page itself scrolls too when the view area is taller than the window.
    const now = area.querySelector('canvas.matrix-canvas')!.getBoundingClientRect().top + (at.r + 0.5) * at.cell;
    if (now < 80 || now > innerHeight - 80) scrollBy(0, now - innerHeight / 2);
  }, { r, c, cell });
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve(null))));
  const canvas = await rect(page, 'canvas.matrix-canvas');
  const cellRect = { left: canvas.left + c * cell, top: canvas.top + r * cell, right: canvas.left + (c + 1) * cell, bottom: canvas.top + (r + 1) * cell };
  await page.mouse.move((cellRect.left + cellRect.right) / 2, (cellRect.top + cellRect.bottom) / 2);
  await page.locator('.matrix .tooltip:visible').waitFor({ timeout: 5000 });
  return {
    cell: cellRect,
    tooltip: await rect(page, '.matrix .tooltip'),
    rowLabel: await rect(page, `text.row-label[data-index="${r}"]`),
    colLabel: await rect(page, `text.col-label[data-index="${c}"]`),
    labels: await page.locator('text.row-label, text.col-label').evaluateAll((labels) => labels.map((label) => {
      const r = label.getBoundingClientRect();
      return { text: label.textContent ?? '', left: r.left, top: r.top, right: r.right, bottom: r.bottom };
    })),
    // What of the view area the window shows.
    view: await page.evaluate(() => {
      const r = document.querySelector('.view-area')!.getBoundingClientRect();
      return { left: Math.max(0, r.left), top: Math.max(0, r.top), right: Math.min(innerWidth, r.right), bottom: Math.min(innerHeight, r.bottom) };
    }),
  };
}

test('a heatmap cell\'s tooltip covers neither the cell nor any label, and stays in the view (300–1600 px, self and cross attention)', async () => {
  const host = await WebviewHost.open(browser, 'tooltips-heatmap', { inspection: short, theme: 'dark', width: 300, height: 700 });
  const found: string[] = [];
  try {
    await host.ready;
    await host.showInspection(short, 'tooltips');
    await host.page.waitForSelector('#app[data-view]');
    for (const width of [300, 500, 900, 1600]) {
      await host.page.setViewportSize({ width, height: 700 });
      for (const group of [0, 2]) {
        await heatmap(host.page, group);
        const rows = Number(await host.page.locator('canvas.matrix-canvas').getAttribute('data-rows'));
        const cols = Number(await host.page.locator('canvas.matrix-canvas').getAttribute('data-cols'));
        if (group === 2) assert.ok(rows <= 4 && cols >= 12, `cross attention of a one-word target: ${rows} × ${cols}`);
        for (const [r, c] of [[0, 0], [0, cols - 1], [rows - 1, 0], [rows - 1, cols - 1], [rows >> 1, cols >> 1]]) {
          const seen = await hoverCell(host.page, r, c);
          const where = `${width} px group ${group} cell ${r},${c}: tooltip ${shown(seen.tooltip)}`;
          if (overlap(seen.tooltip, seen.cell)) found.push(`${where} covers its cell ${shown(seen.cell)}`);
          if (overlap(seen.tooltip, seen.rowLabel)) found.push(`${where} covers its row label ${shown(seen.rowLabel)}`);
          if (overlap(seen.tooltip, seen.colLabel)) found.push(`${where} covers its column label ${shown(seen.colLabel)}`);
          const covered = seen.labels.filter((label) => overlap(seen.tooltip, label));
          if (covered.length) found.push(`${where} covers the labels ${covered.map((label) => label.text).join(' ')}`);
          if (!inside(seen.tooltip, seen.view)) found.push(`${where} is outside the view ${shown(seen.view)}`);
        }
        if (width === 300) await screenshot(host.page, `tooltip-heatmap-300-g${group}`);
      }
    }
  } finally {
    await host.page.context().close();
  }
  assert.deepEqual(found, []);
});

test('the scatter\'s tooltip covers neither its point nor the point\'s label', async () => {
  const host = await WebviewHost.open(browser, 'tooltips-scatter', { inspection: short, theme: 'light', width: 500, height: 700 });
  const found: string[] = [];
  try {
    await host.ready;
    await host.showInspection(short, 'tooltips');
    await host.page.locator('[role="tablist"] button.tab[data-key="embeddings"]').first().click();
    await waitForView(host.page, 'embeddings');
    const scatter = host.page.locator('svg.scatter:visible');
    assert.equal(await scatter.count(), 1);
    // By index: the hovered point is raised to the top, which reorders the circles.
    const indexes = await scatter.locator('circle.point').evaluateAll((circles) => circles.map((circle) => circle.getAttribute('data-index')!));
    assert.ok(indexes.length >= 10, `${indexes.length} points`);
    for (const index of indexes) {
      await scatter.locator(`circle.point[data-index="${index}"]`).hover({ force: true });
      await host.page.locator('.tooltip:visible').waitFor();
      // The neighbours arrive after the first line: the tooltip is placed again then.
      await host.page.waitForFunction(() => document.querySelectorAll('.tooltip:not([hidden]) .tooltip-line').length > 0);
      const tooltip = await rect(host.page, '.tooltip:not([hidden])');
      const point = await rect(host.page, `svg.scatter:visible circle.point[data-index="${index}"]`);
      if (overlap(tooltip, point)) found.push(`point ${index} ${shown(point)} under its tooltip ${shown(tooltip)}`);
      if ((await scatter.locator(`text.point-label[data-index="${index}"]`).count()) > 0) {
        const label = await rect(host.page, `svg.scatter:visible text.point-label[data-index="${index}"]`);
        if (overlap(tooltip, label)) found.push(`label of point ${index} ${shown(label)} under its tooltip ${shown(tooltip)}`);
      }
      if (!inside(tooltip, { left: 0, top: 0, right: 500, bottom: 700 })) found.push(`tooltip of point ${index} ${shown(tooltip)} runs off the panel`);
    }
  } finally {
    await host.page.context().close();
  }
  assert.deepEqual(found, []);
});

test('a matrix wider and taller than the panel scrolls with its row and column labels in sight', async () => {
  const host = await WebviewHost.open(browser, 'tooltips-sticky', { inspection: long, theme: 'high-contrast', width: 300, height: 500 });
  try {
    await host.ready;
    await host.showInspection(long, 'sticky');
    await host.page.waitForSelector('#app[data-view]');
    await heatmap(host.page, 0);
    const tokens = Number(await host.page.locator('canvas.matrix-canvas').getAttribute('data-rows'));
    assert.ok(tokens >= 30 && tokens <= 64, `${tokens} tokens`);
    const area = host.page.locator('.view-area');
    const scroll = await area.evaluate((element) => ({ width: element.scrollWidth - element.clientWidth, height: element.scrollHeight - element.clientHeight }));
    assert.ok(scroll.width > 100 && scroll.height > 100, `the view scrolls both ways: ${JSON.stringify(scroll)}`);
    const before = await rect(host.page, 'text.row-label[data-index="0"]');
    // Half-way down and right: the row labels have left their place, and still sit at the view's left edge; the column labels at its top.
    await area.evaluate((element) => element.scrollTo(element.scrollWidth / 2, element.scrollHeight / 2));
    await host.page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve(null))));
    const view = await viewArea(host.page);
    const canvas = await rect(host.page, 'canvas.matrix-canvas');
    assert.ok(canvas.left < view.left - 50 && canvas.top < view.top - 50, 'the cells moved under the view');
    const visibleRows = await host.page.locator('text.row-label').evaluateAll((labels, v) => labels.map((l) => l.getBoundingClientRect()).filter((r) => r.top >= v.top + 100 && r.bottom <= v.bottom).map((r) => ({ left: r.left, right: r.right })), view);
    assert.ok(visibleRows.length >= 10, `${visibleRows.length} row labels in sight`);
    for (const label of visibleRows) assert.ok(label.left >= view.left - 1 && label.right <= view.left + (before.right - before.left) + 200, `row label at ${label.left}–${label.right}, view from ${view.left}`);
    const colTops = await host.page.locator('text.col-label').evaluateAll((labels) => labels.map((l) => l.getBoundingClientRect().top));
    assert.ok(Math.min(...colTops) >= view.top - 1, `column labels start at the view's top (${Math.min(...colTops)} ≥ ${view.top})`);
    // Labels in the corner would sit over each other: the corner hides what scrolled under it.
    const stuck = await host.page.locator('svg.matrix-axes').getAttribute('data-stuck');
    assert.match(stuck ?? '', /^[1-9]\d*,[1-9]\d*$/);
    const cornerCovers = await host.page.evaluate(() => {
      // The page scrolls too (toolbar and token strips above the view): bring the view's top into the window.
      window.scrollBy(0, document.querySelector('.view-area')!.getBoundingClientRect().top);
      const corner = document.querySelector('g.corner rect.sticky-backdrop')!.getBoundingClientRect();
      const hit = document.elementFromPoint(corner.left + corner.width / 2, corner.top + corner.height / 2);
      return hit?.matches('g.corner rect.sticky-backdrop') ?? false;
    });
    assert.ok(cornerCovers, 'the corner is on top of both label bands');
    // The tooltip of a cell in the scrolled matrix still avoids the labels that are now stuck.
    const seen = await hoverCell(host.page, tokens - 1, tokens - 1);
    assert.ok(!overlap(seen.tooltip, seen.rowLabel) && !overlap(seen.tooltip, seen.colLabel) && !overlap(seen.tooltip, seen.cell), `tooltip ${shown(seen.tooltip)}, labels ${shown(seen.rowLabel)} ${shown(seen.colLabel)}`);
    await screenshot(host.page, 'sticky-labels-300');
    // Back at the start, the labels are where they were.
    await area.evaluate((element) => {
      element.scrollTo(0, 0);
      scrollTo(0, 0);
    });
    await host.page.waitForFunction(() => document.querySelector('svg.matrix-axes')?.getAttribute('data-stuck') === '0,0');
    assert.deepEqual(await rect(host.page, 'text.row-label[data-index="0"]'), before);
  } finally {
    await host.page.context().close();
  }
});
