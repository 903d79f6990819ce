// Which heads a translation depends on: the source translated again (greedy) with each head of
// every attention group switched off alone, against the translation with every head. One decode per
// head: 36 for the bundled model, a few seconds on a CPU; cancellable between decodes.

import type { HeadRef } from '../protocol/inspection';
import type { HeadDependence } from '../protocol/panelData';
import { EngineError } from './engineError';
import { generate } from './generation';
import { groupKeyOf } from './headAblation';
import type { LoadedModel } from './loadedModel';

export async function headDependence(model: LoadedModel, text: string, options: { targetLanguage?: string; signal?: AbortSignal; onHead?: (done: number, total: number) => void } = {}): Promise<HeadDependence> {
  if (model.spec.family !== 'encoder-decoder') throw new EngineError('input', 'Which heads a translation depends on needs an encoder-decoder model.');
  if (model.info.heads <= 0) throw new EngineError('input', 'The number of heads of this model is not known, so its heads cannot be switched off one by one.');
  const started = performance.now();
  const translate = async (ablate?: readonly HeadRef[]) => (await generate(model, text, { ablate, targetLanguage: options.targetLanguage, beamSize: 1, signal: options.signal })).text;
  const original = await translate();
  const heads: HeadDependence['heads'][number][] = [];
  const total = model.info.heads * model.stacks.reduce((sum, runtime) => sum + runtime.probes.attention.length, 0);
  for (const runtime of model.stacks) {
    for (const kind of ['self', 'cross'] as const) {
      const layers = runtime.probes.attention.filter((probe) => probe.kind === kind).length;
      for (let layer = 0; layer < layers; layer++) {
        for (let head = 0; head < model.info.heads; head++) {
          if (options.signal?.aborted) throw new EngineError('cancelled', 'Cancelled.');
          const translation = await translate([{ stack: runtime.stack, kind, layer, head }]);
          heads.push({ head: `${groupKeyOf(model, runtime.stack, kind)}:${layer}:${head}`, translation, changed: translation !== original });
          options.onHead?.(heads.length, total);
        }
      }
    }
  }
  return { original, heads, elapsedMs: performance.now() - started };
}
