// `transformer-inspector generate`: a decoder-only model continues the prompt (an encoder-decoder
// model translates it), greedy or by beam search, as text or as one JSON object.

import type { Engine } from '../engine/engine';
import type { HeadRef, Translation } from '../protocol/inspection';
import { roundedTimings, tokenJson } from './translateCommand';

export interface GenerateCommandOptions {
  readonly prompt: string;
  readonly maxNewTokens?: number;
  readonly beamSize?: number;
  /** false: no word-repeat guard and no loop cut (exact search, as PyTorch's). */
  readonly repetitionGuard?: boolean;
  readonly json: boolean;
  readonly ablate?: readonly HeadRef[];
}

export async function runGenerate(engine: Engine, options: GenerateCommandOptions): Promise<number> {
  const result = await engine.generate(options.prompt, { maxNewTokens: options.maxNewTokens, beamSize: options.beamSize, repetitionGuard: options.repetitionGuard, ablate: options.ablate });
  for (const notice of result.notices) process.stderr.write(`note: ${notice}\n`);
  process.stdout.write(options.json ? `${JSON.stringify(generationJson(result))}\n` : `${result.text}\n`);
  return 0;
}

function generationJson(result: Translation) {
  return {
    prompt: result.sourceText,
    text: result.text,
    promptTokens: result.sourceTokens.map(tokenJson),
    tokens: result.tokens.map(tokenJson),
    score: Number(result.score.toFixed(4)),
    normalizedScore: Number(result.normalizedScore.toFixed(4)),
    finished: result.finished,
    timingsMs: roundedTimings(result.timingsMs),
    notices: result.notices,
  };
}
