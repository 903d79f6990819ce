// Hover translation as a user meets it in code-server: hovering a Chinese comment in a .ts file
// shows its English translation with the alignment and links; "Replace with translation" edits
// the line and undo restores it; hovering punctuation shows no translation.

import * as assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { bundledModelShape } from '../paths';
import { openExtensionWorkbench, type ExtensionWorkbench } from '../session';

/** Every hover of ours ends with this line. */
const SIGNATURE = /Transformer Inspector/;
const CHINESE_COMMENT = '注意力权重在每个头上的总和为一。';
let session: ExtensionWorkbench;

before(async () => {
  session = await openExtensionWorkbench('hover', { settings: { 'editor.hover.delay': 200 } });
});
after(async () => {
  await session?.close();
});

async function lineText(line: number): Promise<string> {
  const row = session.workbench.page.locator('.editor-group-container.active .view-lines .view-line').nth(line - 1);
  return ((await row.textContent()) ?? '').replace(/\u00a0/g, ' ');
}

test('hovering a Chinese comment shows its English translation', async () => {
  const { workbench } = session;
  await workbench.openFile('sample.ts');
  const text = await workbench.hoverAt(2, 8, { expect: SIGNATURE, timeoutMs: 90_000 });
  const translation = text.split('\n')[0];
  assert.match(translation, /[A-Za-z]{2,}/, `an English translation: ${text}`);
  assert.doesNotMatch(translation, /\p{Script=Han}/u);
  assert.match(text, /Show attention/);
  assert.match(text, /Replace with translation/);
  assert.match(text, /Copy/);
  assert.match(text, /←/, 'the word alignment is shown');
  await workbench.screenshot('chinese-comment');
});

test('"Replace with translation" edits the comment and undo brings it back', async () => {
  const { workbench } = session;
  const page = workbench.page;
  const hoverText = await workbench.hoverAt(2, 8, { expect: SIGNATURE, timeoutMs: 60_000 });
  const translation = hoverText.split('\n')[0].trim();
  await page.locator('.monaco-hover a', { hasText: 'Replace with translation' }).click();
  await page.waitForFunction(
    (expected) => [...document.querySelectorAll('.editor-group-container.active .view-line')].some((line) => (line.textContent ?? '').replace(/\u00a0/g, ' ').includes(expected)),
    translation,
    { timeout: 10_000 },
  );
  assert.equal(await lineText(2), `// ${translation}`);
  await workbench.goToLine(2, 1);
  await page.keyboard.press('Control+Z');
  await page.waitForFunction((expected) => [...document.querySelectorAll('.editor-group-container.active .view-line')].some((line) => (line.textContent ?? '').includes(expected)), CHINESE_COMMENT, { timeout: 10_000 });
  assert.equal(await lineText(2), `// ${CHINESE_COMMENT}`);
});

test('Translate Selection shows the translation beside the line, as the hover does, with its links', async () => {
  const { workbench } = session;
  const page = workbench.page;
  await page.mouse.move(1, 1);
  await workbench.goToLine(2, 1);
  await workbench.runCommand('Transformer Inspector: Translate Selection', 60_000);
  const text = await workbench.waitForHover(SIGNATURE, 60_000);
  assert.match(text.split('\n')[0], /[A-Za-z]{3}/, `an English translation: ${text}`);
  assert.match(text, /Replace with translation/);
  assert.match(text, /Show attention/);
  // The hover sits over the line it translates, and the line is selected: source and translation together.
  const hover = await workbench.visibleHover.boundingBox();
  const line = await page.locator('.editor-group-container.active .view-lines .view-line').nth(1).boundingBox();
  assert.ok(hover && line && Math.abs(hover.y + hover.height - line.y) < 40 || (hover && line && Math.abs(hover.y - (line.y + line.height)) < 40), `hover ${JSON.stringify(hover)} beside line ${JSON.stringify(line)}`);
  assert.ok((await page.locator('.editor-group-container.active .selected-text').count()) > 0, 'the translated line is selected');
  // Not (only) a notification: no toast carries the translation.
  assert.equal(await page.locator('.notifications-toasts .notification-toast', { hasText: text.split('\n')[0].slice(0, 20) }).count(), 0, 'not a notification');
  await workbench.screenshot('translate-selection');
  await page.keyboard.press('Escape');
});

test('hovering punctuation or an English comment shows no translation', async () => {
  const { workbench } = session;
  const page = workbench.page;
  for (const [line, column] of [
    [4, 34], // the ; ending `const max = Math.max(...values);`
    [1, 10], // an English comment: already in the target language
  ] as const) {
    await workbench.goToLine(line, column);
    const cursor = await page.locator('.editor-group-container.active .cursors-layer .cursor').first().boundingBox();
    assert.ok(cursor);
    await page.mouse.move(1, 1);
    await page.mouse.move(cursor.x + 3, cursor.y + cursor.height / 2, { steps: 3 });
    await page.waitForTimeout(3_000);
    const hovers = await page.locator('.monaco-editor .monaco-hover:not(.hidden)').allInnerTexts();
    assert.ok(!hovers.some((text) => SIGNATURE.test(text)), `no translation hover at ${line}:${column}: ${hovers.join(' | ')}`);
  }
});

test('the hover’s "Show attention", then "Heads it depends on": the comment translated again with each head off', async () => {
  const { workbench } = session;
  await workbench.hoverAt(2, 8, { expect: SIGNATURE, timeoutMs: 60_000 });
  await workbench.page.locator('.monaco-hover a', { hasText: 'Show attention' }).click();
  const frame = await workbench.webviewFrameLocator('Transformer Inspector', 60_000);
  await frame.locator('#app[data-view="alignment"]').waitFor({ timeout: 60_000 });
  await frame.locator('button.tab[data-key="dependence"]').click();
  await frame.locator('#app[data-view="dependence"]').waitFor({ timeout: 120_000 });
  // The bundled model: encoder.self, decoder.self and decoder.cross, each of its layers × heads (config.json).
  assert.deepEqual(await frame.locator('table.dependence-grid').evaluateAll((tables) => tables.map((table) => (table as HTMLElement).dataset.group)), ['encoder.self', 'decoder.self', 'decoder.cross']);
  const shape = bundledModelShape();
  const heads = (shape.encoderLayers + 2 * shape.decoderLayers) * shape.heads;
  assert.equal(await frame.locator('td.dependence-cell[data-head]').count(), heads);
  const summary = (await frame.locator('.dependence-summary').textContent()) ?? '';
  const match = new RegExp(`^Switching off (\\d+) of the ${heads} heads`).exec(summary);
  assert.ok(match, summary);
  assert.equal(await frame.locator('td.dependence-cell.changed').count(), Number(match[1]));
  assert.equal(await frame.locator('.dependence-change').count(), Number(match[1]), 'each change listed with its translation');
  await workbench.screenshot('hover-head-dependence');
});
