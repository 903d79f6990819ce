// The architecture view drawn from real fixture inspections: one row per layer the engine found,
// each with its sublayers in order (the decoder's masked self-attention and cross-attention), the
// widths and the norm placement from the structure; every block opens its view.

import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { Inspection } from '../../src/protocol/inspection';
import { encode, launch, openReport, realInspection, screenshot, waitForView, type PageProblems } from './harness';

let browser: Browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const layersOf = (inspection: Inspection, stack: string) => inspection.attention.find((group) => group.stack === stack && group.kind === 'self')!.tensor.dims[0];

async function openArchitecture(name: string, inspection: Inspection): Promise<Page> {
  const { page, problems } = await openReport(browser, `architecture-${name}`, encode(inspection));
  await page.locator('button.tab[data-key="architecture"]').click();
  await waitForView(page, 'architecture');
  pages.push({ page, problems });
  return page;
}

const pages: { page: Page; problems: PageProblems }[] = [];
after(() => {
  for (const { problems } of pages) assert.deepEqual(problems, { violations: [], errors: [] }, 'no CSP violations or page errors');
});

describe('architecture view', () => {
  it('marian-tiny: one row per encoder and decoder layer, the decoder’s with masked self-attention and cross-attention', async () => {
    const inspection = await realInspection('marian-tiny', 'The attention layer reads.', 'Die Schicht liest.');
    const page = await openArchitecture('marian', inspection);
    for (const stack of ['encoder', 'decoder']) {
      assert.equal(await page.locator(`.arch-layer[data-stack="${stack}"]`).count(), layersOf(inspection, stack), `${stack} layers`);
    }
    const decoderLayers = layersOf(inspection, 'decoder');
    assert.equal(await page.locator('.arch-layer[data-stack="decoder"] .arch-attention.cross').count(), decoderLayers);
    assert.equal(await page.locator('.arch-layer[data-stack="encoder"] .arch-attention.cross').count(), 0);
    assert.deepEqual(
      await page.locator('.arch-layer[data-stack="decoder"][data-layer="0"] .arch-block').allTextContents(),
      ['Masked multi-head self-attention', 'Add & Norm', 'Cross-attention', 'Add & Norm', `Feed forward (${inspection.stacks[1].ffnActivations!.dims[2]})`, 'Add & Norm'],
      'post-LN order, as in the paper',
    );
    const facts = (await page.locator('.arch-facts').textContent()) ?? '';
    const hidden = inspection.stacks[0].hiddenStates!.dims[2];
    const heads = inspection.attention[0].tensor.dims[1];
    assert.match(facts, new RegExp(`d_model = ${hidden} · h = ${heads} heads, dₖ = d_model / h = ${hidden / heads}`));
    assert.match(facts, /post-LN/);
    assert.equal(await page.locator('.arch-output').count(), 1, 'the decoder ends in the output head');
    await screenshot(page, 'architecture-marian');
    // An HTML figure: its data exports, no picture is offered.
    assert.deepEqual([await page.locator('button.export-png').isHidden(), await page.locator('button.export-json').isHidden()], [true, false]);
    // A block opens its view: cross-attention of decoder layer 2 → that heatmap.
    await page.locator('.arch-layer[data-stack="decoder"][data-layer="1"] .arch-attention.cross').click();
    await waitForView(page, 'heatmap');
    assert.match((await page.locator('.view:visible .view-title').textContent()) ?? '', /decoder\.cross · Layer 2, head 1/);
    await page.locator('button.tab[data-key="architecture"]').click();
    await page.locator('.arch-layer[data-stack="encoder"][data-layer="0"] .arch-ffn').click();
    await waitForView(page, 'activations');
    await page.context().close();
  });

  it('a pre-LN nn.Transformer: norm before each sublayer, a final norm; BERT: post-LN', async () => {
    const prenorm = await openArchitecture('prenorm', await realInspection('torch-transformer-prenorm', 'the attention layer reads', 'the layer reads'));
    assert.match((await prenorm.locator('.arch-facts').textContent()) ?? '', /pre-LN/);
    assert.deepEqual((await prenorm.locator('.arch-layer[data-stack="encoder"][data-layer="0"] .arch-block').allTextContents()).slice(0, 2), ['Norm → Multi-head self-attention', 'Add']);
    assert.ok((await prenorm.locator('.arch-final-norm').count()) >= 1);
    await prenorm.context().close();
    const bertInspection = await realInspection('bert-tiny');
    const bert = await openArchitecture('bert', bertInspection);
    assert.equal(await bert.locator('.arch-layer').count(), layersOf(bertInspection, 'encoder'));
    assert.match((await bert.locator('.arch-facts').textContent()) ?? '', /post-LN/);
    assert.equal(await bert.locator('.arch-attention.self', { hasText: /^Multi-head self-attention$/ }).count(), layersOf(bertInspection, 'encoder'));
    await bert.context().close();
  });
});
