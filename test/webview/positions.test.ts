// The positions view drawn from real fixture inspections: Marian's and the tutorial's sinusoidal
// tables recognised (each layout) and equal to the formula, BERT's learned table shown as learned,
// and a token's scaled embedding + position = their sum.

import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { sinusoid } from '../../src/analysis/positions';
import { download, encode, launch, openReport, realInspection, screenshot, waitForView } from './harness';

let browser: Browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

interface PositionsExport {
  kind: string;
  layout: 'interleaved' | 'halves';
  offset: number;
  embeddingScale: number;
  added: number[][];
  token: { index: number; embedding: number[]; position: number[]; sum: number[] };
}

async function positionsOf(name: string, model: string, text: string, target?: string, token = 2) {
  const inspection = await realInspection(model, text, target);
  const { page, problems } = await openReport(browser, `positions-${name}`, encode(inspection));
  await page.locator('button.tab[data-key="positions"]').click();
  await waitForView(page, 'positions');
  await page.locator('.toolbar .token-choice select').selectOption({ value: String(token) });
  await page.waitForFunction((t) => /at position/.test(document.querySelector('.positions-token-title')?.textContent ?? '') && (document.querySelector<HTMLSelectElement>('.toolbar .token-choice select')?.value ?? '') === String(t), token);
  const json = JSON.parse((await download(page, 'json')).bytes.toString('utf8')) as PositionsExport;
  const verdict = (await page.locator('.positions-verdict').textContent()) ?? '';
  return { inspection, page, problems, json, verdict };
}

describe('positions view', () => {
  for (const [model, layout, scale] of [['marian-tiny', 'halves', Math.sqrt(32)], ['tutorial-encoder', 'interleaved', 1]] as const) {
    it(`${model}: a sinusoidal table (${layout}), every value the formula's; embedding × ${scale.toFixed(3)} + position = sum`, async () => {
      const { inspection, page, problems, json, verdict } = await positionsOf(model, model, 'the attention layer reads every token');
      assert.equal(json.kind, 'sinusoidal');
      assert.equal(json.layout, layout);
      assert.match(verdict, /^Sinusoidal:/);
      const width = json.added[0].length;
      const tokens = inspection.stacks[0].tokens.length;
      assert.equal(json.added.length, tokens, 'one row per token');
      let worst = 0;
      json.added.forEach((row, p) => row.forEach((value, i) => (worst = Math.max(worst, Math.abs(value - sinusoid(p + json.offset, i, width, layout))))));
      assert.ok(worst < 1e-5, `largest difference from the formula ${worst}`);
      assert.ok(Math.abs(json.embeddingScale - scale) < 1e-4, `scale ${json.embeddingScale}`);
      const lookup = inspection.stacks[0].embeddings!;
      json.token.embedding.forEach((value, i) => assert.ok(Math.abs(value - lookup.data[2 * width + i] * scale) < 1e-5));
      json.token.sum.forEach((value, i) => assert.ok(Math.abs(value - (json.token.embedding[i] + json.token.position[i])) < 1e-5));
      assert.equal(await page.locator('canvas.positions-canvas').getAttribute('data-rows'), String(tokens));
      await screenshot(page, `positions-${model}`);
      assert.deepEqual(problems, { violations: [], errors: [] });
      await page.context().close();
    });
  }

  it('bert-tiny: a learned table, shown as learned', async () => {
    const { page, problems, json, verdict } = await positionsOf('bert', 'bert-tiny', 'The attention layer reads every token twice.');
    assert.equal(json.kind, 'learned');
    assert.match(verdict, /^Learned:/);
    assert.deepEqual(problems, { violations: [], errors: [] });
    await page.context().close();
  });
});
