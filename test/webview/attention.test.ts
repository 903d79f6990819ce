// The attention views in the offline report, drawn from real fixture-model inspections: model view,
// heatmap, head view, head mean, rollout and cross-attention, checked pixel by pixel against the data.

import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { answerPanelQuestion, summarize } from '../../src/analysis/inspectionSummary';
import type { Inspection } from '../../src/protocol/inspection';
import { tokenLabel } from '../../webview/tokenInfo';
import { syntheticInspection } from './syntheticInspection';
import { canvasPixel, encode, expectCells, launch, legendLut, lutIndex, matrixCells, maxOf, openReport, realInspection, screenshot, setRange, waitForView, WebviewHost, type PageProblems } from './harness';

let browser: Browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function selectMode(page: Page, mode: string): Promise<void> {
  await page.locator(`button.tab[data-key="${mode}"]`).click();
  await waitForView(page, mode);
}

async function title(page: Page): Promise<string> {
  return (await page.locator('.view:visible .view-title').textContent()) ?? '';
}

describe('attention views of bert-tiny (encoder-only)', () => {
  let inspection: Inspection;
  let page: Page;
  let problems: PageProblems;
  before(async () => {
    inspection = await realInspection('bert-tiny');
    ({ page, problems } = await openReport(browser, 'attention-bert', encode(inspection)));
  });
  after(() => {
    assert.deepEqual(problems.violations, [], 'no CSP violations');
    assert.deepEqual(problems.errors, [], 'no page errors');
  });
  const tokens = () => inspection.stacks[0].tokens;

  it('model view: one cell per layer × head, every thumbnail on one shared scale', async () => {
    await waitForView(page, 'model');
    const group = summarize(inspection, 'x').groups[0];
    const [layers, heads, rows, cols] = group.thumbnails.dims;
    assert.equal(await page.locator('rect.model-cell').count(), layers * heads);
    const max = maxOf(group.thumbnails.data);
    assert.ok(Math.abs(Number(await page.locator('.model-canvas').getAttribute('data-max')) - max) < 1e-6);
    const scale = Number(await page.locator('.model-canvas').getAttribute('data-scale'));
    const lut = await legendLut(page);
    // Thumbnails lie one cell apart; every pooled cell is one backing pixel, `scale` screen pixels wide.
    for (let l = 0; l < layers; l++) for (let h = 0; h < heads; h++) for (const [r, c] of [[0, 0], [rows - 1, cols - 1], [5, 7], [3, 0]]) {
      const value = group.thumbnails.data[((l * heads + h) * rows + r) * cols + c];
      const pixel = await canvasPixel(page, '.model-canvas', (h * (cols + 1) + c + 0.5) * scale, (l * (rows + 1) + r + 0.5) * scale);
      assert.deepEqual(pixel, lut[lutIndex(value, max)], `layer ${l} head ${h} block (${r},${c}) = ${value}`);
    }
    const cell = (await page.locator('rect.model-cell[data-layer="1"][data-head="2"]').boundingBox())!;
    const canvas = (await page.locator('.model-canvas').boundingBox())!;
    assert.ok(Math.abs(cell.x + 0.5 - (canvas.x + 2 * (cols + 1) * scale)) < 1 && Math.abs(cell.y + 0.5 - (canvas.y + (rows + 1) * scale)) < 1, 'cell outlines lie over their thumbnails');
    await screenshot(page, 'bert-model-view');
  });

  it('a click on a model-view cell focuses that layer and head in the heatmap', async () => {
    await page.locator('rect.model-cell[data-layer="1"][data-head="2"]').click();
    await waitForView(page, 'heatmap');
    assert.match(await title(page), /Layer 2, head 3/);
    assert.equal(await page.locator('.toolbar .layer select').inputValue(), '1');
    assert.equal(await page.locator('.toolbar .head select').inputValue(), '2');
  });

  it('in the model view, arrow keys move between cells and Enter focuses one', async () => {
    await selectMode(page, 'model');
    await page.locator('rect.model-cell[data-layer="0"][data-head="0"]').focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await waitForView(page, 'heatmap');
    assert.match(await title(page), /Layer 2, head 3/);
    await page.keyboard.press('Shift+Tab'); // focus stays reachable by keyboard
  });

  it('heatmap: every cell has the LUT colour of its weight, axis labels are the tokens, hover shows the exact value', async () => {
    await selectMode(page, 'heatmap');
    await page.locator('.toolbar .layer select').selectOption({ value: '0' });
    await page.locator('.toolbar .head select').selectOption({ value: '1' });
    await page.waitForFunction(() => /Layer 1, head 2/.test(document.querySelector('.view .view-title')?.textContent ?? ''));
    const head = answerPanelQuestion(inspection, 'attentionHead', { id: 'x', group: 'self', layer: 0, head: 1 });
    const n = head.dims[0];
    const all = Array.from({ length: n }, (_, i) => i);
    const wrong = expectCells(await matrixCells(page), await legendLut(page), head.data, n, all, all, maxOf(head.data));
    assert.deepEqual(wrong, []);
    assert.deepEqual(await page.locator('text.row-label').allTextContents(), tokens().map(tokenLabel));
    assert.deepEqual(await page.locator('text.col-label').allTextContents(), tokens().map(tokenLabel));
    const cell = Number(await page.locator('.matrix-canvas').getAttribute('data-cell'));
    const box = (await page.locator('.matrix-canvas').boundingBox())!;
    await page.mouse.move(box.x + 4.5 * cell, box.y + 2.5 * cell);
    const tooltip = await page.locator('.tooltip:visible').textContent();
    assert.equal(tooltip, `${tokenLabel(tokens()[2])} → ${tokenLabel(tokens()[4])}: ${head.data[2 * n + 4].toFixed(4)}`);
    assert.equal(await page.locator('text.row-label.active').textContent(), tokenLabel(tokens()[2]), 'the hovered query is highlighted');
    assert.equal(await page.locator('.token-strip span.token.active').getAttribute('data-index'), '2', 'and in the token strip');
    await screenshot(page, 'bert-heatmap');
    await page.mouse.move(0, 0);
  });

  it('the threshold hides weak cells and the legend marks it', async () => {
    await setRange(page, '.toolbar .threshold input', 0.1);
    await page.waitForFunction(() => document.querySelector('.legend-threshold') !== null);
    const head = answerPanelQuestion(inspection, 'attentionHead', { id: 'x', group: 'self', layer: 0, head: 1 });
    const n = head.dims[0];
    const all = Array.from({ length: n }, (_, i) => i);
    const cells = await matrixCells(page);
    assert.deepEqual(expectCells(cells, await legendLut(page), head.data, n, all, all, maxOf(head.data), 0.1), []);
    const hidden = cells.flat().filter((pixel) => pixel[3] === 0).length;
    assert.equal(hidden, [...head.data].filter((v) => v < 0.1).length);
    assert.ok(hidden > 0);
    await screenshot(page, 'bert-heatmap-threshold');
  });

  it('head view: one line per weight above the threshold for every enabled head', async () => {
    await selectMode(page, 'heads');
    const layer = answerPanelQuestion(inspection, 'attentionLayer', { id: 'x', group: 'self', layer: 0 });
    const [heads, queries, keys] = layer.dims;
    const count = (threshold: number, enabled: (h: number) => boolean) => {
      let lines = 0;
      for (let h = 0; h < heads; h++) for (let i = 0; i < queries * keys; i++) if (enabled(h) && layer.data[h * queries * keys + i] >= threshold) lines++;
      return lines;
    };
    const lines = async () => Number(await page.locator('.head-lines').getAttribute('data-lines'));
    assert.equal(await lines(), count(0.1, () => true));
    assert.deepEqual(await page.locator('text.head-query').allTextContents(), tokens().map(tokenLabel));
    await page.locator('button.head-toggle', { hasText: /^2$/ }).click();
    await page.waitForFunction(() => document.querySelector('button.head-toggle:nth-child(2)')?.getAttribute('aria-pressed') === 'false');
    await waitForView(page, 'heads');
    assert.equal(await lines(), count(0.1, (h) => h !== 1));
    await setRange(page, '.toolbar .threshold input', 0.3);
    await page.waitForFunction(() => document.querySelector('.slider-value')?.textContent === '0.30');
    await waitForView(page, 'heads');
    assert.equal(await lines(), count(0.3, (h) => h !== 1));
    // Hovering a query token keeps only its lines (BertViz).
    await page.locator('text.head-query[data-index="3"]').hover();
    await page.waitForFunction(() => document.querySelector('text.head-query.active') !== null);
    let own = 0;
    for (let h = 0; h < heads; h++) for (let k = 0; k < keys; k++) if (h !== 1 && layer.data[(h * queries + 3) * keys + k] >= 0.3) own++;
    assert.equal(await lines(), own);
    await screenshot(page, 'bert-head-view');
    await page.mouse.move(0, 0);
    await page.locator('button.head-all', { hasText: 'All heads' }).click();
    // The head view keeps its own threshold: the heatmap's is still the 0.10 set above.
    await selectMode(page, 'heatmap');
    await page.waitForFunction(() => document.querySelector('.slider-value')?.textContent === '0.10');
    await selectMode(page, 'heads');
    await page.waitForFunction(() => document.querySelector('.slider-value')?.textContent === '0.30');
    await setRange(page, '.toolbar .threshold input', 0);
  });

  it('the head view opens at its own threshold of 0.10 and the slider has an accessible name', async () => {
    const fresh = await WebviewHost.open(browser, 'bert-head-view-default', { inspection });
    try {
      await fresh.ready;
      await fresh.showInspection(inspection, 'x');
      await fresh.page.locator('button.tab[data-key="heads"]').click();
      await waitForView(fresh.page, 'heads');
      assert.equal(await fresh.page.locator('.toolbar .threshold input').inputValue(), '0.1');
      assert.equal(await fresh.page.getByRole('slider', { name: 'Threshold' }).count(), 1);
    } finally {
      await fresh.page.context().close();
    }
  });

  it('head mean and rollout draw the analysis answers', async () => {
    const lut = async () => legendLut(page);
    await selectMode(page, 'mean');
    await setRange(page, '.toolbar .threshold input', 0);
    for (const mode of ['mean', 'rollout'] as const) {
      await selectMode(page, mode);
      const tensor =
        mode === 'mean' ? answerPanelQuestion(inspection, 'attentionMean', { id: 'x', group: 'self', layer: 0 }) : answerPanelQuestion(inspection, 'attentionRollout', { id: 'x', group: 'self' });
      const n = tensor.dims[0];
      const all = Array.from({ length: n }, (_, i) => i);
      assert.deepEqual(expectCells(await matrixCells(page), await lut(), tensor.data, n, all, all, maxOf(tensor.data)), [], mode);
      await screenshot(page, `bert-${mode}`);
    }
  });

  it('hiding special tokens drops their rows and columns', async () => {
    await selectMode(page, 'heatmap');
    await page.locator('.toolbar .hide-special input').check();
    await page.waitForFunction(() => !document.querySelector('.token-strip span.token.special:not([hidden])'));
    const words = tokens().filter((t) => !t.special).map(tokenLabel);
    await page.waitForFunction((count) => document.querySelectorAll('text.row-label').length === count, words.length);
    assert.deepEqual(await page.locator('text.row-label').allTextContents(), words);
    assert.deepEqual(await page.locator('text.col-label').allTextContents(), words);
    await page.locator('.toolbar .hide-special input').uncheck();
  });

  it('←/→ change the layer and ↑/↓ the head when the view has focus; tabs follow the arrow keys', async () => {
    await page.locator('.toolbar .layer select').selectOption({ value: '0' });
    await page.locator('.toolbar .head select').selectOption({ value: '0' });
    await page.locator('.view-area').focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.waitForFunction(() => /Layer 2, head 3/.test(document.querySelector('.view .view-title')?.textContent ?? ''));
    await page.locator('button.tab[data-key="attention"]').focus();
    await page.keyboard.press('ArrowRight');
    await waitForView(page, 'architecture');
    assert.equal(await page.locator('button.tab[data-key="architecture"]').getAttribute('aria-selected'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-key')), 'architecture');
    await page.keyboard.press('ArrowLeft');
    await waitForView(page, 'heatmap');
  });
});

describe('cross-attention of marian-tiny (encoder-decoder)', () => {
  let inspection: Inspection;
  let page: Page;
  before(async () => {
    inspection = await realInspection('marian-tiny', 'The attention layer reads.', 'Die Schicht liest.');
    ({ page } = await openReport(browser, 'attention-marian', encode(inspection)));
  });

  it('decoder.cross: decoder tokens down, encoder tokens across', async () => {
    await selectMode(page, 'heatmap');
    await page.locator('.toolbar .group select').selectOption({ label: 'decoder.cross' });
    await page.waitForFunction(() => /decoder\.cross/.test(document.querySelector('.view .view-title')?.textContent ?? ''));
    const [encoder, decoder] = inspection.stacks;
    assert.deepEqual(await page.locator('text.row-label').allTextContents(), decoder.tokens.map(tokenLabel));
    assert.deepEqual(await page.locator('text.col-label').allTextContents(), encoder.tokens.map(tokenLabel));
    const head = answerPanelQuestion(inspection, 'attentionHead', { id: 'x', group: 'decoder.cross', layer: 0, head: 0 });
    const rows = Array.from({ length: head.dims[0] }, (_, i) => i);
    const cols = Array.from({ length: head.dims[1] }, (_, i) => i);
    assert.deepEqual(expectCells(await matrixCells(page), await legendLut(page), head.data, head.dims[1], rows, cols, maxOf(head.data)), []);
  });

  it('alignment averages over layers and heads, or shows one of them', async () => {
    await selectMode(page, 'alignment');
    const layers = inspection.attention.find((g) => g.kind === 'cross')!.tensor.dims[0];
    const means = Array.from({ length: layers }, (_, layer) => answerPanelQuestion(inspection, 'attentionMean', { id: 'x', group: 'decoder.cross', layer }));
    const average = means[0].data.map((_, i) => means.reduce((sum, m) => sum + m.data[i], 0) / layers);
    const [queries, keys] = means[0].dims;
    const rows = Array.from({ length: queries }, (_, i) => i);
    const cols = Array.from({ length: keys }, (_, i) => i);
    assert.match(await title(page), /Layer average, head average/);
    assert.deepEqual(expectCells(await matrixCells(page), await legendLut(page), average, keys, rows, cols, maxOf(average)), []);
    await screenshot(page, 'marian-alignment');
    await page.locator('.toolbar .layer select').selectOption({ label: '2' });
    await page.waitForFunction(() => /Layer 2, head average/.test(document.querySelector('.view .view-title')?.textContent ?? ''));
    assert.deepEqual(expectCells(await matrixCells(page), await legendLut(page), means[1].data, keys, rows, cols, maxOf(means[1].data)), []);
  });

  it('rollout lists only self-attention groups', async () => {
    await selectMode(page, 'rollout');
    const options = await page.locator('.toolbar .group select option').allTextContents();
    assert.deepEqual(options, ['encoder.self', 'decoder.self']);
  });
});

describe('gpt2-tiny (decoder-only)', () => {
  it('causal attention: every cell above the diagonal has the colour of zero', async () => {
    const inspection = await realInspection('gpt2-tiny');
    const { page, problems } = await openReport(browser, 'attention-gpt2', encode(inspection));
    await selectMode(page, 'heatmap');
    const head = answerPanelQuestion(inspection, 'attentionHead', { id: 'x', group: 'self', layer: 0, head: 0 });
    const n = head.dims[0];
    const cells = await matrixCells(page);
    const lut = await legendLut(page);
    for (let q = 0; q < n; q++) for (let k = q + 1; k < n; k++) assert.deepEqual(cells[q][k], lut[0], `(${q},${k})`);
    const all = Array.from({ length: n }, (_, i) => i);
    assert.deepEqual(expectCells(cells, lut, head.data, n, all, all, maxOf(head.data)), []);
    await screenshot(page, 'gpt2-heatmap');
    assert.deepEqual(problems.violations, []);
  });
});

describe('heatmap axis labels', () => {
  // Up to 64 tokens every one is labelled, in a panel as narrow as a side column (bert-tiny's
  // 62 words and its two special tokens); beyond, a synthetic 120-token inspection is thinned.
  for (const [words, labelled] of [[62, 'all'], [120, 'thinned']] as const) {
    it(`${labelled === 'all' ? 'every token is labelled' : 'labels are thinned, evenly'} at ${words + (labelled === 'all' ? 2 : 0)} tokens`, async () => {
      const text = Array.from({ length: words }, (_, i) => ['cat', 'sat', 'on', 'the', 'mat'][i % 5]).join(' ');
      const inspection = labelled === 'all' ? await realInspection('bert-tiny', text) : syntheticInspection({ layers: 2, heads: 2, tokens: words, hidden: 16 });
      const count = inspection.stacks[0].tokens.length;
      const { page, problems } = await openReport(browser, `labels-${words}`, encode(inspection), { width: 520 });
      await selectMode(page, 'heatmap');
      const rows = await page.locator('text.row-label').count();
      const cols = await page.locator('text.col-label').count();
      if (labelled === 'all') {
        assert.ok(count <= 64, `${count} tokens`);
        assert.deepEqual(await page.locator('text.row-label').allTextContents(), inspection.stacks[0].tokens.map(tokenLabel));
        assert.equal(cols, count);
        // and they do not overlap: one cell per label, at least a label's height
        const boxes = await page.$$eval('text.row-label', (labels) => labels.map((label) => label.getBoundingClientRect()));
        for (let i = 1; i < boxes.length; i++) assert.ok(boxes[i].top >= boxes[i - 1].bottom - 1.5, `row labels ${i - 1} and ${i} overlap`);
      } else {
        assert.ok(count > 64, `${count} tokens`);
        // as many as fit at one label per 12 px, cells at least 2 px: never fewer than one in six
        assert.ok(rows < count && rows >= count / 6, `${rows} of ${count} rows labelled`);
        const indexes = (await page.$$eval('text.row-label', (labels) => labels.map((label) => Number(label.getAttribute('data-index')))));
        const steps = new Set(indexes.slice(1).map((index, i) => index - indexes[i]));
        assert.equal(steps.size, 1, `one step between labels: ${[...steps]}`);
      }
      await screenshot(page, `heatmap-labels-${words}`);
      assert.deepEqual(problems.errors, []);
      await page.context().close();
    });
  }

  it('a token too long for the label column is shortened with "…" and named in full on hover', async () => {
    const inspection = syntheticInspection({ layers: 1, heads: 1, tokens: 8, hidden: 16 });
    const tokens = inspection.stacks[0].tokens as unknown as { text: string }[];
    const long = 'https://example.com/a/very/long/path/that/is/one/token';
    tokens[3] = { ...tokens[3], text: long };
    const { page } = await openReport(browser, 'labels-long', encode(inspection), { width: 520 });
    await selectMode(page, 'heatmap');
    for (const axis of ['row', 'col']) {
      const label = page.locator(`text.${axis}-label[data-index="3"]`);
      const shown = await label.evaluate((text) => ({ own: [...text.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join(''), title: text.querySelector('title')?.textContent, size: Math.max(text.getBoundingClientRect().width, text.getBoundingClientRect().height) }));
      assert.match(shown.own, /^https:\/\/exa.*…$/, `${axis} label: ${shown.own}`);
      assert.ok(shown.own.length < long.length);
      assert.equal(shown.title, long);
      assert.ok(shown.size <= 162, `${axis} label ${shown.size} px`);
      // The other labels are whole and have no tooltip of their own.
      assert.equal(await page.locator(`text.${axis}-label title`).count(), 1);
    }
    await page.context().close();
  });
});
