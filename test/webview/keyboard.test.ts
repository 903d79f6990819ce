// Keyboard reach and visible focus, in every view of the bundled model's panel and in the light, dark
// and high-contrast themes: Tab alone reaches every control (one member of a roving group such as the
// tabs stands for the group, whose arrows reach the rest), every control has an accessible name that
// says what it is, and the focused one shows an outline of at least 3:1 contrast against the page.

import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { Inspection } from '../../src/protocol/inspection';
import { bundledInspections, launch, THEMES, WebviewHost } from './harness';
import { show, viewName, views } from './panelViews';

const PAGE_HELPERS = readFileSync(path.join(__dirname, 'keyboardCheck.js'), 'utf8');
/** More than any view has controls: a walk that has not come round by then is stuck. */
const MAX_TABS = 160;

type Control = { key: string; name: string; tag: string; group?: string };
type Focused = { key: string; name: string; focusVisible: boolean; contrast: number; group?: string };

let browser: Browser;
let inspection: Inspection;

before(async () => {
  browser = await launch();
  [inspection] = await bundledInspections({ text: 'The cat sat on the mat because it was tired.', qkv: true, targetLanguage: 'zh' });
});
after(async () => {
  await browser?.close();
});

/** Tabs from the page's start until focus comes round again; every stop as focused() saw it. */
async function tabThrough(page: Page): Promise<Focused[]> {
  await page.evaluate(() => {
    (document.activeElement as HTMLElement | null)?.blur();
    window.scrollTo(0, 0);
  });
  await page.mouse.click(1, 1);
  const stops: Focused[] = [];
  for (let i = 0; i < MAX_TABS; i++) {
    await page.keyboard.press('Tab');
    const focused = (await page.evaluate('window.tiKeyboard.focused()')) as Focused | undefined;
    if (!focused) continue;
    if (stops.some((stop) => stop.key === focused.key)) return stops;
    stops.push(focused);
  }
  throw new Error(`Tab did not come round in ${MAX_TABS} presses: ${stops.map((s) => s.name).join(' | ')}`);
}

for (const theme of Object.keys(THEMES) as (keyof typeof THEMES)[]) {
  test(`every control of every view is reached by Tab, named, and shows its focus (${theme} theme)`, async () => {
    const host = await WebviewHost.open(browser, `keyboard-${theme}`, { inspection, theme, width: 900, height: 900 });
    const found: string[] = [];
    let checked = 0;
    try {
      await host.ready;
      await host.showInspection(inspection, 'keyboard');
      await host.page.waitForSelector('#app[data-view]');
      await host.page.evaluate(PAGE_HELPERS);
      // One attention group per view is enough here: the groups share their controls.
      const all = (await views(host.page)).filter((view) => !view.group);
      assert.ok(all.length >= 10, `views found: ${all.map(viewName).join(', ')}`);
      for (const view of all) {
        await show(host.page, view);
        const name = viewName(view);
        const controls = (await host.page.evaluate('window.tiKeyboard.controls()')) as Control[];
        const stops = await tabThrough(host.page);
        const reached = new Set(stops.map((stop) => stop.key));
        const groups = new Set(stops.map((stop) => stop.group).filter(Boolean));
        for (const control of controls) {
          checked++;
          const label = `${name}: ${control.tag} "${control.name}"`;
          if (!reached.has(control.key) && !(control.group && groups.has(control.group))) found.push(`${label} is not reached by Tab`);
          if (!control.name || /^[\d\s.,]+$/.test(control.name)) found.push(`${label} has no name that says what it is`);
        }
        for (const stop of stops) {
          if (!stop.focusVisible) found.push(`${name}: "${stop.name}" shows no focus`);
          else if (stop.contrast < 3) found.push(`${name}: "${stop.name}"'s focus outline has contrast ${stop.contrast} (< 3)`);
        }
      }
    } finally {
      await host.page.context().close();
    }
    assert.ok(checked >= 100, `${checked} controls checked`);
    assert.deepEqual([...new Set(found)], []);
  });
}
