// Which sessions spin idle threads: not those of a model of several files (an encoder session's
// spinning threads slowed the decoder session that runs next), as onnxruntime chooses otherwise.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withSpinningFor } from '../../src/engine/loadedModel';
import { readModelFolder } from '../../src/engine/modelFolder';
import { fixture } from './fixtures';

describe('withSpinningFor', () => {
  it('encoder and decoder files (marian-tiny, and the split layout with a decoder-with-past): no spinning', () => {
    assert.equal(withSpinningFor(readModelFolder(fixture('marian-tiny'), 'fp32'), { threads: 2 }).spinning, false);
    assert.equal(withSpinningFor(readModelFolder(fixture('marian-tiny-split'), 'fp32'), {}).spinning, false);
  });
  it("one file (bert-tiny, a whole nn.Transformer): onnxruntime's default", () => {
    assert.equal(withSpinningFor(readModelFolder(fixture('bert-tiny'), 'fp32'), { threads: 2 }).spinning, undefined);
    assert.equal(withSpinningFor(readModelFolder(fixture('torch-transformer'), 'fp32'), {}).spinning, undefined);
  });
  it("a caller's own choice stands", () => {
    assert.equal(withSpinningFor(readModelFolder(fixture('marian-tiny'), 'fp32'), { spinning: true }).spinning, true);
  });
});
