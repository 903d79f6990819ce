// The parts of hover translation that need no editor: the bounded cache and the word alignment.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { translationTarget } from '../../src/engine/languages';
import { LruCache } from '../../src/engine/lruCache';
import type { Token, Translation } from '../../src/protocol/inspection';
import { wordAlignment } from '../../src/report/wordAlignment';

describe('LruCache', () => {
  it('keeps at most its capacity, dropping the least recently used', () => {
    const cache = new LruCache<string, number>(3);
    for (const [key, value] of [['a', 1], ['b', 2], ['c', 3]] as const) cache.set(key, value);
    assert.equal(cache.get('a'), 1);
    cache.set('d', 4);
    assert.equal(cache.size, 3);
    assert.equal(cache.get('b'), undefined, 'b was the least recently used');
    assert.deepEqual(['a', 'c', 'd'].map((key) => cache.get(key)), [1, 3, 4]);
  });

  it('stays bounded under a storm of distinct keys', () => {
    const cache = new LruCache<number, string>(500);
    for (let i = 0; i < 10_000; i++) cache.set(i, String(i));
    assert.equal(cache.size, 500);
    assert.equal(cache.get(9_999), '9999');
    assert.equal(cache.get(0), undefined);
  });
});

describe('wordAlignment', () => {
  // Spans far apart unless a test joins pieces on purpose.
  let position = 0;
  const token = (text: string, special = false, joined = false): Token => {
    const start = joined ? position : (position += 10);
    position = start + text.length;
    return { id: 0, text, start, end: position, special };
  };
  const translation = (alignmentRows: number[][], targets: string[]): Translation => ({
    sourceText: 'Open the file',
    sourceTokens: [token('>>zh<<', true), token('Open'), token('the'), token('file'), token('</s>', true)],
    targetLanguage: 'zh',
    text: targets.join(''),
    tokens: targets.map((text) => token(text)),
    score: -1,
    normalizedScore: -0.5,
    alignment: { dims: [alignmentRows.length, 5], data: Float32Array.from(alignmentRows.flat()) },
    finished: true,
    repetitionStopped: false,
    timingsMs: {},
    notices: [],
  });

  it('pairs each translated word with its most-attended source word, skipping special tokens and punctuation', () => {
    const pairs = wordAlignment(
      translation(
        [
          [0.5, 0.4, 0.05, 0.05, 0],
          [0.1, 0.05, 0.05, 0.7, 0.1],
          [0.05, 0.05, 0.05, 0.05, 0.8],
        ],
        ['打开', '文件', '。'],
      ),
    );
    assert.deepEqual(
      pairs.map(({ source, target }) => [target, source]),
      [
        ['打开', 'Open'],
        ['文件', 'file'],
      ],
    );
    assert.ok(Math.abs(pairs[0].weight - 0.4) < 1e-6);
  });

  it('joins Latin pieces written together into words and pools their attention', () => {
    position = 0;
    const sourceTokens = [token('>>en<<', true), token('打开'), token('文件'), token('</s>', true)];
    const targets = [token('Op'), token('en', false, true), token('file')];
    const pairs = wordAlignment({
      ...translation([], []),
      sourceTokens,
      tokens: targets,
      text: 'Open file',
      alignment: { dims: [3, 4], data: Float32Array.from([0, 0.9, 0.1, 0, 0, 0.3, 0.7, 0, 0, 0.1, 0.9, 0]) },
    });
    assert.deepEqual(pairs.map(({ source, target }) => [target, source]), [['Open', '打开'], ['file', '文件']]);
    assert.ok(Math.abs(pairs[0].weight - 0.6) < 1e-6, 'the mean of the two pieces’ weights on 打开');
  });
});

describe('translationTarget', () => {
  const bilingual = { languageTokens: { en: '>>en<<', zh: '>>zh<<' } };
  it('bilingual models translate into the preferred language, and skip text already in it', () => {
    assert.equal(translationTarget('注意力权重的总和为一', bilingual, 'en'), 'en');
    assert.equal(translationTarget('The weights add up to one', bilingual, 'en'), undefined);
    assert.equal(translationTarget('The weights add up to one', bilingual, 'zh'), 'zh');
    assert.equal(translationTarget('12345 + 678', bilingual, 'en'), undefined, 'no letters: nothing to translate');
  });

  it('both ways: each text into the other language, with language tokens or without', () => {
    assert.equal(translationTarget('注意力权重的总和为一', bilingual, 'both'), 'en');
    assert.equal(translationTarget('The weights add up to one', bilingual, 'both'), 'zh');
    assert.equal(translationTarget('注意力权重的总和为一', {}, 'both'), 'en');
    assert.equal(translationTarget('The weights add up to one', {}, 'both'), 'zh');
    assert.equal(translationTarget('12345', bilingual, 'both'), undefined);
  });

  it('fixed-pair models only read their source script', () => {
    const zhEn = { languagePair: { source: 'zh', target: 'en' } };
    assert.equal(translationTarget('打开文件', zhEn, 'zh'), 'en');
    assert.equal(translationTarget('Open the file', zhEn, 'zh'), undefined);
    const deEn = { languagePair: { source: 'de', target: 'en' } };
    assert.equal(translationTarget('Der Hund schläft', deEn, 'en'), 'en');
  });
});
