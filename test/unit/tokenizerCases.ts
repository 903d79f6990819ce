// The model folders of every kind of tokenizer, and what every tokenization must satisfy; shared
// by the hostile-text and long-input tests.

import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { Token } from '../../src/protocol/inspection';
import { fixture, REPO_ROOT } from './fixtures';

export const BUNDLED = path.join(REPO_ROOT, 'models', 'en-zh-transformer');

/** One model of each tokenizer kind: WordPiece, byte-level BPE, Unigram, and the bundled model's. */
export const TOKENIZER_MODELS: Record<string, string> = {
  'WordPiece (bert-tiny)': fixture('bert-tiny'),
  'byte-level BPE (gpt2-tiny)': fixture('gpt2-tiny'),
  'Unigram (marian-tiny)': fixture('marian-tiny'),
  'Unigram (bundled model)': BUNDLED,
};

/**
 * What every tokenization must satisfy: spans inside the text, in order, never partly overlapping,
 * special tokens empty; and every letter, digit or symbol of the text inside some token's span.
 */
export function assertOffsetsMapBack(text: string, tokens: readonly Token[], label: string): void {
  let end = 0;
  let previous: { start: number; end: number } = { start: -1, end: -1 };
  const covered = new Uint8Array(text.length);
  for (const token of tokens) {
    assert.ok(token.start >= 0 && token.start <= token.end && token.end <= text.length, `${label}: span [${token.start},${token.end}) outside the text`);
    if (token.special) {
      assert.equal(token.start, token.end, `${label}: special token ${token.text} has a span`);
      continue;
    }
    // One character may become several tokens (NFKC's ½ → 1⁄2, byte pieces): they share its span
    // (pieces that stand for nothing in the source, such as the ⁄, have empty spans).
    const sameAsBefore = token.start === previous.start && token.end === previous.end;
    assert.ok(token.start >= end || token.start === token.end || sameAsBefore, `${label}: token ${JSON.stringify(token.text)} [${token.start},${token.end}) partly overlaps the one before (ends ${end})`);
    covered.fill(1, token.start, token.end);
    end = Math.max(end, token.end);
    if (token.end > token.start) previous = token;
  }
  const mustCover = /[\p{L}\p{N}\p{S}]/u;
  for (let i = 0; i < text.length; i++) {
    if (covered[i] || !mustCover.test(text[i])) continue;
    // Code points outside the BMP are two UTF-16 units; a lone surrogate is not a character.
    assert.fail(`${label}: character ${JSON.stringify(text[i])} (U+${text.charCodeAt(i).toString(16)}) at ${i} is in no token's span`);
  }
}
