// `npm run bench`: every benchmark side by side in one run, on the bundled model and on a
// BERT-base-shaped model; results to bench-results/ as JSON and a Markdown summary.
//   npm run bench [-- --only overhead,floor,torch,translation,decoding,memory,panel,interventions] [--repeats N] [--threads N]

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { bundledModelPath } from '../src/engine/bundledModel';
import { withHugePages } from '../src/engine/hugePages';
import { inspect } from '../src/engine/inspector';
import { disposeModel, loadModel, type LoadedModel } from '../src/engine/loadedModel';
import type { ModelVariant } from '../src/engine/modelFolder';
import { syntheticInspection } from '../test/webview/syntheticInspection';
import { inspectionFlops, matmulThroughput } from './floorBench';
import { againstPyTorch, instrumentationOverhead, tokenCase, type TokenCase, type TorchResult } from './inspectionBench';
import { decodingChoice, decodingSets } from './decodingBench';
import { ablationCost, stepViewLatency } from './interventionBench';
import { memoryBench } from './memoryBench';
import { panelOpen, viewSwitches } from './panelBench';
import { summaryMarkdown } from './summary';
import { machine, round } from './stats';
import { atLeast, CHINESE_PROSE, ENGLISH_PROSE } from './texts';
import { translationLatency } from './translationBench';

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, 'bench-results');
const ENGINE = path.join(ROOT, 'dist', 'engineProcess.js');
const BERT_BASE = path.join(OUT, 'models', 'bert-base-random');
const ALL = ['overhead', 'floor', 'torch', 'translation', 'decoding', 'memory', 'panel', 'interventions'];

function option(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : undefined;
}

const only = new Set((option('only') ?? ALL.join(',')).split(','));
const repeats = Number(option('repeats') ?? 20);
const threads = Number(option('threads') ?? 2);

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

function ensureBertBase(): string {
  if (!existsSync(path.join(BERT_BASE, 'pytorch_model.pt'))) {
    log('building the BERT-base-shaped model (test/fixtures/make_bench_model.py)');
    execFileSync('/usr/bin/python3', [path.join(ROOT, 'test', 'fixtures', 'make_bench_model.py'), BERT_BASE], { stdio: 'inherit' });
  }
  return BERT_BASE;
}

async function withModel<T>(location: string, variant: ModelVariant, run: (model: LoadedModel) => Promise<T>): Promise<T> {
  const model = await loadModel(location, { variant, threads, executionProviders: ['cpu'] });
  try {
    return await run(model);
  } finally {
    await disposeModel(model);
  }
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const bundled = bundledModelPath();
  if (!bundled) throw new Error('The bundled model is missing (models/en-zh-transformer).');
  const results: Record<string, unknown> = { date: new Date().toISOString(), machine: machine(), threads, repeats };
  // Memory first, before this process holds any model of its own.
  if (only.has('memory')) {
    log('memory: 100 inspections in the engine process');
    results.memory = [await memoryBench(ENGINE, bundled, 128, threads)];
  }
  const bundledSizes = [32, 128, 256];
  const bertSizes = [32, 128, 512];
  if (only.has('overhead') || only.has('floor') || only.has('torch')) {
    const bertBase = ensureBertBase();
    const throughput = only.has('floor') ? await matmulThroughput(threads) : undefined;
    if (throughput) results.matmul = throughput;
    // The floor waits for the end: OpenBLAS's rate comes with the PyTorch runs.
    const floorCases: { model: string; case: string; flops: number; inspectionMs: number }[] = [];
    for (const [location, sizes, variant] of [[bundled, bundledSizes, 'fp32'], [bundled, bundledSizes, 'quantized'], [bertBase, bertSizes, 'fp32']] as const) {
      await withModel(location, variant, async (model) => {
        const cases: TokenCase[] = sizes.map((tokens) => tokenCase(model, tokens));
        const label = `${model.spec.name} (${model.spec.variant})`;
        if (only.has('overhead') || only.has('floor')) {
          log(`overhead: ${label}`);
          const overhead = await instrumentationOverhead(model, cases, threads, repeats);
          ((results.overhead ??= []) as unknown[]).push(...overhead.map((entry) => ({ model: label, ...entry })));
          cases.forEach((entry, i) => floorCases.push({ model: label, case: entry.name, flops: inspectionFlops(model, entry.input.source.tokens.length, entry.input.target?.tokens.length ?? 0), inspectionMs: overhead[i].inspection.medianMs }));
        }
        if (only.has('torch') && variant === 'fp32') {
          log(`PyTorch eager: ${label}`);
          ((results.torch ??= []) as unknown[]).push(...(await againstPyTorch(model, cases, threads, repeats, OUT, ROOT)));
        }
      });
    }
    if (throughput) {
      // The best matrix rate of this run, onnxruntime's or OpenBLAS's, whichever is higher.
      const rates = [{ from: 'onnxruntime', gflops: Math.max(...throughput.map((entry) => entry.gflops)) }, ...((results.torch ?? []) as TorchResult[]).map((entry) => ({ from: 'OpenBLAS', gflops: entry.blasPeakGflops }))];
      const best = rates.reduce((a, b) => (b.gflops > a.gflops ? b : a));
      results.floorRate = best;
      results.floor = floorCases.map(({ model, case: name, flops, inspectionMs }) => {
        const floorMs = flops / (best.gflops * 1e6);
        return { model, case: name, gflop: round(flops / 1e9, 3), floorMs: round(floorMs, 3), inspectionMs, ofFloor: round(inspectionMs / floorMs, 2), achievedGflops: round(flops / (inspectionMs * 1e6), 1) };
      });
    }
  }
  if (only.has('translation')) {
    for (const variant of ['fp32', 'quantized'] as const) {
      log(`translation latency (${variant})`);
      ((results.translation ??= {}) as Record<string, unknown>)[variant] = await translationLatency(ENGINE, bundled, threads, 2, variant);
    }
  }
  if (only.has('decoding')) {
    const sets = decodingSets(ROOT, Number(option('ood') ?? 200));
    for (const variant of ['fp32', 'quantized'] as const) {
      log(`decoding: greedy and beam, guard on and off (${variant}; ${sets.map((set) => `${set.name} ${set.pairs.length}`).join(', ')})`);
      ((results.decoding ??= {}) as Record<string, unknown>)[variant] = await withModel(bundled, variant, (model) => decodingChoice(model, sets));
    }
  }
  if (only.has('panel')) {
    log('panel: bundled model at 128 tokens');
    const real = await withModel(bundled, 'fp32', (model) => inspect(model, { text: atLeast(ENGLISH_PROSE, 2000), target: atLeast(CHINESE_PROSE, 1000), maxTokens: 128, targetLanguage: 'zh' }));
    const synthetic = syntheticInspection();
    results.panel = [await panelOpen(`${real.modelName} @ 128`, real, repeats >= 10 ? 15 : 3), await panelOpen('synthetic 12×12×512', synthetic, 3)];
    log('panel: switching views of the 12×12×512 inspection');
    results.panelViews = await viewSwitches(synthetic);
  }
  if (only.has('interventions')) {
    const bertBase = ensureBertBase();
    log('interventions: one head off against a plain inspection; the step-by-step view');
    const ablation = [];
    ablation.push(await withModel(bundled, 'fp32', (model) => ablationCost(model, tokenCase(model, 128), repeats)));
    ablation.push(...(await withModel(bertBase, 'fp32', async (model) => [await ablationCost(model, tokenCase(model, 128), repeats), await ablationCost(model, tokenCase(model, 512), Math.min(repeats, 10))])));
    results.ablation = ablation;
    results.stepView = [await withModel(bertBase, 'fp32', (model) => stepViewLatency(model, tokenCase(model, 512), Math.min(repeats, 20)))];
  }
  const stamp = (results.date as string).replace(/[:.]/g, '-');
  writeFileSync(path.join(OUT, `bench-${stamp}.json`), JSON.stringify(results, null, 1));
  writeFileSync(path.join(OUT, 'latest.json'), JSON.stringify(results, null, 1));
  const markdown = summaryMarkdown(results);
  writeFileSync(path.join(OUT, 'latest.md'), markdown);
  process.stdout.write(markdown);
  log(`results in ${path.relative(ROOT, OUT)}/latest.json and latest.md`);
}

if (process.env.GLIBC_TUNABLES !== withHugePages(process.env).GLIBC_TUNABLES) {
  // In-process measurements run with the memory settings the engine process gets (src/engine/hugePages.ts).
  const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: withHugePages(process.env) });
  process.exit(child.status ?? 1);
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
