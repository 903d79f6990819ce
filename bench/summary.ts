// Renders one bench run's results as Markdown tables (bench-results/latest.md), the figures that
// docs/benchmarks.md quotes.

import type { DecodingResult } from './decodingBench';
import type { MatmulThroughput } from './floorBench';
import type { AblationCost, StepViewLatency } from './interventionBench';
import type { OverheadResult, TorchResult } from './inspectionBench';
import type { MemoryBench } from './memoryBench';
import type { PanelOpen, ViewSwitch } from './panelBench';
import type { Sample } from './stats';
import type { TranslationBench } from './translationBench';

const ms = (value: Sample) => `${value.medianMs} (p95 ${value.p95Ms})`;

function table(header: string[], rows: (string | number)[][]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n') + '\n\n';
}

export function summaryMarkdown(results: Record<string, unknown>): string {
  const out: string[] = [`# Bench run ${results.date}\n\n`, '```\n' + JSON.stringify(results.machine) + `\nthreads ${results.threads}, repeats ${results.repeats}\n` + '```\n\n'];
  const overhead = results.overhead as (OverheadResult & { model: string })[] | undefined;
  if (overhead) {
    out.push('## Instrumentation overhead (median ms, interleaved runs)\n\n');
    out.push(table(['case', 'rounds', 'plain run', 'instrumented run', 'whole inspection', 'logit lens (on demand)', 'FFN activations (on demand)', 'run ratio', 'inspection ratio'],
      overhead.map((r) => [`${r.model} ${r.case.split('@')[1]?.trim() ?? ''} tokens`, r.plainRun.runs, ms(r.plainRun), ms(r.instrumentedRun), ms(r.inspection), r.logitLens ? ms(r.logitLens) : '—', r.ffnActivations ? ms(r.ffnActivations) : '—', `${r.runRatio}×`, `${r.inspectionRatio}×`])));
  }
  const torch = results.torch as TorchResult[] | undefined;
  if (torch) {
    out.push(`## Against PyTorch eager (${torch[0]?.torchVersion}, ${torch[0]?.blas})\n\n`);
    out.push(table(['case', 'engine inspection', 'PyTorch eager', 'speed-up', 'max |Δ|', 'GFLOP', 'PyTorch GFLOP/s', '2× PyTorch needs GFLOP/s (BLAS peak)'],
      torch.map((r) => [r.case, ms(r.ours), ms(r.torch), `${r.speedup}×`, Object.entries(r.maxAbsDiff).map(([k, v]) => `${k} ${v}`).join(', '), r.gflop, r.torchGflops, `${r.twiceTorchGflops} (${r.blasPeakGflops})`])));
  }
  const matmul = results.matmul as MatmulThroughput[] | undefined;
  const floor = results.floor as { model: string; case: string; gflop: number; floorMs: number; inspectionMs: number; ofFloor: number; achievedGflops: number }[] | undefined;
  if (matmul && floor) {
    const rate = results.floorRate as { from: string; gflops: number } | undefined;
    out.push(`## The floor\n\nonnxruntime MatMul fp32: ${matmul.map((m) => `${m.size}³ ${m.gflops} GFLOP/s`).join(', ')}${torch ? `; OpenBLAS (PyTorch) up to ${Math.max(...torch.map((entry) => entry.blasPeakGflops))} GFLOP/s` : ''}. The floor is the work at the best of these, ${rate?.from} ${rate?.gflops} GFLOP/s.\n\n`);
    out.push(table(['case', 'GFLOP', 'floor ms', 'inspection ms', '× floor', 'achieved GFLOP/s'], floor.map((r) => [`${r.model} ${r.case.split('@')[1]?.trim()}`, r.gflop, r.floorMs, r.inspectionMs, r.ofFloor, r.achievedGflops])));
  }
  const translation = results.translation as Record<string, TranslationBench> | undefined;
  if (translation) {
    for (const [variant, bench] of Object.entries(translation)) {
      out.push(`## Hover translation (${variant}; load ${bench.loadMs} ms, first translation after load ${bench.firstAfterLoadMs} ms)\n\n`);
      out.push(table(['words', 'beam', 'uncached p50', 'uncached p95', 'cached p50', 'cached p95', 'output tokens'],
        bench.latencies.map((l) => [l.words, l.beam, l.uncached.medianMs, l.uncached.p95Ms, l.cached.medianMs, l.cached.p95Ms, l.meanOutputTokens])));
    }
  }
  const decoding = results.decoding as Record<string, DecodingResult[]> | undefined;
  if (decoding) {
    for (const [variant, rows] of Object.entries(decoding)) {
      out.push(`## Decoding: greedy or beam, the word-repeat guard (${variant}, bundled model)\n\n`);
      out.push(table(['set', 'direction', 'beam', 'guard', 'sentences', 'chrF', 'ms per translation', 'outputs with a doubled word'],
        rows.map((r) => [r.set, r.direction, r.beam, r.guard ? 'on' : 'off', r.sentences, r.chrf, ms(r.perTranslation), r.doubledWords])));
    }
  }
  const memory = results.memory as MemoryBench[] | undefined;
  if (memory) {
    out.push('## Memory (RSS, MiB)\n\n');
    out.push(table(['model', 'after load', ...Object.keys(memory[0].engineRssMiB.after).map((n) => `after ${n}`), 'growth 10→100', 'host before → after'],
      memory.map((m) => [`${m.model.split('/').at(-1)} @ ${m.tokens}`, m.engineRssMiB.afterLoad, ...Object.values(m.engineRssMiB.after), m.growthMiB, `${m.hostRssMiB.before} → ${m.hostRssMiB.after}`])));
  }
  const panel = results.panel as PanelOpen[] | undefined;
  if (panel) {
    out.push('## Panel (headless Chromium, median ms)\n\n');
    out.push(table(['inspection', 'first paint', 'ready', 'summary (engine side)', 'content → model view', 'ready + model view', 'navigation → model view (harness transfer included)', 'longest task'],
      panel.map((p) => [p.name, ms(p.firstPaint), ms(p.ready), ms(p.summary), ms(p.contentToModelView), ms(p.readyPlusDraw), ms(p.navigationToModelView), p.longestTaskMs])));
  }
  const views = results.panelViews as ViewSwitch[] | undefined;
  if (views) out.push(table(['12×12×512 view', 'click → drawn ms', 'longest task ms'], views.map((v) => [v.view, v.clickToDrawnMs, v.longestTaskMs])));
  const ablation = results.ablation as AblationCost[] | undefined;
  if (ablation) {
    out.push('## Heads switched off (median ms, interleaved runs)\n\n');
    out.push(table(['case', 'plain inspection', 'one head off', 'ratio', 'the panel’s whole effect (re-run, comparison, translation)'], ablation.map((a) => [a.case, ms(a.plain), ms(a.ablated), `${a.ratio}×`, ms(a.effect)])));
  }
  const steps = results.stepView as StepViewLatency[] | undefined;
  if (steps) {
    out.push(table(['step-by-step view', 'first open: click → drawn (harness)', 'first open: engine answers', 'first open: engine + drawing', 'another head: engine answers', 'drawing', 'engine + drawing', 'another head through the harness (JSON transfer)', 'another query: key → drawn', 'longest task ms'],
      steps.map((v) => [v.case, ms(v.firstOpen), ms(v.firstOpenEngine), ms(v.firstOpenWithoutTransfer), ms(v.headEngine), ms(v.draw), ms(v.headWithoutTransfer), ms(v.headChange), ms(v.queryChange), v.longestTaskMs])));
  }
  return out.join('');
}
