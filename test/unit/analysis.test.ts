// The panel's summaries, checked against values computed another way: PCA against an exact
// answer, rollout against its definition, thumbnails against hand-pooled means.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { headMean, rollout, thumbnails } from '../../src/analysis/attentionMath';
import { answerPanelQuestion, summarize } from '../../src/analysis/inspectionSummary';
import { pca2, symmetricEigen } from '../../src/analysis/pca';
import { inspect, inspectTokens } from '../../src/engine/inspector';
import { disposeModel, loadModel } from '../../src/engine/loadedModel';
import type { Tensor } from '../../src/protocol/inspection';
import { fixture, maxAbsDifference, reference, rowSums } from './fixtures';

describe('pca2', () => {
  it('recovers the axes of points spread along known directions', () => {
    // Points on a plane in 5-D, x·a + y·b + offset, with x and y uncorrelated and x ten times wider.
    const a = [1, 1, 0, 0, 0].map((v) => v / Math.SQRT2);
    const b = [0, 0, 1, 0, 0];
    const truth = [1, 2, 3, 4, 5].flatMap((k) => [[10 * k, 0], [-10 * k, 0], [0, k], [0, -k]]);
    const data = Float32Array.from(truth.flatMap(([x, y]) => a.map((_, c) => x * a[c] + y * b[c] + 3)));
    const { coords, explained } = pca2(data, truth.length, 5);
    truth.forEach(([x, y], r) => {
      assert.ok(Math.abs(Math.abs(coords[r * 2]) - Math.abs(x)) < 1e-3, `row ${r}: first component ${coords[r * 2]} vs ${x}`);
      assert.ok(Math.abs(Math.abs(coords[r * 2 + 1]) - Math.abs(y)) < 1e-3, `row ${r}: second component ${coords[r * 2 + 1]} vs ${y}`);
    });
    assert.ok(Math.abs(explained[0] + explained[1] - 1) < 1e-6, 'two components explain a plane fully');
    assert.ok(Math.abs(explained[0] - 100 / 101) < 1e-6);
  });

  it('eigen-decomposes a symmetric matrix', () => {
    const { values, vectors } = symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2);
    assert.ok(Math.abs(values[0] - 3) < 1e-12 && Math.abs(values[1] - 1) < 1e-12);
    assert.ok(Math.abs(Math.abs(vectors[0]) - Math.SQRT1_2) < 1e-12);
  });
});

describe('attention summaries', () => {
  // Two layers, one head, three tokens: rows of simple attention matrices.
  const tensor: Tensor = {
    dims: [2, 2, 3, 3],
    data: Float32Array.from([
      ...[1, 0, 0, 0.5, 0.5, 0, 0.2, 0.3, 0.5], ...[1, 0, 0, 0, 1, 0, 0, 0, 1],
      ...[0, 1, 0, 0, 1, 0, 0, 1, 0], ...[1, 0, 0, 1, 0, 0, 1, 0, 0],
    ]),
  };

  it('head mean averages the heads of a layer', () => {
    assert.deepEqual([...headMean(tensor, 0).data].map((v) => +v.toFixed(4)), [1, 0, 0, 0.25, 0.75, 0, 0.1, 0.15, 0.75]);
  });

  it('rollout is the product of the residual-mixed, renormalised head means', () => {
    const result = rollout(tensor);
    for (const sum of rowSums({ dims: [1, 1, 3, 3], data: result.data })) assert.ok(Math.abs(sum - 1) < 1e-6);
    const mix = (layer: number) => {
      const mean = headMean(tensor, layer).data;
      return [0, 1, 2].map((q) => [0, 1, 2].map((k) => 0.5 * mean[q * 3 + k] + (q === k ? 0.5 : 0)));
    };
    const [first, second] = [mix(0), mix(1)];
    const expected = [0, 1, 2].flatMap((q) => [0, 1, 2].map((k) => [0, 1, 2].reduce((sum, m) => sum + second[q][m] * first[m][k], 0)));
    assert.ok(maxAbsDifference(result.data, expected) < 1e-6);
  });

  it('the engine’s rollout (onnxruntime MatMul) equals the JavaScript one, on a 12-layer 200-token group', async () => {
    const { rolloutInEngine } = await import('../../src/engine/rolloutSession');
    const [layers, heads, n] = [12, 2, 200];
    let state = 7;
    const next = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
    const data = new Float32Array(layers * heads * n * n);
    for (let row = 0; row < layers * heads * n; row++) {
      let sum = 0;
      for (let k = 0; k < n; k++) sum += data[row * n + k] = next();
      for (let k = 0; k < n; k++) data[row * n + k] /= sum;
    }
    const group: Tensor = { dims: [layers, heads, n, n], data };
    const fast = await rolloutInEngine(group);
    assert.deepEqual(fast.dims, [n, n]);
    assert.ok(maxAbsDifference(fast.data, rollout(group).data) < 1e-5);
    for (const sum of rowSums({ dims: [1, 1, n, n], data: fast.data })) assert.ok(Math.abs(sum - 1) < 1e-4);
  });

  it('thumbnails are block means', () => {
    const big: Tensor = { dims: [1, 1, 4, 4], data: Float32Array.from({ length: 16 }, (_, i) => i) };
    const small = thumbnails(big, 2);
    assert.deepEqual(small.dims, [1, 1, 2, 2]);
    assert.deepEqual([...small.data], [2.5, 4.5, 10.5, 12.5]);
    assert.deepEqual([...thumbnails(big, 8).data], [...big.data], 'no pooling when already small');
  });
});

describe('summaries of a real inspection', () => {
  it('marian-tiny: summary dims, norms, PCA and the questions the panel asks', async () => {
    const model = await loadModel(fixture('marian-tiny'));
    const ref = reference('marian-tiny');
    const inspection = await inspectTokens(model, {
      source: { tokens: model.tokenizer.describe(ref.input_ids), text: '' },
      target: { tokens: model.tokenizer.describe(ref.decoder_input_ids!), text: '' },
    });
    await disposeModel(model);
    const summary = summarize(inspection, 'x');
    assert.deepEqual(summary.groups.map((group) => [group.key, group.queryStack, group.keyStack, group.thumbnails.dims.join('×')]), [
      ['encoder.self', 'encoder', 'encoder', '3×4×7×7'],
      ['decoder.self', 'decoder', 'decoder', '2×4×5×5'],
      ['decoder.cross', 'decoder', 'encoder', '2×4×5×7'],
    ]);
    const encoder = summary.stacks[0];
    assert.deepEqual(encoder.norms!.dims, [4, 7]);
    const hidden = inspection.stacks[0].hiddenStates!;
    const firstNorm = Math.sqrt(hidden.data.subarray(0, 32).reduce((sum, v) => sum + v * v, 0));
    assert.ok(Math.abs(encoder.norms!.data[0] - firstNorm) < 1e-4);
    assert.equal(encoder.projection, undefined, 'the PCA is not in the summary: the embeddings view asks for it');
    const projection = answerPanelQuestion(inspection, 'projection', { id: 'x', stack: 'encoder' });
    assert.deepEqual(projection.projection!.dims, [4, 7, 2]);
    assert.equal(projection.explained!.length, 4);
    assert.deepEqual(projection.embeddingProjection!.dims, [7, 2]);
    assert.equal(encoder.stats!.length, 4);
    const head = answerPanelQuestion(inspection, 'attentionHead', { id: 'x', group: 'decoder.cross', layer: 1, head: 2 });
    assert.deepEqual(head.dims, [5, 7]);
    const expected = ref.attention['decoder.cross'].data.slice((1 * 4 + 2) * 35, (1 * 4 + 3) * 35);
    assert.ok(maxAbsDifference(head.data, expected) < 1e-4);
    assert.deepEqual(answerPanelQuestion(inspection, 'attentionLayer', { id: 'x', group: 'encoder.self', layer: 2 }).dims, [4, 7, 7]);
    const neighbours = answerPanelQuestion(inspection, 'neighbors', { id: 'x', stack: 'encoder', layer: 3, token: 0, count: 3 });
    assert.equal(neighbours.length, 3);
    assert.ok(neighbours[0].cosine >= neighbours[1].cosine && neighbours[1].cosine >= neighbours[2].cosine);
    assert.throws(() => answerPanelQuestion(inspection, 'attentionRollout', { id: 'x', group: 'decoder.cross' }), /queries = keys/);
  });
});

describe('inspection codec', () => {
  it('round-trips an inspection with its tensors bit for bit', async () => {
    const { encodeInspection, decodeInspection } = await import('../../src/report/inspectionCodec');
    const model = await loadModel(fixture('bert-tiny'));
    const inspection = await inspectTokens(model, { source: { tokens: model.tokenizer.encode('hello world'), text: 'hello world' } });
    await disposeModel(model);
    const decoded = decodeInspection(encodeInspection(inspection));
    assert.equal(decoded.modelName, 'bert-tiny');
    assert.deepEqual(decoded.stacks[0].tokens, inspection.stacks[0].tokens);
    assert.deepEqual([...decoded.attention[0].tensor.data], [...inspection.attention[0].tensor.data]);
    assert.ok(decoded.stacks[0].hiddenStates!.data instanceof Float32Array);
  });
});

describe('FFN units and the lens in the summary', () => {
  it('answers the most active FFN units of a token and the lens, and says whether a stack has one', async () => {
    const model = await loadModel(fixture('gpt2-tiny'));
    const inspection = await inspectTokens(model, { source: { tokens: model.tokenizer.encode('Hello world'), text: 'Hello world' } });
    await disposeModel(model);
    const summary = summarize(inspection, 'x');
    assert.equal(summary.stacks[0].ffnWidth, 64);
    assert.equal(summary.stacks[0].hasLogitLens, true);
    assert.deepEqual(answerPanelQuestion(inspection, 'logitLens', { id: 'x', stack: 'decoder' }), inspection.stacks[0].logitLens);
    const units = answerPanelQuestion(inspection, 'ffnTopUnits', { id: 'x', stack: 'decoder', layer: 1, token: 2, count: 5 });
    const ffn = inspection.stacks[0].ffnActivations!;
    const [, tokens, width] = ffn.dims;
    const row = [...ffn.data.subarray((1 * tokens + 2) * width, (1 * tokens + 3) * width)];
    assert.deepEqual(units.map((entry) => entry.value), [...row].sort((a, b) => b - a).slice(0, 5));
    assert.equal(row[units[0].unit], units[0].value);
    const { encodeInspection, decodeInspection } = await import('../../src/report/inspectionCodec');
    const decoded = decodeInspection(encodeInspection(inspection));
    assert.ok(decoded.stacks[0].logitLens!.ids instanceof Int32Array);
    assert.deepEqual([...decoded.stacks[0].logitLens!.ids], [...inspection.stacks[0].logitLens!.ids]);
  });

  it('an on-demand lens is computed when first asked for, and equals the lens computed at once', async () => {
    const model = await loadModel(fixture('gpt2-tiny'));
    try {
      const source = { tokens: model.tokenizer.encode('Hello world, the model'), text: 'Hello world, the model' };
      const now = await inspectTokens(model, { source });
      const later = await inspectTokens(model, { source, activationsView: 'on-demand' });
      assert.equal(later.stacks[0].logitLens, undefined);
      assert.equal(summarize(later, 'y').stacks[0].hasLogitLens, true);
      const lens = await later.stacks[0].deferredLogitLens!();
      assert.deepEqual(lens.dims, now.stacks[0].logitLens!.dims);
      assert.deepEqual([...lens.ids], [...now.stacks[0].logitLens!.ids]);
      assert.deepEqual([...lens.probabilities], [...now.stacks[0].logitLens!.probabilities]);
      assert.equal(await later.stacks[0].deferredLogitLens!(), lens, 'computed once');
    } finally {
      await disposeModel(model);
    }
  });

  it('on-demand FFN activations wait until asked for once the width is known, and equal those fetched at once', async () => {
    const model = await loadModel(fixture('marian-tiny'));
    let disposed = false;
    try {
      const request = { text: 'Hello world', target: 'Hallo Welt' };
      // A model's first inspection fetches them anyway: the width the summary states is learned there.
      const first = await inspect(model, { ...request, activationsView: 'on-demand' });
      assert.equal(first.stacks.length, 2);
      assert.ok(first.stacks.every((stack) => stack.ffnActivations && !stack.deferredFfnActivations));
      const now = await inspect(model, request);
      const later = await inspect(model, { ...request, activationsView: 'on-demand' });
      assert.deepEqual(summarize(later, 'z').stacks.map((stack) => stack.ffnWidth), summarize(now, 'n').stacks.map((stack) => stack.ffnWidth));
      for (const [index, stack] of later.stacks.entries()) {
        assert.equal(stack.ffnActivations, undefined, `${stack.stack}: not fetched with the inspection`);
        const fetched = await stack.deferredFfnActivations!.fetch();
        const expected = now.stacks[index].ffnActivations!;
        assert.deepEqual(fetched.dims, expected.dims);
        assert.equal(stack.deferredFfnActivations!.width, expected.dims[2]);
        assert.deepEqual([...fetched.data], [...expected.data], `${stack.stack}: the same values as fetched at once`);
        assert.equal(await stack.deferredFfnActivations!.fetch(), fetched, 'fetched once');
      }
      // Asked for after the model is gone, they fail with a message that says what to do.
      const orphan = await inspect(model, { ...request, activationsView: 'on-demand' });
      await disposeModel(model);
      disposed = true;
      await assert.rejects(orphan.stacks[1].deferredFfnActivations!.fetch(), /FFN activations could not be computed .*inspect again/);
    } finally {
      if (!disposed) await disposeModel(model);
    }
  });
});
