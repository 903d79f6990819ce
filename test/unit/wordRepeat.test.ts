// The decoder's word-repeat guard: the rule on made-up token tables, then on the bundled model,
// whose greedy English→Chinese output for a held-out sentence writes "下载" twice without it.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bundledModelPath } from '../../src/engine/bundledModel';
import { generate } from '../../src/engine/generation';
import { disposeModel, type LoadedModel, loadModel } from '../../src/engine/loadedModel';
import { repeatsJustWritten } from '../../src/engine/wordRepeat';

const PIECES: Record<number, string> = { 1: '修改', 2: '看', 3: ' the', 4: '!!', 5: '12', 6: '保', 7: '存', 8: ' file', 9: ' 修改', 10: 'the', 11: 'ba' };
const decode = (ids: readonly number[]) => ids.map((id) => PIECES[id]).join('');

describe('word-repeat guard', () => {
  it('turns down a word of two or more characters written again right after itself', () => {
    assert.equal(repeatsJustWritten([6, 1], 1, decode, ''), true, '修改修改');
    assert.equal(repeatsJustWritten([8, 3], 3, decode, ''), true, 'the the');
    assert.equal(repeatsJustWritten([6, 7, 6], 7, decode, ''), true, '保存保存: a block of two tokens');
    assert.equal(repeatsJustWritten([1, 6], 1, decode, ''), false, 'not right after itself');
    assert.equal(repeatsJustWritten([], 1, decode, ''), false, 'nothing written yet');
    assert.equal(repeatsJustWritten([9], 1, decode, ''), true, '修改修改 from two pieces of the same text (with and without the word start)');
    assert.equal(repeatsJustWritten([11, 10], 3, decode, ''), false, '"bathe the": an English piece with the word start is another word');
  });

  it('lets one character, punctuation and numbers repeat, and what the source itself repeats', () => {
    assert.equal(repeatsJustWritten([2], 2, decode, ''), false, '看看 is Chinese reduplication');
    assert.equal(repeatsJustWritten([4], 4, decode, ''), false, '!!!!');
    assert.equal(repeatsJustWritten([5], 5, decode, ''), false, '1212');
    assert.equal(repeatsJustWritten([3], 3, decode, 'say The the twice'), false, 'the source has "the the"');
    assert.equal(repeatsJustWritten([1], 1, decode, '修改修改'), false);
  });
});

describe('word-repeat guard on the bundled model', () => {
  let model: LoadedModel;
  before(async () => {
    model = await loadModel(bundledModelPath()!);
  });
  after(() => disposeModel(model));

  it('greedy search no longer writes "下载下载" for a held-out sentence, and its other translations stay as they were', async () => {
    const source = 'The download is complete.';
    const free = await generate(model, source, { targetLanguage: 'zh', repetitionGuard: false });
    const guarded = await generate(model, source, { targetLanguage: 'zh' });
    assert.match(free.text, /下载下载/, `without the guard: ${free.text}`);
    assert.doesNotMatch(guarded.text, /(..)\1/u, `with it: ${guarded.text}`);
    for (const [text, to] of [['Open the file in a new window.', 'zh'], ['无法连接到服务器。', 'en'], ['The selected cells could not be copied.', 'zh']] as const) {
      assert.equal((await generate(model, text, { targetLanguage: to })).text, (await generate(model, text, { targetLanguage: to, repetitionGuard: false })).text, text);
    }
  });
});
