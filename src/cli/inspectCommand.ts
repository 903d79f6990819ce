// `transformer-inspector inspect`: one run of the model, as a summary and as the documented JSON.

import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import type { Engine } from '../engine/engine';
import type { HeadRef, Inspection } from '../protocol/inspection';
import { htmlReport, reportAssets, reportStrings } from '../report/htmlReport';
import { writeInspectionJson } from '../report/inspectionJson';

export interface InspectOptions {
  readonly text: string;
  readonly target?: string;
  /** Second text of a sentence pair (encoder-only models). */
  readonly pair?: string;
  readonly maxTokens?: number;
  readonly targetLanguage?: string;
  /** Queries, keys and values into the JSON too. */
  readonly qkv?: boolean;
  /** Heads switched off. */
  readonly ablate?: readonly HeadRef[];
  /** File to write the JSON to; `-` for standard output. */
  readonly json?: string;
  /** File to write the offline HTML report to. */
  readonly html?: string;
  /** Language of the report's labels: auto (the reader's browser), en, zh-cn. */
  readonly lang?: string;
}

export async function runInspect(engine: Engine, options: InspectOptions): Promise<number> {
  const strings = options.html !== undefined ? reportStrings(options.lang) : undefined;
  const inspection = await engine.inspect(options);
  if (options.json !== undefined) writeJsonFile(inspection, options.json);
  if (options.html !== undefined) writeFileSync(options.html, htmlReport(inspection, reportAssets(), strings));
  if (options.json !== '-') process.stdout.write(inspectionSummary(inspection, [options.json, options.html]));
  return 0;
}

/** Streams the JSON to a file in 1 MB pieces; large inspections never become one string. */
export function writeJsonFile(inspection: Inspection, target: string): number {
  const fd = target === '-' ? 1 : openSync(target, 'w');
  let buffer = '';
  let written = 0;
  const flush = () => {
    written += writeSync(fd, buffer);
    buffer = '';
  };
  writeInspectionJson(inspection, (chunk) => {
    buffer += chunk;
    if (buffer.length > 1 << 20) flush();
  });
  flush();
  if (fd !== 1) closeSync(fd);
  return written;
}

/** A token as the summary shows it: one that stands for a long run of text (an unknown word) is cut. */
function shortened(text: string): string {
  return text.length > 40 ? `${text.slice(0, 20)}…(${text.length} characters)` : text;
}

export function inspectionSummary(inspection: Inspection, written: readonly (string | undefined)[]): string {
  const lines = [`${inspection.modelName} (${inspection.family}) on ${inspection.executionProvider}`];
  for (const stack of inspection.stacks) {
    lines.push(`  ${stack.stack} tokens (${stack.tokens.length}): ${stack.tokens.map((token) => shortened(token.text)).join(' ')}`);
    if (stack.hiddenStates) lines.push(`    hidden states [${stack.hiddenStates.dims.join(' × ')}]`);
    if (stack.embeddings) lines.push(`    embeddings    [${stack.embeddings.dims.join(' × ')}]`);
  }
  for (const group of inspection.attention) {
    lines.push(`  attention ${group.stack}.${group.kind} [${group.tensor.dims.join(' × ')}] (layers × heads × queries × keys)`);
  }
  const timings = Object.entries(inspection.timingsMs).map(([stage, ms]) => `${stage} ${ms.toFixed(1)} ms`);
  lines.push(`  timings: ${timings.join(', ')}`);
  for (const notice of inspection.notices) lines.push(`  note: ${notice}`);
  for (const file of written) if (file && file !== '-') lines.push(`  wrote ${file}`);
  return `${lines.join('\n')}\n`;
}
