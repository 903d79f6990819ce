// `transformer-inspector generate`: a decoder-only model continues the prompt (an encoder-decoder
// model translates it), greedy or by beam search, as text or as one JSON object.

import type { Engine } from '../engine/engine';
import type { Translation } from '../protocol/inspection';

export interface GenerateCommandOptions {
  readonly prompt: string;
  readonly maxNewTokens?: number;
  readonly beamSize?: number;
  readonly json: boolean;
}

export async function runGenerate(engine: Engine, options: GenerateCommandOptions): Promise<number> {
  const result = await engine.generate(options.prompt, { maxNewTokens: options.maxNewTokens, beamSize: options.beamSize });
  for (const notice of result.notices) process.stderr.write(`note: ${notice}\n`);
  process.stdout.write(options.json ? `${JSON.stringify(generationJson(result))}\n` : `${result.text}\n`);
  return 0;
}

function generationJson(result: Translation) {
  const token = ({ id, text, start, end, special }: Translation['tokens'][number]) => ({ id, text, start, end, special });
  return {
    prompt: result.sourceText,
    text: result.text,
    promptTokens: result.sourceTokens.map(token),
    tokens: result.tokens.map(token),
    score: Number(result.score.toFixed(4)),
    normalizedScore: Number(result.normalizedScore.toFixed(4)),
    finished: result.finished,
    timingsMs: Object.fromEntries(Object.entries(result.timingsMs).map(([key, ms]) => [key, Number(ms.toFixed(2))])),
    notices: result.notices,
  };
}
