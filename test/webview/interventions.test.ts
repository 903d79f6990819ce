// The VS Code panel (dist/webview.js) with the engine's own answers, in process: heads switched off
// from the model view and the step-by-step view, the effect beside the original (Marian's
// re-generated translation, the hidden-state shift, GPT-2's next token), one click to restore; and
// the next-token view reshaped by temperature, top-k and top-p.

import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { rankOrder, reshapedDistribution, softmax } from '../../src/analysis/sampling';
import { generate } from '../../src/engine/generation';
import { headDependence } from '../../src/engine/headDependence';
import { inspect } from '../../src/engine/inspector';
import { disposeModel, loadModel, type LoadedModel } from '../../src/engine/loadedModel';
import { answerInEngine } from '../../src/engine/panelAnswers';
import type { Inspection } from '../../src/protocol/inspection';
import type { PanelQuestion } from '../../src/protocol/engineProtocol';
import { encode, launch, openReport, REPO_ROOT, screenshot, waitForView, WebviewHost } from './harness';
import * as path from 'node:path';

let browser: Browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const engineAnswer = async (inspection: Inspection, method: string, params: unknown) => answerInEngine(inspection, { method, params } as PanelQuestion);
const fixtureModel = (name: string) => loadModel(path.join(REPO_ROOT, 'test', 'fixtures', 'models', name));

describe('switching heads off, marian-tiny', () => {
  const text = 'The attention layer reads every token twice.';
  let model: LoadedModel;
  let host: WebviewHost;
  before(async () => {
    model = await fixtureModel('marian-tiny');
    host = await WebviewHost.open(browser, 'interventions-marian', { answer: engineAnswer, width: 1100 });
    await host.ready;
    await host.showInspection(await inspect(model, { text, activationsView: 'on-demand' }));
    await waitForView(host.page, 'model');
  });
  after(async () => {
    assert.deepEqual(host.problems, { violations: [], errors: [] });
    await host.page.context().close();
    await disposeModel(model);
  });

  it('"Switch heads off", then clicks on cells: the translation with them off beside the original', async () => {
    const page = host.page;
    await page.locator('.toolbar .group select').selectOption({ label: 'decoder.cross' });
    await page.locator('button.switch-heads').click();
    assert.equal(await page.locator('button.switch-heads').getAttribute('aria-pressed'), 'true');
    const heads = [[0, 0], [0, 1], [0, 2], [0, 3], [1, 0], [1, 1], [1, 2], [1, 3]];
    for (const [layer, head] of heads) {
      await page.locator(`rect.model-cell[data-layer="${layer}"][data-head="${head}"]`).click();
      await page.waitForFunction(([l, h]) => document.querySelector(`rect.model-cell[data-layer="${l}"][data-head="${h}"]`)?.classList.contains('off'), [layer, head]);
    }
    assert.equal(await page.locator('#app[data-view]').getAttribute('data-view'), 'model', 'clicks switch heads instead of opening the heatmap');
    await page.locator('.ablation-effect:not([hidden]) .effect-translation').waitFor();
    const names = heads.map(([layer, head]) => ({ stack: 'decoder' as const, kind: 'cross' as const, layer, head }));
    const original = (await generate(model, text)).text;
    const ablated = (await generate(model, text, { ablate: names })).text;
    assert.deepEqual(await page.locator('.effect-translation td').allTextContents(), [original, ablated]);
    assert.match((await page.locator('.effect-title').textContent()) ?? '', /^8 heads off: decoder\.cross:0:0/);
    // The encoder never sees cross-attention: it does not move; the decoder does.
    const shifts = await page.locator('.effect-shift').evaluateAll((lists) => lists.map((list) => [...list.querySelectorAll('.effect-value')].map((value) => Number.parseFloat(value.textContent ?? ''))));
    assert.ok(shifts[0].every((value) => value === 0), `encoder: ${shifts[0]}`);
    assert.ok(shifts[1].at(-1)! > 0, `decoder: ${shifts[1]}`);
    assert.equal(await page.locator('rect.model-cell.off').count(), 8);
    await screenshot(page, 'interventions-marian');
  });

  it('X switches the focused head back on; "Restore all heads" brings every head back', async () => {
    const page = host.page;
    await page.locator('button.switch-heads').click();
    assert.equal(await page.locator('button.switch-heads').getAttribute('aria-pressed'), 'false');
    await page.locator('rect.model-cell[data-layer="1"][data-head="3"]').focus();
    await page.keyboard.press('x');
    await page.waitForFunction(() => document.querySelectorAll('rect.model-cell.off').length === 7);
    assert.equal(await page.locator('rect.model-cell[data-layer="1"][data-head="3"]').getAttribute('aria-pressed'), 'false');
    await page.locator('.effect-title', { hasText: /^7 heads off/ }).waitFor();
    await page.locator('button.restore-heads').click();
    await page.waitForFunction(() => document.querySelectorAll('rect.model-cell.off').length === 0);
    // Restored: the original translation again, and no effect to compare.
    assert.equal(await page.locator('.effect-restored .effect-original').textContent(), (await generate(model, text)).text);
    assert.equal(await page.locator('.effect-translation').count(), 0);
    // Without the switch pressed a click focuses the head in the heatmap, as before.
    await page.locator('rect.model-cell[data-layer="0"][data-head="1"]').click();
    await waitForView(page, 'heatmap');
  });

  it('the step-by-step view switches its head off and shows the effect in the model view', async () => {
    const page = host.page;
    await page.locator('button.tab[data-key="steps"]').click();
    await waitForView(page, 'steps');
    await page.locator('button.switch-head', { hasText: 'Switch this head off' }).click();
    await waitForView(page, 'model');
    await page.locator('.effect-title', { hasText: /^1 head off: decoder\.cross:0:1$/ }).waitFor();
    await page.locator('button.restore-heads').click();
    await page.waitForFunction(() => document.querySelectorAll('rect.model-cell.off').length === 0);
  });
});

describe('next token, gpt2-tiny', () => {
  let model: LoadedModel;
  let host: WebviewHost;
  let inspection: Inspection;
  before(async () => {
    model = await fixtureModel('gpt2-tiny');
    host = await WebviewHost.open(browser, 'next-token-gpt2', { answer: engineAnswer, width: 1000 });
    await host.ready;
    inspection = await inspect(model, { text: 'The attention layer reads every token', activationsView: 'on-demand' });
    await host.showInspection(inspection);
    await waitForView(host.page, 'model');
  });
  after(async () => {
    assert.deepEqual(host.problems, { violations: [], errors: [] });
    await host.page.context().close();
    await disposeModel(model);
  });

  const shown = () => host.page.locator('.next-item').evaluateAll((items) => items.map((item) => ({ id: Number((item as HTMLElement).dataset.id), value: Number.parseFloat(item.querySelector('.next-value')!.textContent ?? ''), cut: item.classList.contains('cut') })));
  const row = (position: number) => {
    const vocab = inspection.logits!.dims[1];
    return inspection.logits!.data.slice(position * vocab, (position + 1) * vocab);
  };

  it('opens on the last position: the most likely tokens with the model’s probabilities', async () => {
    await host.page.locator('button.tab[data-key="next"]').click();
    await waitForView(host.page, 'next');
    const last = inspection.logits!.dims[0] - 1;
    assert.equal(await host.page.locator('.toolbar .token-choice select').inputValue(), String(last));
    const logits = row(last);
    const p = softmax(logits);
    const order = rankOrder(logits);
    const items = await shown();
    assert.equal(items.length, 12);
    assert.deepEqual(items.map((item) => item.id), [...order.slice(0, 12)]);
    for (const item of items) assert.ok(Math.abs(item.value - p[item.id] * 100) <= (p[item.id] >= 0.1 ? 0.051 : 0.0051), `${item.id}: ${item.value}% vs ${p[item.id] * 100}`);
    await screenshot(host.page, 'next-token-gpt2');
  });

  it('temperature, top-k and top-p reshape the distribution live; Sample draws a kept token', async () => {
    const page = host.page;
    const logits = row(inspection.logits!.dims[0] - 1);
    const order = rankOrder(logits);
    await page.locator('.sampling-controls .top-k').fill('3');
    await page.locator('.sampling-controls .top-k').dispatchEvent('change');
    await page.waitForFunction(() => document.querySelectorAll('.next-item:not(.cut)').length === 3);
    await page.locator('.sampling-controls input.temperature').evaluate((input: HTMLInputElement) => {
      input.value = '0.5';
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
    const expected = reshapedDistribution(logits, order, { temperature: 0.5, topK: 3, topP: 1 });
    // Shown to 0.1 points at 10% and above, to 0.01 below.
    await page.waitForFunction((first) => Math.abs(Number.parseFloat(document.querySelector('.next-item .next-value')?.textContent ?? '') - first) <= 0.051, expected[order[0]] * 100);
    const items = await shown();
    for (const item of items) assert.ok(Math.abs(item.value - expected[item.id] * 100) <= (expected[item.id] >= 0.1 ? 0.051 : 0.0051), `${item.id}: ${item.value}%`);
    assert.match((await page.locator('.next-summary').textContent()) ?? '', /from 3 of \d+ tokens/);
    await page.locator('button.sample').click();
    const sampled = (await page.locator('.next-sampled').textContent()) ?? '';
    const drawn = Number(await page.locator('.next-item.drawn').getAttribute('data-id'));
    assert.ok([...order.slice(0, 3)].includes(drawn), `drawn ${drawn} is one of the three kept`);
    assert.match(sampled, /^Sampled “.+” \(p = [\d.]+%\)\.$/);
  });

  it('←/→ move the position', async () => {
    const page = host.page;
    await page.locator('.view-area').focus();
    await page.keyboard.press('ArrowLeft');
    const position = inspection.logits!.dims[0] - 2;
    await page.waitForFunction((p) => (document.querySelector<HTMLSelectElement>('.toolbar .token-choice select')?.value ?? '') === String(p), position);
    const order = rankOrder(row(position));
    await page.waitForFunction((id) => document.querySelector<HTMLElement>('.next-item')?.dataset.id === String(id), order[0]);
  });
});

describe('the offline report, without an engine', () => {
  it('offers neither switching heads off nor the next-token view', async () => {
    const model = await fixtureModel('gpt2-tiny');
    const inspection = await inspect(model, { text: 'The attention layer reads' });
    await disposeModel(model);
    const { page, problems } = await openReport(browser, 'interventions-report', encode(inspection));
    await waitForView(page, 'model');
    assert.equal(await page.locator('button.tab[data-key="next"]').count(), 0);
    assert.equal(await page.locator('.ablation-bar').isHidden(), true);
    assert.deepEqual(problems, { violations: [], errors: [] });
    await page.context().close();
  });
});

describe('a translation’s panel: which heads it depends on (marian-tiny)', () => {
  it('one grid per group, a mark where that head alone changes the translation, each change listed', async () => {
    const model = await fixtureModel('marian-tiny');
    const text = 'The attention layer reads every token twice.';
    const translation = await generate(model, text);
    // The host's answer, as the extension routes it to the translation engine.
    const answer = async (_kept: Inspection, method: string, params: unknown) => {
      assert.equal(method, 'headDependence');
      return headDependence(model, (params as { text: string }).text);
    };
    const host = await WebviewHost.open(browser, 'head-dependence', { answer, width: 1000 });
    try {
      await host.ready;
      // A translation has no inspection behind it; the harness only needs one to answer at all.
      host.inspection = {} as Inspection;
      await host.post({ type: 'translation', translation });
      await waitForView(host.page, 'alignment');
      await host.page.locator('button.tab[data-key="dependence"]').click();
      await waitForView(host.page, 'dependence');
      const expected = await headDependence(model, text);
      assert.deepEqual(await host.page.locator('table.dependence-grid').evaluateAll((tables) => tables.map((table) => (table as HTMLElement).dataset.group)), ['encoder.self', 'decoder.self', 'decoder.cross']);
      const marked = await host.page.locator('td.dependence-cell.changed').evaluateAll((cells) => cells.map((cell) => (cell as HTMLElement).dataset.head));
      assert.deepEqual(marked, expected.heads.filter((entry) => entry.changed).map((entry) => entry.head));
      assert.equal(await host.page.locator('td.dependence-cell[data-head]').count(), expected.heads.length);
      assert.deepEqual(host.problems, { violations: [], errors: [] });
      await screenshot(host.page, 'head-dependence');
    } finally {
      await host.page.context().close();
      await disposeModel(model);
    }
  });
});

describe('Alignment of an inspection whose decoder was given no text, marian-tiny', () => {
  it('shows the model’s own greedy translation, each generated token’s cross-attention over the source', async () => {
    const model = await fixtureModel('marian-tiny');
    const text = 'The attention layer reads every token twice.';
    const host = await WebviewHost.open(browser, 'alignment-own-translation', { answer: engineAnswer, width: 1100 });
    try {
      await host.ready;
      const inspection = await inspect(model, { text, activationsView: 'on-demand' });
      assert.equal(inspection.stacks.find((stack) => stack.stack === 'decoder')!.tokens.length, 1, 'only the start token');
      await host.showInspection(inspection);
      await waitForView(host.page, 'model');
      await host.page.locator('button.tab[data-key="alignment"]').click();
      await waitForView(host.page, 'alignment');
      const expected = await generate(model, text, {});
      await host.page.waitForFunction(() => /no text/.test(document.querySelector('.view-title')?.textContent ?? ''));
      assert.match((await host.page.locator('.view-title').textContent()) ?? '', new RegExp(expected.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      assert.equal(Number(await host.page.locator('canvas.matrix-canvas').getAttribute('data-rows')), expected.tokens.length);
      assert.equal(Number(await host.page.locator('canvas.matrix-canvas').getAttribute('data-cols')), expected.sourceTokens.length);
      await screenshot(host.page, 'alignment-own-translation');
      assert.deepEqual(host.problems, { violations: [], errors: [] });
    } finally {
      await host.page.context().close();
      await disposeModel(model);
    }
  });
});

