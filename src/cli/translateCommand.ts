// `transformer-inspector translate`: text from the arguments, or standard input line by line
// (exactly one output line per input line, so whole files can be translated in batch).

import { createInterface } from 'node:readline';
import type { Engine } from '../engine/engine';
import { errorMessage } from '../engine/engineError';
import { parseAblation } from '../engine/headAblation';
import type { HeadRef, Tensor, Translation } from '../protocol/inspection';

export interface TranslateOptions {
  readonly texts: readonly string[];
  readonly targetLanguage?: string;
  readonly beamSize?: number;
  /** false: no word-repeat guard and no loop cut (exact search, as PyTorch's). */
  readonly repetitionGuard?: boolean;
  readonly json: boolean;
  /** `GROUP:LAYER:HEAD,…`: heads switched off while translating. */
  readonly ablate?: string;
}

/** `load`: loads the model on the first line that needs it (standard input); absent when it is loaded. */
export async function runTranslate(engine: Engine, options: TranslateOptions, load?: () => Promise<unknown>): Promise<number> {
  // Heads are read against the model, so once it is loaded; a wrong one ends the run.
  let ablate: HeadRef[] | undefined;
  const heads = () => (ablate ??= options.ablate ? parseAblation(engine.current(), options.ablate) : []);
  const translateLine = async (line: string): Promise<string> => {
    if (line.trim() === '') return options.json ? JSON.stringify({ source: line, translation: '' }) : '';
    const translation = await engine.translate(line, { targetLanguage: options.targetLanguage, beamSize: options.beamSize, repetitionGuard: options.repetitionGuard, ablate: heads() });
    for (const notice of translation.notices) process.stderr.write(`note: ${notice}\n`);
    return options.json ? JSON.stringify(translationJson(translation)) : translation.text.replace(/[\r\n]+/g, ' ');
  };
  if (options.texts.length > 0) {
    heads();
    process.stdout.write(`${await translateLine(options.texts.join(' '))}\n`);
    return 0;
  }
  let failures = 0;
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    // A model that cannot load ends the run; a line that cannot be translated does not.
    if (line.trim() !== '') {
      await load?.();
      heads();
    }
    try {
      process.stdout.write(`${await translateLine(line)}\n`);
    } catch (error) {
      // Keep one output line per input line; say what went wrong on stderr.
      failures++;
      process.stderr.write(`error: ${errorMessage(error)}\n`);
      process.stdout.write('\n');
    }
  }
  return failures ? 1 : 0;
}

function rows(tensor: Tensor | undefined): number[][] {
  if (!tensor) return [];
  const [count, width] = tensor.dims;
  return Array.from({ length: count }, (_, row) => Array.from(tensor.data.subarray(row * width, (row + 1) * width), (value) => Number(value.toPrecision(4))));
}

/** A token as the JSON outputs of `translate` and `generate` write it. */
export const tokenJson = ({ id, text, start, end, special }: Translation['tokens'][number]) => ({ id, text, start, end, special });

/** Timings rounded to 0.01 ms, for JSON output. */
export const roundedTimings = (timingsMs: Record<string, number>) => Object.fromEntries(Object.entries(timingsMs).map(([key, ms]) => [key, Number(ms.toFixed(2))]));

function translationJson(translation: Translation) {
  return {
    source: translation.sourceText,
    translation: translation.text,
    targetLanguage: translation.targetLanguage,
    sourceTokens: translation.sourceTokens.map(tokenJson),
    tokens: translation.tokens.map(tokenJson),
    score: Number(translation.score.toFixed(4)),
    normalizedScore: Number(translation.normalizedScore.toFixed(4)),
    finished: translation.finished,
    /** [generated][source]: head- and layer-averaged cross-attention. */
    alignment: rows(translation.alignment),
    timingsMs: roundedTimings(translation.timingsMs),
    notices: translation.notices,
  };
}
