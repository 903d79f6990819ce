// As a user does it, in code-server driven by Chromium: Open Model… through the quick pick and
// the file dialog, the status bar, Inspect Selection on a line, the panel's model view, a head
// focused in the heatmap, the heatmap recoloured when the colour theme changes, and the panel
// restored after a window reload, then its activations view with the FFN units the engine fetches,
// and Export: Open, Reveal in Explorer, and a write that fails.

import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { repoRoot } from '../paths';
import { openExtensionWorkbench, type ExtensionWorkbench } from '../session';

const MODEL = path.join(repoRoot, 'test', 'fixtures', 'models', 'marian-tiny');
let session: ExtensionWorkbench;

before(async () => {
  session = await openExtensionWorkbench('inspect');
});
after(async () => {
  await session?.close();
});

test('Open Model… loads a model folder chosen in the dialog; the status bar shows it and its provider', async () => {
  const { workbench } = session;
  const page = workbench.page;
  await workbench.runCommand('Transformer Inspector: Open Model…');
  const quickInput = page.locator('.quick-input-widget');
  await quickInput.locator('.quick-input-list .monaco-list-row', { hasText: 'Model folder…' }).click();
  await workbench.answerPathDialog('Choose a model folder', `${MODEL}/`, 'Open Model');
  const status = page.locator('.statusbar-item', { hasText: 'marian-tiny · CPU' });
  await status.waitFor({ timeout: 60_000 });
  await workbench.screenshot('status-bar');
});

test('Inspect Selection opens the panel beside the editor on the model view of every layer and head', async () => {
  const { workbench } = session;
  await workbench.openFile('notes.md');
  await workbench.goToLine(3, 1);
  await workbench.runCommand('Transformer Inspector: Inspect Selection');
  const frame = await workbench.webviewFrameLocator('Transformer Inspector');
  await frame.locator('#app[data-view="model"]').waitFor({ timeout: 60_000 });
  assert.equal(await frame.locator('h1').textContent(), 'marian-tiny');
  const tokens = await frame.locator('.token-strip[data-stack="encoder"] .token').allTextContents();
  // The fixture's tiny vocabulary spells "Transformer" out in pieces; together they are the line.
  assert.match(tokens.join('').replace(/[\s␣▁]/g, ''), /ATransformerencoderreads/);
  // encoder.self of marian-tiny: 3 layers × 4 heads, one cell each.
  assert.equal(await frame.locator('rect.model-cell').count(), 3 * 4);
  assert.equal(await frame.locator('canvas.model-canvas').count(), 1);
  await workbench.screenshot('inspection-model-view');
});

test('the panel runs under a strict content security policy: nothing but its own nonce’d script', async () => {
  const frame = await session.workbench.webviewFrameLocator('Transformer Inspector');
  const csp = (await frame.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')) ?? '';
  assert.match(csp, /default-src 'none'/);
  // Scripts: the nonce alone, no hosts; styles and images only from VS Code's webview resource origin.
  assert.match(csp, /script-src 'nonce-[A-Za-z0-9+/=]{16,}'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  const scripts = await frame.locator('script').evaluateAll((nodes) => nodes.map((node) => ({ nonce: (node as HTMLScriptElement).nonce, src: (node as HTMLScriptElement).src, text: (node.textContent ?? '').slice(0, 80) })));
  // VS Code itself injects one inline script (acquireVsCodeApi) before the policy applies; every other is ours, external and nonce'd.
  const ours = scripts.filter((script) => !/acquireVsCodeApi/.test(script.text));
  assert.equal(ours.length, 1, JSON.stringify(scripts));
  assert.match(ours[0].src, /\/dist\/webview\.js$/);
  assert.ok(ours[0].nonce && csp.includes(`'nonce-${ours[0].nonce}'`), 'our script carries the policy’s nonce');
});

test('a click on a model-view cell focuses that head in the heatmap, drawn from the engine’s answer', async () => {
  const { workbench } = session;
  const frame = await workbench.webviewFrameLocator('Transformer Inspector');
  await frame.locator('rect.model-cell[data-layer="2"][data-head="1"]').click();
  await frame.locator('#app[data-view="heatmap"]').waitFor({ timeout: 30_000 });
  assert.equal(await frame.locator('.view .view-title').textContent(), 'encoder.self · Layer 3, head 2');
  const strip = await frame.locator('.token-strip[data-stack="encoder"] .token').allTextContents();
  const tokens = strip.length;
  // A narrow panel thins the labels out; each one shown names its own row and column.
  for (const axis of ['row', 'col']) {
    const labels = await frame.locator(`text.${axis}-label`).evaluateAll((nodes) => nodes.map((n) => [Number(n.getAttribute('data-index')), n.textContent]));
    assert.ok(labels.length >= tokens / 3, `${axis} labels: ${labels.length}`);
    for (const [index, text] of labels) assert.equal(text, strip[index as number], `${axis} label ${index}`);
  }
  // The canvas holds one pixel per query × key, all drawn (threshold 0).
  const drawn = await frame.locator('canvas.matrix-canvas').evaluate((canvas: HTMLCanvasElement) => {
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let opaque = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] === 255) opaque++;
    return { width: canvas.width, height: canvas.height, opaque };
  });
  assert.deepEqual(drawn, { width: tokens, height: tokens, opaque: tokens * tokens });
  // The exact weight on hover.
  const box = (await frame.locator('canvas.matrix-canvas').boundingBox())!;
  await workbench.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const tooltip = (await frame.locator('.tooltip:not([hidden])').textContent()) ?? '';
  const weight = Number(tooltip.split(': ').pop());
  assert.ok(weight >= 0 && weight <= 1, tooltip);
  await workbench.screenshot('inspection-heatmap');
});

test('switching the VS Code colour theme recolours the heatmap from the new theme', async () => {
  const { workbench } = session;
  const page = workbench.page;
  const frame = await workbench.webviewFrameLocator('Transformer Inspector');
  const look = () =>
    frame.locator('canvas.legend-ramp').evaluate((ramp: HTMLCanvasElement) => {
      const first = [...ramp.getContext('2d')!.getImageData(0, 1, 1, 1).data].slice(0, 3);
      const probe = document.createElement('div');
      probe.style.setProperty('color', getComputedStyle(document.body).getPropertyValue('--vscode-editor-background'));
      document.body.append(probe);
      const background = getComputedStyle(probe).color;
      probe.remove();
      const heatmap = document.querySelector<HTMLCanvasElement>('canvas.matrix-canvas')!;
      const cells = [...heatmap.getContext('2d')!.getImageData(0, 0, heatmap.width, heatmap.height).data];
      return { first, background, cells, themeClass: document.body.className };
    });
  const before = await look();
  // Whichever kind of theme the window starts with, go to the other kind.
  const [target, targetClass] = /vscode-light/.test(before.themeClass) ? ['Dark Modern', /vscode-dark/] : ['Light Modern', /vscode-light/];
  assert.equal(`rgb(${before.first.join(', ')})`, before.background, 'the LUT starts at the editor background');
  // Preferences: Color Theme, then pick the theme in its list, as a user does.
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await page.keyboard.press('Escape');
  await page.keyboard.press('F1');
  await input.fill('>Preferences: Color Theme');
  await page.locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: /^Preferences: Color Theme$/ }) }).first().click();
  const row = page.locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: new RegExp(`^${target}$`) }) });
  await page.locator('.quick-input-list .monaco-list-row').first().waitFor({ timeout: 10_000 });
  await input.fill(target);
  await row.first().waitFor({ timeout: 10_000 });
  if (!(await row.first().evaluate((element) => element.classList.contains('focused')))) await row.first().click();
  else await page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden', timeout: 10_000 });
  let after = await look();
  for (let i = 0; i < 50 && after.first.join() === before.first.join(); i++) {
    await page.waitForTimeout(200);
    after = await look();
  }
  assert.match(after.themeClass, targetClass);
  assert.equal(`rgb(${after.first.join(', ')})`, after.background, 'the LUT starts at the new editor background');
  assert.notDeepEqual(after.cells, before.cells, 'every cell recoloured');
  await workbench.screenshot('inspection-heatmap-recoloured');
});

test('after "Reload Window" the panel comes back on the same model, view, layer and head', async () => {
  const { workbench } = session;
  await workbench.runCommand('Developer: Reload Window');
  await workbench.page.waitForLoadState('domcontentloaded');
  await workbench.waitForReady();
  // The serializer revives the panel and re-runs the inspection on the model it showed (not the bundled default).
  const frame = await workbench.webviewFrameLocator('Transformer Inspector', 90_000);
  await frame.locator('#app[data-view="heatmap"]').waitFor({ timeout: 90_000 });
  assert.equal(await frame.locator('h1').textContent(), 'marian-tiny');
  assert.equal(await frame.locator('.view .view-title').textContent(), 'encoder.self · Layer 3, head 2');
  const tokens = await frame.locator('.token-strip[data-stack="encoder"] .token').allTextContents();
  assert.match(tokens.join('').replace(/[\s␣▁]/g, ''), /ATransformerencoderreads/);
  const status = workbench.page.locator('.statusbar-item', { hasText: 'marian-tiny · CPU' });
  await status.waitFor({ timeout: 60_000 });
  await workbench.screenshot('inspection-after-reload');
});

test('the activations view fetches the FFN units from the engine when it opens, for each layer chosen', async () => {
  const { workbench } = session;
  const frame = await workbench.webviewFrameLocator('Transformer Inspector');
  await frame.locator('button.tab[data-key="activations"]').click();
  await frame.locator('#app[data-view="activations"]').waitFor({ timeout: 30_000 });
  // It opens on the decoder, the stack with the output head (its logit lens); the FFN units of the encoder next.
  await frame.locator('.lens-table tbody tr').first().waitFor({ timeout: 30_000 });
  assert.equal(await frame.locator('.toolbar .stack select').evaluate((select) => (select as HTMLSelectElement).selectedOptions[0].text), 'Decoder');
  await frame.locator('.toolbar .stack select').selectOption({ label: 'Encoder' });
  await frame.locator('.layer-activations .view-title', { hasText: /^encoder/ }).waitFor({ timeout: 30_000 });
  const unitsShown = async (layer: number) => {
    await frame.locator('.ffn-title', { hasText: new RegExp(`layer ${layer}, token`) }).waitFor({ timeout: 30_000 });
    const labels = await frame.locator('.ffn-unit .ffn-label').allTextContents();
    return labels.map((label) => {
      const match = /^unit (\d+): (-?[\d.e+-]+)$/.exec(label);
      assert.ok(match, label);
      return { unit: Number(match[1]), value: Number(match[2]) };
    });
  };
  // The view keeps the layer the heatmap showed (3); choose the first.
  await frame.locator('.toolbar .layer select').selectOption({ label: '1' });
  const first = await unitsShown(1);
  // marian-tiny's FFN is 64 wide: the 16 most active units, strongest first.
  assert.equal(first.length, 16);
  assert.equal(new Set(first.map((entry) => entry.unit)).size, 16);
  assert.ok(first.every((entry, i) => entry.unit < 64 && (i === 0 || first[i - 1].value >= entry.value)), JSON.stringify(first));
  await frame.locator('.toolbar .layer select').selectOption({ label: '2' });
  const second = await unitsShown(2);
  assert.equal(second.length, 16);
  assert.notDeepEqual(second, first, 'another layer, other activations');
  // The whole norms heatmap, every token's row, in sight beside the FFN units.
  await frame.locator('.layer-activations .view-title').scrollIntoViewIfNeeded();
  const tokens = await frame.locator('.token-strip[data-stack="encoder"] span.token').count();
  assert.equal(await frame.locator('.layer-activations canvas.matrix-canvas').getAttribute('data-rows'), String(tokens));
  assert.equal(await frame.locator('.layer-activations text.row-label').count(), tokens, 'every token row is labelled');
  const seen = await frame.locator('.view-area').evaluate((area) => {
    // Inline callbacks only: a named helper here would need the test transpiler's __name in the page.
    const box = area.getBoundingClientRect();
    return ['.layer-activations canvas.matrix-canvas', '.ffn-unit'].map((selector) => {
      const rect = area.querySelector(selector)?.getBoundingClientRect();
      return !!rect && rect.top >= box.top - 1 && rect.bottom <= box.bottom + 1;
    });
  });
  assert.deepEqual(seen, [true, true], 'heatmap and FFN units both in sight');
  await workbench.screenshot('inspection-activations');
});

test('Export → PNG writes the file where the dialog says and offers to open it; Open shows it in an editor', async () => {
  const { workbench, workspace } = session;
  const page = workbench.page;
  const target = path.join(workspace, 'activations-encoder.png');
  await exportTo('PNG', 'activations-encoder.png', target);
  const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'Exported activations-encoder.png' });
  await toast.waitFor({ timeout: 30_000 });
  // The PNG signature: the file is the picture, not an empty placeholder.
  assert.deepEqual([...readFileSync(target).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  await workbench.screenshot('export-confirmed');
  await toast.locator('.monaco-button', { hasText: 'Open' }).click();
  await workbench.tab('activations-encoder.png').waitFor({ timeout: 30_000 });
});

/** Clicks the export bar's `kind` button and answers the save dialog with `target`. */
async function exportTo(kind: string, name: string, target: string): Promise<void> {
  const page = session.workbench.page;
  // An export opened earlier may cover the panel in its editor group.
  await session.workbench.activateTab('Transformer Inspector');
  const frame = await session.workbench.webviewFrameLocator('Transformer Inspector');
  await frame.locator('.export-bar button', { hasText: kind }).click();
  const quickInput = page.locator('.quick-input-widget');
  await quickInput.locator('.quick-input-title', { hasText: `Export ${name}` }).waitFor({ timeout: 30_000 });
  const pathBox = quickInput.locator('input.input');
  // The dialog may still be filling in its default folder: type until the path sticks.
  for (let attempt = 0; (await pathBox.inputValue()) !== target; attempt++) {
    assert.ok(attempt < 20, `the save dialog kept ${await pathBox.inputValue()} instead of ${target}`);
    await pathBox.fill(target);
    await page.waitForTimeout(250);
  }
  await pathBox.press('Enter');
}

test('the panel hidden behind the opened PNG comes back as it was; Export → SVG, then Reveal in Explorer selects the file', async () => {
  const { workbench, workspace } = session;
  const page = workbench.page;
  // VS Code re-creates a hidden panel's page: it must be drawn again, on the same view and layer.
  await workbench.activateTab('Transformer Inspector');
  const frame = await workbench.webviewFrameLocator('Transformer Inspector');
  await frame.locator('#app[data-view="activations"]').waitFor({ timeout: 30_000 });
  await frame.locator('.layer-activations canvas.matrix-canvas').waitFor({ timeout: 30_000 });
  await exportTo('SVG', 'activations-encoder.svg', path.join(workspace, 'activations-encoder.svg'));
  const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'Exported activations-encoder.svg' });
  await toast.waitFor({ timeout: 30_000 });
  assert.match(readFileSync(path.join(workspace, 'activations-encoder.svg'), 'utf8'), /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  await toast.locator('.monaco-button', { hasText: 'Reveal in Explorer' }).click();
  const row = page.locator('.explorer-folders-view .monaco-list-row.selected', { hasText: 'activations-encoder.svg' });
  await row.waitFor({ timeout: 30_000 });
  await workbench.screenshot('export-revealed');
});

test('Export to a place that cannot be written says so and names the file; the panel goes on working', async () => {
  const { workbench } = session;
  const page = workbench.page;
  // Nothing, not even root, can create a file in /proc: a real failing write.
  await exportTo('JSON', 'activations-encoder.json', '/proc/activations-encoder.json');
  const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'Could not write /proc/activations-encoder.json' });
  await toast.waitFor({ timeout: 30_000 });
  await workbench.screenshot('export-failed');
  const frame = await workbench.webviewFrameLocator('Transformer Inspector');
  await frame.locator('button.tab[data-key="attention"]').first().click();
  await frame.locator('#app[data-view]').first().waitFor({ timeout: 30_000 });
  assert.notEqual(await frame.locator('#app').getAttribute('data-view'), null);
  assert.equal(await frame.locator('.status.error').count(), 0, 'the panel shows no error of its own');
});
