// The decoder's start and end tokens: config.json and generation_config.json where they say, else
// the tokenizer's own (a learner's model folder often holds only model.onnx and tokenizer.json).

import { configNumber, ModelSpec } from './modelFolder';
import type { TextTokenizer } from './textTokenizer';

const START_TOKENS = ['<bos>', '<s>', '<sos>', '<start>', '[BOS]', '[CLS]', '<|startoftext|>'];
const END_TOKENS = ['<eos>', '</s>', '<end>', '[EOS]', '[SEP]', '<|endoftext|>'];

interface Sources {
  readonly spec: ModelSpec;
  readonly tokenizer: TextTokenizer;
}

/** The first of `names` that is a special token of the tokenizer (or the one tokenizer_config.json names). */
function tokenizerToken(tokenizer: TextTokenizer, configured: unknown, names: readonly string[]): number | undefined {
  const named = typeof configured === 'string' ? configured : (configured as { content?: string } | undefined)?.content;
  for (const name of [...(named ? [named] : []), ...names]) {
    const id = tokenizer.idOf(name);
    if (id !== undefined && tokenizer.specialIds.has(id)) return id;
  }
  return undefined;
}

export function decoderStartToken({ spec, tokenizer }: Sources): number | undefined {
  const { config, generationConfig, tokenizerConfig } = spec;
  return (
    configNumber(config, 'decoder_start_token_id') ??
    configNumber(generationConfig, 'decoder_start_token_id') ??
    configNumber(config, 'pad_token_id', 'bos_token_id') ??
    tokenizerToken(tokenizer, tokenizerConfig['bos_token'], START_TOKENS)
  );
}

export function endToken({ spec, tokenizer }: Sources): number | undefined {
  const { config, generationConfig, tokenizerConfig } = spec;
  return configNumber(generationConfig, 'eos_token_id') ?? configNumber(config, 'eos_token_id') ?? tokenizerToken(tokenizer, tokenizerConfig['eos_token'], END_TOKENS);
}
