// Every view the panel offers, found by clicking through its tabs as a user would, and the way to open one.

import type { Page } from 'playwright-core';

export type View = { readonly tab: string; readonly mode?: string; readonly group?: number };

const GROUP_SELECT = '.toolbar label.group select';

/** Each view the panel offers: its tab, for Attention each mode, and where a view has several attention groups, each group. */
export async function views(page: Page): Promise<View[]> {
  const keys = (list: number) => page.locator('[role="tablist"]').nth(list).locator('button.tab').evaluateAll((buttons) => buttons.map((button) => (button as HTMLElement).dataset.key!));
  const found: View[] = [];
  for (const tab of await keys(0)) {
    await show(page, { tab });
    const modes = (await page.locator('[role="tablist"]').count()) > 1 ? await keys(1) : [];
    for (const mode of modes.length ? modes : [undefined]) {
      await show(page, { tab, mode });
      const groups = (await page.locator(GROUP_SELECT).isVisible()) ? await page.locator(`${GROUP_SELECT} option`).count() : 0;
      if (groups < 2) found.push({ tab, mode });
      else for (let group = 0; group < groups; group++) found.push({ tab, mode, group });
    }
  }
  return found;
}

export const viewName = (view: View) => [view.tab, view.mode, view.group === undefined ? undefined : `g${view.group}`].filter(Boolean).join('-');

export async function show(page: Page, view: View): Promise<void> {
  await page.locator(`[role="tablist"] button.tab[data-key="${view.tab}"]`).first().click();
  if (view.mode) await page.locator(`[role="tablist"] button.tab[data-key="${view.mode}"]`).first().click();
  if (view.group !== undefined) await page.locator(GROUP_SELECT).selectOption(String(view.group));
  // Attention opens on its remembered mode: only a named mode is waited for by name.
  await page.waitForSelector(view.mode || view.tab !== 'attention' ? `#app[data-view="${view.mode ?? view.tab}"]` : '#app[data-view]');
  await page.waitForFunction(() => !document.querySelector('.head-lines[data-complete="false"]') && !document.querySelector('#app .status.busy'));
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(resolve, 150)))));
}
