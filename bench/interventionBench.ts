// Interventions, measured: an inspection with one head switched off against a plain inspection of the
// same input (interleaved, medians), the panel's whole effect (re-run, comparison and, for
// encoder-decoders, the re-generated translation), and the step-by-step view in Chromium — the first
// open (the Q/K/V run) and then each head or query change, key press to drawn, in page time.

import { answerInEngine } from '../src/engine/panelAnswers';
import { inspectTokens } from '../src/engine/inspector';
import type { LoadedModel } from '../src/engine/loadedModel';
import type { PanelQuestion } from '../src/protocol/engineProtocol';
import type { HeadRef, Inspection } from '../src/protocol/inspection';
import { idle, launch, now, panelLongTasks, switchView, watchLongTasks, WebviewHost } from '../test/webview/harness';
import type { TokenCase } from './inspectionBench';
import { interleaved, round, sample, type Sample } from './stats';

export interface AblationCost {
  readonly case: string;
  readonly plain: Sample;
  readonly ablated: Sample;
  /** Median ablated ÷ median plain (target ≤ 1.2). */
  readonly ratio: number;
  /** The panel's answer to a new set of heads: re-run, shift per layer, next token, translation. */
  readonly effect: Sample;
}

/** Every head of the model's first self-attention group, for distinct (uncached) ablations. */
function headsOf(inspection: Inspection): HeadRef[] {
  const group = inspection.attention[0];
  const [layers, heads] = group.tensor.dims;
  return Array.from({ length: layers * heads }, (_, i) => ({ stack: group.stack, kind: group.kind, layer: Math.floor(i / heads), head: i % heads }));
}

export async function ablationCost(model: LoadedModel, entry: TokenCase, repeats: number): Promise<AblationCost> {
  const plainRun = () => inspectTokens(model, { ...entry.input, activationsView: 'on-demand' });
  const inspection = await plainRun();
  const heads = headsOf(inspection);
  let next = 0;
  const times = await interleaved({ plain: plainRun, ablated: () => inspectTokens(model, { ...entry.input, activationsView: 'on-demand', ablate: [heads[next++ % heads.length]] }) }, repeats);
  const effect: number[] = [];
  const key = (head: HeadRef) => `${model.spec.family === 'encoder-decoder' ? `${head.stack}.${head.kind}` : head.kind}:${head.layer}:${head.head}`;
  for (let i = 0; i < Math.min(repeats, heads.length); i++) {
    const started = performance.now();
    await inspection.interventions!.ablate(key(heads[i]));
    effect.push(performance.now() - started);
  }
  const plain = sample(times.plain);
  const ablated = sample(times.ablated);
  return { case: entry.name, plain, ablated, ratio: round(ablated.medianMs / plain.medianMs, 3), effect: sample(effect) };
}

export interface StepViewLatency {
  readonly case: string;
  /** Click on "Step by step" to drawn, with the one run that computes every head's Q/K/V. */
  readonly firstOpenMs: number;
  /** ↓: another head (its Q/K/V and weights asked for, then drawn). */
  readonly headChange: Sample;
  /** →: another query token of the same head (drawn from what the panel has). */
  readonly queryChange: Sample;
  readonly longestTaskMs: number;
}

export async function stepViewLatency(model: LoadedModel, entry: TokenCase, repeats: number): Promise<StepViewLatency> {
  const inspection = await inspectTokens(model, { ...entry.input, activationsView: 'on-demand' });
  const browser = await launch();
  const answer = (kept: Inspection, method: string, params: unknown) => answerInEngine(kept, { method, params } as PanelQuestion);
  const host = await WebviewHost.open(browser, 'bench-steps', { width: 1280, inspection, answer });
  try {
    await host.ready;
    await watchLongTasks(host.page);
    await host.showInspection(inspection, 'bench');
    await idle(host.page);
    const since = await now(host.page);
    const first = await switchView(host, 'attention', 'steps');
    // A control's change to the next drawing, timed inside the page (no harness round trips in the figure).
    const change = (selector: string, value: string | undefined) =>
      host.page.evaluate(
        ([target, chosen]) =>
          new Promise<number>((resolve) => {
            const app = document.getElementById('app')!;
            const started = performance.now();
            app.addEventListener('ti-rendered', () => resolve(performance.now() - started), { once: true });
            if (chosen === undefined) {
              document.getElementById('ti-view-area')!.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
              return;
            }
            const control = document.querySelector<HTMLSelectElement>(target)!;
            control.value = chosen;
            control.dispatchEvent(new Event('change', { bubbles: true }));
          }),
        [selector, value] as const,
      );
    const [layers, heads] = inspection.attention[0].tensor.dims;
    const headTimes: number[] = [];
    const queryTimes: number[] = [];
    // Every head a new one (its Q/K/V not yet in the panel's cache): through the heads, then the next layer.
    for (let i = 1; i <= repeats; i++) {
      if (i % heads === 0) await change('.toolbar .layer select', String(Math.floor(i / heads) % layers));
      headTimes.push(await change('.toolbar .head select', String(i % heads)));
      queryTimes.push(await change('', undefined));
    }
    const long = await panelLongTasks(host, since);
    return { case: entry.name, firstOpenMs: round(first.clickToDrawnMs), headChange: sample(headTimes), queryChange: sample(queryTimes), longestTaskMs: round(Math.max(0, ...long.map((task) => task.duration))) };
  } finally {
    await browser.close();
  }
}
