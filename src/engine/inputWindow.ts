// Cuts a text to what the model can take before the tokenizer sees all of it: the tokenizer is
// given a prefix a bounded multiple of the token limit long, never a whole pasted file.

import type { Token } from '../protocol/inspection';
import { EngineError } from './engineError';

/** Characters tokenized at first per token the model takes: nearly every token spans fewer. */
const FIRST_CHARS_PER_TOKEN = 8;
/** The widest prefix, per token: past it a text is mostly whitespace, control characters or one unknown word. */
const MAX_CHARS_PER_TOKEN = 64;
const MIN_WINDOW = 1024;
/** How far back from a cut to look for whitespace, so no word is cut in two. */
const BOUNDARY_SEARCH = 256;

export interface WithinLimit {
  readonly tokens: Token[];
  /** The prefix of the text the tokens are of: their offsets point into it and into the text. */
  readonly text: string;
}

/** The widest prefix of any text that is ever tokenized for `limit` tokens. */
export function widestWindow(limit: number): number {
  return Math.max(MIN_WINDOW, limit * MAX_CHARS_PER_TOKEN);
}

/**
 * Tokens of the longest prefix of `text` that fits in `limit` tokens, tokenizing prefixes that
 * grow from `limit × 8` characters to at most `limit × 64`, then cut at a token's end.
 * Notices say what was left out.
 */
export function encodeWithinLimit(encode: (text: string) => Token[], text: string, limit: number, notices: string[]): WithinLimit {
  const widest = widestWindow(limit);
  let window = Math.min(widest, Math.max(MIN_WINDOW, limit * FIRST_CHARS_PER_TOKEN));
  let current = prefixOf(text, window);
  let tokens = encode(current);
  // Few tokens in many characters (long whitespace, unknown words): look further, within bounds.
  while (tokens.length <= limit && current.length < text.length && window < widest) {
    window = Math.min(widest, window * 4);
    current = prefixOf(text, window);
    tokens = encode(current);
  }
  const windowed = current.length < text.length && tokens.length <= limit;
  while (tokens.length > limit) {
    const kept = tokens.filter((token) => !token.special);
    let last = Math.max(0, kept.length - (tokens.length - limit) - 1);
    // Pieces of one character (byte-level BPE) share its span: cut before the character, not inside it.
    while (last > 0 && kept[last + 1] && kept[last + 1].start < kept[last].end) last--;
    const cut = kept[last]?.end ?? 0;
    if (cut <= 0 || cut >= current.length) throw new EngineError('input', `The text cannot be cut to the model's maximum of ${limit} tokens.`);
    current = current.slice(0, cut);
    tokens = encode(current);
  }
  if (windowed) {
    notices.push(`Only the first ${current.length} of ${text.length} characters were tokenized: they hold ${tokens.length} tokens (whitespace, control characters and unknown words take few); the limit is ${limit} tokens.`);
  } else if (current.length < text.length) {
    notices.push(`Input truncated to ${tokens.length} tokens (the first ${current.length} of ${text.length} characters): the limit is ${limit} tokens.`);
  }
  return { tokens, text: current };
}

/**
 * The first `length` characters of `text`, cut after whitespace where there is some shortly
 * before, and never inside a surrogate pair or before a combining mark.
 */
export function prefixOf(text: string, length: number): string {
  if (length >= text.length) return text;
  for (let at = length; at > Math.max(0, length - BOUNDARY_SEARCH); at--) {
    if (/\s/.test(text[at - 1])) return text.slice(0, at);
  }
  let at = length;
  // A mark, joiner or variation selector belongs to the character before it.
  while (at > length - BOUNDARY_SEARCH && at > 1 && /[\p{M}\u200d\ufe00-\ufe0f\udc00-\udfff]/u.test(text[at])) at--;
  return text.slice(0, at);
}
