// The positions a stack adds for one input: the rows of the table the graph holds, with what the
// table is (the paper's sinusoids, checked over every row, or learned).

import { sinusoidalFit, SINUSOIDAL_TOLERANCE } from '../analysis/positions';
import type { PositionTerm } from '../protocol/inspection';
import type { PositionTable } from './graph/positions';
import type { LoadedModel, StackRuntime } from './loadedModel';

/** Models whose position ids start after the padding index (fairseq's convention). */
const OFFSET_TWO = new Set(['roberta', 'xlm-roberta', 'camembert', 'bart', 'mbart', 'longformer']);
const fits = new WeakMap<PositionTable, ReturnType<typeof sinusoidalFit>>();

export function positionTermOf(model: LoadedModel, runtime: StackRuntime, tokens: number): PositionTerm | undefined {
  const table = runtime.probes.positions;
  if (!table) return undefined;
  const modelType = String((model.spec.config as Record<string, unknown>).model_type ?? '');
  const offset = OFFSET_TWO.has(modelType) ? 2 : 0;
  const rows = Math.max(0, Math.min(tokens, table.rows - offset));
  let fit = fits.get(table);
  if (!fit) fits.set(table, (fit = sinusoidalFit(table.data, table.rows, table.width)));
  return {
    added: { dims: [rows, table.width], data: table.data.slice(offset * table.width, (offset + rows) * table.width) },
    offset,
    embeddingScale: table.embeddingScale,
    kind: fit.difference < SINUSOIDAL_TOLERANCE ? 'sinusoidal' : 'learned',
    layout: fit.layout,
    formulaDifference: fit.difference,
    tableRows: table.rows,
  };
}
