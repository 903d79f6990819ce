// The step-by-step view drawn from real fixture inspections made with Q/K/V: its softmax row is the
// inspection's attention row, its q and Σ wⱼvⱼ are the model's, a causal model's future keys are
// masked, and ←/→ / ↑/↓ move the query token and the head.

import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { Inspection } from '../../src/protocol/inspection';
import { download, encode, launch, openReport, realInspection, screenshot, waitForView, type PageProblems } from './harness';

let browser: Browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

interface StepExport {
  title: string;
  query: { index: number; text: string; vector: number[] };
  scale: number;
  keys: { index: number; dot: number; scaled: number; masked: boolean; weight: number; recomputed: number; value: number[] }[];
  output: number[];
  difference: number;
}

async function openSteps(page: Page, layer: number, head: number, query: number): Promise<void> {
  await page.locator('button.tab[data-key="steps"]').click();
  await waitForView(page, 'steps');
  await page.locator('.toolbar .layer select').selectOption({ value: String(layer) });
  await page.locator('.toolbar .head select').selectOption({ value: String(head) });
  await page.locator('.toolbar .token-choice select').selectOption({ value: String(query) });
  await page.waitForFunction((q) => new RegExp(`\\(${q} of`).test(document.querySelector('.step-facts')?.textContent ?? ''), query + 1);
}

async function exported(page: Page): Promise<StepExport> {
  return JSON.parse((await download(page, 'json')).bytes.toString('utf8')) as StepExport;
}

/** [layers, heads, n, d] row of one head. */
function row(data: Float32Array, dims: readonly number[], layer: number, head: number, index: number): number[] {
  const [, heads, n, d] = dims;
  const start = ((layer * heads + head) * n + index) * d;
  return [...data.subarray(start, start + d)];
}

function close(actual: readonly number[], expected: readonly number[], tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const worst = Math.max(...actual.map((value, i) => Math.abs(value - expected[i])));
  assert.ok(worst <= tolerance, `${what}: largest difference ${worst}`);
}

describe('step by step, bert-tiny', () => {
  let inspection: Inspection;
  let page: Page;
  let problems: PageProblems;
  before(async () => {
    inspection = await realInspection('bert-tiny', undefined, undefined, { qkv: true });
    ({ page, problems } = await openReport(browser, 'steps-bert', encode(inspection)));
  });
  after(() => {
    assert.deepEqual(problems.violations, [], 'no CSP violations');
    assert.deepEqual(problems.errors, [], 'no page errors');
  });

  it('the softmax row equals the inspection’s attention row, and q, vⱼ and Σ wⱼvⱼ are the model’s', async () => {
    const [layer, head, query] = [1, 1, 3];
    await openSteps(page, layer, head, query);
    const json = await exported(page);
    const attention = inspection.attention[0].tensor;
    const n = attention.dims[2];
    assert.equal(json.keys.length, n, 'one row per key');
    const weights = row(attention.data, attention.dims, layer, head, query);
    close(json.keys.map((key) => key.weight), weights, 1e-6, 'weights = attention row');
    close(json.keys.map((key) => key.recomputed), weights, 1e-4, 'softmax of q·kⱼ × scale = attention row');
    assert.ok(json.difference < 1e-4);
    const qkv = inspection.qkv![0];
    const d = qkv.queries.dims[3];
    assert.equal(json.scale, qkv.scale[layer]);
    assert.ok(Math.abs(json.scale - 1 / Math.sqrt(d)) < 1e-6, 'BERT scales by 1/√dₖ');
    close(json.query.vector, row(qkv.queries.data, qkv.queries.dims, layer, head, query), 0, 'q');
    close(json.keys[2].value, row(qkv.values.data, qkv.values.dims, layer, head, 2), 0, 'v₂');
    const output = Array.from({ length: d }, (_, i) => json.keys.reduce((sum, key) => sum + key.weight * key.value[i], 0));
    close(json.output, output, 1e-5, 'Σ wⱼvⱼ');
    assert.ok(json.keys.every((key) => !key.masked), 'BERT masks no key of one sentence');
    assert.equal(await page.locator('canvas.step-canvas').getAttribute('data-keys'), String(n));
    assert.match((await page.locator('.step-check').textContent()) ?? '', /equals the model’s weights/);
    await screenshot(page, 'steps-bert');
  });

  it('hovering a weight shows the model’s weight and the recomputed softmax', async () => {
    const box = (await page.locator('canvas.step-canvas').boundingBox())!;
    // The weight column's bars: find one by scanning the canvas's rows for the tooltip's text.
    for (let x = box.width - 1; x > 0; x -= 8) {
      await page.mouse.move(box.x + x, box.y + 34 + 16 + 8 + 16 * 2 + 8);
      // Read at once, without waiting: most columns show another tooltip, or none.
      const text = await page.evaluate(() => {
        const tip = document.querySelector<HTMLElement>('.step-by-step .tooltip');
        return tip && !tip.hidden ? (tip.textContent ?? '') : '';
      });
      if (/the model’s weight/.test(text)) {
        assert.match(text, /softmax of these scores/);
        return;
      }
    }
    assert.fail('no tooltip for the weight column');
  });

  it('←/→ move the query token and ↑/↓ the head', async () => {
    await openSteps(page, 0, 0, 2);
    await page.locator('.view-area').focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowDown');
    await page.waitForFunction(() => /\(4 of/.test(document.querySelector('.step-facts')?.textContent ?? ''));
    assert.equal(await page.locator('.toolbar .head select').inputValue(), '1');
    assert.equal(await page.locator('.toolbar .token-choice select').inputValue(), '3');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowUp');
    await page.waitForFunction(() => /\(3 of/.test(document.querySelector('.step-facts')?.textContent ?? ''));
    assert.equal(await page.locator('.toolbar .head select').inputValue(), '0');
  });
});

describe('step by step, gpt2-tiny (causal)', () => {
  it('keys after the query are masked: −∞ before the softmax, weight 0', async () => {
    const inspection = await realInspection('gpt2-tiny', undefined, undefined, { qkv: true });
    const { page, problems } = await openReport(browser, 'steps-gpt2', encode(inspection));
    const query = 4;
    await openSteps(page, 1, 0, query);
    const json = await exported(page);
    const n = inspection.attention[0].tensor.dims[2];
    assert.deepEqual(json.keys.map((key) => key.masked), Array.from({ length: n }, (_, j) => j > query));
    assert.ok(json.keys.every((key) => !key.masked || key.weight === 0));
    close(json.keys.map((key) => key.recomputed), json.keys.map((key) => key.weight), 1e-4, 'softmax with the mask = attention row');
    assert.match((await page.locator('.step-check').textContent()) ?? '', new RegExp(`${n - query - 1} keys masked`));
    await screenshot(page, 'steps-gpt2');
    assert.deepEqual(problems, { violations: [], errors: [] });
    await page.context().close();
  });
});

describe('step by step, marian-tiny cross-attention', () => {
  it('queries over the decoder’s tokens, keys and values over the encoder’s', async () => {
    const inspection = await realInspection('marian-tiny', 'The attention layer reads.', 'Die Schicht liest.', { qkv: true });
    const { page, problems } = await openReport(browser, 'steps-marian', encode(inspection));
    await page.locator('button.tab[data-key="steps"]').click();
    await waitForView(page, 'steps');
    const cross = inspection.attention.find((group) => group.kind === 'cross')!;
    const groups = await page.locator('.toolbar .group select option').allTextContents();
    const key = groups.find((label) => /cross/.test(label))!;
    await page.locator('.toolbar .group select').selectOption({ label: key });
    await openSteps(page, 0, 1, 2);
    const json = await exported(page);
    const [, , queries, keys] = cross.tensor.dims;
    assert.equal(json.keys.length, keys, 'one row per source token');
    assert.equal(await page.locator('.toolbar .token-choice select option').count(), queries, 'one query per target token');
    close(json.keys.map((entry) => entry.weight), row(cross.tensor.data, cross.tensor.dims, 0, 1, 2), 1e-6, 'cross-attention row');
    close(json.keys.map((entry) => entry.recomputed), json.keys.map((entry) => entry.weight), 1e-4, 'recomputed');
    assert.deepEqual(problems, { violations: [], errors: [] });
    await page.context().close();
  });
});
