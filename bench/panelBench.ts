// The panel in headless Chromium, driven as VS Code drives it (the webview page, a host that posts
// the summary and answers questions): time to first paint and to the full model view, and the
// longest task while the views of a 12 × 12 × 512 inspection are drawn.

import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { summarize } from '../src/analysis/inspectionSummary';
import { answerInEngine } from '../src/engine/panelAnswers';
import type { PanelQuestion } from '../src/protocol/engineProtocol';
import type { Inspection } from '../src/protocol/inspection';
import { idle, launch, measures, now, panelLongTasks, readyPostedAt, REPO_ROOT, switchView, waitForView, watchLongTasks, WebviewHost } from '../test/webview/harness';
import { round, sample, type Sample } from './stats';

export interface PanelOpen {
  readonly name: string;
  /** The page's first contentful paint (its header), from navigation start. */
  readonly firstPaint: Sample;
  /** Host side: the summary the engine computes from the inspection, then posted. */
  readonly summary: Sample;
  /** From the summary's arrival to every small multiple drawn. */
  readonly contentToModelView: Sample;
  /** From navigation start to the page's ready message (bundle loaded, panel built, listening), on the page's clock. */
  readonly ready: Sample;
  /** The panel's own share: ready, then the model view drawn from the summary (what a user waits for
   * beside the engine's inspection, which runs meanwhile in its own process). */
  readonly readyPlusDraw: Sample;
  /** From navigation start to the model view drawn, with the harness's own transfer of the summary
   * through Playwright (JSON, much slower than VS Code's postMessage) in between. */
  readonly navigationToModelView: Sample;
  readonly longestTaskMs: number;
}

/** The webview bundle as the VSIX ships it (minified), built once per bench run. */
let production: string | undefined;
function productionBundle(): string {
  if (!production) {
    const dir = path.join(REPO_ROOT, 'bench-results', 'production');
    execFileSync(process.execPath, [path.join(REPO_ROOT, 'esbuild.mjs'), '--production', '--outdir', dir], { cwd: REPO_ROOT, stdio: 'inherit' });
    production = dir;
  }
  return production;
}

async function openOnce(browser: Browser, inspection: Inspection, width: number, bundleDir: string): Promise<{ firstPaint: number; ready: number; summary: number; content: number; total: number; longest: number }> {
  const host = await WebviewHost.open(browser, 'bench-panel', { width, bundleDir });
  try {
    await host.ready;
    const ready = await readyPostedAt(host.page);
    await watchLongTasks(host.page);
    const since = await now(host.page);
    const started = performance.now();
    const summary = summarize(inspection, 'bench');
    const summaryMs = performance.now() - started;
    host.inspection = inspection;
    await host.post({ type: 'inspection', summary });
    await waitForView(host.page, 'model');
    await idle(host.page);
    const content = (await measures(host.page, 'ti:content-to-drawn')).at(-1)!;
    const { firstPaint, drawnAt } = await host.page.evaluate(() => {
      const measure = performance.getEntriesByName('ti:content-to-drawn', 'measure').at(-1)!;
      return { firstPaint: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN, drawnAt: measure.startTime + measure.duration };
    });
    const long = await panelLongTasks(host, since);
    return { firstPaint, ready, summary: summaryMs, content, total: drawnAt, longest: Math.max(0, ...long.map((t) => t.duration)) };
  } finally {
    await host.page.context().close();
  }
}

export async function panelOpen(name: string, inspection: Inspection, repeats: number, width = 1280): Promise<PanelOpen> {
  const bundleDir = productionBundle();
  const browser = await launch();
  try {
    await openOnce(browser, inspection, width, bundleDir); // warm-up: Chromium's first page compiles the bundle
    const runs = [];
    for (let i = 0; i < repeats; i++) runs.push(await openOnce(browser, inspection, width, bundleDir));
    return {
      name,
      firstPaint: sample(runs.map((r) => r.firstPaint)),
      summary: sample(runs.map((r) => r.summary)),
      contentToModelView: sample(runs.map((r) => r.content)),
      ready: sample(runs.map((r) => r.ready)),
      readyPlusDraw: sample(runs.map((r) => r.ready + r.content)),
      navigationToModelView: sample(runs.map((r) => r.total)),
      longestTaskMs: round(Math.max(...runs.map((r) => r.longest))),
    };
  } finally {
    await browser.close();
  }
}

export interface ViewSwitch {
  readonly view: string;
  readonly clickToDrawnMs: number;
  readonly longestTaskMs: number;
}

/** Every view of one big inspection, one after another, as a user clicks through the tabs. */
export async function viewSwitches(inspection: Inspection): Promise<ViewSwitch[]> {
  const browser = await launch();
  // Answered as the engine process answers them (rollout and the lens in onnxruntime).
  const answer = (kept: Inspection, method: string, params: unknown) => answerInEngine(kept, { method, params } as PanelQuestion);
  const host = await WebviewHost.open(browser, 'bench-views', { width: 1280, inspection, answer, bundleDir: productionBundle() });
  try {
    await host.ready;
    await watchLongTasks(host.page);
    await host.showInspection(inspection, 'bench');
    await waitForView(host.page, 'model');
    await idle(host.page);
    const results: ViewSwitch[] = [];
    for (const [tab, mode] of [['attention', 'heatmap'], ['attention', 'heads'], ['attention', 'mean'], ['attention', 'rollout'], ['embeddings', ''], ['activations', '']] as const) {
      const { clickToDrawnMs, longTasks } = await switchView(host, tab, mode);
      results.push({ view: mode || tab, clickToDrawnMs: round(clickToDrawnMs), longestTaskMs: round(Math.max(0, ...longTasks.map((t) => t.duration))) });
    }
    return results;
  } finally {
    await browser.close();
  }
}
