// Token offsets map back to the source text, for WordPiece, byte-level BPE and SentencePiece
// tokenizers, including text the normalizer rewrites (case, accents, CJK, emoji).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { TextTokenizer } from '../../src/engine/textTokenizer';
import type { Token } from '../../src/protocol/inspection';
import { fixture, reference } from './fixtures';

function tokenizerOf(name: string): TextTokenizer {
  const read = (file: string) => JSON.parse(readFileSync(path.join(fixture(name), file), 'utf8')) as object;
  return new TextTokenizer(read('tokenizer.json'), read('tokenizer_config.json'));
}

function spans(text: string, tokens: readonly Token[]): string[] {
  return tokens.filter((token) => !token.special).map((token) => text.slice(token.start, token.end));
}

function assertWellFormed(text: string, tokens: readonly Token[]): void {
  let previousStart = 0;
  for (const token of tokens) {
    assert.ok(token.start >= 0 && token.start <= token.end && token.end <= text.length, `span [${token.start},${token.end}) out of bounds`);
    assert.ok(token.start >= previousStart, 'spans go backwards');
    previousStart = token.start;
    if (token.special) assert.equal(token.start, token.end, 'special tokens have empty spans');
    else if (token.text.trim() !== '') assert.ok(token.end > token.start, `token ${token.text} has an empty span`);
  }
}

describe('token offsets', () => {
  it('WordPiece (bert-tiny): words, sub-words, punctuation, lower-casing', () => {
    const tokenizer = tokenizerOf('bert-tiny');
    const text = 'Hello, playing World';
    const tokens = tokenizer.encode(text);
    assertWellFormed(text, tokens);
    assert.deepEqual(spans(text, tokens), ['Hello', ',', 'play', 'ing', 'World']);
    assert.equal(tokens[0].special, true);
    assert.equal(tokens.at(-1)!.special, true);
  });

  it('WordPiece: ids equal the reference and unknown characters get their own span', () => {
    const tokenizer = tokenizerOf('bert-tiny');
    const ref = reference('bert-tiny');
    const tokens = tokenizer.encode(ref.text);
    assert.deepEqual(tokens.map((token) => token.id), ref.input_ids);
    assertWellFormed(ref.text, tokens);
    // `Hello, playing 中 λ`: λ is not in the vocabulary and becomes [UNK], still pointing at λ.
    assert.deepEqual(spans(ref.text, tokens), ['Hello', ',', 'play', 'ing', '中', 'λ']);
  });

  it('WordPiece: accents stripped by the normalizer still map to the accented characters', () => {
    const tokenizer = tokenizerOf('bert-tiny');
    const text = 'Hélló wörld';
    const tokens = tokenizer.encode(text);
    assertWellFormed(text, tokens);
    assert.equal(spans(text, tokens).join(''), 'Héllówörld');
  });

  it('byte-level BPE (gpt2-tiny): spans cover the text, multi-byte characters included', () => {
    const tokenizer = tokenizerOf('gpt2-tiny');
    const text = 'Hello world, 你好 😀 model';
    const tokens = tokenizer.encode(text);
    assertWellFormed(text, tokens);
    const covered = spans(text, tokens);
    assert.equal([...new Set(covered)].join('').replace(/\s/g, ''), text.replace(/\s/g, ''));
    assert.deepEqual(covered.slice(0, 2), ['H', 'ello']);
  });

  it('SentencePiece unigram (marian-tiny): spans and ids match the reference', () => {
    const tokenizer = tokenizerOf('marian-tiny');
    const ref = reference('marian-tiny');
    const tokens = tokenizer.encode(ref.text);
    assert.deepEqual(tokens.map((token) => token.id), ref.input_ids);
    assertWellFormed(ref.text, tokens);
    // `Hello world, 你好世界`: the bare ▁ before 你 points at the space it stands for.
    assert.deepEqual(spans(ref.text, tokens), ['Hello', 'world', ',', ' ', '你好', '世界']);
  });

  it('text of only spaces, NUL bytes or lone surrogates does not break alignment', () => {
    const tokenizer = tokenizerOf('bert-tiny');
    for (const text of ['   ', 'a\u0000b', 'x\ud800y', 'مرحبا hello', 'e\u0301 café']) {
      assertWellFormed(text, tokenizer.encode(text));
    }
  });
});

describe('decoding', () => {
  it('an empty id list decodes to an empty string (a translation may end at once)', () => {
    const tokenizer = tokenizerOf('marian-tiny');
    assert.equal(tokenizer.decode([]), '');
    assert.deepEqual(tokenizer.alignIds('', []), []);
  });
});
