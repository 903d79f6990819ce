// The extension's engine client against the real forked engine process (dist/engineProcess.js,
// built by `npm run build`): typed arrays over IPC, SIGKILL mid-request, a hung engine, the
// restart budget, cancellation.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { EngineClient } from '../../src/engine/client';
import { topUnits } from '../../src/analysis/inspectionSummary';
import { EngineError } from '../../src/engine/engineError';
import { inspect } from '../../src/engine/inspector';
import { disposeModel, loadModel } from '../../src/engine/loadedModel';
import type { LogitLens, Tensor } from '../../src/protocol/inspection';
import type { FfnUnit } from '../../src/protocol/panelData';
import { fixture, REPO_ROOT, rowSums } from './fixtures';

const ENGINE = path.join(REPO_ROOT, 'dist', 'engineProcess.js');
if (!existsSync(ENGINE)) throw new Error(`${ENGINE} is missing: run \`npm run build\` first.`);

const clients: EngineClient[] = [];
function newClient(options: Partial<ConstructorParameters<typeof EngineClient>[0]> = {}) {
  const logs: string[] = [];
  const stops: string[] = [];
  const client = new EngineClient({
    enginePath: ENGINE,
    env: { TRANSFORMER_INSPECTOR_TEST_HOOKS: '1' },
    onLog: (level, message) => logs.push(`${level}: ${message}`),
    onStopped: (reason) => stops.push(reason),
    ...options,
  });
  clients.push(client);
  return { client, logs, stops };
}
after(() => clients.forEach((client) => client.dispose()));

function killWhenBusy(client: EngineClient): void {
  const pid = client.pid;
  assert.ok(pid, 'engine process is running');
  process.kill(pid, 'SIGKILL');
}

async function rejectsWith(promise: Promise<unknown>, code: string, pattern?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof EngineError, String(error));
    assert.equal(error.code, code, error.message);
    if (pattern) assert.match(error.message, pattern);
    return true;
  });
}

describe('engine client', () => {
  it('loads and inspects in the engine process; tensors arrive as Float32Array', async () => {
    const { client } = newClient();
    const progress: string[] = [];
    const info = await client.call('load', { model: fixture('marian-tiny') }, { onProgress: (message) => progress.push(message) });
    assert.equal(info.family, 'encoder-decoder');
    assert.ok(progress.includes('Warming up'), progress.join(', '));
    const summary = await client.call('inspect', { text: 'Hello world', target: 'Hello' });
    const cross = summary.groups.find((group) => group.kind === 'cross')!;
    assert.deepEqual([cross.layers, cross.heads, cross.keys], [2, 4, summary.stacks[0].tokens.length]);
    assert.ok(cross.thumbnails.data instanceof Float32Array);
    const head = (await client.call('panelQuestion', { method: 'attentionHead', params: { id: summary.id, group: 'decoder.cross', layer: 1, head: 3 } })) as Tensor;
    assert.ok(head.data instanceof Float32Array, 'tensors cross the process boundary as typed arrays');
    assert.deepEqual(head.dims, [cross.queries, cross.keys]);
    for (const sum of rowSums({ dims: [1, 1, ...head.dims], data: head.data })) assert.ok(Math.abs(sum - 1) < 1e-4);
    await rejectsWith(client.call('panelQuestion', { method: 'attentionHead', params: { id: 'gone', group: 'decoder.cross', layer: 0, head: 0 } }), 'input', /no longer held/);
    // Rollout is answered by the engine's MatMul session: the same numbers as the report's JavaScript.
    const rolled = (await client.call('panelQuestion', { method: 'attentionRollout', params: { id: summary.id, group: 'encoder.self' } })) as Tensor;
    const n = summary.stacks[0].tokens.length;
    assert.deepEqual(rolled.dims, [n, n]);
    for (const sum of rowSums({ dims: [1, 1, n, n], data: rolled.data })) assert.ok(Math.abs(sum - 1) < 1e-4);
    await rejectsWith(client.call('panelQuestion', { method: 'attentionRollout', params: { id: summary.id, group: 'decoder.cross' } }), 'input', /rollout needs self-attention/);
    // The logit lens is computed in the engine only when the panel asks for it.
    assert.deepEqual(summary.stacks.map((stack) => stack.hasLogitLens), [false, true]);
    const lens = (await client.call('panelQuestion', { method: 'logitLens', params: { id: summary.id, stack: 'decoder' } })) as LogitLens;
    assert.deepEqual(lens.dims, [3, summary.stacks[1].tokens.length, 5]);
    assert.ok(lens.ids instanceof Int32Array && lens.probabilities instanceof Float32Array);
    await rejectsWith(client.call('panelQuestion', { method: 'logitLens', params: { id: summary.id, stack: 'encoder' } }), 'input', /no output head/);
    // So are the FFN activations; their width is in the summary before that.
    const width = summary.stacks[1].ffnWidth!;
    assert.ok(width > 0, 'the summary states the FFN width');
    const units = (await client.call('panelQuestion', { method: 'ffnTopUnits', params: { id: summary.id, stack: 'decoder', layer: 1, token: 1, count: 5 } })) as FfnUnit[];
    assert.equal(units.length, 5);
    assert.ok(units.every((unit, i) => unit.unit >= 0 && unit.unit < width && (i === 0 || units[i - 1].value >= unit.value)), JSON.stringify(units));
    // The same units as an inspection here that fetched the activations with everything else.
    const model = await loadModel(fixture('marian-tiny'));
    const here = await inspect(model, { text: 'Hello world', target: 'Hello' }).finally(() => disposeModel(model));
    const expected = topUnits(here.stacks[1].ffnActivations, { id: '', stack: 'decoder', layer: 1, token: 1, count: 5 });
    assert.deepEqual(units.map((unit) => unit.unit), expected.map((unit) => unit.unit));
    units.forEach((unit, i) => assert.ok(Math.abs(unit.value - expected[i].value) < 1e-5, `${unit.value} vs ${expected[i].value}`));
  });

  it('a request in flight when the engine is killed fails clearly; the next one works on the same model', async () => {
    const { client, logs } = newClient();
    await client.call('load', { model: fixture('bert-tiny') });
    const pending = client.call('hang', {});
    await new Promise((resolve) => setTimeout(resolve, 100));
    killWhenBusy(client);
    await rejectsWith(pending, 'engine-crashed', /killed \(SIGKILL\)/);
    const inspection = await client.call('inspect', { text: 'hello world' });
    assert.equal(inspection.modelName, 'bert-tiny', 'the model was reloaded in the new process');
    assert.ok(logs.some((line) => /reloading the model/.test(line)));
  });

  it('a hung engine is killed at the timeout and replaced', async () => {
    const { client } = newClient({ timeoutsMs: { hang: 500 } });
    await client.call('load', { model: fixture('bert-tiny') });
    const firstPid = client.pid;
    await rejectsWith(client.call('hang', {}), 'timeout', /No answer to "hang"/);
    const inspection = await client.call('inspect', { text: 'hello' });
    assert.equal(inspection.stacks[0].tokens.length, 3);
    assert.notEqual(client.pid, firstPid);
  });

  it('stops after the restart budget is spent, says so, and restart() recovers', async () => {
    const { client, stops } = newClient({ maxCrashes: 3 });
    await client.call('load', { model: fixture('bert-tiny') });
    for (let crash = 0; crash < 3; crash++) {
      const pending = client.call('hang', {});
      await new Promise((resolve) => setTimeout(resolve, 50));
      killWhenBusy(client);
      await rejectsWith(pending, 'engine-crashed');
    }
    assert.equal(stops.length, 1);
    assert.match(stops[0], /failed 3 times in 3 minutes/);
    await rejectsWith(client.call('inspect', { text: 'hello' }), 'engine-crashed', /Restart Engine/);
    await client.restart();
    assert.equal((await client.call('inspect', { text: 'hello' })).modelName, 'bert-tiny');
  });

  it('a cancelled request rejects at once and the engine keeps serving', async () => {
    const { client } = newClient();
    await client.call('load', { model: fixture('bert-tiny') });
    const abort = new AbortController();
    const pending = client.call('inspect', { text: 'hello world' }, { signal: abort.signal });
    abort.abort();
    await rejectsWith(pending, 'cancelled');
    assert.equal((await client.call('inspect', { text: 'hello' })).modelName, 'bert-tiny');
  });

  it('engine errors keep their code across the process boundary', async () => {
    const { client } = newClient();
    await rejectsWith(client.call('load', { model: fixture('not-a-transformer') }), 'not-transformer');
    await rejectsWith(client.call('inspect', { text: 'x' }), 'no-model', /Open a model first/);
  });
});
