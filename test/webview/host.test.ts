// The VS Code panel (dist/webview.js) behind a host playing the extension with real data: ready
// handshake, RPC questions, saved state and restore, save requests, status, theme switch, translations.

import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { answerPanelQuestion } from '../../src/analysis/inspectionSummary';
import type { Inspection, Translation } from '../../src/protocol/inspection';
import { tokenLabel } from '../../webview/tokenInfo';
import { applyTheme, expectCells, launch, legendLut, matrixCells, maxOf, realInspection, realTranslation, screenshot, waitForView, WebviewHost } from './harness';

let browser: Browser;
let inspection: Inspection;
let host: WebviewHost;
before(async () => {
  browser = await launch();
  inspection = await realInspection('marian-tiny', 'The attention layer reads every token twice.', 'Die Schicht liest.');
  host = await WebviewHost.open(browser, 'host-marian');
});
after(async () => {
  assert.deepEqual(host.problems.violations, [], 'no CSP violations');
  assert.deepEqual(host.problems.errors, [], 'no page errors');
  await browser?.close();
});

const lastState = () => host.states[host.states.length - 1] as { rerun: unknown; ui: Record<string, unknown> };

describe('VS Code panel', () => {
  it('says ready once, then draws the inspection the host posts, in the model view', async () => {
    await host.ready;
    assert.deepEqual(host.received.filter((m) => 'type' in m && m.type === 'ready').length, 1);
    await host.showInspection(inspection);
    await waitForView(host.page, 'model');
    assert.equal(await host.page.locator('h1').textContent(), 'marian-tiny');
    assert.equal(await host.page.locator('rect.model-cell').count(), 3 * 4, 'encoder.self: 3 layers × 4 heads');
    await screenshot(host.page, 'host-model-view');
  });

  it('asks the host for full-resolution heads and draws the answer', async () => {
    await host.page.locator('rect.model-cell[data-layer="2"][data-head="1"]').click();
    await waitForView(host.page, 'heatmap');
    const request = host.received.find((m) => 'kind' in m && m.kind === 'request' && m.method === 'attentionHead');
    assert.deepEqual(request && 'params' in request ? request.params : undefined, { id: 'test', group: 'encoder.self', layer: 2, head: 1 });
    const head = answerPanelQuestion(inspection, 'attentionHead', { id: 'test', group: 'encoder.self', layer: 2, head: 1 });
    const n = head.dims[0];
    const all = Array.from({ length: n }, (_, i) => i);
    assert.deepEqual(expectCells(await matrixCells(host.page), await legendLut(host.page), head.data, n, all, all, maxOf(head.data)), []);
  });

  it('keeps what to re-run and where the user was in setState', async () => {
    await host.page.locator('.toolbar .hide-special input').check();
    await host.page.waitForFunction(() => !document.querySelector('text.row-label[data-index="13"]'));
    const state = lastState();
    assert.deepEqual(state.rerun, { kind: 'inspect', text: inspection.text, target: inspection.target });
    assert.equal(state.ui.tab, 'attention');
    assert.equal(state.ui.mode, 'heatmap');
    assert.equal(state.ui.group, 'encoder.self');
    assert.equal(state.ui.layer, 2);
    assert.equal(state.ui.head, 1);
    assert.equal(state.ui.hideSpecial, true);
  });

  it('a reloaded panel comes back where it was', async () => {
    const revived = await WebviewHost.open(browser, 'host-revived', { state: lastState() });
    await revived.ready;
    await revived.showInspection(inspection);
    await waitForView(revived.page, 'heatmap');
    assert.match((await revived.page.locator('.view .view-title').textContent()) ?? '', /encoder\.self · Layer 3, head 2/);
    assert.equal(await revived.page.locator('.toolbar .hide-special input').isChecked(), true);
    await revived.page.context().close();
  });

  it('exports go to the host as save requests', async () => {
    await host.page.locator('button.export-png').click();
    await host.page.locator('button.export-csv').click();
    await host.page.waitForFunction(() => true);
    const deadline = Date.now() + 10_000;
    while (host.saves.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const [png, csv] = host.saves;
    assert.equal(png.name, 'attention-encoder.self-L3-H2.png');
    assert.equal(png.mime, 'image/png');
    assert.equal(png.encoding, 'base64');
    assert.deepEqual([...Buffer.from(png.data, 'base64').subarray(0, 4)], [137, 80, 78, 71]);
    assert.equal(csv.mime, 'text/csv');
    assert.equal(csv.encoding, 'utf8');
    assert.equal(csv.data.trim().split('\n').length, inspection.stacks[0].tokens.filter((t) => !t.special).length + 1);
  });

  it('shows busy and error messages, keeping the drawing', async () => {
    await host.post({ type: 'busy', message: 'Running marian-tiny…' });
    await host.page.waitForFunction(() => document.querySelector('.status.busy')?.textContent === 'Running marian-tiny…');
    await host.post({ type: 'error', message: 'The engine stopped.' });
    await host.page.waitForFunction(() => document.querySelector('.status.error[role="alert"]')?.textContent === 'The engine stopped.');
    assert.equal(await host.page.locator('.matrix-canvas').count(), 1);
  });

  it('an error answer from the host settles the question and says why', async () => {
    const saved = host.inspection;
    host.inspection = undefined; // the engine no longer knows the inspection
    await host.page.locator('button.tab[data-key="mean"]').click();
    await host.page.waitForFunction(() => /no inspection/.test(document.querySelector('.status.error')?.textContent ?? ''));
    host.inspection = saved;
    await host.page.locator('button.tab[data-key="heatmap"]').click();
    await waitForView(host.page, 'heatmap');
  });

  it('follows VS Code’s theme switch: variables on <html>, a class on <body>', async () => {
    const dark = await legendLut(host.page);
    assert.deepEqual(dark[0].slice(0, 3), [0x1f, 0x1f, 0x1f]);
    await screenshot(host.page, 'host-heatmap-dark');
    await applyTheme(host.page, 'light');
    await host.page.waitForFunction(() => document.querySelector<HTMLCanvasElement>('.legend-ramp')!.getContext('2d')!.getImageData(0, 1, 1, 1).data[0] === 0xff);
    const light = await legendLut(host.page);
    assert.deepEqual(light[255].slice(0, 3), [0x3b, 0x3b, 0x3b]);
    const head = answerPanelQuestion(inspection, 'attentionHead', { id: 'test', group: 'encoder.self', layer: 2, head: 1 });
    const visible = inspection.stacks[0].tokens.flatMap((t, i) => (t.special ? [] : [i]));
    assert.deepEqual(expectCells(await matrixCells(host.page), light, head.data, head.dims[0], visible, visible, maxOf(head.data)), []);
    await screenshot(host.page, 'host-heatmap-light');
    await applyTheme(host.page, 'high-contrast');
    await host.page.waitForFunction(() => document.querySelector<HTMLCanvasElement>('.legend-ramp')!.getContext('2d')!.getImageData(0, 1, 1, 1).data[0] === 0);
    await screenshot(host.page, 'host-heatmap-high-contrast');
    await applyTheme(host.page, 'dark');
  });
});

describe('VS Code panel with a translation', () => {
  let translation: Translation;
  before(async () => {
    translation = await realTranslation('The attention layer reads every token.');
  });

  it('draws the cross-attention: generated tokens down, source tokens across, averaged or per layer/head', async () => {
    await host.post({ type: 'translation', translation });
    await waitForView(host.page, 'alignment');
    assert.equal(await host.page.locator('h1').textContent(), translation.text);
    assert.deepEqual(await host.page.locator('text.row-label').allTextContents(), translation.tokens.filter((t) => !t.special).map(tokenLabel));
    assert.deepEqual(await host.page.locator('text.col-label').allTextContents(), translation.sourceTokens.filter((t) => !t.special).map(tokenLabel));
    const [layers, heads, generated, source] = translation.crossAttention!.dims;
    const rows = translation.tokens.flatMap((t, i) => (t.special ? [] : [i]));
    const cols = translation.sourceTokens.flatMap((t, i) => (t.special ? [] : [i]));
    const alignment = translation.alignment!.data;
    assert.deepEqual(expectCells(await matrixCells(host.page), await legendLut(host.page), alignment, source, rows, cols, maxOf(alignment)), []);
    await host.page.locator('.toolbar .layer select').selectOption({ value: String(layers) });
    await host.page.locator('.toolbar .head select').selectOption({ value: String(heads) });
    await host.page.waitForFunction((title) => document.querySelector('.view .view-title')?.textContent === title, `Alignment · Layer ${layers}, head ${heads}`);
    const offset = ((layers - 1) * heads + heads - 1) * generated * source;
    const one = translation.crossAttention!.data.slice(offset, offset + generated * source);
    assert.deepEqual(expectCells(await matrixCells(host.page), await legendLut(host.page), one, source, rows, cols, maxOf(one)), []);
    assert.deepEqual(lastState().rerun, { kind: 'translate', text: translation.sourceText, targetLanguage: translation.targetLanguage ?? 'auto' });
    assert.equal(await host.page.locator('button.tab[data-key="embeddings"]').count(), 0, 'a translation has attention only');
    await screenshot(host.page, 'host-translation');
  });
});
