// The token-embedding scatter and the layer-activation views in the offline report, from real
// inspections: one point per token that the layer slider moves, neighbours on hover, norm pixels.

import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { answerPanelQuestion, summarize } from '../../src/analysis/inspectionSummary';
import type { Inspection } from '../../src/protocol/inspection';
import type { InspectionSummary } from '../../src/protocol/panelData';
import { tokenLabel } from '../../webview/tokenInfo';
import { encode, expectCells, launch, legendLut, matrixCells, maxOf, openReport, realInspection, screenshot, setRange, waitForView, type PageProblems } from './harness';

let browser: Browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const points = (page: Page) =>
  page.$$eval('circle.point', (circles) => circles.map((c) => ({ index: Number(c.getAttribute('data-index')), x: Number(c.getAttribute('cx')), y: Number(c.getAttribute('cy')), fill: c.getAttribute('fill') })));

describe('token embeddings of marian-tiny', () => {
  let inspection: Inspection;
  let summary: InspectionSummary;
  let page: Page;
  let problems: PageProblems;
  before(async () => {
    inspection = await realInspection('marian-tiny', 'The attention layer reads every token twice.', 'Die Schicht liest.');
    summary = summarize(inspection, 'report');
    ({ page, problems } = await openReport(browser, 'embeddings-marian', encode(inspection)));
    await page.locator('button.tab[data-key="embeddings"]').click();
    await waitForView(page, 'embeddings');
  });
  after(() => {
    assert.deepEqual(problems.violations, []);
    assert.deepEqual(problems.errors, []);
  });

  it('one point per token, starting at the embedding lookup', async () => {
    const encoder = { ...summary.stacks[0], ...answerPanelQuestion(inspection, 'projection', { id: 'report', stack: 'encoder' }) };
    const drawn = await points(page);
    assert.deepEqual(drawn.map((p) => p.index), encoder.tokens.map((_, i) => i));
    assert.equal(await page.locator('.layer-slider').inputValue(), '-1');
    assert.equal(await page.locator('.layer-slider').getAttribute('max'), String(encoder.projection!.dims[0] - 1));
    assert.match((await page.locator('.explained').textContent()) ?? '', /the embedding table, before any layer/);
    await screenshot(page, 'marian-embeddings-lookup');
  });

  it('the layer slider moves each token to its PCA position at that layer, and shows the explained variance', async () => {
    const encoder = { ...summary.stacks[0], ...answerPanelQuestion(inspection, 'projection', { id: 'report', stack: 'encoder' }) };
    const before = await points(page);
    await setRange(page, '.layer-slider', 2);
    await page.waitForTimeout(700); // the transition takes 450 ms
    const after = await points(page);
    assert.ok(after.some((p, i) => Math.hypot(p.x - before[i].x, p.y - before[i].y) > 2), 'points moved');
    // Relative order along PC1 follows the layer's projection.
    const n = encoder.tokens.length;
    const pc1 = Array.from({ length: n }, (_, i) => encoder.projection!.data[(2 * n + i) * 2]);
    const byData = [...pc1.keys()].sort((a, b) => pc1[a] - pc1[b]);
    const byScreen = [...after].sort((a, b) => a.x - b.x).map((p) => p.index);
    assert.deepEqual(byScreen, byData);
    const [first, second] = encoder.explained![2];
    assert.equal(await page.locator('.explained').textContent(), `PC1 ${(first * 100).toFixed(1)}% · PC2 ${(second * 100).toFixed(1)}% of variance`);
    await screenshot(page, 'marian-embeddings-layer2');
  });

  it('→ steps the slider when the view has focus', async () => {
    await page.locator('.view-area').focus();
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => (document.querySelector('.layer-slider') as HTMLInputElement).value === '3');
  });

  it('colour by token type: special, word start and continuation pieces in their theme colours', async () => {
    const types = await page.evaluate(() => ({
      special: getComputedStyle(document.body).getPropertyValue('--vscode-charts-purple').trim(),
      continuation: getComputedStyle(document.body).getPropertyValue('--vscode-charts-orange').trim(),
    }));
    const drawn = await points(page);
    const tokens = summary.stacks[0].tokens;
    const rgb = (hex: string) => `rgb(${parseInt(hex.slice(1, 3), 16)}, ${parseInt(hex.slice(3, 5), 16)}, ${parseInt(hex.slice(5, 7), 16)})`;
    const eos = tokens.findIndex((t) => t.special);
    assert.equal(drawn[eos].fill, rgb(types.special));
    // "twice" is split into pieces by the fixture's tiny vocabulary: the later ones continue a word.
    const w = tokens.findIndex((t) => t.text === 'w');
    assert.equal(drawn[w].fill, rgb(types.continuation));
    await page.locator('.toolbar .color-by select').selectOption({ label: 'position' });
    await page.waitForFunction(() => document.querySelector('.legend-entry')?.textContent?.startsWith('position'));
    const recoloured = await points(page);
    assert.notEqual(recoloured[0].fill, recoloured[recoloured.length - 1].fill);
  });

  it('hovering a point lists its nearest tokens by cosine at that layer', async () => {
    const position = Number(await page.locator('.layer-slider').inputValue());
    const expected = answerPanelQuestion(inspection, 'neighbors', { id: 'x', stack: 'encoder', layer: position, token: 1, count: 8 });
    await page.locator('circle.point[data-index="1"]').hover();
    await page.waitForFunction(() => (document.querySelector('.tooltip:not([hidden])')?.children.length ?? 0) > 2);
    const lines = await page.locator('.tooltip:not([hidden]) .tooltip-line').allTextContents();
    const tokens = summary.stacks[0].tokens;
    assert.deepEqual(lines.slice(1), expected.map((n) => `${tokenLabel(tokens[n.index])} ${n.cosine.toFixed(3)}`));
    assert.equal(await page.locator('circle.point.neighbor').count(), expected.length);
    assert.equal(await page.locator('.token-strip[data-stack="encoder"] span.token.active').getAttribute('data-index'), '1');
    await screenshot(page, 'marian-embeddings-neighbours');
    await page.mouse.move(0, 0);
  });

  it('↑/↓ on the focused scatter step through the tokens and list their neighbours', async () => {
    await page.locator('svg.scatter').focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.waitForFunction(() => (document.querySelector('.tooltip:not([hidden])')?.children.length ?? 0) > 2);
    assert.equal(await page.locator('.tooltip:not([hidden]) .tooltip-title').textContent(), tokenLabel(summary.stacks[0].tokens[1]));
    assert.equal(await page.locator('circle.point.active').getAttribute('data-index'), '1');
    await page.keyboard.press('ArrowLeft'); // ←/→ still move through the layers
    await page.waitForFunction(() => (document.querySelector('.layer-slider') as HTMLInputElement).value === '2');
    await page.locator('.view-area').focus();
  });

  it('the decoder stack has its own scatter', async () => {
    await page.locator('.toolbar .stack select').selectOption({ label: 'Decoder' });
    await page.waitForFunction((n) => document.querySelectorAll('circle.point').length === n, summary.stacks[1].tokens.length);
  });
});

describe('layer activations of bert-tiny', () => {
  it('norms heatmap: tokens × layers in LUT colours, statistics per layer, FFN units, no lens without an output head', async () => {
    const inspection = await realInspection('bert-tiny');
    const summary = summarize(inspection, 'report');
    const { page, problems } = await openReport(browser, 'activations-bert', encode(inspection));
    await page.locator('button.tab[data-key="activations"]').click();
    await waitForView(page, 'activations');
    const stack = summary.stacks[0];
    const [layers, tokens] = stack.norms!.dims;
    const transposed = new Float32Array(layers * tokens);
    for (let l = 0; l < layers; l++) for (let t = 0; t < tokens; t++) transposed[t * layers + l] = stack.norms!.data[l * tokens + t];
    const rows = Array.from({ length: tokens }, (_, i) => i);
    const cols = Array.from({ length: layers }, (_, i) => i);
    assert.deepEqual(expectCells(await matrixCells(page), await legendLut(page), transposed, layers, rows, cols, maxOf(transposed)), []);
    assert.deepEqual(await page.locator('text.row-label').allTextContents(), stack.tokens.map(tokenLabel));
    assert.deepEqual(await page.locator('text.col-label').allTextContents(), ['emb', ...Array.from({ length: layers - 1 }, (_, i) => String(i + 1))]);
    assert.equal(await page.locator('.stats-table tbody tr').count(), layers);
    const firstRow = await page.locator('.stats-table tbody tr').first().locator('td').allTextContents();
    assert.deepEqual(firstRow, ['emb', ...[stack.stats![0].mean, stack.stats![0].std, stack.stats![0].maxAbs, stack.stats![0].meanNorm].map((v) => v.toPrecision(4))]);
    // The most active FFN units of the chosen layer and token, as the engine's data says.
    await page.locator('.toolbar .layer select').selectOption({ label: '2' });
    await page.locator('.toolbar .token-choice select').selectOption({ index: 1 });
    await page.waitForFunction(() => /layer 2, token/.test(document.querySelector('.ffn-title')?.textContent ?? ''));
    const units = answerPanelQuestion(inspection, 'ffnTopUnits', { id: 'report', stack: 'encoder', layer: 1, token: 1, count: 16 });
    const labels = await page.locator('.ffn-unit .ffn-label').allTextContents();
    assert.deepEqual(labels, units.map((unit) => `unit ${unit.unit}: ${unit.value.toPrecision(4)}`));
    const widths = await page.$$eval('.ffn-bar', (bars) => bars.map((bar) => (bar as HTMLElement).getBoundingClientRect().width));
    for (let i = 1; i < widths.length; i++) assert.ok(Math.abs(widths[i] - (widths[0] * Math.abs(units[i].value)) / Math.abs(units[0].value)) < 1.5, `bar ${i} is proportional`);
    // BERT's export has no output head: the lens says so instead of showing something wrong.
    assert.match((await page.locator('.logit-lens p.note').textContent()) ?? '', /no output head/);
    await screenshot(page, 'bert-activations');
    assert.deepEqual(problems.violations, []);
  });

  it('marian-tiny: opens on the decoder, which has the output head; the encoder says where the lens is', async () => {
    const inspection = await realInspection('marian-tiny', undefined, 'Hello world');
    const { page, problems } = await openReport(browser, 'activations-marian', encode(inspection));
    await page.locator('button.tab[data-key="activations"]').click();
    await waitForView(page, 'activations');
    assert.equal(await page.locator('.toolbar .stack select').evaluate((select) => (select as HTMLSelectElement).selectedOptions[0].text), 'Decoder');
    assert.ok((await page.locator('.lens-table tbody tr').count()) > 0, 'the lens grid is shown');
    await page.locator('.toolbar .stack select').selectOption({ label: 'Encoder' });
    await page.waitForFunction(() => /the decoder has one/.test(document.querySelector('.logit-lens p.note')?.textContent ?? ''));
    assert.equal(await page.locator('.lens-table').isVisible(), false);
    assert.deepEqual(problems.violations, []);
  });

  it('gpt2-tiny: the logit lens grid shows each layer’s top token, the last row equals the model’s prediction', async () => {
    const inspection = await realInspection('gpt2-tiny');
    const { page, problems } = await openReport(browser, 'activations-gpt2', encode(inspection));
    await page.locator('button.tab[data-key="activations"]').click();
    await waitForView(page, 'activations');
    const lens = inspection.stacks[0].logitLens!;
    const [layers, tokens, k] = lens.dims;
    assert.equal(await page.locator('.lens-table tbody tr').count(), layers);
    // Rows run from the last layer (top) down to the embeddings.
    const top = await page.locator('.lens-table tbody tr').first().locator('td').allTextContents();
    const logits = inspection.logits!;
    const vocab = logits.dims[1];
    const predicted = Array.from({ length: tokens }, (_, t) => {
      const row = logits.data.subarray(t * vocab, (t + 1) * vocab);
      return row.indexOf(Math.max(...row));
    });
    const shown = (id: number) => (lens.tokenTexts[id] ?? '').replace(/^[\u2581\u0120]/, '·').replace(/[\u2581\u0120]/g, ' ') || '␣';
    assert.deepEqual(top, predicted.map(shown));
    const probabilities = await page.locator('.lens-table tbody tr').first().locator('td').evaluateAll((cells) => cells.map((cell) => Number((cell as HTMLElement).dataset.p)));
    probabilities.forEach((p, t) => assert.ok(Math.abs(p - lens.probabilities[((layers - 1) * tokens + t) * k]) < 1e-5));
    assert.match((await page.locator('.lens-table tbody tr').first().locator('td').first().getAttribute('title')) ?? '', /%.*·.*%/);
    await screenshot(page, 'gpt2-activations-lens');
    assert.deepEqual(problems.violations, []);
  });
});
