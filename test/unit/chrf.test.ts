// The bench's chrF against the scores sacreBLEU 2.x prints for the same sentences (as training/metrics.py's self-test).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chrf } from '../../bench/chrf';

describe('chrF as sacreBLEU computes it', () => {
  it('gives sacreBLEU 2.x\'s scores for its own examples', () => {
    assert.ok(Math.abs(chrf(['The relationship between Obama and Netanyahu is not exactly friendly.'], ['The ties between Obama and Netanyahu are not particularly friendly.']) - 61.576379378113785) < 1e-9);
    const hypotheses = ['The relationship between cats and dogs is not exactly friendly.', 'a good bookshop is just a genteel black hole that knows how to read.'];
    const references = ['The relationship between dogs and cats is not exactly friendly.', 'A good bookshop is just a genteel Black Hole that knows how to read.'];
    assert.ok(Math.abs(chrf(hypotheses, references) - 84.64214891738334) < 1e-9);
    assert.equal(chrf(['保存所有更改'], ['保存所有更改']), 100);
  });
});
