// Interventions, measured: an inspection with one head switched off against a plain inspection of the
// same input (interleaved, medians), the panel's whole effect (re-run, comparison and, for
// encoder-decoders, the re-generated translation), and the step-by-step view in Chromium — the first
// open (the Q/K/V run) and then each head or query change, key press to drawn, in page time.

import { answerInEngine } from '../src/engine/panelAnswers';
import { inspectTokens } from '../src/engine/inspector';
import type { LoadedModel } from '../src/engine/loadedModel';
import type { PanelQuestion } from '../src/protocol/engineProtocol';
import type { HeadRef, Inspection } from '../src/protocol/inspection';
import { idle, launch, measures, now, panelLongTasks, switchView, waitForView, watchLongTasks, WebviewHost } from '../test/webview/harness';
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
  /** Click on Step by step → drawn, through the harness, each on a fresh inspection. */
  readonly firstOpen: Sample;
  /** The engine's answers to a first open (the layer's Q/K/V model opened and run, the head's weights). */
  readonly firstOpenEngine: Sample;
  /** Those answers + the first drawing: a first open without the harness's JSON transfer. */
  readonly firstOpenWithoutTransfer: Sample;
  /** Another head (its Q/K/V and weights asked for, then drawn), in page time through the harness,
   * whose JSON transfer of the answers is far slower than VS Code's postMessage. */
  readonly headChange: Sample;
  /** The engine's answers to a head change (headQkv and attentionHead, asked together). */
  readonly headEngine: Sample;
  /** The panel drawing the step-by-step view (its own measure ti:render:steps). */
  readonly draw: Sample;
  /** Engine answer + drawing: a head change without the harness's transfer. */
  readonly headWithoutTransfer: Sample;
  /** →: another query token of the same head (drawn from what the panel has). */
  readonly queryChange: Sample;
  readonly longestTaskMs: number;
}

/** Fresh inspections the step view is first opened on. */
const FIRST_OPENS = 5;

export async function stepViewLatency(model: LoadedModel, entry: TokenCase, repeats: number): Promise<StepViewLatency> {
  const inspection = await inspectTokens(model, { ...entry.input, activationsView: 'on-demand' });
  const browser = await launch();
  // Times the engine's answers: the two questions of one head change run together, so their span counts.
  const span = { start: Infinity, end: 0 };
  const answer = async (kept: Inspection, method: string, params: unknown) => {
    const started = performance.now();
    const result = await answerInEngine(kept, { method, params } as PanelQuestion);
    span.start = Math.min(span.start, started);
    span.end = Math.max(span.end, performance.now());
    return result;
  };
  const host = await WebviewHost.open(browser, 'bench-steps', { width: 1280, inspection, answer });
  try {
    await host.ready;
    await watchLongTasks(host.page);
    await host.showInspection(inspection, 'bench');
    await idle(host.page);
    const since = await now(host.page);
    await switchView(host, 'attention', 'heatmap');
    // The first open of the step view, on fresh inspections (nothing cached by the engine or the panel).
    const firstOpen: number[] = [];
    const firstEngine: number[] = [];
    const firstWithoutTransfer: number[] = [];
    for (let i = 0; i < FIRST_OPENS; i++) {
      const fresh = i === 0 ? inspection : await inspectTokens(model, { ...entry.input, activationsView: 'on-demand' });
      if (i > 0) {
        await host.page.locator('button.tab[data-key="heatmap"]').click();
        await waitForView(host.page, 'heatmap');
        await host.showInspection(fresh, `bench-${i}`);
        await idle(host.page);
      }
      Object.assign(span, { start: Infinity, end: 0 });
      const drawsBefore = (await measures(host.page, 'ti:render:steps')).length;
      const started = await now(host.page);
      await host.page.locator('button.tab[data-key="steps"]').click();
      await waitForView(host.page, 'steps');
      firstOpen.push((await now(host.page)) - started);
      const engineMs = Math.max(0, span.end - span.start);
      firstEngine.push(engineMs);
      firstWithoutTransfer.push(engineMs + ((await measures(host.page, 'ti:render:steps'))[drawsBefore] ?? 0));
      await idle(host.page);
    }
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
    const engineTimes: number[] = [];
    const queryTimes: number[] = [];
    const drawsBefore = (await measures(host.page, 'ti:render:steps')).length;
    // Every head a new one (its Q/K/V not yet in the panel's cache): through the heads, then the next layer.
    for (let i = 1; i <= repeats; i++) {
      if (i % heads === 0) await change('.toolbar .layer select', String(Math.floor(i / heads) % layers));
      Object.assign(span, { start: Infinity, end: 0 });
      headTimes.push(await change('.toolbar .head select', String(i % heads)));
      engineTimes.push(Math.max(0, span.end - span.start));
      queryTimes.push(await change('', undefined));
    }
    const long = await panelLongTasks(host, since);
    // Draws alternate: head change, query change, …
    const draws = (await measures(host.page, 'ti:render:steps')).slice(drawsBefore);
    const headDraws = draws.filter((_, i) => i % 2 === 0);
    return {
      case: entry.name,
      firstOpen: sample(firstOpen),
      firstOpenEngine: sample(firstEngine),
      firstOpenWithoutTransfer: sample(firstWithoutTransfer),
      headChange: sample(headTimes),
      headEngine: sample(engineTimes),
      draw: sample(draws),
      headWithoutTransfer: sample(engineTimes.map((value, i) => value + (headDraws[i] ?? 0))), queryChange: sample(queryTimes), longestTaskMs: round(Math.max(0, ...long.map((task) => task.duration))) };
  } finally {
    await browser.close();
  }
}
